import { Router } from 'express';
import { z } from 'zod';
import type { AppDeps } from '../../http/deps.js';
import { actorOf, requireSignIn } from '../../http/guards.js';
import { parseQuery, queryUuid } from '../../http/query.js';
import { today } from '../../lib/dates.js';
import { toCsv } from '../pupils/index.js';
import { provisionMap } from './provision-map-service.js';

const provisionQuery = z.object({ group: queryUuid('class or group') });

/** The provision map as CSV (formula-safe, I3): one class or group (?group=…), or every pupil the person sees. */
export function provisionMapRoutes(deps: AppDeps): Router {
  const router = Router();
  router.get('/provision-map.csv', requireSignIn, async (req, res) => {
    const { group } = parseQuery(provisionQuery, req.query);
    const map = await provisionMap(deps.db, actorOf(req), group);
    res.setHeader('Content-Type', 'text/csv; charset=utf-8');
    res.setHeader('Content-Disposition', `attachment; filename="provision-map-${today()}.csv"`);
    res.send(toCsv(map.header, map.rows));
  });
  return router;
}
