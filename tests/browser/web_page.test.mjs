// The web page in a real browser (Debian's Chromium, headless, through playwright-core) against
// the real server filled with demo data. Screenshots of the main states go to OUT_DIR.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { apiSearch, outputPath, settled, startBrowser, startServer } from './harness.mjs';

let server;
let browser;
const pageErrors = [];

async function openPage(path = '/', viewport = { width: 1400, height: 900 }) {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  page.on('pageerror', (e) => pageErrors.push(`${path}: ${e.message}`));
  page.on('console', (m) => { if (m.type() === 'error' && !m.text().includes('Failed to load resource')) pageErrors.push(`${path}: ${m.text()}`); });
  await page.goto(`${server.url}${path}`);
  await settled(page);
  return page;
}

async function column(page, label) {
  return page.$$eval(`table.hits tbody tr:not(.record) td[data-label="${label}"]`, (tds) => tds.map((td) => td.textContent.trim()));
}

async function statusTotal(page) {
  const text = await page.textContent('.status');
  const m = /^([\d,]+) builds? found in \d[\d,]* ms$/.exec(text.trim());
  assert.ok(m, `status line: ${text}`);
  return Number(m[1].replace(/,/g, ''));
}

function countOf(data) {
  return typeof data.hits.total === 'number' ? data.hits.total : data.hits.total.value;
}

before(async () => {
  server = await startServer({ records: 3000, seed: 7 });
  browser = await startBrowser();
});

after(async () => {
  if (browser) await browser.close();
  if (server) await server.stop();
});

