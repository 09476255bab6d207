/**
 * Geometry for server-rendered SVG charts (no JavaScript; they print). Templates draw them and
 * always pair them with a table of the same numbers.
 */

export interface LinePoint {
  x: number;
  y: number;
  label: string;
  term: string;
}

export interface LineChart {
  width: number;
  height: number;
  points: LinePoint[];
  path: string;
  yTicks: { y: number; label: string }[];
  xTicks: { x: number; label: string }[];
}

/** A line over terms, with levels from `min` to `max` on the y axis. */
export function lineChart(
  series: { termLabel: string; value: number; label: string }[],
  levels: { value: number; short_label: string }[],
  allTerms: string[],
  size = { width: 360, height: 150 },
): LineChart {
  const pad = { left: 40, right: 24, top: 12, bottom: 28 };
  const min = Math.min(...levels.map((l) => l.value));
  const max = Math.max(...levels.map((l) => l.value));
  const plotW = size.width - pad.left - pad.right;
  const plotH = size.height - pad.top - pad.bottom;
  const xOf = (i: number) => pad.left + (allTerms.length <= 1 ? plotW / 2 : (i * plotW) / (allTerms.length - 1));
  const yOf = (v: number) => pad.top + (max === min ? plotH / 2 : ((max - v) * plotH) / (max - min));
  const points = series.map((s) => ({
    x: round(xOf(allTerms.indexOf(s.termLabel))),
    y: round(yOf(s.value)),
    label: s.label,
    term: s.termLabel,
  }));
  return {
    ...size,
    points,
    path: points.map((p, i) => `${i ? 'L' : 'M'}${p.x},${p.y}`).join(' '),
    yTicks: levels.map((l) => ({ y: round(yOf(l.value)), label: l.short_label })),
    // The whole term label ("Spring 2026"), which templates set on two lines to fit.
    xTicks: allTerms.map((t, i) => ({ x: round(xOf(i)), label: t })),
  };
}

export interface BarSegment {
  x: number;
  width: number;
  value: number;
  count: number;
  percent: number;
}

/** One horizontal 100% bar split by level, for a distribution of `counts` (value → number of pupils). */
export function stackedBar(
  counts: Map<number, number>,
  values: number[],
  width: number,
): { total: number; segments: BarSegment[] } {
  const total = values.reduce((n, v) => n + (counts.get(v) ?? 0), 0);
  let x = 0;
  const segments = values.map((value) => {
    const count = counts.get(value) ?? 0;
    const w = total ? (count / total) * width : 0;
    const seg = { x: round(x), width: round(w), value, count, percent: total ? Math.round((count / total) * 100) : 0 };
    x += w;
    return seg;
  });
  return { total, segments };
}

const round = (n: number) => Math.round(n * 10) / 10;
