// The page's whole state lives in the URL, with Buildhub2's (SearchKit's) parameter names, so
// links that point at Buildhub2 today open the same view here:
//   ?q=firefox&products[0]=firefox&versions[0]=68.0&channel[0]=release&platform[0]=win64&locale[0]=de
//    &sort=build.date_desc&p=2

/** The facets and the record field each filters, in the order of the sidebar. */
export const FACETS = [
  // Counted on target.version_sort: the same values, ordered by the engine as Mozilla versions
  // (100.0 above 99.0, 68.0b3 below 68.0), so the newest come first even when the list is cut.
  { key: 'versions', field: 'target.version', aggField: 'target.version_sort', title: 'Version' },
  { key: 'platform', field: 'target.platform', title: 'Platform' },
  { key: 'channel', field: 'target.channel', title: 'Channel' },
  { key: 'locale', field: 'target.locale', title: 'Locale' },
];
export const PRODUCT_FACET = { key: 'products', field: 'source.product', title: 'Product' };
export const ALL_FILTERS = [PRODUCT_FACET, ...FACETS];

export const SORTS = [
  { key: 'download.date_desc', field: 'download.date', label: 'Published on' },
  { key: 'build.date_desc', field: 'build.date', label: 'Build date' },
];
export const DEFAULT_SORT = SORTS[0].key;
export const PAGE_SIZE = 30;

export function emptyState() {
  const state = { q: '', sort: DEFAULT_SORT, page: 1 };
  for (const f of ALL_FILTERS) state[f.key] = [];
  return state;
}

// "products[0]", "products[]", "products" and their percent-encoded forms all name the list.
function listName(rawKey) {
  const m = /^([A-Za-z_.]+)(?:\[(\d*)\])?$/.exec(rawKey);
  return m ? { name: m[1], index: m[2] === undefined || m[2] === '' ? null : Number(m[2]) } : null;
}

/** Reads a state from a query string ("?q=..." or "q=..."). Unknown parameters are ignored. */
export function parseState(search) {
  const state = emptyState();
  const params = new URLSearchParams(search);
  const lists = new Map();
  for (const [rawKey, value] of params) {
    if (rawKey === 'q') {
      state.q = value;
      continue;
    }
    if (rawKey === 'sort') {
      if (SORTS.some((s) => s.key === value)) state.sort = value;
      continue;
    }
    if (rawKey === 'p') {
      const page = Number.parseInt(value, 10);
      if (Number.isFinite(page) && page >= 1) state.page = page;
      continue;
    }
    const key = listName(rawKey);
    if (!key || !ALL_FILTERS.some((f) => f.key === key.name) || value === '') continue;
    if (!lists.has(key.name)) lists.set(key.name, []);
    lists.get(key.name).push({ index: key.index ?? Number.MAX_SAFE_INTEGER, value });
  }
  for (const [name, items] of lists) {
    items.sort((a, b) => a.index - b.index);
    state[name] = [...new Set(items.map((i) => i.value))];
  }
  return state;
}

// Brackets stay readable ("products[0]"), everything else is percent-encoded.
function encodeKey(key) {
  return encodeURIComponent(key).replace(/%5B/g, '[').replace(/%5D/g, ']');
}

/** The query string of a state ("" or "?..."), with only what differs from the defaults. */
export function formatState(state) {
  const parts = [];
  if (state.q) parts.push(`q=${encodeURIComponent(state.q)}`);
  for (const f of ALL_FILTERS) {
    (state[f.key] || []).forEach((value, i) => parts.push(`${encodeKey(`${f.key}[${i}]`)}=${encodeURIComponent(value)}`));
  }
  if (state.sort && state.sort !== DEFAULT_SORT) parts.push(`sort=${encodeURIComponent(state.sort)}`);
  if (state.page > 1) parts.push(`p=${state.page}`);
  return parts.length ? `?${parts.join('&')}` : '';
}

export function sameState(a, b) {
  return formatState(a) === formatState(b);
}
