// The dashboard: loads GET /capacity/summary, then follows the live feed
// (WebSocket /capacity/live) and renders the region overview, the
// organization/site/ward drill-down table, the sources' freshness and the
// 24-hour trend. All text comes from i18n.js; all data is set as text,
// never as HTML.

import { t, setLanguage, language, initialLanguage, categoryLabel, locale, LANGUAGES } from './i18n.js';
import { LiveConnection, liveFeedUrl } from './live_connection.js';
import { renderTrend } from './trend_chart.js';

const BED_STATES = ['total', 'occupied', 'free', 'closed', 'housekeeping', 'isolated'];
const CATEGORY_ORDER = ['general', 'intensive-care', 'paediatric', 'psychiatric',
  'municipal-short-term', 'municipal-residential', 'unknown'];
const HISTORY_REFRESH_MS = 5 * 60 * 1000;

const state = {
  summary: null,
  history: undefined,     // undefined: not loaded yet; null: not available
  connection: 'connecting',
  retrySeconds: 0,
  expanded: new Set(),    // references of expanded organizations and sites
  lastAnnounced: '',
};

// ---- small helpers ---------------------------------------------------------

function h(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') node.className = v;
    else if (k === 'testid') node.dataset.testid = v;
    else if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    node.append(c instanceof Node ? c : String(c));
  }
  return node;
}

function num(n) {
  return Number.isFinite(Number(n)) ? Number(n).toLocaleString(locale()) : '–';
}

function days(n) {
  return Number.isFinite(Number(n))
    ? Number(n).toLocaleString(locale(), { minimumFractionDigits: 1, maximumFractionDigits: 1 })
    : '–';
}

function percent(part, whole) {
  if (!whole) return '–';
  return (part / whole).toLocaleString(locale(), { style: 'percent', maximumFractionDigits: 0 });
}

function beds(node) {
  return (node && node.beds) || {};
}

function formatTime(iso) {
  const ms = Date.parse(iso);
  if (!Number.isFinite(ms)) return '–';
  return new Intl.DateTimeFormat(locale(), { dateStyle: 'short', timeStyle: 'medium' }).format(new Date(ms));
}

function formatAge(seconds) {
  if (!Number.isFinite(Number(seconds))) return '–';
  const s = Number(seconds);
  if (s < 120) return t('seconds', { n: Math.round(s) });
  if (s < 7200) return t('minutes', { n: Math.round(s / 60) });
  return t('hours', { n: Math.round(s / 3600) });
}

// A visible "Stale" marker: an icon and a word, not only a colour.
function staleMark(stale, testid) {
  if (!stale) return h('span', { class: 'fresh', testid }, t('fresh'));
  return h('span', { class: 'stale-mark', testid, title: t('staleExplained') },
    h('span', { 'aria-hidden': 'true' }, '⚠ '), t('staleMark'));
}

function slug(reference) {
  return String(reference || 'region').replace(/[^A-Za-z0-9_-]+/g, '-');
}

// ---- rendering -------------------------------------------------------------

function renderStaticText() {
  document.documentElement.lang = language();
  document.title = t('title');
  for (const node of document.querySelectorAll('[data-i18n]')) node.textContent = t(node.dataset.i18n);
  const langButton = document.getElementById('toggle-language');
  langButton.textContent = t('languageToggle');
  langButton.setAttribute('aria-label', t('languageToggleLabel'));
  langButton.lang = language() === 'sv' ? 'en' : 'sv';
  document.getElementById('toggle-large').textContent = t('largeType');
}

function renderConnection() {
  const p = document.querySelector('[data-testid="connection-state"]');
  p.dataset.state = state.connection;
  const text = {
    connecting: t('connConnecting'),
    live: t('connLive'),
    retrying: t('connRetrying', { s: state.retrySeconds }),
    offline: t('connOffline'),
  }[state.connection];
  p.querySelector('.connection-text').textContent = text;
}

function card(label, value, testid, extraClass = '') {
  return h('div', { class: `card ${extraClass}` },
    h('p', { class: 'card-label' }, label),
    h('p', { class: 'card-value', testid }, value));
}

