import type { Router } from 'express';
import type { AppDeps } from '../../http/deps.js';
import { can } from '../../policy/index.js';
import { type ProfileSection, pupilPages } from '../pupils/index.js';
import { pupilHistoryIn } from './analysis-service.js';
import { lineChart } from './charts.js';
import { termLabel } from './frameworks-service.js';

/**
 * Assessments' part of the pupil profile and its print view: the assessment history with its
 * charts, the pupil's interventions, and the buttons to record an assessment or read notes.
 * Pupils owns the profile; assessments adds this section and mounts the pupil pages with it.
 */
export const progressSection: ProfileSection = async ({ trx, actor, pupilId, groupIds }) => ({
  // In the profile's transaction, with the pupil and groups it has read.
  assessments: can(actor, 'assessment.read') ? await pupilHistoryIn(trx, actor, pupilId, groupIds) : null,
  lineChart,
  termLabel,
  canRecord: can(actor, 'assessment.record'),
  canReadNotes: can(actor, 'note.read'),
});

/** The pupil pages (profile, record, contacts, FSM, flags) with assessments' progress section. */
export const pupilPagesWithProgress = (deps: AppDeps): Router => pupilPages(deps, [progressSection]);
