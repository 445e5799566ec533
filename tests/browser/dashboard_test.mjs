// The dashboard in headless Chromium against the real fhir-engine: starts the
// engine on a loopback port (auth off, temporary SQLite), PUTs a small
// region (an organization, a site, a ward, beds with operationalStatus and
// bed category) over REST, loads the page, checks its numbers equal
// GET /capacity/summary's, occupies a free bed over REST and waits (2 s at
// most) for the page to show it via the WebSocket, checks the page's CSP
// refuses a WebSocket to another host, and saves a screenshot.
//
// Usage: node dashboard_test.mjs ENGINE_BINARY DEPS_DIR ARTIFACTS_DIR
// Exit 0: passed; 1: failed; 77: skipped (no Chromium, outside CI only).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';

import { loadChromium } from './browser_setup.mjs';

const [engineBinary, depsDir, artifactsDir] = process.argv.slice(2);
if (!engineBinary || !depsDir || !artifactsDir) {
  console.error('usage: node dashboard_test.mjs ENGINE_BINARY DEPS_DIR ARTIFACTS_DIR');
  process.exit(2);
}
const { chromium, chromiumPath } = loadChromium(depsDir);

const BASE = 'https://fhir-engine.example.org/fhir';
const UPDATE_DEADLINE_MS = 2000;

function fail(message) {
  throw new Error(message);
}

// Starts the engine and resolves with {process, port} on its "listening" line.
function startEngine(dir) {
  const child = spawn(engineBinary, ['serve', '--port', '0', '--database', path.join(dir, 'engine.db')], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines = [];
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`engine did not start within 30 s:\n${lines.join('\n')}`)), 30000);
    readline.createInterface({ input: child.stdout }).on('line', (line) => {
      lines.push(line);
      if (!line.includes('"msg":"listening"')) return;
      clearTimeout(timer);
      resolve({ child, port: JSON.parse(line).port });
    });
    readline.createInterface({ input: child.stderr }).on('line', (line) => lines.push(line));
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`engine exited (${code}) before listening:\n${lines.join('\n')}`));
    });
  });
}

function stopEngine(child) {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    const timer = setTimeout(() => child.kill('SIGKILL'), 20000);
    child.on('exit', () => { clearTimeout(timer); resolve(); });
    child.kill('SIGTERM');
  });
}

async function put(origin, resource) {
  const url = `${origin}/fhir/${resource.resourceType}/${resource.id}`;
  const response = await fetch(url, {
    method: 'PUT',
    headers: { 'Content-Type': 'application/fhir+json', Accept: 'application/fhir+json' },
    body: JSON.stringify(resource),
  });
  if (!response.ok) fail(`PUT ${url}: HTTP ${response.status}: ${await response.text()}`);
}

function location(id, code, name, partOf, extra = {}) {
  return {
    resourceType: 'Location', id, status: 'active', name,
    physicalType: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/location-physical-type', code }] },
    managingOrganization: { reference: 'Organization/bt-hospital' },
    ...(partOf ? { partOf: { reference: `Location/${partOf}` } } : {}),
    ...extra,
  };
}

function bed(id, category, status) {
  return location(id, 'bd', id, 'bt-ward', {
    extension: [{
      url: `${BASE}/StructureDefinition/bed-category`,
      valueCodeableConcept: { coding: [{ system: `${BASE}/CodeSystem/bed-category`, code: category }] },
    }],
    operationalStatus: { system: 'http://terminology.hl7.org/CodeSystem/v2-0116', code: status },
  });
}

const REGION = [
  { resourceType: 'Organization', id: 'bt-hospital', active: true, name: 'Test hospital' },
  location('bt-site', 'si', 'Test site'),
  location('bt-ward', 'wa', 'Test ward', 'bt-site'),
  bed('bt-bed-1', 'general', 'U'),
  bed('bt-bed-2', 'general', 'U'),
  bed('bt-bed-3', 'general', 'O'),
  bed('bt-bed-4', 'intensive-care', 'U'),
  bed('bt-bed-5', 'intensive-care', 'C'),
];

async function summary(origin) {
  const response = await fetch(`${origin}/capacity/summary`, { headers: { Accept: 'application/json' } });
  if (!response.ok) fail(`GET /capacity/summary: HTTP ${response.status} (the capacity rollup must serve it)`);
  return response.json();
}