function renderOverview(region) {
  const b = beds(region);
  const dr = region.discharge_ready || {};
  const avg = dr.patients ? dr.wait_days_total / dr.patients : NaN;
  const cards = [
    card(t('total'), num(b.total), 'region-beds-total'),
    card(t('occupied'), num(b.occupied), 'region-beds-occupied'),
    card(t('free'), num(b.free), 'region-beds-free', 'card-free'),
    card(t('closed'), num(b.closed), 'region-beds-closed'),
    card(t('housekeeping'), num(b.housekeeping), 'region-beds-housekeeping'),
    card(t('isolated'), num(b.isolated), 'region-beds-isolated'),
    card(t('dischargeReadyPatients'), num(dr.patients), 'region-discharge-ready', 'card-ready'),
    card(t('waitDaysAvg'), days(avg), 'region-wait-days-avg'),
    card(t('waitDaysMax'), days(dr.patients ? dr.wait_days_max : NaN), 'region-wait-days-max'),
  ];
  if (b.unknown) cards.push(card(t('unknown'), num(b.unknown), 'region-beds-unknown'));
  const regionStale = h('div', { class: `card ${region.stale ? 'card-stale' : ''}` },
    h('p', { class: 'card-label' }, t('status')),
    h('p', { class: 'card-value card-status' }, staleMark(region.stale, 'region-stale')));
  cards.push(regionStale);
  document.getElementById('region-cards').replaceChildren(...cards);
}

function categoriesOf(node) {
  const present = Object.keys((node && node.by_category) || {});
  return [...CATEGORY_ORDER.filter((c) => present.includes(c)),
    ...present.filter((c) => !CATEGORY_ORDER.includes(c)).sort()];
}

function renderCategories(region) {
  const table = document.getElementById('category-table');
  const head = h('thead', {}, h('tr', {},
    h('th', { scope: 'col' }, t('category')),
    BED_STATES.map((s) => h('th', { scope: 'col', class: 'n' }, t(s))),
    h('th', { scope: 'col', class: 'n' }, t('occupancy'))));
  const body = h('tbody', {}, categoriesOf(region).map((c) => {
    const b = region.by_category[c] || {};
    return h('tr', { testid: `category-row-${slug(c)}` },
      h('th', { scope: 'row' }, categoryLabel(c)),
      BED_STATES.map((s) => h('td', { class: 'n', testid: `category-${slug(c)}-${s}` }, num(b[s]))),
      h('td', { class: 'n' }, percent(b.occupied, b.total)));
  }));
  table.replaceChildren(h('caption', { class: 'visually-hidden' }, t('byCategory')), head, body);
}

function freeByCategory(node) {
  const parts = categoriesOf(node)
    .filter((c) => (node.by_category[c] || {}).total)
    .map((c) => `${categoryLabel(c)} ${num(node.by_category[c].free)}`);
  return parts.join(' · ') || '–';
}

