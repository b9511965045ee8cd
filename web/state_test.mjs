import { test } from 'node:test';
import assert from 'node:assert/strict';
import { emptyState, formatState, parseState } from './state.js';

test('reads Buildhub2 (SearchKit) links, brackets plain or percent-encoded', () => {
  const s = parseState('?q=firefox%2068&products%5B0%5D=firefox&versions[0]=68.0&versions[1]=68.0.1'
    + '&channel[0]=release&platform[0]=win64&locale[0]=de&sort=build.date_desc&p=3');
  assert.equal(s.q, 'firefox 68');
  assert.deepEqual(s.products, ['firefox']);
  assert.deepEqual(s.versions, ['68.0', '68.0.1']);
  assert.deepEqual(s.channel, ['release']);
  assert.deepEqual(s.platform, ['win64']);
  assert.deepEqual(s.locale, ['de']);
  assert.equal(s.sort, 'build.date_desc');
  assert.equal(s.page, 3);
});

test('list order follows the indexes; duplicates and empty values dropped', () => {
  const s = parseState('locale[1]=fr&locale[0]=de&locale[2]=de&locale[3]=');
  assert.deepEqual(s.locale, ['de', 'fr']);
});

test('unknown parameters, sorts and pages are ignored', () => {
  const s = parseState('?foo=1&sort=size_desc&p=-2&p=abc&bogus[0]=x');
  assert.deepEqual(s, emptyState());
});

test('writes only what differs from the defaults, and reads back the same state', () => {
  assert.equal(formatState(emptyState()), '');
  const s = { ...emptyState(), q: 'a&b=c', platform: ['linux-x86_64'], locale: ['en-US', 'de'], page: 2 };
  const text = formatState(s);
  assert.equal(text, '?q=a%26b%3Dc&platform[0]=linux-x86_64&locale[0]=en-US&locale[1]=de&p=2');
  assert.deepEqual(parseState(text), s);
});
