// The web page measured by the browser (issue 15): Debian's Chromium (playwright-core) against
// `buildhub serve` holding RECORDS demo records.
//   keystroke → rendered: the last keystroke of a typical query (the query minus its last letter
//     already shown, as for a person typing at a normal pace) until the page's "buildhub:rendered"
//     mark; and the last key of a fast burst (the whole query at 30 ms a key), which includes the
//     page's typing delay;
//   facet click → rendered: a click on a facet value (on, then off again) until the mark;
//   for both, the /api/search request's own time from the browser's resource timing;
//   page weight: every byte the browser fetched for a first visit (document + assets, as sent on
//     the wire: encodedBodySize), and the first visit's time to the first rendered results.
// Prints one JSON object on stdout.
//
// Usage: node bench/web_bench.mjs DATA_DIR   (a data dir already holding the records)
import { settled, startServer, startBrowser } from '../tests/browser/harness.mjs';

const dataDir = process.argv[2];
if (!dataDir) throw new Error('usage: node bench/web_bench.mjs DATA_DIR');
const ROUNDS = Number(process.env.WEB_BENCH_ROUNDS || 15);
const KEY_INTERVAL_MS = 30;
const QUERIES = ['firefox 68 linux', 'nightly win64', 'fennec 68 multi', 'thunderbird esr de', '20190101', 'firefox beta en-US'];
// Facet values clicked: a facet and the position of the value in its list (most builds first).
const FACET_CLICKS = [['platform', 0], ['channel', 0], ['platform', 2], ['channel', 1], ['locale', 0], ['versions', 0]];

function percentile(values, p) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}
const summary = (v) => ({ n: v.length, p50: +percentile(v, 50).toFixed(1), p95: +percentile(v, 95).toFixed(1), max: +Math.max(...v).toFixed(1) });

// The page has rendered (see settled); then the time from the last input event to its mark.
async function settledAfter(page, marksBefore, expectedQ = null) {
  await settled(page, { after: marksBefore, q: expectedQ, timeout: 30_000 });
  return page.evaluate(() => {
    const marks = performance.getEntriesByName('buildhub:rendered');
    const last = marks[marks.length - 1];
    const searches = performance.getEntriesByType('resource').filter((r) => r.name.endsWith('/api/search') && r.startTime >= window.benchStart);
    const request = searches.length ? searches[searches.length - 1] : null;
    return { total: last.startTime - window.benchStart, request: request ? request.responseEnd - request.startTime : null, hits: last.detail.total };
  });
}

const markCount = (page) => page.evaluate(() => performance.getEntriesByName('buildhub:rendered').length);

const server = await startServer({ dataDir, records: 0 });
const browser = await startBrowser();
try {
  // First visit: a fresh context has an empty cache.
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  const page = await context.newPage();
  await page.goto(`${server.url}/`);
  await page.waitForFunction(() => performance.getEntriesByName('buildhub:rendered').length > 0, null, { timeout: 60_000 });
  const firstVisit = await page.evaluate(() => {
    const nav = performance.getEntriesByType('navigation')[0];
    const assets = performance.getEntriesByType('resource').filter((r) => !r.name.includes('/api/'));
    return {
      document_bytes: nav.encodedBodySize,
      asset_bytes: assets.reduce((s, r) => s + r.encodedBodySize, 0),
      asset_count: assets.length,
      first_results_ms: performance.getEntriesByName('buildhub:rendered')[0].startTime,
    };
  });
  await page.evaluate(() => {
    performance.setResourceTimingBufferSize(100000);
    const start = () => { window.benchStart = performance.now(); };
    document.addEventListener('keydown', start, true);
    document.addEventListener('pointerdown', start, true);
  });

  const typing = []; const typingRequest = []; const typingHits = {};
  for (let round = 0; round < ROUNDS; round++) {
    for (const q of QUERIES) {
      await page.fill('#q', q.slice(0, -1));
      await page.waitForFunction((v) => new URLSearchParams(location.search).get('q') === v, q.slice(0, -1));
      await settledAfter(page, 0);
      const before = await markCount(page);
      await page.keyboard.press(q.slice(-1) === ' ' ? 'Space' : q.slice(-1));
      const r = await settledAfter(page, before);
      typing.push(r.total); if (r.request !== null) typingRequest.push(r.request);
      typingHits[q] = r.hits;
    }
  }

  // A burst: the whole query typed at KEY_INTERVAL_MS a key, timed from its last key; the page
  // waits for the burst to end (its typing delay) before it searches.
  const burst = [];
  for (let round = 0; round < ROUNDS; round++) {
    for (const q of QUERIES) {
      await page.fill('#q', '');
      await page.waitForFunction(() => !new URLSearchParams(location.search).has('q'));
      await settledAfter(page, 0);
      const before = await markCount(page);
      await page.keyboard.type(q, { delay: KEY_INTERVAL_MS });
      burst.push((await settledAfter(page, before, q)).total);
    }
  }

  await page.fill('#q', '');
  await page.waitForFunction(() => !new URLSearchParams(location.search).has('q'));
  await settledAfter(page, 0);
  const facet = []; const facetRequest = [];
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, position] of FACET_CLICKS) {
      const key = await page.$$eval(`#facet-${name} .facet-list input`, (l, i) => l[i].dataset.focusKey, position);
      for (let i = 0; i < 2; i++) {  // on, then off
        const selector = `#facet-${name} input[data-focus-key="${key}"]`;
        const before = await markCount(page);
        await page.click(selector);
        const r = await settledAfter(page, before);
        facet.push(r.total); if (r.request !== null) facetRequest.push(r.request);
      }
    }
  }
  await context.close();
  const result = {
    chromium: browser.version(),
    records: await (await fetch(`${server.url}/api/records`)).json().then((b) => b.builds.total),
    first_visit: firstVisit,
    page_weight_bytes: firstVisit.document_bytes + firstVisit.asset_bytes,
    keystroke_to_rendered_ms: summary(typing),
    keystroke_search_request_ms: summary(typingRequest),
    burst_end_to_rendered_ms: summary(burst),
    burst_key_interval_ms: KEY_INTERVAL_MS,
    facet_click_to_rendered_ms: summary(facet),
    facet_search_request_ms: summary(facetRequest),
    query_hits: typingHits,
  };
  console.log(JSON.stringify(result, null, 2));
} finally {
  await browser.close();
  await server.stop();
}