function nodeRows(node, depth, rows) {
  const b = beds(node);
  const dr = node.discharge_ready || {};
  const ref = node.reference || '';
  const id = slug(ref);
  const children = Array.isArray(node.children) ? node.children : [];
  const expandable = node.kind !== 'ward' && children.length > 0;
  const expanded = state.expanded.has(ref);
  const kindLabel = node.kind === 'organization'
    ? (node.organization_kind ? t(`kind_${node.organization_kind}`) : t('kindOrganization'))
    : node.kind === 'site' ? t('kindSite') : t('kindWard');
  const nameCell = h('th', { scope: 'row', class: `name depth-${depth}` },
    expandable
      ? h('button', {
        type: 'button', class: 'expander', 'aria-expanded': expanded ? 'true' : 'false',
        'aria-label': t(expanded ? 'collapse' : 'expand', { name: node.name || ref }),
        testid: `expand-${id}`,
        onclick: () => {
          if (state.expanded.has(ref)) state.expanded.delete(ref); else state.expanded.add(ref);
          renderOrganizations();
          const again = document.querySelector(`[data-testid="expand-${CSS.escape(id)}"]`);
          if (again) again.focus();
        },
      }, h('span', { 'aria-hidden': 'true', class: 'chevron' }, expanded ? '▾' : '▸'))
      : h('span', { class: 'expander-space', 'aria-hidden': 'true' }),
    h('span', { class: 'node-name' }, node.name || ref),
    h('span', { class: 'node-kind' }, kindLabel));
  rows.push(h('tr', { class: `row-${node.kind} ${node.stale ? 'row-stale' : ''}`, testid: `row-${id}` },
    nameCell,
    h('td', { class: 'n', testid: `beds-total-${id}` }, num(b.total)),
    h('td', { class: 'n', testid: `beds-occupied-${id}` }, num(b.occupied)),
    h('td', { class: 'n strong', testid: `beds-free-${id}` }, num(b.free)),
    h('td', { class: 'n', testid: `beds-closed-${id}` }, num(b.closed)),
    h('td', { class: 'n' }, percent(b.occupied, b.total)),
    h('td', { class: 'cats', testid: `free-by-category-${id}` }, freeByCategory(node)),
    h('td', { class: 'n', testid: `discharge-ready-${id}` }, num(dr.patients)),
    h('td', {}, staleMark(node.stale, `stale-${id}`))));
  if (expandable && expanded) for (const c of children) nodeRows(c, depth + 1, rows);
}

function renderOrganizations() {
  const region = state.summary && state.summary.region;
  if (!region) return;
  const table = document.getElementById('org-table');
  const head = h('thead', {}, h('tr', {},
    h('th', { scope: 'col' }, t('name')),
    h('th', { scope: 'col', class: 'n' }, t('total')),
    h('th', { scope: 'col', class: 'n' }, t('occupied')),
    h('th', { scope: 'col', class: 'n' }, t('free')),
    h('th', { scope: 'col', class: 'n' }, t('closed')),
    h('th', { scope: 'col', class: 'n' }, t('occupancy')),
    h('th', { scope: 'col' }, t('freeByCategory')),
    h('th', { scope: 'col', class: 'n' }, t('dischargeReady')),
    h('th', { scope: 'col' }, t('status'))));
  const rows = [];
  for (const org of region.children || []) nodeRows(org, 0, rows);
  if (rows.length === 0) rows.push(h('tr', {}, h('td', { colspan: 9 }, t('noOrganizations'))));
  table.replaceChildren(h('caption', { class: 'visually-hidden' }, t('organizations')), head, h('tbody', {}, rows));
}

function renderSources(sources) {
  const table = document.getElementById('source-table');
  const head = h('thead', {}, h('tr', {},
    h('th', { scope: 'col' }, t('source')),
    h('th', { scope: 'col' }, t('state')),
    h('th', { scope: 'col' }, t('lastSuccess')),
    h('th', { scope: 'col', class: 'n' }, t('age')),
    h('th', { scope: 'col', class: 'n' }, t('staleAfter')),
    h('th', { scope: 'col' }, t('status'))));
  const rows = (sources || []).map((s) => h('tr', { class: s.stale ? 'row-stale' : '', testid: `source-row-${slug(s.name)}` },
    h('th', { scope: 'row' }, s.name),
    h('td', {}, s.state || '–'),
    h('td', {}, s.last_success ? formatTime(s.last_success) : t('never')),
    h('td', { class: 'n' }, formatAge(s.age_s)),
    h('td', { class: 'n' }, formatAge(s.stale_after_s)),
    h('td', {}, staleMark(s.stale, `source-stale-${slug(s.name)}`))));
  if (rows.length === 0) rows.push(h('tr', {}, h('td', { colspan: 6 }, t('noSources'))));
  table.replaceChildren(h('caption', { class: 'visually-hidden' }, t('sources')), head, h('tbody', {}, rows));
}

function renderStaleBanner(summary) {
  const banner = document.getElementById('stale-banner');
  const stale = (summary.sources || []).filter((s) => s.stale).map((s) => s.name);
  banner.hidden = stale.length === 0;
  banner.textContent = stale.length ? `⚠ ${t('staleBanner', { names: stale.join(', ') })}` : '';
}

