// The results table, with Buildhub2's columns. Each row can open its full record
// (GET /api/records/<id>) below it.

import * as api from './api.js';
import { clear, h, highlighted } from './dom.js';
import { humanSize, revisionUrl, safeUrl, shortDate, shortRevision } from './format.js';

const COLUMNS = ['', 'Product', 'Version', 'Platform', 'Channel', 'Locale', 'Tree', 'Size', 'Published on', 'Build ID', 'Revision'];

function get(obj, path) {
  return path.split('.').reduce((o, k) => (o && typeof o === 'object' ? o[k] : undefined), obj);
}

function cell(label, ...content) {
  return h('td', { dataset: { label } }, ...content);
}

function marked(hit, field) {
  const value = get(hit._source, field);
  const fragments = hit.highlight && hit.highlight[field];
  return highlighted(value ?? '', Array.isArray(fragments) ? fragments[0] : null);
}

export function renderHits(hits, { from }) {
  const body = h('tbody');
  hits.forEach((hit, i) => body.append(...row(hit, from + i + 1)));
  return h('div', { class: 'table-wrap' }, h('table', { class: 'hits' },
    h('caption', { class: 'visually-hidden' }, 'Builds, newest first'),
    h('thead', null, h('tr', null, COLUMNS.map((c, i) => h('th', { scope: 'col' }, i === 0 ? h('span', { class: 'visually-hidden' }, 'Record') : c)))),
    body));
}

function row(hit, position) {
  const s = hit._source || {};
  const id = String(hit._id);
  const detailsId = `record-${id}`;
  const details = h('tr', { class: 'record', id: detailsId, hidden: true }, h('td', { colspan: COLUMNS.length }));
  const toggle = h('button', {
    type: 'button', class: 'expand', 'aria-expanded': 'false', 'aria-controls': detailsId,
    'aria-label': `Show record ${position}`, title: 'Show the full record',
  }, '▸');
  toggle.addEventListener('click', () => openRecord(toggle, details, id));
  const download = get(s, 'download') || {};
  const url = safeUrl(download.url);
  const buildId = get(s, 'build.id');
  const revUrl = revisionUrl(s.source);
  const tr = h('tr', { id: `hit-${id}` },
    cell('', toggle),
    cell('Product', marked(hit, 'source.product')),
    cell('Version', marked(hit, 'target.version')),
    cell('Platform', marked(hit, 'target.platform')),
    cell('Channel', marked(hit, 'target.channel')),
    cell('Locale', marked(hit, 'target.locale')),
    cell('Tree', get(s, 'source.tree') ?? ''),
    cell('Size', url ? h('a', { href: url, title: download.url, rel: 'noreferrer' }, humanSize(download.size)) : humanSize(download.size)),
    cell('Published on', h('time', { datetime: download.date }, shortDate(download.date))),
    cell('Build ID', buildId ? h('a', { href: `/builds/${encodeURIComponent(buildId)}`, title: 'Every record of this build' }, marked(hit, 'build.id')) : ''),
    cell('Revision', revUrl
      ? h('a', { href: revUrl, rel: 'noreferrer', title: get(s, 'source.revision') }, h('code', null, shortRevision(get(s, 'source.revision'))))
      : h('code', null, shortRevision(get(s, 'source.revision')))));
  return [tr, details];
}

async function openRecord(toggle, details, id) {
  const open = toggle.getAttribute('aria-expanded') !== 'true';
  toggle.setAttribute('aria-expanded', String(open));
  toggle.textContent = open ? '▾' : '▸';
  details.hidden = !open;
  if (!open || details.dataset.loaded) return;
  const target = clear(details.firstChild);
  target.append(h('p', { class: 'hint' }, 'Loading the record…'));
  try {
    const record = await api.record(id);
    details.dataset.loaded = '1';
    clear(target).append(
      h('div', { class: 'record-head' },
        h('strong', null, `Record ${id}`),
        h('a', { href: `/api/records/${encodeURIComponent(id)}` }, 'JSON')),
      h('pre', { class: 'json', tabindex: '0', 'aria-label': `Record ${id} as JSON` }, JSON.stringify(record, null, 2)));
  } catch (e) {
    clear(target).append(h('p', { class: 'notice error', role: 'alert' }, `The record could not be read: ${e.message}`));
  }
}
