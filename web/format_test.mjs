import assert from 'node:assert/strict';
import { test } from 'node:test';
import { count, humanSize, plural, revisionUrl, safeUrl, shortDate, shortRevision } from './format.js';

test('sizes in SI units, as Buildhub2 showed them', () => {
  assert.equal(humanSize(62914560), '62.9 MB');
  assert.equal(humanSize(999), '999 B');
  assert.equal(humanSize(1000), '1.00 kB');
  assert.equal(humanSize(-1), '');
  assert.equal(humanSize('x'), '');
});

test('dates in UTC to the minute; text that is not a date is shown as it is', () => {
  assert.equal(shortDate('2019-03-01T03:00:05.123456+00:00'), '2019-03-01 03:00 UTC');
  assert.equal(shortDate('2019-03-01T03:00:05+02:00'), '2019-03-01 01:00 UTC');
  assert.equal(shortDate('yesterday'), 'yesterday');
  assert.equal(shortDate(undefined), '');
});

test('counts with thousands separators; plural by count', () => {
  assert.equal(count(1234567), '1,234,567');
  assert.equal(count('12'), '12');
  assert.equal(count(undefined), '0');
  assert.equal(plural(1, 'build', 'builds'), '1 build');
  assert.equal(plural(30000, 'build', 'builds'), '30,000 builds');
});

test('revision links only to http(s) repositories', () => {
  assert.equal(shortRevision('a2b8b6d4b1d6e1c3f0aa'), 'a2b8b6d4b1d6');
  assert.equal(revisionUrl({ repository: 'https://hg.mozilla.org/releases/mozilla-esr68/', revision: 'abc' }),
    'https://hg.mozilla.org/releases/mozilla-esr68/rev/abc');
  assert.equal(revisionUrl({ repository: 'javascript:alert(1)', revision: 'abc' }), null);
  assert.equal(revisionUrl({ revision: 'abc' }), null);
  assert.equal(safeUrl('https://archive.mozilla.org/x'), 'https://archive.mozilla.org/x');
  assert.equal(safeUrl('javascript:alert(1)'), null);
});
