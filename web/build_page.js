// /builds/<build_id>: every record of one build (platforms × locales), its revision and dates,
// and a link to each download: the stable address crash tools can point at.

import * as api from './api.js';
import { clear, h } from './dom.js';
import { humanSize, plural, revisionUrl, safeUrl, shortDate } from './format.js';
import { MAX_RESULT_WINDOW, buildBody } from './query.js';

function groupKey(s) {
  return [s.source?.product, s.target?.version, s.target?.channel].join('\u0000');
}

export async function startBuildPage(root, buildId) {
  document.title = `Build ${buildId} · Buildhub`;
  const heading = h('h1', null, 'Build ', h('code', null, buildId));
  const body = h('div', { class: 'build-body', 'aria-busy': 'true' }, h('p', { class: 'status', role: 'status' }, 'Loading…'));
  clear(root).append(h('div', { class: 'page build-page' },
    h('p', { class: 'crumbs' }, h('a', { href: '/' }, '← All builds'), ' · ',
      h('a', { href: `/?q=${encodeURIComponent(buildId)}` }, 'Search this build id')),
    heading, body));
  let hits = [];
  try {
    // A build has up to ~1,400 records (15 platforms × 91 locales); a search returns 1,000 at most.
    for (;;) {
      const data = await api.search(buildBody(buildId, hits.length));
      const page = (data.hits && data.hits.hits) || [];
      hits = hits.concat(page);
      if (page.length === 0 || hits.length >= api.totalOf(data) || hits.length >= MAX_RESULT_WINDOW) break;
    }
  } catch (e) {
    clear(body).append(h('div', { class: 'notice error', role: 'alert' },
      h('h2', null, 'The search API did not answer'), h('p', null, e.message),
      h('button', { type: 'button', class: 'button', onclick: () => startBuildPage(root, buildId) }, 'Try again')));
    body.removeAttribute('aria-busy');
    performance.mark('buildhub:rendered', { detail: { build: buildId, error: true } });
    return;
  }
  body.removeAttribute('aria-busy');
  clear(body);
  if (hits.length === 0) {
    body.append(h('div', { class: 'notice empty' }, h('h2', null, 'No record has this build id'),
      h('p', null, 'Build ids are 14 digits (YYYYMMDDhhmmss). ',
        h('a', { href: `/?q=${encodeURIComponent(buildId)}` }, 'Search for it'), ' to find ids that start the same way.')));
    performance.mark('buildhub:rendered', { detail: { build: buildId, total: 0 } });
    return;
  }
  const groups = new Map();
  for (const hit of hits) {
    const key = groupKey(hit._source || {});
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key).push(hit);
  }
  body.append(h('p', { class: 'status', role: 'status' },
    `${plural(hits.length, 'record', 'records')} share this build id.`));
  for (const group of groups.values()) body.append(section(group));
  performance.mark('buildhub:rendered', { detail: { build: buildId, total: hits.length } });
}

function section(hits) {
  const first = hits[0]._source || {};
  const platforms = [...new Set(hits.map((x) => x._source.target.platform))].sort();
  const locales = [...new Set(hits.map((x) => x._source.target.locale))]
    .sort((a, b) => (a === 'en-US' ? -1 : b === 'en-US' ? 1 : a.localeCompare(b)));
  const published = hits.map((x) => x._source.download?.date).filter(Boolean).sort();
  const revUrl = revisionUrl(first.source);
  const facts = [
    ['Product', first.source?.product],
    ['Version', first.target?.version],
    ['Channel', first.target?.channel],
    ['Tree', first.source?.tree],
    ['Revision', revUrl ? h('a', { href: revUrl, rel: 'noreferrer' }, h('code', null, first.source.revision)) : h('code', null, first.source?.revision ?? '')],
    ['Built', h('time', { datetime: first.build?.date }, shortDate(first.build?.date))],
    ['Published', published.length ? `${shortDate(published[0])} – ${shortDate(published[published.length - 1])}` : ''],
    ['Records', `${plural(hits.length, 'record', 'records')}: ${plural(platforms.length, 'platform', 'platforms')} × ${plural(locales.length, 'locale', 'locales')}`],
  ];
  const cells = new Map(hits.map((x) => [`${x._source.target.platform}\u0000${x._source.target.locale}`, x]));
  const filter = h('input', { type: 'search', class: 'facet-filter', placeholder: 'Filter locales', 'aria-label': 'Filter the locales' });
  const tbody = h('tbody');
  const rows = locales.map((locale) => {
    const tr = h('tr', { dataset: { locale } }, h('th', { scope: 'row' }, locale), platforms.map((p) => {
      const hit = cells.get(`${p}\u0000${locale}`);
      if (!hit) return h('td', { class: 'none' }, h('span', { 'aria-label': 'none' }, '–'));
      const d = hit._source.download || {};
      const url = safeUrl(d.url);
      const label = humanSize(d.size) || 'download';
      return h('td', null, url
        ? h('a', { href: url, rel: 'noreferrer', title: `${locale} ${p}: ${d.url}` }, label)
        : label, ' ', h('a', { href: `/api/records/${encodeURIComponent(hit._id)}`, class: 'json-link', 'aria-label': `Record of ${locale} ${p}` }, '{}'));
    }));
    tbody.append(tr);
    return tr;
  });
  filter.addEventListener('input', () => {
    const needle = filter.value.trim().toLowerCase();
    for (const tr of rows) tr.hidden = needle !== '' && !tr.dataset.locale.toLowerCase().includes(needle);
  });
  filter.addEventListener('keydown', (e) => { if (e.key === 'Escape') { filter.value = ''; filter.dispatchEvent(new Event('input')); } });
  return h('section', { class: 'build-group' },
    h('h2', null, `${first.source?.product ?? ''} ${first.target?.version ?? ''} (${first.target?.channel ?? ''})`),
    h('dl', { class: 'facts' }, facts.flatMap(([k, v]) => [h('dt', null, k), h('dd', null, v ?? '')])),
    locales.length > 12 ? filter : null,
    h('div', { class: 'table-wrap' }, h('table', { class: 'matrix' },
      h('caption', null, 'Downloads by locale and platform'),
      h('thead', null, h('tr', null, h('th', { scope: 'col' }, 'Locale'), platforms.map((p) => h('th', { scope: 'col' }, p)))),
      tbody)));
}
