// The search page: search box, product tabs, facets, selected-filter chips, sort, results and
// pages. The URL holds the whole state (state.js); every change runs one search, and an answer
// that arrives after a newer request was sent is dropped.

import * as api from './api.js';
import { clear, h } from './dom.js';
import { count, plural } from './format.js';
import { bucketsKey, lastPage, searchBody, suggestBody } from './query.js';
import { renderHits } from './results.js';
import { ALL_FILTERS, FACETS, PAGE_SIZE, PRODUCT_FACET, SORTS, emptyState, formatState, parseState } from './state.js';

const TYPING_DELAY_MS = 60;   // debounce: keystrokes closer than this are a burst that sends one search
const SLOW_MS = 150;          // show "Searching..." only when an answer takes longer
const FACET_PREVIEW = 10;     // values shown before "Show all"
const FACET_FILTER_MIN = 12;  // a filter box for lists longer than this
const FACET_FILTER_SHOWN = 200;

export function startSearchPage(root, input, form) {
  let state = parseState(window.location.search);
  let seq = 0;
  let controller = null;
  let typingTimer = null;
  let lastKeystrokeAt = -Infinity;
  let slowTimer = null;
  let typingEntry = false;  // the current history entry was made by typing (replace it, do not stack)
  let lastData = null;
  const facetView = new Map(ALL_FILTERS.map((f) => [f.key, { expanded: false, filter: '' }]));

  // Links may name the filters in any order or percent-encode the brackets: show the canonical form.
  const canonical = `${window.location.pathname}${formatState(state)}`;
  if (canonical !== `${window.location.pathname}${window.location.search}`) window.history.replaceState(null, '', canonical);
  const ui = skeleton();
  clear(root).append(ui.layout);
  input.value = state.q;
  input.focus();

  function skeleton() {
    const tabs = h('nav', { class: 'tabs', 'aria-label': 'Products' });
    const facets = h('aside', { class: 'facets', 'aria-label': 'Filters' });
    const status = h('p', { class: 'status', role: 'status', 'aria-live': 'polite' });
    const sort = h('select', { id: 'sort' }, SORTS.map((s) => h('option', { value: s.key }, s.label)));
    const chips = h('div', { class: 'chips', 'aria-label': 'Selected filters' });
    const results = h('div', { id: 'results', class: 'results', tabindex: '-1' });
    const pager = h('nav', { class: 'pager', 'aria-label': 'Pages' });
    const toolbar = h('div', { class: 'toolbar' }, status, h('label', { class: 'sort' }, 'Sort by ', sort));
    const layout = h('div', { class: 'page' }, tabs, h('div', { class: 'columns' }, facets,
      h('section', { class: 'main', 'aria-label': 'Results' }, toolbar, chips, results, pager)));
    sort.addEventListener('change', () => change({ ...state, sort: sort.value, page: 1 }));
    return { layout, tabs, facets, status, sort, chips, results, pager };
  }

  // ---- state changes ----

  function change(next, { typing = false } = {}) {
    const url = `${window.location.pathname}${formatState(next)}`;
    if (typing && typingEntry) window.history.replaceState(null, '', url);
    else if (formatState(next) !== formatState(state)) window.history.pushState(null, '', url);
    typingEntry = typing;
    state = next;
    if (typing) {
      // A keystroke after a pause searches at once; keystrokes closer together than the delay
      // (a paste, key repeat, a fast typist) are one burst that searches when it ends.
      const now = performance.now();
      const afterPause = now - lastKeystrokeAt >= TYPING_DELAY_MS;
      lastKeystrokeAt = now;
      clearTimeout(typingTimer);
      if (afterPause) run();
      else typingTimer = setTimeout(run, TYPING_DELAY_MS);
    } else {
      run();
    }
  }

  function toggle(facet, value) {
    const values = state[facet.key].includes(value)
      ? state[facet.key].filter((v) => v !== value)
      : [...state[facet.key], value];
    change({ ...state, [facet.key]: values, page: 1 });
  }

  input.addEventListener('input', () => change({ ...state, q: input.value, page: 1 }, { typing: true }));
  input.addEventListener('keydown', (e) => {
    if (e.key === 'Escape' && input.value !== '') {
      e.preventDefault();
      input.value = '';
      change({ ...state, q: '', page: 1 });
    }
  });
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    clearTimeout(typingTimer);
    typingEntry = false;
    if (input.value !== state.q) change({ ...state, q: input.value, page: 1 });
    else run();
  });
  window.addEventListener('popstate', () => {
    clearTimeout(typingTimer);
    typingEntry = false;
    state = parseState(window.location.search);
    input.value = state.q;
    run();
  });

  // ---- searching ----

  async function run() {
    clearTimeout(typingTimer);
    const mine = ++seq;
    if (controller) controller.abort();
    controller = new AbortController();
    const { signal } = controller;
    const shown = { ...state };
    clearTimeout(slowTimer);
    slowTimer = setTimeout(() => {
      if (mine === seq) showLoading();
    }, SLOW_MS);
    ui.results.setAttribute('aria-busy', 'true');
    try {
      const data = await api.search(searchBody(shown), signal);
      if (mine !== seq) return;
      let suggestion = null;
      if (api.totalOf(data) === 0) suggestion = await suggest(shown.q, signal);
      if (mine !== seq) return;
      lastData = data;
      render(shown, data, suggestion);
    } catch (e) {
      if ((e && e.name === 'AbortError') || mine !== seq) return;
      renderError(e);
    } finally {
      if (mine === seq) {
        clearTimeout(slowTimer);
        ui.results.removeAttribute('aria-busy');
        ui.layout.classList.remove('loading');
      }
    }
  }

  async function suggest(q, signal) {
    const body = suggestBody(q);
    if (!body) return null;
    try {
      const data = await api.search(body, signal);
      const entries = (data.suggest && data.suggest.suggestions) || [];
      const options = entries.flatMap((s) => s.options || []).map((o) => o.text).filter(Boolean);
      return options[0] || null;
    } catch (e) {
      if (e && e.name === 'AbortError') throw e;
      return null;  // a suggestion is a nicety: its failure is not the page's error
    }
  }

  function showLoading() {
    ui.layout.classList.add('loading');
    ui.status.textContent = 'Searching…';
  }

  // ---- rendering ----

  function render(shown, data, suggestion) {
    const focusKey = document.activeElement && document.activeElement.dataset ? document.activeElement.dataset.focusKey : null;
    ui.sort.value = shown.sort;
    renderTabs(shown, data);
    renderFacets(shown, data);
    renderChips(shown);
    const total = api.totalOf(data);
    ui.status.textContent = `${plural(total, 'build', 'builds')} found in ${count(data.took)} ms`;
    clear(ui.results);
    if (total === 0) ui.results.append(noResults(shown, suggestion));
    else ui.results.append(renderHits(data.hits.hits, { from: (shown.page - 1) * PAGE_SIZE }));
    renderPager(shown, total);
    document.title = shown.q ? `${shown.q} · Buildhub` : 'Buildhub';
    if (focusKey) {
      const again = ui.layout.querySelector(`[data-focus-key="${CSS.escape(focusKey)}"]`);
      if (again) again.focus();
    }
    requestAnimationFrame(() => performance.mark('buildhub:rendered', { detail: { state: formatState(shown), total } }));
  }

  function renderError(error) {
    const refused = error.status >= 400 && error.status < 500;
    ui.status.textContent = refused ? 'The search was refused' : 'The search failed';
    clear(ui.results).append(h('div', { class: 'notice error', role: 'alert' },
      h('h2', null, refused ? 'This query cannot be read' : 'The search API did not answer'),
      h('p', null, error.message || String(error)),
      refused && state.q.startsWith("'")
        ? h('p', null, 'Queries that start with \' use the Elasticsearch query string syntax (see "?").')
        : null,
      h('button', { type: 'button', class: 'button', onclick: () => run() }, 'Try again')));
    clear(ui.pager);
    performance.mark('buildhub:rendered', { detail: { state: formatState(state), error: true } });
  }

  function noResults(shown, suggestion) {
    const filtered = ALL_FILTERS.some((f) => shown[f.key].length > 0);
    return h('div', { class: 'notice empty' },
      h('h2', null, shown.q ? `No builds match “${shown.q}”` : 'No builds match these filters'),
      suggestion
        ? h('p', null, 'Did you mean ', h('a', {
          href: formatState({ ...emptyState(), q: suggestion }) || '/',
          onclick: (e) => { e.preventDefault(); input.value = suggestion; change({ ...shown, q: suggestion, page: 1 }); },
        }, suggestion), '?')
        : null,
      filtered
        ? h('p', null, h('button', { type: 'button', class: 'button', onclick: () => change({ ...emptyState(), q: shown.q, sort: shown.sort }) },
          'Search without the filters'))
        : null,
      h('p', { class: 'hint' }, 'Each word matches the start of a product, channel, version, platform, locale or build id; fewer words find more.'));
  }

  function renderTabs(shown, data) {
    const agg = data.aggregations && data.aggregations[PRODUCT_FACET.key];
    const buckets = (agg && agg[PRODUCT_FACET.field] && agg[PRODUCT_FACET.field].buckets) || [];
    const selected = shown.products[0] || null;
    const names = buckets.map((b) => b.key);
    if (selected && !names.includes(selected)) names.push(selected);
    const counts = new Map(buckets.map((b) => [b.key, b.doc_count]));
    const tab = (label, product, n) => h('a', {
      class: 'tab', href: formatState({ ...shown, products: product ? [product] : [], page: 1 }) || window.location.pathname,
      'aria-current': (product === selected) ? 'page' : null,
      dataset: { focusKey: `tab:${product || ''}` },
      onclick: (e) => { e.preventDefault(); change({ ...shown, products: product ? [product] : [], page: 1 }); },
    }, label, n !== undefined ? h('span', { class: 'count' }, count(n)) : null);
    clear(ui.tabs).append(tab('All products', null, agg ? agg.doc_count : undefined),
      ...names.map((n) => tab(n, n, counts.get(n) || 0)));
  }

  function renderFacets(shown, data) {
    clear(ui.facets);
    for (const facet of FACETS) {
      const agg = data.aggregations && data.aggregations[facet.key];
      let buckets = (agg && agg[bucketsKey(facet)] && agg[bucketsKey(facet)].buckets) || [];
      for (const v of shown[facet.key]) {
        if (!buckets.some((b) => b.key === v)) buckets = [{ key: v, doc_count: 0 }, ...buckets];
      }
      ui.facets.append(facetSection(shown, facet, buckets, agg ? agg[`${facet.field}_count`] : null));
    }
  }

  function facetSection(shown, facet, buckets, cardinality) {
    const view = facetView.get(facet.key);
    const id = `facet-${facet.key}`;
    const list = h('ul', { class: 'facet-list', id: `${id}-list` });
    const more = h('button', { type: 'button', class: 'link', 'aria-controls': `${id}-list` });
    const distinct = cardinality && typeof cardinality.value === 'number' ? cardinality.value : buckets.length;
    const fill = () => {
      const needle = view.filter.trim().toLowerCase();
      let items = buckets;
      if (needle) items = items.filter((b) => String(b.key).toLowerCase().includes(needle)).slice(0, FACET_FILTER_SHOWN);
      else if (!view.expanded) {
        const top = items.slice(0, FACET_PREVIEW);
        const chosen = items.filter((b, i) => i >= FACET_PREVIEW && shown[facet.key].includes(b.key));
        items = [...top, ...chosen];
      }
      clear(list).append(...items.map((b) => facetItem(shown, facet, b)));
      if (items.length === 0) list.append(h('li', { class: 'hint' }, needle ? 'No value matches' : 'No values'));
      more.hidden = needle !== '' || buckets.length <= FACET_PREVIEW;
      more.textContent = view.expanded ? 'Show fewer' : `Show all ${count(buckets.length)}`;
      more.setAttribute('aria-expanded', String(view.expanded));
    };
    more.addEventListener('click', () => { view.expanded = !view.expanded; fill(); });
    let filterBox = null;
    if (buckets.length > FACET_FILTER_MIN) {
      filterBox = h('input', {
        type: 'search', class: 'facet-filter', placeholder: `Filter ${facet.title.toLowerCase()}s`,
        'aria-label': `Filter the ${facet.title.toLowerCase()} list`, value: view.filter,
        dataset: { focusKey: `filter:${facet.key}` },
      });
      filterBox.addEventListener('input', () => { view.filter = filterBox.value; fill(); });
      filterBox.addEventListener('keydown', (e) => {
        if (e.key === 'Escape' && filterBox.value) { e.preventDefault(); e.stopPropagation(); filterBox.value = ''; view.filter = ''; fill(); }
      });
    }
    fill();
    return h('section', { class: 'facet', id, 'aria-labelledby': `${id}-title` },
      h('h2', { id: `${id}-title` }, facet.title, h('span', { class: 'count', title: 'distinct values' }, count(distinct))),
      filterBox, list, more);
  }

  function facetItem(shown, facet, bucket) {
    const checked = shown[facet.key].includes(bucket.key);
    const box = h('input', {
      type: 'checkbox', checked, dataset: { focusKey: `facet:${facet.key}:${bucket.key}` },
      onchange: () => toggle(facet, bucket.key),
    });
    return h('li', null, h('label', { class: checked ? 'checked' : null }, box,
      h('span', { class: 'value' }, String(bucket.key)),
      h('span', { class: 'count' }, count(bucket.doc_count))));
  }

  function renderChips(shown) {
    clear(ui.chips);
    const chips = [];
    for (const f of ALL_FILTERS) {
      for (const v of shown[f.key]) {
        chips.push(h('button', {
          type: 'button', class: 'chip', 'aria-label': `Remove filter ${f.title}: ${v}`,
          dataset: { focusKey: `chip:${f.key}:${v}` },
          onclick: () => change({ ...shown, [f.key]: shown[f.key].filter((x) => x !== v), page: 1 }),
        }, h('span', { class: 'chip-name' }, `${f.title}:`), ` ${v} `, h('span', { 'aria-hidden': 'true' }, '×')));
      }
    }
    if (chips.length || shown.q) {
      chips.push(h('button', {
        type: 'button', class: 'button reset', dataset: { focusKey: 'reset' },
        onclick: () => { input.value = ''; change({ ...emptyState(), sort: shown.sort }); input.focus(); },
      }, 'Reset'));
    }
    ui.chips.append(...chips);
  }

  function renderPager(shown, total) {
    clear(ui.pager);
    const last = lastPage(total);
    if (last <= 1) return;
    const page = Math.min(shown.page, last);
    const link = (n, label, extra = {}) => h('a', {
      href: formatState({ ...shown, page: n }) || window.location.pathname,
      'aria-current': n === page ? 'page' : null,
      'aria-label': extra.aria || `Page ${n}`,
      class: extra.class || 'page-link',
      onclick: (e) => { e.preventDefault(); change({ ...shown, page: n }); ui.results.focus(); },
    }, label);
    const items = [];
    if (page > 1) items.push(link(page - 1, '‹ Previous', { aria: 'Previous page', class: 'page-link step' }));
    const pages = new Set([1, last]);
    for (let n = page - 2; n <= page + 2; n += 1) if (n >= 1 && n <= last) pages.add(n);
    let prev = 0;
    for (const n of [...pages].sort((a, b) => a - b)) {
      if (n - prev > 1) items.push(h('span', { class: 'gap', 'aria-hidden': 'true' }, '…'));
      items.push(link(n, String(n)));
      prev = n;
    }
    if (page < last) items.push(link(page + 1, 'Next ›', { aria: 'Next page', class: 'page-link step' }));
    ui.pager.append(...items);
  }

  run();
  return { rerun: run, get lastData() { return lastData; } };
}