describe('the search page', () => {
  test('loads with the box focused, every record counted, 30 rows, tabs and facets', async () => {
    const page = await openPage('/');
    assert.equal(await page.getAttribute('#q', 'placeholder'), 'e.g. firefox 68 linux');
    assert.equal(await page.evaluate(() => document.activeElement.id), 'q');
    assert.equal(await statusTotal(page), 3000);
    assert.equal((await column(page, 'Product')).length, 30);
    const tabs = await page.$$eval('.tabs .tab', (a) => a.map((x) => x.firstChild.textContent));
    assert.equal(tabs[0], 'All products');
    const products = await apiSearch(server, { size: 0, aggs: { p: { terms: { field: 'source.product' } } } });
    assert.deepEqual(tabs.slice(1).sort(), products.aggregations.p.buckets.map((b) => b.key).sort());
    for (const title of ['Version', 'Platform', 'Channel', 'Locale']) {
      assert.ok(await page.$(`.facet h2:text-is("${title}")`) || await page.$(`.facet h2:has-text("${title}")`), title);
    }
    // Published on, newest first (the default sort).
    const published = await column(page, 'Published on');
    assert.deepEqual([...published].sort().reverse(), published);
    await page.screenshot({ path: outputPath('01-initial.png') });
    await page.context().close();
  });

  test('versions are listed newest first in version order, with counts', async () => {
    const page = await openPage('/');
    await page.click('#facet-versions button.link');  // Show all
    const versions = await page.$$eval('#facet-versions .facet-list .value', (s) => s.map((x) => x.textContent));
    assert.ok(versions.length > 10, `${versions.length} versions`);
    const majors = versions.map((v) => Number.parseInt(v, 10));
    for (let i = 1; i < majors.length; i += 1) assert.ok(majors[i - 1] >= majors[i], `${versions[i - 1]} before ${versions[i]}`);
    // 100 and above sort above 99 (a string order would not).
    if (majors.some((m) => m >= 100) && majors.some((m) => m < 100)) assert.ok(majors[0] >= 100);
    const counts = await page.$$eval('#facet-versions .facet-list .count', (s) => s.map((x) => Number(x.textContent.replace(/,/g, ''))));
    assert.equal(counts.reduce((a, b) => a + b, 0), 3000);
    await page.context().close();
  });

  test('search as you type: each word is a prefix; matches are highlighted; the URL follows', async () => {
    const page = await openPage('/');
    await page.type('#q', 'firefox rel lin', { delay: 30 });
    await settled(page);
    const total = await statusTotal(page);
    const expected = await apiSearch(server, {
      size: 0,
      query: { bool: { filter: [{ term: { 'source.product': 'firefox' } }, { prefix: { 'target.channel': 'rel' } }, { prefix: { 'target.platform': 'lin' } }] } },
    });
    assert.equal(total, countOf(expected));
    assert.ok(total > 0);
    for (const p of await column(page, 'Product')) assert.equal(p, 'firefox');
    for (const p of await column(page, 'Platform')) assert.match(p, /^linux/);
    assert.ok(await page.$$eval('table.hits mark', (m) => m.length) >= 30);
    assert.match(page.url(), /\?q=firefox%20rel%20lin$/);
    await page.screenshot({ path: outputPath('02-typed.png') });
    await page.context().close();
  });

  test('an older answer never overwrites a newer one', async () => {
    const page = await openPage('/');
    // Hold back the answer for "fennec*" until the next query has been answered.
    let releaseSlow;
    const slowGate = new Promise((r) => { releaseSlow = r; });
    await page.route('**/api/search', async (route) => {
      const body = route.request().postData() || '';
      if (body.includes('"fennec*"')) await slowGate;
      await route.continue();
    });
    await page.fill('#q', 'fennec');
    await page.waitForTimeout(300);  // sent, held
    await page.fill('#q', 'thunderbird');
    await settled(page);
    releaseSlow();
    await page.waitForTimeout(500);
    for (const p of await column(page, 'Product')) assert.equal(p, 'thunderbird');
    assert.equal(await page.inputValue('#q'), 'thunderbird');
    await page.context().close();
  });

  test('facets: one click filters, two facets combine, chips remove, reset clears', async () => {
    const page = await openPage('/');
    await page.check('#facet-platform input[data-focus-key="facet:platform:linux-x86_64"]');
    await settled(page);
    for (const p of await column(page, 'Platform')) assert.equal(p, 'linux-x86_64');
    assert.match(decodeURIComponent(page.url()), /platform\[0\]=linux-x86_64/);
    await page.check('#facet-channel input[data-focus-key="facet:channel:release"]');
    await settled(page);
    for (const c of await column(page, 'Channel')) assert.equal(c, 'release');
    const both = await apiSearch(server, {
      size: 0, query: { bool: { filter: [{ term: { 'target.platform': 'linux-x86_64' } }, { term: { 'target.channel': 'release' } }] } },
    });
    assert.equal(await statusTotal(page), countOf(both));
    // The platform facet still counts its other values under the channel filter (OR within a facet).
    const otherPlatforms = await page.$$eval('#facet-platform .facet-list li', (l) => l.length);
    assert.ok(otherPlatforms > 1);
    const chips = await page.$$eval('.chips .chip', (c) => c.map((x) => x.getAttribute('aria-label')));
    assert.deepEqual(chips, ['Remove filter Platform: linux-x86_64', 'Remove filter Channel: release']);
    await page.screenshot({ path: outputPath('03-two-facets.png') });
    await page.click('.chips .chip[aria-label="Remove filter Channel: release"]');
    await settled(page);
    const platformOnly = await apiSearch(server, { size: 0, query: { term: { 'target.platform': 'linux-x86_64' } } });
    assert.equal(await statusTotal(page), countOf(platformOnly));
    await page.click('.chips .reset');
    await settled(page);
    assert.equal(await statusTotal(page), 3000);
    assert.equal(new URL(page.url()).search, '');
    await page.context().close();
  });

  test('the locale filter box narrows a long list', async () => {
    const page = await openPage('/');
    await page.fill('#facet-locale .facet-filter', 'es-');
    const values = await page.$$eval('#facet-locale .facet-list .value', (s) => s.map((x) => x.textContent));
    assert.ok(values.length >= 2);
    for (const v of values) assert.match(v, /es-/);
    await page.press('#facet-locale .facet-filter', 'Escape');
    assert.equal(await page.inputValue('#facet-locale .facet-filter'), '');
    await page.context().close();
  });

  test('sort by build date, page 2, back and forward', async () => {
    const page = await openPage('/');
    await page.selectOption('#sort', 'build.date_desc');
    await settled(page);
    assert.match(page.url(), /sort=build\.date_desc/);
    const ids = await column(page, 'Build ID');
    assert.deepEqual([...ids].sort().reverse(), ids);
    await page.click('.pager a[aria-label="Page 2"]');
    await settled(page);
    assert.match(page.url(), /p=2/);
    const page2 = await column(page, 'Build ID');
    assert.ok(page2[0] <= ids[ids.length - 1], 'page 2 continues page 1');
    await page.screenshot({ path: outputPath('04-page-2.png') });
    await page.goBack();
    await settled(page);
    assert.deepEqual(await column(page, 'Build ID'), ids);
    await page.goForward();
    await settled(page);
    assert.deepEqual(await column(page, 'Build ID'), page2);
    await page.reload();
    await settled(page);
    assert.deepEqual(await column(page, 'Build ID'), page2);
    assert.equal(await page.inputValue('#sort'), 'build.date_desc');
    await page.context().close();
  });

  test('a row opens its full record', async () => {
    const page = await openPage('/');
    const id = (await page.getAttribute('table.hits tbody tr:not(.record)', 'id')).replace(/^hit-/, '');
    await page.click('table.hits tbody tr:not(.record) button.expand');
    await page.waitForSelector(`#record-${id} pre.json`);
    const shown = JSON.parse(await page.textContent(`#record-${id} pre.json`));
    const stored = await (await fetch(`${server.url}/api/records/${id}`)).json();
    assert.deepEqual(shown, stored);
    assert.equal(await page.getAttribute('table.hits tbody tr:not(.record) button.expand', 'aria-expanded'), 'true');
    await page.screenshot({ path: outputPath('05-record.png') });
    await page.context().close();
  });

  test('a Buildhub2 link opens with its filters applied', async () => {
    const page = await openPage('/?products%5B0%5D=firefox&channel[0]=release&platform[0]=win64');
    assert.equal(await page.textContent('.tabs .tab[aria-current="page"]').then((t) => t.replace(/[\d,]+$/, '')), 'firefox');
    for (const p of await column(page, 'Product')) assert.equal(p, 'firefox');
    for (const c of await column(page, 'Channel')) assert.equal(c, 'release');
    for (const p of await column(page, 'Platform')) assert.equal(p, 'win64');
    const expected = await apiSearch(server, {
      size: 0,
      query: { bool: { filter: [{ term: { 'source.product': 'firefox' } }, { term: { 'target.channel': 'release' } }, { term: { 'target.platform': 'win64' } }] } },
    });
    assert.equal(await statusTotal(page), countOf(expected));
    assert.ok(await page.isChecked('#facet-platform input[data-focus-key="facet:platform:win64"]'));
    await page.context().close();
  });

  test("a query starting with ' is query_string syntax", async () => {
    const one = await apiSearch(server, { size: 1, query: { term: { 'target.locale': 'de' } } });
    const buildId = one.hits.hits[0]._source.build.id;
    const page = await openPage(`/?q=${encodeURIComponent(`'build.id:${buildId}`)}`);
    const expected = await apiSearch(server, { size: 0, query: { term: { 'build.id': buildId } } });
    assert.equal(await statusTotal(page), countOf(expected));
    for (const id of await column(page, 'Build ID')) assert.equal(id, buildId);
    await page.context().close();
  });

  test('no results: says so and offers a way out', async () => {
    const page = await openPage('/?q=firefix&channel[0]=release');
    assert.equal(await statusTotal(page), 0);
    const text = await page.textContent('.notice.empty');
    assert.match(text, /No builds match “firefix”/);
    assert.match(text, /Did you mean firefox\?/);
    await page.screenshot({ path: outputPath('06-no-results.png') });
    await page.click('.notice.empty button');
    await settled(page);
    assert.equal(await page.$('.chips .chip'), null);
    await page.context().close();
  });

  test('a bad raw query is explained, not a crash', async () => {
    const page = await openPage(`/?q=${encodeURIComponent("'target.version:(68")}`);
    assert.match(await page.textContent('.notice.error h2'), /This query cannot be read/);
    await page.context().close();
  });

  test('keyboard: Enter searches, Escape clears, Tab reaches the help and the results', async () => {
    const page = await openPage('/');
    await page.keyboard.type('thunderbird');
    await page.keyboard.press('Enter');
    await settled(page);
    for (const p of await column(page, 'Product')) assert.equal(p, 'thunderbird');
    await page.keyboard.press('Escape');
    await settled(page);
    assert.equal(await page.inputValue('#q'), '');
    assert.equal(await statusTotal(page), 3000);
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement.id), 'syntax-summary');
    await page.keyboard.press('Enter');
    assert.ok(await page.isVisible('#syntax .help-body'));
    await page.keyboard.press('Escape');
    assert.equal(await page.isVisible('#syntax .help-body'), false);
    // Every form control has an accessible name.
    const unnamed = await page.$$eval('input, select, button', (els) => els.filter((e) => {
      const labelled = e.labels && e.labels.length > 0;
      return !labelled && !e.getAttribute('aria-label') && !e.textContent.trim();
    }).map((e) => e.outerHTML));
    assert.deepEqual(unnamed, []);
    await page.context().close();
  });

  test('fits a phone-sized screen', async () => {
    const page = await openPage('/?q=firefox', { width: 390, height: 844 });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 1, `page is ${overflow}px wider than the screen`);
    await page.screenshot({ path: outputPath('07-phone.png'), fullPage: false });
    await page.context().close();
  });
});

