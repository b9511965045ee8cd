import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { RESULT_FIELDS, buildBody, lastPage, queryText, searchBody, suggestBody } from './query.js';
import { emptyState } from './state.js';

test('each typed word becomes a prefix; syntax characters are escaped', () => {
  assert.equal(queryText('  '), null);
  assert.deepEqual(queryText('firefox 68 linux'), { raw: false, text: 'firefox* 68* linux*' });
  assert.deepEqual(queryText('en-US'), { raw: false, text: 'en-US*' });
  assert.deepEqual(queryText('a:b (c'), { raw: false, text: 'a\\:b* \\(c*' });
  assert.deepEqual(queryText('-win'), { raw: false, text: '\\-win*' });
});

test("a leading ' sends the rest as query_string syntax", () => {
  assert.deepEqual(queryText("'build.id:2019*"), { raw: true, text: 'build.id:2019*' });
  assert.equal(queryText("'"), null);
});

test("the search body is Buildhub2's: fields, boosts, options, sort, highlight", () => {
  const body = searchBody({ ...emptyState(), q: 'firefox' });
  assert.deepEqual(body.query.query_string.fields,
    ['source.product', 'target.channel^1.2', 'target.version^10', 'target.locale^3', 'target.platform^2', 'build.id']);
  assert.equal(body.query.query_string.default_operator, 'AND');
  assert.equal(body.size, 30);
  assert.equal(body.from, undefined);
  assert.deepEqual(body.sort, [{ 'download.date': 'desc' }]);
  assert.ok(body.highlight.fields['target.version']);
  assert.equal(body.post_filter, undefined);
  assert.deepEqual(Object.keys(body.aggs), ['products', 'versions', 'platform', 'channel', 'locale']);
  assert.deepEqual(body.aggs.platform.filter, { match_all: {} });
  // Versions are counted on the engine's version-ordered field, newest first.
  assert.deepEqual(body.aggs.versions.aggs['target.version_sort'].terms, { field: 'target.version_sort', size: 1000, order: { _key: 'desc' } });
  assert.deepEqual(body.aggs.platform.aggs['target.platform'].terms.order, { _key: 'asc' });
  assert.deepEqual(body._source, RESULT_FIELDS);
});

test('the results ask for every field the table reads', () => {
  const table = readFileSync(new URL('./results.js', import.meta.url), 'utf8');
  const read = new Set([...table.matchAll(/'((?:build|download|source|target)\.[a-z_]+)'/g)].map((m) => m[1]));
  for (const f of ['download.url', 'download.size', 'download.date', 'source.repository', 'source.revision']) read.add(f);
  assert.ok(read.size >= 10);
  for (const f of read) assert.ok(RESULT_FIELDS.includes(f), `${f} is shown but not asked for`);
});

test('facets: OR within a facet, AND across, each facet counted without its own filter', () => {
  const body = searchBody({ ...emptyState(), platform: ['win32', 'win64'], channel: ['release'], page: 3, sort: 'build.date_desc' });
  assert.deepEqual(body.post_filter, { bool: { must: [
    { terms: { 'target.platform': ['win32', 'win64'] } }, { terms: { 'target.channel': ['release'] } }] } });
  assert.deepEqual(body.aggs.platform.filter, { terms: { 'target.channel': ['release'] } });
  assert.deepEqual(body.aggs.channel.filter, { terms: { 'target.platform': ['win32', 'win64'] } });
  assert.equal(body.aggs.locale.filter.bool.must.length, 2);
  assert.deepEqual(body.aggs.channel.aggs['target.channel_count'], { cardinality: { field: 'target.channel' } });
  assert.equal(body.from, 60);
  assert.deepEqual(body.sort, [{ 'build.date': 'desc' }]);
});

test('pages stop at the result window; build pages and suggestions', () => {
  assert.equal(lastPage(0), 1);
  assert.equal(lastPage(31), 2);
  assert.equal(lastPage(1_000_000), 334);
  assert.equal(buildBody('20190301030000', 1000).from, 1000);
  assert.equal(suggestBody("'raw"), null);
  assert.equal(suggestBody('firefix').suggest.text, 'firefix');
});
