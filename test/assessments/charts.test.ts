import { expect } from 'chai';
import { lineChart, stackedBar } from '../../src/modules/assessments/charts.js';
import { termLabel } from '../../src/modules/assessments/frameworks-service.js';

/**
 * Chart geometry as tables. Plot area of the default 360 × 150 line chart: x from 40 to 336
 * (padding 40 left, 24 right), y from 12 to 122 (padding 12 top, 28 bottom).
 */

const levels = [1, 2, 3, 4, 5].map((value) => ({ value, short_label: String(value) }));
const terms = [
  termLabel({ name: 'Autumn', academic_year: 2026 }),
  termLabel({ name: 'Spring', academic_year: 2026 }),
  termLabel({ name: 'Summer', academic_year: 2026 }),
];

describe('Charts: line chart geometry', () => {
  const cases: {
    name: string;
    series: { termLabel: string; value: number; label: string }[];
    levels?: { value: number; short_label: string }[];
    allTerms?: string[];
    points: [number, number][];
    path: string;
  }[] = [
    {
      name: 'three terms span the plot; the top level is at the top, the bottom at the bottom',
      series: [
        { termLabel: terms[0]!, value: 5, label: '5' },
        { termLabel: terms[1]!, value: 3, label: '3' },
        { termLabel: terms[2]!, value: 1, label: '1' },
      ],
      points: [
        [40, 12],
        [188, 67],
        [336, 122],
      ],
      path: 'M40,12 L188,67 L336,122',
    },
    {
      name: 'a gap in the terms keeps each point at its own term',
      series: [
        { termLabel: terms[0]!, value: 2, label: '2' },
        { termLabel: terms[2]!, value: 4, label: '4' },
      ],
      points: [
        [40, 94.5],
        [336, 39.5],
      ],
      path: 'M40,94.5 L336,39.5',
    },
    {
      name: 'one term puts the point in the middle',
      series: [{ termLabel: terms[0]!, value: 4, label: '4' }],
      allTerms: [terms[0]!],
      points: [[188, 39.5]],
      path: 'M188,39.5',
    },
    {
      name: 'a single level puts the point half way up',
      series: [{ termLabel: terms[1]!, value: 1, label: 'EXS' }],
      levels: [{ value: 1, short_label: 'EXS' }],
      points: [[188, 67]],
      path: 'M188,67',
    },
    { name: 'no scores, no points', series: [], points: [], path: '' },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const chart = lineChart(c.series, c.levels ?? levels, c.allTerms ?? terms);
      expect(chart.points.map((p) => [p.x, p.y])).to.deep.equal(c.points);
      expect(chart.path).to.equal(c.path);
      expect(chart.points.map((p) => p.term)).to.deep.equal(c.series.map((s) => s.termLabel));
    });
  }

  it('terms are named by the calendar year they fall in, never by a two-digit or academic-year code', () => {
    expect(terms).to.deep.equal(['Autumn 2026', 'Spring 2027', 'Summer 2027']);
    expect(termLabel({ name: 'Spring', academic_year: 2025 })).to.equal('Spring 2026');
  });

  it('ticks: one per level on the y axis, one per term on the x axis with the whole term label', () => {
    const chart = lineChart([], levels, terms);
    expect(chart.yTicks).to.deep.equal([
      { y: 122, label: '1' },
      { y: 94.5, label: '2' },
      { y: 67, label: '3' },
      { y: 39.5, label: '4' },
      { y: 12, label: '5' },
    ]);
    expect(chart.xTicks).to.deep.equal([
      { x: 40, label: 'Autumn 2026' },
      { x: 188, label: 'Spring 2027' },
      { x: 336, label: 'Summer 2027' },
    ]);
    expect(lineChart([], levels, ['Other']).xTicks).to.deep.equal([{ x: 188, label: 'Other' }]);
    expect([chart.width, chart.height]).to.deep.equal([360, 150]);
  });
});

describe('Charts: stacked bar geometry', () => {
  const cases: {
    name: string;
    counts: [number, number][];
    width: number;
    total: number;
    segments: [number, number, number, number][];
  }[] = [
    {
      name: 'segments follow the level order, touch end to end and fill the width',
      counts: [
        [1, 1],
        [2, 1],
        [3, 2],
      ],
      width: 200,
      total: 4,
      segments: [
        // x, width, count, percent
        [0, 50, 1, 25],
        [50, 50, 1, 25],
        [100, 100, 2, 50],
      ],
    },
    {
      name: 'a level with nobody is a zero-width segment',
      counts: [
        [1, 3],
        [3, 1],
      ],
      width: 100,
      total: 4,
      segments: [
        [0, 75, 3, 75],
        [75, 0, 0, 0],
        [75, 25, 1, 25],
      ],
    },
    {
      name: 'thirds are rounded to a tenth, percentages to whole numbers',
      counts: [
        [1, 1],
        [2, 1],
        [3, 1],
      ],
      width: 100,
      total: 3,
      segments: [
        [0, 33.3, 1, 33],
        [33.3, 33.3, 1, 33],
        [66.7, 33.3, 1, 33],
      ],
    },
    {
      name: 'no pupils: every segment empty, no division by zero',
      counts: [],
      width: 100,
      total: 0,
      segments: [
        [0, 0, 0, 0],
        [0, 0, 0, 0],
        [0, 0, 0, 0],
      ],
    },
    {
      name: 'counts for values not shown are left out of the total',
      counts: [
        [1, 2],
        [9, 5],
      ],
      width: 100,
      total: 2,
      segments: [
        [0, 100, 2, 100],
        [100, 0, 0, 0],
        [100, 0, 0, 0],
      ],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const bar = stackedBar(new Map(c.counts), [1, 2, 3], c.width);
      expect(bar.total).to.equal(c.total);
      expect(bar.segments.map((s) => [s.x, s.width, s.count, s.percent])).to.deep.equal(c.segments);
      expect(bar.segments.map((s) => s.value)).to.deep.equal([1, 2, 3]);
    });
  }
});
