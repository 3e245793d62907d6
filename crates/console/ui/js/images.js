// Images: one row per stored result, filtered, sorted and paged by the Console (the page never
// holds more than one page of rows, so 100,000 stored images cost what 50 do).
import { api, V } from './api.js';
import { h, table, field, errorBox, announce } from './dom.js';
import { sevBadge, when, num, imageLink, SEVERITIES } from './format.js';

const PAGE = 50;
const SORTS = [['name', 'Name'], ['scanTime', 'Scan time'], ['vulnerabilities', 'Vulnerabilities'],
  ['repository', 'Repository'], ['registry', 'Registry'], ['tag', 'Tag']];
const FILTERS = ['search', 'registry', 'repository', 'severity', 'fixable', 'sort', 'reverse', 'offset'];

export async function render(main, { query }) {
  const q = new URLSearchParams();
  for (const k of FILTERS) if (query.get(k)) q.set(k, query.get(k));
  const search = h('input', { type: 'search', name: 'search', value: q.get('search') || '', placeholder: 'name contains…' });
  const registry = h('input', { name: 'registry', value: q.get('registry') || '', placeholder: 'e.g. 127.0.0.1:5000' });
  const repository = h('input', { name: 'repository', value: q.get('repository') || '', placeholder: 'e.g. apps/api' });
  const severity = h('select', { name: 'severity' }, h('option', { value: '' }, 'any'),
    SEVERITIES.map((s) => h('option', { value: s }, `${s} or worse`)));
  severity.value = q.get('severity') || '';
  const fixable = h('input', { type: 'checkbox', id: 'f-fixable', name: 'fixable', checked: q.get('fixable') === 'true' });
  const sort = h('select', { name: 'sort' }, SORTS.map(([v, l]) => h('option', { value: v }, l)));
  sort.value = q.get('sort') || 'name';
  const reverse = h('input', { type: 'checkbox', id: 'f-reverse', name: 'reverse', checked: q.get('reverse') === 'true' });
  const form = h('form', { class: 'filters', role: 'search', 'aria-label': 'Filter images' },
    field('f-search', 'Search', search), field('f-registry', 'Registry', registry),
    field('f-repository', 'Repository', repository), field('f-severity', 'Severity', severity),
    h('div', { class: 'check' }, fixable, h('label', { for: 'f-fixable' }, 'Fixable only')),
    field('f-sort', 'Sort by', sort),
    h('div', { class: 'check' }, reverse, h('label', { for: 'f-reverse' }, 'Descending')),
    h('button', { type: 'submit' }, 'Apply'));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const n = new URLSearchParams();
    if (search.value.trim()) n.set('search', search.value.trim());
    if (registry.value.trim()) n.set('registry', registry.value.trim());
    if (repository.value.trim()) n.set('repository', repository.value.trim());
    if (severity.value) n.set('severity', severity.value);
    if (fixable.checked) n.set('fixable', 'true');
    if (sort.value !== 'name') n.set('sort', sort.value);
    if (reverse.checked) n.set('reverse', 'true');
    location.hash = `#/images?${n}`;
  });
  // The CSV of the current filter: the API's own download takes registry, repository, search.
  const csv = new URLSearchParams();
  for (const k of ['search', 'registry', 'repository']) if (q.get(k)) csv.set(k, q.get(k));
  const csvLink = h('a', { class: 'button secondary', id: 'csv', href: `${V}/registry/download?${csv}`, download: 'registry_report.csv' }, 'Download CSV');
  const note = (q.get('severity') || q.get('fixable'))
    ? h('span', { class: 'muted' }, 'The CSV has every finding of the images matching search, registry and repository.') : null;
  const body = h('div', { 'aria-busy': 'true' }, h('p', { class: 'muted' }, 'Loading…'));
  main.append(h('h1', {}, 'Images'), form, h('div', { class: 'actions' }, csvLink, note), body);

  const offset = Number(q.get('offset') || 0);
  const req = new URLSearchParams(q);
  req.set('limit', String(PAGE));
  let page;
  try {
    page = (await api(`/ui/api/images?${req}`)).data;
  } catch (e) {
    body.replaceChildren(errorBox(e.message));
    return;
  }
  body.removeAttribute('aria-busy');
  const go = (o) => { const n = new URLSearchParams(q); if (o > 0) n.set('offset', String(o)); else n.delete('offset'); location.hash = `#/images?${n}`; };
  const onSort = (key) => {
    const n = new URLSearchParams(q);
    n.delete('offset');
    if ((q.get('sort') || 'name') === key) n.set('reverse', q.get('reverse') === 'true' ? 'false' : 'true');
    else { n.set('sort', key); n.delete('reverse'); }
    location.hash = `#/images?${n}`;
  };
  const cols = [
    { label: 'Repository', sort: 'repository', cls: 'wrap' }, { label: 'Tag', sort: 'tag', cls: 'wrap hide-narrow' },
    { label: 'OS', cls: 'hide-narrow' },
    { label: 'Critical', num: true }, { label: 'High', num: true }, { label: 'Medium', num: true, cls: 'hide-narrow' },
    { label: 'Low', num: true, cls: 'hide-narrow' }, { label: 'Fixable', num: true, cls: 'hide-narrow' },
    { label: 'Risk', num: true, cls: 'hide-narrow' }, { label: 'Compliance', num: true, cls: 'hide-narrow' },
    { label: 'Scanned', sort: 'scanTime', cls: 'hide-narrow' },
  ];
  const rows = page.rows.map((r) => [
    h('span', {}, imageLink(r.key, r.repo), h('span', { class: 'show-narrow' }, `:${r.tag}`), r.registry ? h('span', { class: 'muted' }, h('br'), r.registry) : null,
      r.err ? h('span', { class: 'bad' }, h('br'), 'failed: ', r.err) : null),
    r.tag, r.os || '—',
    sevBadge('critical', r.vulnerabilities.critical), sevBadge('high', r.vulnerabilities.high),
    sevBadge('medium', r.vulnerabilities.medium), sevBadge('low', r.vulnerabilities.low),
    num(r.fixable), num(r.riskScore), num(r.compliance), when(r.scanTime),
  ]);
  const total = page.total ?? null;
  const shown = page.rows.length ? `${num(offset + 1)}–${num(offset + page.rows.length)}` : '0';
  const summary = total === null ? `Images ${shown} (more match)` : `Images ${shown} of ${num(total)}`;
  body.replaceChildren(
    page.rows.length ? table('Scanned images', cols, rows, { onSort, sort: q.get('sort') || 'name', reverse: q.get('reverse') === 'true' })
      : h('p', { class: 'notice' }, 'No image matches.'),
    h('nav', { class: 'pager', 'aria-label': 'Pages' },
      h('button', { type: 'button', class: 'secondary', disabled: offset === 0, onclick: () => go(Math.max(0, offset - PAGE)) }, 'Previous'),
      h('span', { id: 'count' }, summary),
      h('button', { type: 'button', class: 'secondary', disabled: !page.more, onclick: () => go(offset + PAGE) }, 'Next')));
  announce(summary);
}
