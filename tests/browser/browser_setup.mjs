// Shared by the browser tests: finds Debian's Chromium and loads playwright-core
// from the test dependencies (tests/browser/install.sh). Without Chromium the
// test is skipped (exit 77) — except in CI (CI=true), where it must run.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

export const SKIP = 77;

// Returns {chromium, chromiumPath}; exits the process when Chromium is missing.
export function loadChromium(depsDir) {
  const inCi = process.env.CI === 'true';
  const chromiumPath = process.env.CHROMIUM || '/usr/bin/chromium';
  if (!fs.existsSync(chromiumPath)) {
    const message = `Chromium not found at ${chromiumPath} (install Debian's chromium: tools/setup.sh)`;
    if (inCi) {
      console.error(`FAIL: ${message}; in CI the browser test must run`);
      process.exit(1);
    }
    console.log(`SKIP: ${message}`);
    process.exit(SKIP);
  }
  const { chromium } = createRequire(path.join(path.resolve(depsDir), 'package.json'))('playwright-core');
  return { chromium, chromiumPath };
}
