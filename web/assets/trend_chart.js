// The 24-hour trend: occupied and free beds of the region as two lines in an
// inline SVG, from GET /capacity/history?hours=24 ({"points": [{"time",
// "beds", "discharge_ready", "stale"}]}). Times with stale data get a
// hatched band and are listed in the chart's text alternative.

import { t, locale } from './i18n.js';

const SVG_NS = 'http://www.w3.org/2000/svg';
const WIDTH = 960;
const HEIGHT = 280;
const PAD = { left: 56, right: 16, top: 16, bottom: 36 };

function el(name, attrs = {}, text) {
  const node = document.createElementNS(SVG_NS, name);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = text;
  return node;
}

// Points with a parseable time and bed counts, oldest first.
export function usablePoints(history) {
  const points = history && Array.isArray(history.points) ? history.points : [];
  return points
    .map((p) => ({ ...p, ms: Date.parse(p && p.time) }))
    .filter((p) => Number.isFinite(p.ms) && p.beds && typeof p.beds === 'object')
    .sort((a, b) => a.ms - b.ms);
}

// Draws into `container`; `history` null means the endpoint was not there.
export function renderTrend(container, history) {
  container.replaceChildren();
  if (history === null) {
    const p = document.createElement('p');
    p.className = 'hint';
    p.dataset.testid = 'trend-unavailable';
    p.textContent = t('trendUnavailable');
    container.append(p);
    return;
  }
  const points = usablePoints(history);
  if (points.length === 0) {
    const p = document.createElement('p');
    p.className = 'hint';
    p.textContent = t('trendEmpty');
    container.append(p);
    return;
  }
  const series = [
    { key: 'occupied', cls: 'line-occupied' },
    { key: 'free', cls: 'line-free' },
  ];
  // The window is the last 24 hours up to now (or the newest point, if the
  // server's clock is ahead), however few points there are yet.
  const hours = Number(history.hours) > 0 ? Number(history.hours) : 24;
  const t1 = Math.max(Date.now(), points[points.length - 1].ms);
  const t0 = Math.min(t1 - hours * 3600 * 1000, points[0].ms);
  const maxValue = Math.max(1, ...points.flatMap((p) => series.map((s) => Number(p.beds[s.key]) || 0)));
  const x = (ms) => PAD.left + ((ms - t0) / (t1 - t0)) * (WIDTH - PAD.left - PAD.right);
  const y = (v) => HEIGHT - PAD.bottom - (v / maxValue) * (HEIGHT - PAD.top - PAD.bottom);

  const svg = el('svg', {
    viewBox: `0 0 ${WIDTH} ${HEIGHT}`, role: 'img', 'aria-labelledby': 'trend-title trend-desc',
    class: 'trend-chart', 'data-testid': 'trend-chart',
  });
  svg.append(el('title', { id: 'trend-title' }, t('trendLabel')));
  const last = points[points.length - 1];
  const staleCount = points.filter((p) => p.stale).length;
  svg.append(el('desc', { id: 'trend-desc' },
    `${t('occupied')}: ${last.beds.occupied ?? '–'}, ${t('free')}: ${last.beds.free ?? '–'}` +
    (staleCount ? `. ${t('trendStalePoints')} (${staleCount})` : '')));

  const defs = el('defs');
  const pattern = el('pattern', { id: 'stale-hatch', width: 8, height: 8, patternUnits: 'userSpaceOnUse', patternTransform: 'rotate(45)' });
  pattern.append(el('rect', { width: 4, height: 8, class: 'stale-hatch' }));
  defs.append(pattern);
  svg.append(defs);

  // Stale bands: from a stale point to the next point.
  points.forEach((p, i) => {
    if (!p.stale) return;
    const next = points[i + 1] ? points[i + 1].ms : p.ms + (t1 - t0) / Math.max(points.length, 2);
    svg.append(el('rect', {
      x: x(p.ms), y: PAD.top, width: Math.max(2, x(next) - x(p.ms)),
      height: HEIGHT - PAD.top - PAD.bottom, fill: 'url(#stale-hatch)', class: 'stale-band',
    }));
  });

  // Axes: four horizontal grid lines with values, and hour ticks.
  for (let i = 0; i <= 4; i++) {
    const v = Math.round((maxValue * i) / 4);
    svg.append(el('line', { x1: PAD.left, x2: WIDTH - PAD.right, y1: y(v), y2: y(v), class: 'grid' }));
    svg.append(el('text', { x: PAD.left - 8, y: y(v) + 5, 'text-anchor': 'end', class: 'axis' }, v.toLocaleString(locale())));
  }
  const fmt = new Intl.DateTimeFormat(locale(), { hour: '2-digit', minute: '2-digit' });
  for (let i = 0; i <= 4; i++) {
    const ms = t0 + ((t1 - t0) * i) / 4;
    svg.append(el('text', { x: x(ms), y: HEIGHT - 10, 'text-anchor': 'middle', class: 'axis' }, fmt.format(new Date(ms))));
  }

  for (const s of series) {
    const d = points
      .filter((p) => Number.isFinite(Number(p.beds[s.key])))
      .map((p, i) => `${i ? 'L' : 'M'}${x(p.ms).toFixed(1)},${y(Number(p.beds[s.key])).toFixed(1)}`)
      .join(' ');
    svg.append(el('path', { d, class: `line ${s.cls}` }));
    // The newest value as a dot (the only mark while there is one point).
    const v = Number(last.beds[s.key]);
    if (Number.isFinite(v)) {
      svg.append(el('circle', { cx: x(last.ms).toFixed(1), cy: y(v).toFixed(1), r: 4, class: `dot ${s.cls}` }));
    }
  }
  container.append(svg);

  const legend = document.createElement('ul');
  legend.className = 'legend';
  for (const [cls, label] of [['line-occupied', t('occupied')], ['line-free', t('free')], ['stale-band', t('trendStalePoints')]]) {
    const li = document.createElement('li');
    const swatch = document.createElement('span');
    swatch.className = `swatch ${cls}`;
    swatch.setAttribute('aria-hidden', 'true');
    li.append(swatch, ' ', label);
    legend.append(li);
  }
  container.append(legend);
}
