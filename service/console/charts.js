// Charts drawn as SVG by hand: horizontal bars and a daily line chart. Every figure is also in a
// table beside the chart, so nothing is shown only as a picture.

import { h } from './dom.js';
import { number, t } from './i18n.js';

/** Horizontal bars: `rows` of { label, value, part } (part drawn darker inside value). */
export function bars(rows, { caption }) {
  const max = Math.max(1, ...rows.map((r) => r.value));
  const height = 22;
  const width = 560;
  const labelWidth = 150;
  const svg = h('svg', {
    class: 'chart bars', role: 'img', 'aria-label': caption,
    viewBox: `0 0 ${width} ${rows.length * height + 4}`, preserveAspectRatio: 'xMinYMin meet',
  });
  rows.forEach((row, i) => {
    const y = i * height + 2;
    const scale = (v) => ((width - labelWidth - 70) * v) / max;
    svg.append(
      h('text', { x: labelWidth - 6, y: y + 15, 'text-anchor': 'end', class: 'label' }, row.label),
      h('rect', { x: labelWidth, y: y + 3, width: scale(row.value), height: height - 8, class: 'whole' },
        h('title', {}, `${row.label}: ${number(row.value)}`)),
      h('rect', { x: labelWidth, y: y + 3, width: scale(row.part ?? 0), height: height - 8, class: 'part' }),
      h('text', { x: labelWidth + scale(row.value) + 6, y: y + 15, class: 'value' },
        row.part === undefined ? number(row.value) : `${number(row.part)} / ${number(row.value)}`),
    );
  });
  return svg;
}

/** A line per series over the days: `days` of { date, ...series }. */
export function daily(days, series, { caption }) {
  const width = 640;
  const height = 200;
  const pad = { left: 44, right: 10, top: 10, bottom: 28 };
  const max = Math.max(1, ...days.flatMap((d) => series.map((s) => d[s])));
  const x = (i) => pad.left + ((width - pad.left - pad.right) * i) / Math.max(1, days.length - 1);
  const y = (v) => height - pad.bottom - ((height - pad.top - pad.bottom) * v) / max;
  const svg = h('svg', {
    class: 'chart daily', role: 'img', 'aria-label': caption, viewBox: `0 0 ${width} ${height}`,
  });
  if (!days.length) return h('p', { class: 'muted' }, t('none'));
  for (const tick of max >= 2 ? [0, Math.round(max / 2), max] : [0, max]) {
    svg.append(
      h('line', { x1: pad.left, x2: width - pad.right, y1: y(tick), y2: y(tick), class: 'grid' }),
      h('text', { x: pad.left - 6, y: y(tick) + 4, 'text-anchor': 'end', class: 'label' }, number(tick)),
    );
  }
  for (const [i, d] of [[0, days[0]], [days.length - 1, days[days.length - 1]]]) {
    svg.append(h('text', { x: x(i), y: height - 8, 'text-anchor': i ? 'end' : 'start', class: 'label' }, d.date));
  }
  series.forEach((name, n) => {
    const points = days.map((d, i) => `${x(i)},${y(d[name])}`).join(' ');
    svg.append(h('polyline', { points, class: `line s${n}` }, h('title', {}, t(name))));
  });
  const legend = h('p', { class: 'legend' }, series.map((name, n) => h('span', { class: `key s${n}` }, t(name))));
  return h('figure', { class: 'daily-figure' }, svg, legend);
}
