import { expect } from 'chai';
import { type CellPrompt, cellPrompts, type Concern, concernsFor } from '../../src/modules/assessments/concerns.js';
import { type ConcernRules, defaultConcernRules, parseConcernRules } from '../../src/modules/tenancy/index.js';

/**
 * P16 as tables: the school's prompt rules × one pupil's just-saved wellbeing scores (and their
 * previous ones) → the reasons to show a prompt. Pure: the result is for the response alone.
 */

const items = [
  { id: 'happy', name: 'Happy', is_safety_domain: false },
  { id: 'friends', name: 'Friends', is_safety_domain: false },
  { id: 'safe', name: 'Feeling safe', is_safety_domain: true },
];
const off: ConcernRules = { anyScoreOfOne: false, dropOf: null, safetyDomainAtOrBelow: null };
const scores = (o: Record<string, number>) => new Map(Object.entries(o));

interface Case {
  name: string;
  rules: ConcernRules;
  saved: Record<string, number>;
  previous?: Record<string, number>;
  concerns: Concern[];
}

const cases: Case[] = [
  { name: 'no scores, no prompt', rules: defaultConcernRules, saved: {}, concerns: [] },
  { name: 'all fine', rules: defaultConcernRules, saved: { happy: 4, friends: 3, safe: 3 }, concerns: [] },
  {
    name: 'a score of one',
    rules: defaultConcernRules,
    saved: { friends: 1 },
    concerns: [{ rule: 'score_of_one', item: 'Friends' }],
  },
  {
    name: 'a score of one with that rule off',
    rules: { ...defaultConcernRules, anyScoreOfOne: false },
    saved: { friends: 1 },
    concerns: [],
  },
  {
    name: 'a fall of exactly the drop',
    rules: defaultConcernRules,
    saved: { happy: 3 },
    previous: { happy: 5 },
    concerns: [{ rule: 'drop', item: 'Happy', from: 5, to: 3 }],
  },
  {
    name: 'a fall smaller than the drop',
    rules: defaultConcernRules,
    saved: { happy: 4 },
    previous: { happy: 5 },
    concerns: [],
  },
  { name: 'a rise', rules: defaultConcernRules, saved: { happy: 5 }, previous: { happy: 2 }, concerns: [] },
  {
    name: 'a fall with no previous score of that item',
    rules: defaultConcernRules,
    saved: { happy: 2 },
    previous: { friends: 5 },
    concerns: [],
  },
  {
    name: 'a fall with the drop rule off',
    rules: { ...defaultConcernRules, dropOf: null },
    saved: { happy: 2 },
    previous: { happy: 5 },
    concerns: [],
  },
  {
    name: 'a drop of one when the school asks for one',
    rules: { ...off, dropOf: 1 },
    saved: { friends: 3 },
    previous: { friends: 4 },
    concerns: [{ rule: 'drop', item: 'Friends', from: 4, to: 3 }],
  },
  {
    name: 'the safety domain at the threshold',
    rules: defaultConcernRules,
    saved: { safe: 2 },
    concerns: [{ rule: 'safety_domain', item: 'Feeling safe', value: 2 }],
  },
  { name: 'the safety domain above the threshold', rules: defaultConcernRules, saved: { safe: 3 }, concerns: [] },
  { name: 'another domain at the safety threshold', rules: defaultConcernRules, saved: { happy: 2 }, concerns: [] },
  {
    name: 'the safety domain with that rule off',
    rules: { ...defaultConcernRules, safetyDomainAtOrBelow: null },
    saved: { safe: 2 },
    concerns: [],
  },
  {
    name: 'one score meeting every rule gives every reason, in rule order',
    rules: defaultConcernRules,
    saved: { safe: 1 },
    previous: { safe: 4 },
    concerns: [
      { rule: 'score_of_one', item: 'Feeling safe' },
      { rule: 'drop', item: 'Feeling safe', from: 4, to: 1 },
      { rule: 'safety_domain', item: 'Feeling safe', value: 1 },
    ],
  },
  {
    name: 'reasons follow the framework order of items',
    rules: defaultConcernRules,
    saved: { safe: 1, happy: 1 },
    concerns: [
      { rule: 'score_of_one', item: 'Happy' },
      { rule: 'score_of_one', item: 'Feeling safe' },
      { rule: 'safety_domain', item: 'Feeling safe', value: 1 },
    ],
  },
  { name: 'every rule off', rules: off, saved: { safe: 1 }, previous: { safe: 5 }, concerns: [] },
  { name: 'a score for an item not in the framework', rules: defaultConcernRules, saved: { gone: 1 }, concerns: [] },
];

