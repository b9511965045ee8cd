// Small DOM helpers. Text from records is only ever set as text (never parsed as HTML), so a
// record cannot inject markup; highlights are rebuilt from the <em> markers the server sends.

/** h('a', {href: '/x', class: 'y'}, 'text', childNode, [more]) */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k === 'text') el.textContent = v;
    else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

export function clear(el) {
  el.replaceChildren();
  return el;
}

/**
 * The text with the server's highlight applied: `fragment` is the same text with matches
 * wrapped in <em>...</em>; they become <mark> elements, everything else stays text.
 */
export function highlighted(text, fragment) {
  if (typeof fragment !== 'string' || fragment.replace(/<\/?em>/g, '') !== String(text)) return document.createTextNode(String(text ?? ''));
  const out = document.createDocumentFragment();
  const parts = fragment.split(/(<em>|<\/em>)/);
  let inMark = false;
  for (const p of parts) {
    if (p === '<em>') inMark = true;
    else if (p === '</em>') inMark = false;
    else if (p) out.append(inMark ? h('mark', null, p) : document.createTextNode(p));
  }
  return out;
}