describe('the build page', () => {
  test('shows every record of the build id: platforms × locales, revision, downloads', async () => {
    const page = await openPage('/?sort=build.date_desc');
    // A release build (it has locale repacks).
    await page.check('#facet-channel input[data-focus-key="facet:channel:release"]');
    await settled(page);
    const buildId = (await column(page, 'Build ID'))[0];
    await page.click(`table.hits tbody tr:not(.record) td[data-label="Build ID"] a`);
    await page.waitForURL(`**/builds/${buildId}`);
    await settled(page);
    const expected = await apiSearch(server, { size: 1000, query: { term: { 'build.id': buildId } } });
    const records = expected.hits.hits;
    assert.ok(records.length > 5, `${records.length} records share the build id`);
    const downloads = await page.$$eval('table.matrix td a[title]', (a) => a.map((x) => x.getAttribute('href')));
    assert.deepEqual(downloads.sort(), records.map((r) => r._source.download.url).sort());
    const rev = records[0]._source.source;
    assert.ok(await page.$(`a[href="${rev.repository}/rev/${rev.revision}"]`));
    const locales = new Set(records.map((r) => r._source.target.locale));
    assert.equal(await page.$$eval('table.matrix tbody tr', (r) => r.length), locales.size);
    await page.screenshot({ path: outputPath('08-build-page.png'), fullPage: false });
    await page.goBack();
    await settled(page);
    assert.match(page.url(), /channel\[0\]=release|channel%5B0%5D=release/);
    await page.context().close();
  });

  test('an unknown build id says so', async () => {
    const page = await openPage('/builds/19990101000000');
    assert.match(await page.textContent('.notice.empty'), /No record has this build id/);
    await page.context().close();
  });
});

describe('the server stopped', () => {
  test('the page shows the API error state, then recovers when it is back', async () => {
    const page = await openPage('/');
    const dataDir = server.dir;
    await server.stop();
    await page.fill('#q', 'firefox');
    await page.waitForSelector('.notice.error');
    assert.match(await page.textContent('.notice.error'), /did not answer/);
    await page.screenshot({ path: outputPath('09-api-error.png') });
    server = await startServer({ records: 0, dataDir });
    // Same store, new port: the page's own origin is gone, so load it from the new one.
    await page.goto(`${server.url}/?q=firefox`);
    await settled(page);
    assert.ok(await statusTotal(page) > 0);
    await page.context().close();
  });
});

test('no script errors on any page', () => {
  assert.deepEqual(pageErrors, []);
});
