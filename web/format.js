// How values are shown: sizes in human units, dates in UTC, short revisions.

const UNITS = ['B', 'kB', 'MB', 'GB', 'TB'];

/** 62914560 -> "62.9 MB" (SI units, as Buildhub2's filesize showed them). */
export function humanSize(bytes) {
  const n = Number(bytes);
  if (!Number.isFinite(n) || n < 0) return '';
  let v = n;
  let u = 0;
  while (v >= 1000 && u < UNITS.length - 1) {
    v /= 1000;
    u += 1;
  }
  return u === 0 ? `${v} B` : `${v.toFixed(v < 10 ? 2 : 1)} ${UNITS[u]}`;
}

/** "2019-03-01T03:00:05.123456+00:00" -> "2019-03-01 03:00 UTC"; unparseable text as it is. */
export function shortDate(iso) {
  if (typeof iso !== 'string') return '';
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return iso;
  const d = new Date(t).toISOString();
  return `${d.slice(0, 10)} ${d.slice(11, 16)} UTC`;
}

/** Mercurial's short form of a changeset id: 12 hex digits. */
export function shortRevision(revision) {
  return typeof revision === 'string' ? revision.slice(0, 12) : '';
}

/** The changeset page of a revision in its repository, or null when either is missing. */
export function revisionUrl(source) {
  if (!source || typeof source.repository !== 'string' || typeof source.revision !== 'string') return null;
  if (!/^https?:\/\//.test(source.repository)) return null;
  return `${source.repository.replace(/\/+$/, '')}/rev/${encodeURIComponent(source.revision)}`;
}

/** Only http(s) links are made into links (a record is outside data). */
export function safeUrl(url) {
  return typeof url === 'string' && /^https?:\/\//i.test(url) ? url : null;
}

// One formatter for every count: toLocaleString builds a new one per call, which shows in a
// render of a few hundred counts.
const COUNT_FORMAT = new Intl.NumberFormat('en-US');

/** 12345 -> "12,345" */
export function count(n) {
  return COUNT_FORMAT.format(Number(n) || 0);
}

export function plural(n, one, many) {
  return `${count(n)} ${n === 1 ? one : many}`;
}
