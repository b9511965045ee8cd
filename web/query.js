// The request bodies the page POSTs to /api/search: the ones Buildhub2's SearchKit page sent
// (query_string over six fields with its boosts, a post_filter, one filter + terms + cardinality
// aggregation per facet, highlight), so any Elasticsearch-compatible server answers them.

import { ALL_FILTERS, FACETS, PAGE_SIZE, PRODUCT_FACET, SORTS } from './state.js';

export const SEARCH_FIELDS = [
  'source.product', 'target.channel^1.2', 'target.version^10', 'target.locale^3', 'target.platform^2', 'build.id',
];
const QUERY_STRING_OPTIONS = {
  analyzer: 'standard',
  default_operator: 'AND',
  phrase_slop: 1,
  auto_generate_phrase_queries: true,
  analyze_wildcard: true,
  lenient: true,
  split_on_whitespace: true,
};
const HIGHLIGHT_FIELDS = ['source.product', 'target.channel', 'target.version', 'target.locale', 'target.platform', 'build.id'];
// Deep pages beyond this are refused by Elasticsearch (index.max_result_window) and by us.
export const MAX_RESULT_WINDOW = 10000;
const FACET_BUCKETS = 1000;

// query_string syntax characters that cannot start or end a plain word; a word typed in the
// box is a prefix, never syntax (quote the query with ' for that).
const RESERVED = /[+=&|><!(){}[\]^"~*?:\\/]/g;

/** The query_string text for what was typed, or null for "everything". */
export function queryText(typed) {
  const text = (typed || '').trim();
  if (text === '') return null;
  if (text.startsWith("'")) {
    const raw = text.slice(1).trim();
    return raw === '' ? null : { raw: true, text: raw };
  }
  const words = text.split(/\s+/).map((w) => w.replace(RESERVED, (c) => `\\${c}`)).map((w) => (w.startsWith('-') ? `\\${w}` : w));
  return { raw: false, text: words.map((w) => `${w}*`).join(' ') };
}

export function textQuery(typed) {
  const t = queryText(typed);
  if (t === null) return null;
  return { query_string: { query: t.text, fields: SEARCH_FIELDS, ...QUERY_STRING_OPTIONS } };
}

function filterFor(facet, values) {
  return { terms: { [facet.field]: values } };
}

// The selected values as clauses, leaving out `except` (a facet counts without its own filter,
// so its other values stay visible and can be added: OR within a facet, AND across facets).
function filterClauses(state, except) {
  const clauses = [];
  for (const f of ALL_FILTERS) {
    if (f === except) continue;
    const values = state[f.key] || [];
    if (values.length) clauses.push(filterFor(f, values));
  }
  return clauses;
}

function combine(clauses) {
  if (clauses.length === 0) return { match_all: {} };
  if (clauses.length === 1) return clauses[0];
  return { bool: { must: clauses } };
}

/** The aggregation key under which a facet's buckets come back. */
export function bucketsKey(facet) {
  return facet.aggField || facet.field;
}

function facetAggregation(state, facet, size) {
  const field = bucketsKey(facet);
  return {
    filter: combine(filterClauses(state, facet)),
    aggs: {
      // Versions newest first; other values in name order, as Buildhub2 listed them.
      [field]: { terms: { field, size, order: { _key: facet.aggField ? 'desc' : 'asc' } } },
      [`${facet.field}_count`]: { cardinality: { field: facet.field } },
    },
  };
}

/** The body of the search a state shows. */
export function searchBody(state) {
  const body = {};
  const query = textQuery(state.q);
  if (query) body.query = query;
  const filters = filterClauses(state, null);
  if (filters.length) body.post_filter = combine(filters);
  body.aggs = { [PRODUCT_FACET.key]: facetAggregation(state, PRODUCT_FACET, 50) };
  for (const f of FACETS) body.aggs[f.key] = facetAggregation(state, f, FACET_BUCKETS);
  body.size = PAGE_SIZE;
  const from = (state.page - 1) * PAGE_SIZE;
  if (from > 0) body.from = from;
  const sort = SORTS.find((s) => s.key === state.sort) || SORTS[0];
  body.sort = [{ [sort.field]: 'desc' }];
  body.highlight = { fields: Object.fromEntries(HIGHLIGHT_FIELDS.map((f) => [f, {}])) };
  // Only what the table shows: about half of each record (compiler lines, MIME type, ...) stays
  // on the server until a row is opened (GET /api/records/<id>).
  body._source = RESULT_FIELDS;
  return body;
}

/** The fields the results table shows (results.js). */
export const RESULT_FIELDS = [
  'build.id', 'download.date', 'download.size', 'download.url', 'source.product', 'source.repository',
  'source.revision', 'source.tree', 'target.channel', 'target.locale', 'target.platform', 'target.version',
];

/** A "did you mean" request for a query that found nothing (SearchKit's phrase suggester). */
export function suggestBody(typed) {
  const t = queryText(typed);
  if (t === null || t.raw) return null;
  const text = typed.trim();
  return {
    size: 0,
    suggest: {
      text,
      suggestions: {
        phrase: {
          field: 'target.version',
          real_word_error_likelihood: 0.95,
          max_errors: 1,
          gram_size: 4,
          direct_generator: [{ field: '_all', suggest_mode: 'always', min_word_length: 1 }],
        },
      },
    },
  };
}

// The most a search returns at once (Buildhub2's MAX_SEARCH_SIZE).
export const MAX_SEARCH_SIZE = 1000;

/** One page of the records of a build, for /builds/<id>. */
export function buildBody(buildId, from = 0) {
  return {
    query: { bool: { filter: [{ term: { 'build.id': buildId } }] } },
    size: MAX_SEARCH_SIZE,
    from,
    sort: [{ 'source.product': 'asc' }, { 'target.platform': 'asc' }, { 'target.locale': 'asc' }],
  };
}

/** The last page a state can show (results beyond the window cannot be paged to). */
export function lastPage(total) {
  return Math.max(1, Math.ceil(Math.min(total, MAX_RESULT_WINDOW) / PAGE_SIZE));
}