function announce(summary) {
  const b = beds(summary.region);
  const dr = summary.region.discharge_ready || {};
  const text = t('announceUpdate', { free: num(b.free), occupied: num(b.occupied), ready: num(dr.patients) });
  if (text === state.lastAnnounced) return;
  // The first picture is not news; later changes are.
  if (state.lastAnnounced) document.getElementById('announcer').textContent = text;
  state.lastAnnounced = text;
}

function renderSummary() {
  const summary = state.summary;
  if (!summary || !summary.region) return;
  renderOverview(summary.region);
  renderCategories(summary.region);
  renderOrganizations();
  renderSources(summary.sources);
  renderStaleBanner(summary);
  const updated = document.querySelector('[data-testid="updated"]');
  updated.textContent = t('updatedAt', { time: formatTime(summary.generated) });
  updated.dataset.sequence = String(summary.sequence ?? '');
}

function renderAll() {
  renderStaticText();
  renderConnection();
  renderSummary();
  if (state.history !== undefined) renderTrend(document.getElementById('trend'), state.history);
}

// ---- data ------------------------------------------------------------------

function applySummary(summary) {
  if (!summary || typeof summary !== 'object' || !summary.region) return;
  // A message older than what is shown (a late HTTP answer) is dropped.
  // (An engine restart starts the sequence again, with a newer time.)
  if (state.summary && Number(summary.sequence) < Number(state.summary.sequence) &&
      !(Date.parse(summary.generated) > Date.parse(state.summary.generated))) return;
  state.summary = summary;
  document.getElementById('load-error').hidden = true;
  renderSummary();
  announce(summary);
}

async function loadSummary() {
  try {
    const response = await fetch('capacity/summary', { headers: { Accept: 'application/json' } });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    applySummary(await response.json());
  } catch (e) {
    if (state.summary) return;
    const banner = document.getElementById('load-error');
    banner.textContent = t('loadError', { error: e.message });
    banner.hidden = false;
  }
}

async function loadHistory() {
  try {
    const response = await fetch('capacity/history?hours=24', { headers: { Accept: 'application/json' } });
    state.history = response.ok ? await response.json() : null;
  } catch (e) {
    state.history = null;
  }
  renderTrend(document.getElementById('trend'), state.history);
}

// ---- start -----------------------------------------------------------------

function setLarge(on) {
  document.body.classList.toggle('large', on);
  document.getElementById('toggle-large').setAttribute('aria-pressed', on ? 'true' : 'false');
  try { localStorage.setItem('dashboard.large', on ? '1' : '0'); } catch (e) { /* private mode */ }
}

function start() {
  let saved = null;
  try { saved = localStorage.getItem('dashboard.lang'); } catch (e) { /* private mode */ }
  const params = new URLSearchParams(location.search);
  setLanguage(initialLanguage(params.get('lang') || saved, navigator.languages || [navigator.language]));
  document.getElementById('toggle-language').addEventListener('click', () => {
    const next = LANGUAGES[(LANGUAGES.indexOf(language()) + 1) % LANGUAGES.length];
    setLanguage(next);
    try { localStorage.setItem('dashboard.lang', next); } catch (e) { /* private mode */ }
    state.lastAnnounced = '';
    renderAll();
  });
  let large = params.get('large') === '1';
  try { large = large || localStorage.getItem('dashboard.large') === '1'; } catch (e) { /* private mode */ }
  setLarge(large);
  document.getElementById('toggle-large').addEventListener('click', () => {
    setLarge(!document.body.classList.contains('large'));
  });
  renderAll();

  const connection = new LiveConnection(liveFeedUrl(location), {
    onSummary: applySummary,
    onState: (s, retrySeconds) => {
      state.connection = s;
      state.retrySeconds = retrySeconds || 0;
      renderConnection();
      // After a reconnect the feed's first message is the current picture.
    },
  });
  loadSummary().then(() => connection.start());
  loadHistory();
  setInterval(loadHistory, HISTORY_REFRESH_MS);
}

start();
