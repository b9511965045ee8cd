// Starts what the web page tests drive: the real buildhub server (demo data, 127.0.0.1, a free
// port) and Debian's Chromium through playwright-core. Both are stopped by their own process id.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

export const BIN = process.env.BUILDHUB_BIN || path.resolve('build/release/src/buildhub');
export const CHROMIUM = process.env.BUILDHUB_CHROMIUM || '/usr/bin/chromium';
export const OUT_DIR = process.env.BUILDHUB_TEST_OUTPUT_DIR || path.join(tmpdir(), 'buildhub-web-page');

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** buildhub serve on an empty data dir filled with `records` demo records; resolves once it listens. */
export async function startServer({ records = 3000, seed = 7, extra = [], dataDir = null } = {}) {
  const dir = dataDir || mkdtempSync(path.join(tmpdir(), 'bh-web-'));
  const portFile = path.join(dir, 'port');
  rmSync(portFile, { force: true });
  const child = spawn(BIN, ['serve', '--data-dir', dir, '--listen', '127.0.0.1:0', '--port-file', portFile,
    '--demo-records', String(records), '--demo-seed', String(seed), '--no-access-log', ...extra],
  { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  const deadline = Date.now() + 120_000;
  while (!existsSync(portFile) || readFileSync(portFile, 'utf8').trim() === '') {
    if (child.exitCode !== null) throw new Error(`buildhub serve exited ${child.exitCode}: ${stderr}`);
    if (Date.now() > deadline) {
      process.kill(child.pid, 'SIGKILL');
      throw new Error(`buildhub serve did not listen within 120 s: ${stderr}`);
    }
    await sleep(50);
  }
  const port = Number(readFileSync(portFile, 'utf8').trim());
  return {
    url: `http://127.0.0.1:${port}`,
    pid: child.pid,
    dir,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      process.kill(child.pid, 'SIGTERM');
      const timer = setTimeout(() => { if (child.exitCode === null) process.kill(child.pid, 'SIGKILL'); }, 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Headless Chromium (Debian's); root needs --no-sandbox. */
export async function startBrowser() {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: scripts/install-deps --test-servers installs Debian's chromium`);
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-proxy-server'],
  });
  return browser;
}

export function outputPath(name) {
  mkdirSync(OUT_DIR, { recursive: true });
  return path.join(OUT_DIR, name);
}

/** POST /api/search from the test itself: the independent answer the page must agree with. */
export async function apiSearch(server, body) {
  const res = await fetch(`${server.url}/api/search`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`/api/search ${res.status}: ${await res.text()}`);
  return res.json();
}

/**
 * Waits until the page has rendered the state its URL holds: the last "buildhub:rendered"
 * mark names the URL's state and no search is in flight. `after`: only marks beyond that many
 * count; `q`: the rendered state must also have that query (a burst of typing passes through others).
 */
export async function settled(page, { after = 0, q = null, timeout = 15_000 } = {}) {
  await page.waitForFunction(([n, query]) => {
    const marks = performance.getEntriesByName('buildhub:rendered');
    if (marks.length <= n) return false;
    const last = marks[marks.length - 1].detail || {};
    if (document.querySelector('[aria-busy="true"]')) return false;
    if (last.build !== undefined) return true;
    if (query !== null && new URLSearchParams(last.state || '').get('q') !== query) return false;
    const norm = (s) => decodeURIComponent((s || '').replace(/^\?/, ''));
    return norm(last.state) === norm(window.location.search);
  }, [after, q], { timeout, polling: 'raf' });
}