describe('P16: the safeguarding prompt rules', () => {
  for (const c of cases) {
    it(`P16: ${c.name}`, () => {
      expect(concernsFor(c.rules, items, scores(c.saved), scores(c.previous ?? {}))).to.deep.equal(c.concerns);
    });
  }

  const stored: [string, unknown, ConcernRules][] = [
    ['nothing stored: the defaults', undefined, defaultConcernRules],
    ['an empty object: the defaults', {}, defaultConcernRules],
    [
      'a rule switched off (null) stays off',
      { dropOf: null, safetyDomainAtOrBelow: null },
      { ...defaultConcernRules, dropOf: null, safetyDomainAtOrBelow: null },
    ],
    [
      'every rule set',
      { anyScoreOfOne: false, dropOf: 3, safetyDomainAtOrBelow: 1 },
      { anyScoreOfOne: false, dropOf: 3, safetyDomainAtOrBelow: 1 },
    ],
  ];
  for (const [name, raw, rules] of stored) {
    it(`P16: the school's stored rules: ${name}`, () => {
      expect(parseConcernRules(raw)).to.deep.equal(rules);
    });
  }
});

describe('P16: one prompt line per cell (issue 15, item 3)', () => {
  const table: { name: string; concerns: Concern[]; prompts: CellPrompt[] }[] = [
    { name: 'nothing to say', concerns: [], prompts: [] },
    {
      name: 'a 1 that also fell and is the safety domain is one line, its strongest reason with the fall',
      concerns: [
        { rule: 'score_of_one', item: 'Feeling safe' },
        { rule: 'drop', item: 'Feeling safe', from: 4, to: 1 },
        { rule: 'safety_domain', item: 'Feeling safe', value: 1 },
      ],
      prompts: [{ item: 'Feeling safe', reason: 'score_of_one', value: 1, from: 4 }],
    },
    {
      name: 'the safety domain that fell: the safety reason, with the fall',
      concerns: [
        { rule: 'drop', item: 'Feeling safe', from: 4, to: 2 },
        { rule: 'safety_domain', item: 'Feeling safe', value: 2 },
      ],
      prompts: [{ item: 'Feeling safe', reason: 'safety_domain', value: 2, from: 4 }],
    },
    {
      name: 'a fall alone',
      concerns: [{ rule: 'drop', item: 'Happy', from: 5, to: 3 }],
      prompts: [{ item: 'Happy', reason: 'drop', value: 3, from: 5 }],
    },
    {
      name: 'two cells, two lines, in framework order',
      concerns: [
        { rule: 'score_of_one', item: 'Happy' },
        { rule: 'score_of_one', item: 'Feeling safe' },
        { rule: 'safety_domain', item: 'Feeling safe', value: 1 },
      ],
      prompts: [
        { item: 'Happy', reason: 'score_of_one', value: 1, from: null },
        { item: 'Feeling safe', reason: 'score_of_one', value: 1, from: null },
      ],
    },
  ];
  for (const c of table) {
    it(`P16: ${c.name}`, () => {
      expect(cellPrompts(c.concerns)).to.deep.equal(c.prompts);
    });
  }
});
