// Issue #6's browser acceptance: the dashboard in headless Chromium against
// the real fhir-engine fed by the region simulator (tools/region-simulator,
// fixed seed, manual clock: nothing changes except what this test does).
// Checks that the page's numbers equal the FHIR API's (Location and Encounter
// searches with _summary=count, $evaluate-measure), makes the simulator admit
// a patient and measures how long the page takes to show it (2 s at most),
// pauses a source and expects the page to flag it stale within its
// stale-after-s (and clear on resume), and saves screenshots.
//
// Usage: node region_dashboard_test.mjs ENGINE_BINARY DEPS_DIR ARTIFACTS_DIR
// Exit 0: passed; 1: failed; 77: skipped (no Chromium, outside CI only).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { loadChromium } from './browser_setup.mjs';

const [engineArg, depsDir, artifactsDir] = process.argv.slice(2);
if (!engineArg || !depsDir || !artifactsDir) {
  console.error('usage: node region_dashboard_test.mjs ENGINE_BINARY DEPS_DIR ARTIFACTS_DIR');
  process.exit(2);
}
const engineBinary = path.resolve(engineArg);
const { chromium, chromiumPath } = loadChromium(depsDir);

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const SIMULATOR = path.join(REPO, 'tools', 'region-simulator');
const SEED = 3;
// A fixed past start: the engine's wall clock is always later than the simulated one.
const START = '2025-11-17T10:00:00+01:00';
const POLL_INTERVAL_S = 1;
// Every source but the paused one: longer than the test (with the manual clock the drop
// folders get a file only when the test steps it, and their freshness is their last file).
const STALE_AFTER_S = 300;
// The source this test pauses (a hospital's FHIR API) and its short limit.
const PAUSED_SOURCE = 'lyc-fhir';
const PAUSED_ORGANIZATION = 'Organization/lyc-H1';
const PAUSED_STALE_AFTER_S = 3;
// Freshness is re-evaluated every second and a poll can take a poll interval: the page must
// show the flag within the limit plus this margin.
const STALE_MARGIN_MS = 3000;
// After resuming: the paused API answered 503 with Retry-After: 5, which the adapter may honour
// before its next poll; then a poll, the freshness tick and the margin.
const RETRY_AFTER_S = 5;
// The hospital the test admits a patient to.
const HOSPITAL = 'skl';
const ORGANIZATION = 'Organization/skl-H1';
const UPDATE_DEADLINE_MS = 2000;
const MEASURE_BEDS = 'regional-bed-capacity';
const MEASURE_READY = 'regional-discharge-ready';
const FHIR_JSON = { Accept: 'application/fhir+json' };

function fail(message) {
  throw new Error(message);
}

