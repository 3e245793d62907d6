// Building the page from data without ever parsing data as markup: every string goes in as a
// text node or an attribute value, so a repository named `<img onerror=…>` shows as those
// characters. No module of the console assigns markup to an element.

/** h('a', {href: '#/x', class: 'y'}, 'text', child…): an element with attributes and children. */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'value') el.value = v;
    else if (k === 'checked') el.checked = !!v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === undefined || c === null || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else if (c instanceof Node) el.appendChild(c);
    else el.appendChild(document.createTextNode(String(c)));
  }
}

/** Replaces the children of `el`. */
export function replace(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

/** A table: `cols` are [{label, num?, cls?, sort?}], `rows` arrays of cells (node or text). */
export function table(caption, cols, rows, { onSort, sort, reverse } = {}) {
  const head = h('tr', {}, cols.map((c) => {
    const label = c.sort && onSort
      ? h('button', { type: 'button', class: 'sort', onclick: () => onSort(c.sort) }, c.label)
      : c.label;
    const aria = c.sort && sort === c.sort ? (reverse ? 'descending' : 'ascending') : undefined;
    return h('th', { scope: 'col', class: [c.num ? 'num' : '', c.cls || ''].join(' ').trim() || undefined, 'aria-sort': aria }, label);
  }));
  const body = rows.map((r) => h('tr', {}, r.map((cell, i) =>
    h('td', { class: [cols[i].num ? 'num' : '', cols[i].cls || ''].join(' ').trim() || undefined }, cell))));
  // Focusable, so a keyboard can scroll a table wider than a phone.
  return h('div', { class: 'table-wrap', tabindex: '0', role: 'region', 'aria-label': caption },
    h('table', {}, h('caption', { class: 'sr-only' }, caption), h('thead', {}, head), h('tbody', {}, body)));
}

/** Announces `text` to screen readers. */
export function announce(text) {
  const s = document.getElementById('status');
  if (s) s.textContent = text;
}

/** A labelled input. */
export function field(id, label, input) {
  input.id = id;
  return h('div', { class: 'field' }, h('label', { for: id }, label), input);
}

export function errorBox(message) {
  return h('p', { class: 'error', role: 'alert' }, message);
}