// Polls until `check` returns true, or fails after `ms`.
async function waitUntil(what, ms, check) {
  const until = Date.now() + ms;
  let last;
  while (Date.now() < until) {
    try {
      if (await check()) return;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  fail(`timed out after ${ms} ms waiting for ${what}${last ? `: ${last.message}` : ''}`);
}

async function pageNumber(page, testid) {
  const text = await page.locator(`[data-testid="${testid}"]`).first().textContent({ timeout: 5000 });
  const digits = String(text).replace(/[^0-9-]/g, '');
  if (digits === '') fail(`[data-testid="${testid}"] shows no number: '${text}'`);
  return Number(digits);
}

async function expectPageMatches(page, s) {
  const b = s.region.beds;
  const pairs = [
    ['region-beds-total', b.total], ['region-beds-occupied', b.occupied], ['region-beds-free', b.free],
    ['region-beds-closed', b.closed], ['region-discharge-ready', s.region.discharge_ready.patients],
  ];
  const org = (s.region.children || []).find((c) => c.reference === 'Organization/bt-hospital');
  if (!org) fail(`the summary has no Organization/bt-hospital: ${JSON.stringify(s.region.children)}`);
  pairs.push(['beds-free-Organization-bt-hospital', org.beds.free], ['beds-total-Organization-bt-hospital', org.beds.total]);
  for (const [testid, expected] of pairs) {
    const shown = await pageNumber(page, testid);
    if (shown !== expected) fail(`${testid}: the page shows ${shown}, /capacity/summary says ${expected}`);
  }
}

async function main() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dashboard-test-'));
  fs.mkdirSync(artifactsDir, { recursive: true });
  const { child, port } = await startEngine(dir);
  const origin = `http://127.0.0.1:${port}`;
  let browser;
  try {
    for (const r of REGION) await put(origin, r);
    // The rollup follows the change feed: wait until it has the five beds.
    await waitUntil('the summary to count the five beds', 10000, async () => (await summary(origin)).region.beds.total === 5);
    const before = await summary(origin);
    if (before.region.beds.free !== 3) fail(`expected 3 free beds, the summary says ${before.region.beds.free}`);

    browser = await chromium.launch({ executablePath: chromiumPath, headless: true, args: ['--no-sandbox'] });
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    const problems = [];
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    // Resource load failures (an optional endpoint such as /capacity/history
    // answering 404) are judged by the checks below, not here.
    page.on('console', (m) => {
      if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) problems.push(`console: ${m.text()}`);
    });
    await page.goto(`${origin}/?lang=en`);
    await waitUntil('the live feed to connect', 10000,
      async () => (await page.locator('[data-testid="connection-state"]').getAttribute('data-state')) === 'live');
    await waitUntil('the page to show the summary', 5000, async () => {
      await expectPageMatches(page, await summary(origin));
      return true;
    });

    // One free bed becomes occupied; the page must follow within 2 s.
    const changedAt = Date.now();
    await put(origin, bed('bt-bed-1', 'general', 'O'));
    await waitUntil('the page to show 2 free beds', UPDATE_DEADLINE_MS,
      async () => (await pageNumber(page, 'region-beds-free')) === 2);
    const latency = Date.now() - changedAt;
    await expectPageMatches(page, await summary(origin));
    const shot = path.join(artifactsDir, 'dashboard.png');
    await page.screenshot({ path: shot, fullPage: true });
    if (problems.length) fail(problems.join('\n'));
    // The live feed above connected under connect-src 'self' (CSP Level 3:
    // 'self' covers ws: on this host and port); a WebSocket to another host
    // must be refused by the policy. Checked after the console problems, as
    // the refusal is reported on the console.
    const otherHost = await page.evaluate(() => new Promise((resolve) => {
      document.addEventListener('securitypolicyviolation',
        (e) => resolve(`refused by ${e.effectiveDirective}`), { once: true });
      try {
        new WebSocket('ws://127.0.0.2:9/capacity/live');
      } catch (e) {
        if (e.name === 'SecurityError') resolve('refused by connect-src');
      }
      setTimeout(() => resolve('allowed'), 3000);
    }));
    if (otherHost !== 'refused by connect-src') fail(`a WebSocket to another host was ${otherHost}`);
    console.log(`PASS: the page matched /capacity/summary and showed the change after ${latency} ms; screenshot ${shot}`);
  } finally {
    if (browser) await browser.close();
    await stopEngine(child);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().then(() => process.exit(0), (e) => {
  console.error(`FAIL: ${e.message}`);
  process.exit(1);
});
