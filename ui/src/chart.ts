// Small, dependency-free SVG line charts (goal attainment, measure trends) with a text
// alternative: the chart is decorative for screen readers, the table beside it is not.

import { h } from './dom';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
/** 2026-12-01 as the axis says it, British whatever the locale: 1 Dec. */
export function axisDate(iso: string): string {
  const m = /^\d{4}-(\d{2})-(\d{2})/.exec(iso);
  return m ? `${Number(m[2])} ${MONTHS[Number(m[1]) - 1]}` : iso;
}

export interface Series {
  name: string;
  points: { x: string; y: number }[];
}

const NS = 'http://www.w3.org/2000/svg';
function s(tag: string, attrs: Record<string, string | number>): SVGElement {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  return el;
}

const COLOURS = ['#1d5f8a', '#8a3d1d', '#2f6b2f', '#6b2f6b'];

export function lineChart(
  title: string,
  series: Series[],
  yMin: number,
  yMax: number,
  yLabel: (v: number) => string = String,
): HTMLElement {
  const W = 420,
    H = 180,
    L = 44,
    R = 28,
    T = 12,
    B = 28;
  const xs = Array.from(new Set(series.flatMap((se) => se.points.map((p) => p.x)))).sort();
  const svg = s('svg', { viewBox: `0 0 ${W} ${H}`, width: '100%', role: 'img', 'aria-label': title, class: 'chart' });
  const xPos = (x: string) =>
    xs.length <= 1 ? L + (W - L - R) / 2 : L + (xs.indexOf(x) * (W - L - R)) / (xs.length - 1);
  const yPos = (y: number) => T + ((yMax - y) * (H - T - B)) / (yMax - yMin || 1);
  for (const v of [yMin, (yMin + yMax) / 2, yMax]) {
    svg.append(s('line', { x1: L, x2: W - R, y1: yPos(v), y2: yPos(v), stroke: '#c9ced6', 'stroke-width': 1 }));
    const t = s('text', { x: L - 6, y: yPos(v) + 4, 'text-anchor': 'end', 'font-size': 11, fill: '#3b4450' });
    t.textContent = yLabel(v);
    svg.append(t);
  }
  xs.forEach((x) => {
    const t = s('text', { x: xPos(x), y: H - 8, 'text-anchor': 'middle', 'font-size': 11, fill: '#3b4450' });
    t.textContent = axisDate(x);
    svg.append(t);
  });
  series.forEach((se, i) => {
    const c = COLOURS[i % COLOURS.length];
    const pts = se.points.map((p) => `${xPos(p.x)},${yPos(p.y)}`).join(' ');
    if (se.points.length > 1) svg.append(s('polyline', { points: pts, fill: 'none', stroke: c, 'stroke-width': 2.5 }));
    se.points.forEach((p) => svg.append(s('circle', { cx: xPos(p.x), cy: yPos(p.y), r: 4, fill: c })));
  });
  const legend = h(
    'ul',
    { class: 'legend' },
    series.map((se, i) =>
      h('li', {}, h('span', { class: `swatch c${i % COLOURS.length}`, 'aria-hidden': 'true' }), se.name),
    ),
  );
  return h('figure', { class: 'chart-wrap' }, svg as unknown as HTMLElement, legend);
}