function slug(reference) {
  return String(reference).replace(/[^A-Za-z0-9_-]+/g, '-');
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function tail(file) {
  try {
    return fs.readFileSync(file, 'utf8').slice(-3000);
  } catch (e) {
    return '';
  }
}

function startProcess(command, args, options, logFile) {
  const log = fs.openSync(logFile, 'w');
  const child = spawn(command, args, { ...options, stdio: ['ignore', log, log] });
  fs.closeSync(log);
  // A failed spawn (no such file) shows as the process having exited.
  child.on('error', (e) => fs.appendFileSync(logFile, `spawn ${command}: ${e.message}\n`));
  return child;
}

function stopProcess(child) {
  return new Promise((resolve) => {
    if (!child || child.exitCode !== null || child.signalCode !== null) return resolve();
    const timer = setTimeout(() => child.kill('SIGKILL'), 20000);
    child.on('exit', () => { clearTimeout(timer); resolve(); });
    child.kill('SIGTERM');
  });
}

// Polls until `check` returns true, or fails after `ms`.
async function waitUntil(what, ms, check, processes = []) {
  const until = Date.now() + ms;
  let last;
  while (Date.now() < until) {
    for (const p of processes) {
      if (p.child.exitCode !== null) fail(`${p.name} exited (${p.child.exitCode}) before ${what}:\n${tail(p.log)}`);
    }
    try {
      const result = await check();
      if (result === true) return;
      last = typeof result === 'string' ? new Error(result) : last;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  fail(`timed out after ${ms} ms waiting for ${what}${last ? `: ${last.message}` : ''}`);
}

async function getJson(url, headers = { Accept: 'application/json' }) {
  const response = await fetch(url, { headers });
  const text = await response.text();
  if (!response.ok) fail(`GET ${url}: HTTP ${response.status}: ${text.slice(0, 500)}`);
  return JSON.parse(text);
}

async function post(url) {
  const response = await fetch(url, { method: 'POST' });
  const text = await response.text();
  if (!response.ok) fail(`POST ${url}: HTTP ${response.status}: ${text.slice(0, 500)}`);
  return JSON.parse(text);
}

// The FHIR API's view: counts by search (Bundle.total of _summary=count) and MeasureReports.
class FhirApi {
  constructor(origin) {
    this.fhir = `${origin}/fhir`;
  }

  async count(type, query) {
    const bundle = await getJson(`${this.fhir}/${type}?${query}&_summary=count`, FHIR_JSON);
    if (bundle.resourceType !== 'Bundle' || !Number.isInteger(bundle.total)) {
      fail(`${type}?${query}&_summary=count: no Bundle.total: ${JSON.stringify(bundle).slice(0, 300)}`);
    }
    return bundle.total;
  }

  // The count of one population (by its code) of one group of a $evaluate-measure report.
  async population(measure, subject, groupCode, populationCode) {
    const query = new URLSearchParams({ periodStart: '2000-01-01', periodEnd: '2100-01-01' });
    if (subject) query.set('subject', subject);
    const report = await getJson(`${this.fhir}/Measure/${measure}/$evaluate-measure?${query}`, FHIR_JSON);
    if (report.resourceType !== 'MeasureReport') fail(`${measure}: not a MeasureReport: ${JSON.stringify(report).slice(0, 300)}`);
    if (subject && subject.startsWith('Organization/') && report.reporter?.reference !== subject) {
      fail(`${measure} for ${subject}: reporter is ${JSON.stringify(report.reporter)}`);
    }
    const codes = (cc) => (cc?.coding || []).map((c) => c.code);
    const group = (report.group || []).find((g) => codes(g.code).includes(groupCode));
    if (!group) fail(`${measure}: no group '${groupCode}' in ${JSON.stringify((report.group || []).map((g) => g.code))}`);
    const pop = (group.population || []).find((p) => codes(p.code).includes(populationCode));
    if (!pop || !Number.isInteger(pop.count)) fail(`${measure} group ${groupCode}: no population '${populationCode}' with a count`);
    return pop.count;
  }

  // The numbers the page shows, each from the FHIR API (docs/capacity.md's counting rules:
  // inactive beds are not counted, a suspended bed is closed, free is U and active).
  async expected(organization, ward) {
    const bed = 'physical-type=bd';
    const free = `${bed}&operational-status=U&status=active`;
    const values = {
      'region-beds-total': await this.count('Location', `${bed}&status=active,suspended`),
      'region-beds-free': await this.count('Location', free),
      'region-beds-occupied': await this.count('Location', `${bed}&operational-status=O&status=active`),
      'region-beds-closed': await this.count('Location', `${bed}&status=suspended`)
        + await this.count('Location', `${bed}&operational-status=C&status=active`),
      'region-discharge-ready': await this.count('Encounter', 'status=in-progress&discharge-ready:missing=false'),
    };
    const org = slug(organization);
    values[`beds-free-${org}`] = await this.count('Location', `${free}&organization=${organization}`);
    values[`beds-total-${org}`] = await this.count('Location', `${bed}&status=active,suspended&organization=${organization}`);
    if (ward) values[`beds-free-${slug(ward)}`] = await this.count('Location', `${free}&partof=${ward}`);
    // The same numbers from the capacity Measures must agree with the searches.
    const measured = {
      'region-beds-free': await this.population(MEASURE_BEDS, null, 'beds', 'free'),
      'region-beds-total': await this.population(MEASURE_BEDS, null, 'beds', 'total'),
      [`beds-free-${org}`]: await this.population(MEASURE_BEDS, organization, 'beds', 'free'),
      [`beds-total-${org}`]: await this.population(MEASURE_BEDS, organization, 'beds', 'total'),
      'region-discharge-ready': await this.population(MEASURE_READY, null, 'discharge-ready', 'discharge-ready-patients'),
    };
    if (ward) measured[`beds-free-${slug(ward)}`] = await this.population(MEASURE_BEDS, ward, 'beds', 'free');
    for (const [key, value] of Object.entries(measured)) {
      if (values[key] !== value) fail(`${key}: the FHIR search counts ${values[key]}, $evaluate-measure ${value}`);
    }
    return values;
  }
}

async function pageNumber(page, testid) {
  const text = await page.locator(`[data-testid="${testid}"]`).first().textContent({ timeout: 5000 });
  const digits = String(text).replace(/[^0-9-]/g, '');
  if (digits === '') fail(`[data-testid="${testid}"] shows no number: '${text}'`);
  return Number(digits);
}

// Resolves when every number equals the FHIR API's (read again each round: the engine may
// still be reading a poll); fails with the differences after `ms`.
async function expectPageMatches(page, api, organization, ward, ms) {
  let expected;
  await waitUntil('the page to equal the FHIR API', ms, async () => {
    expected = await api.expected(organization, ward);
    const wrong = [];
    for (const [testid, value] of Object.entries(expected)) {
      const shown = await pageNumber(page, testid);
      if (shown !== value) wrong.push(`${testid}: page ${shown}, FHIR API ${value}`);
    }
    return wrong.length === 0 || wrong.join('; ');
  });
  return expected;
}

async function isStaleMarked(page, testid) {
  const cls = await page.locator(`[data-testid="${testid}"]`).first().getAttribute('class', { timeout: 5000 });
  return cls === 'stale-mark';
}

async function main() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'region-dashboard-test-'));
  fs.mkdirSync(artifactsDir, { recursive: true });
  const testStarted = Date.now();
  const enginePort = await freePort();
  const configPath = path.join(dir, 'engine.json');
  const portFile = path.join(dir, 'sim.port');
  const sim = {
    name: 'region-simulator',
    log: path.join(dir, 'sim.log'),
    child: startProcess('python3', [SIMULATOR, '--seed', String(SEED), '--start', START, '--manual-clock',
      '--drop-dir', path.join(dir, 'drop'), '--port-file', portFile, '--write-config', configPath,
      '--engine-port', String(enginePort), '--engine-database', path.join(dir, 'engine.db'),
      '--poll-interval-s', String(POLL_INTERVAL_S), '--stale-after-s', String(STALE_AFTER_S)],
    { env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' } }, path.join(dir, 'sim.log')),
  };
  const processes = [sim];
  let engine;
  let browser;
  try {
    await waitUntil('the simulator to start', 30000,
      () => fs.existsSync(portFile) && fs.existsSync(configPath), processes);
    const simOrigin = `http://127.0.0.1:${Number(fs.readFileSync(portFile, 'utf8'))}`;
    const config = JSON.parse(fs.readFileSync(configPath, 'utf8'));
    const paused = config.adapters.find((a) => a.name === PAUSED_SOURCE);
    if (!paused) fail(`the written config has no adapter ${PAUSED_SOURCE}`);
    paused['stale-after-s'] = PAUSED_STALE_AFTER_S;
    fs.writeFileSync(configPath, JSON.stringify(config));
    // The manual clock exports drop files only on a step: one of 0 s writes the first snapshots.
    await post(`${simOrigin}/control/step?seconds=0`);

    engine = {
      name: 'fhir-engine',
      log: path.join(dir, 'engine.log'),
      child: startProcess(engineBinary, ['serve', '--config', configPath],
        { cwd: dir, env: { ...process.env, FHIR_ENGINE_PSEUDONYM_KEY: 'browser-test-key-0123456789abcdef' } },
        path.join(dir, 'engine.log')),
    };
    processes.push(engine);
    const origin = `http://127.0.0.1:${enginePort}`;
    const api = new FhirApi(origin);

    // Every bed the simulator has published, counted as it counts them, every source fresh.
    const truth = await getJson(`${simOrigin}/truth`);
    await waitUntil('the rollup to equal the simulator\'s truth', 40000, async () => {
      const s = await getJson(`${origin}/capacity/summary`);
      const same = JSON.stringify(s.region.beds) === JSON.stringify(truth.region.beds)
        && s.region.discharge_ready.patients === truth.region.discharge_ready.patients;
      return (same && !s.region.stale)
        || `summary beds ${JSON.stringify(s.region.beds)} discharge-ready ${s.region.discharge_ready.patients} stale ${s.region.stale}; truth ${JSON.stringify(truth.region.beds)} ${truth.region.discharge_ready.patients}`;
    }, processes);
    const loadedAt = Date.now();

    // A free bed of the hospital, from the FHIR API: the admission goes there, and its ward is shown.
    const free = await getJson(`${origin}/fhir/Location?physical-type=bd&operational-status=U&status=active&organization=${ORGANIZATION}&_count=1`, FHIR_JSON);
    const bedResource = free.entry?.[0]?.resource;
    if (!bedResource?.partOf?.reference) fail(`${ORGANIZATION} has no free bed with a ward: ${JSON.stringify(free).slice(0, 300)}`);
    const ward = bedResource.partOf.reference;
    const localBed = bedResource.id.replace(`${HOSPITAL}-`, '');

    browser = await chromium.launch({ executablePath: chromiumPath, headless: true, args: ['--no-sandbox'] });
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    const problems = [];
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('console', (m) => {
      if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) problems.push(`console: ${m.text()}`);
    });
    await page.goto(`${origin}/?lang=en`);
    await waitUntil('the live feed to connect', 10000,
      async () => (await page.locator('[data-testid="connection-state"]').getAttribute('data-state')) === 'live');
    // Open the organization and its site so the ward's row is on the page.
    const site = (await getJson(`${origin}/fhir/${ward}`, FHIR_JSON)).partOf?.reference;
    if (!site) fail(`${ward} has no site`);
    await page.click(`[data-testid="expand-${slug(ORGANIZATION)}"]`);
    await page.click(`[data-testid="expand-${slug(site)}"]`);
    const before = await expectPageMatches(page, api, ORGANIZATION, ward, 5000);
    await page.screenshot({ path: path.join(artifactsDir, 'region-before.png'), fullPage: true });

    // The admission: published by the simulator's FHIR API at once (no clock step needed);
    // the engine's adapter polls every second, then the rollup and the WebSocket.
    const freeTestids = ['region-beds-free', `beds-free-${slug(ORGANIZATION)}`, `beds-free-${slug(ward)}`];
    const wanted = freeTestids.map((id) => before[id] - 1);
    const admittedAt = Date.now();
    const admitted = await post(`${simOrigin}/control/admit?hospital=${HOSPITAL}&bed=${encodeURIComponent(localBed)}`);
    if (admitted.ward !== ward || admitted.organization !== ORGANIZATION || !admitted.published) {
      fail(`the admission went elsewhere: ${JSON.stringify(admitted)} (expected ${ward}, ${ORGANIZATION})`);
    }
    await page.waitForFunction(([ids, values]) => ids.every((id, i) => {
      const node = document.querySelector(`[data-testid="${id}"]`);
      return node && Number(node.textContent.replace(/[^0-9-]/g, '')) === values[i];
    }), [freeTestids, wanted], { polling: 10, timeout: UPDATE_DEADLINE_MS }).catch(async () => {
      const shown = [];
      for (const id of freeTestids) shown.push(`${id} ${await pageNumber(page, id)}`);
      fail(`the page did not show the admission within ${UPDATE_DEADLINE_MS} ms: shows ${shown.join(', ')}, expected ${wanted.join(', ')}`);
    });
    const latency = Date.now() - admittedAt;
    const after = await expectPageMatches(page, api, ORGANIZATION, ward, 3000);
    if (after['region-beds-occupied'] !== before['region-beds-occupied'] + 1) {
      fail(`occupied beds: ${before['region-beds-occupied']} before, ${after['region-beds-occupied']} after one admission`);
    }
    await page.screenshot({ path: path.join(artifactsDir, 'region-admitted.png'), fullPage: true });

    // A source paused past its limit is flagged stale in the source table, the banner and its
    // organization's row; resumed, the flags clear.
    const sourceMark = `source-stale-${slug(PAUSED_SOURCE)}`;
    const orgMark = `stale-${slug(PAUSED_ORGANIZATION)}`;
    if (await isStaleMarked(page, sourceMark)) fail(`${PAUSED_SOURCE} is marked stale before it was paused`);
    if (await page.locator('[data-testid="stale-banner"]').isVisible()) fail('the stale banner shows before any source was paused');
    const pausedAt = Date.now();
    await post(`${simOrigin}/control/pause-source?name=${PAUSED_SOURCE}`);
    await waitUntil(`the page to flag ${PAUSED_SOURCE} stale`, PAUSED_STALE_AFTER_S * 1000 + STALE_MARGIN_MS, async () => {
      const banner = page.locator('[data-testid="stale-banner"]');
      return (await isStaleMarked(page, sourceMark)) && (await isStaleMarked(page, orgMark))
        && (await banner.isVisible()) && (await banner.textContent()).includes(PAUSED_SOURCE);
    });
    const staleAfter = Date.now() - pausedAt;
    if (!(await isStaleMarked(page, 'region-stale'))) fail('the region is not marked stale while a source is');
    if (await isStaleMarked(page, `stale-${slug(ORGANIZATION)}`)) fail(`${ORGANIZATION} is marked stale, but its source is not`);
    await page.screenshot({ path: path.join(artifactsDir, 'region-stale.png'), fullPage: true });
    const resumedAt = Date.now();
    await post(`${simOrigin}/control/resume-source?name=${PAUSED_SOURCE}`);
    await waitUntil(`the page to clear ${PAUSED_SOURCE}'s stale flag`, (RETRY_AFTER_S + POLL_INTERVAL_S) * 1000 + STALE_MARGIN_MS, async () =>
      !(await isStaleMarked(page, sourceMark)) && !(await isStaleMarked(page, orgMark))
        && !(await page.locator('[data-testid="stale-banner"]').isVisible()));
    const clearedAfter = Date.now() - resumedAt;
    if (problems.length) fail(problems.join('\n'));
    console.log(`PASS: ${truth.region.beds.total} beds read in ${((loadedAt - testStarted) / 1000).toFixed(1)} s; `
      + `the page equals the FHIR API (free ${after['region-beds-free']}, total ${after['region-beds-total']}, `
      + `discharge-ready ${after['region-discharge-ready']}); admission shown after ${latency} ms; `
      + `${PAUSED_SOURCE} (stale-after ${PAUSED_STALE_AFTER_S} s) flagged after ${staleAfter} ms, cleared ${clearedAfter} ms after resuming; `
      + `total ${((Date.now() - testStarted) / 1000).toFixed(1)} s; screenshots in ${artifactsDir}`);
  } catch (e) {
    for (const p of processes) e.message += `\n--- ${p.name} log (tail) ---\n${tail(p.log)}`;
    throw e;
  } finally {
    if (browser) await browser.close();
    await stopProcess(engine?.child);
    await stopProcess(sim.child);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().then(() => process.exit(0), (e) => {
  console.error(`FAIL: ${e.message}`);
  process.exit(1);
});
