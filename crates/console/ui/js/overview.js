// Overview: totals, the images and CVEs that matter most, the last scan and the database age.
import { api, V } from './api.js';
import { h, replace, table, errorBox } from './dom.js';
import { sevBadge, when, ago, num, imageLink, imageName, cveLink, SEVERITIES } from './format.js';

const card = (n, label, extra) => h('div', { class: 'card' }, h('span', { class: 'n' }, n), h('span', { class: 'l' }, label), extra);

export async function render(main) {
  // The scan and database state come at once; the totals read every stored result, so they
  // fill in after (the page is usable meanwhile).
  const [status, intel] = await Promise.all([
    api(`${V}/statuses/registry`).then((r) => r.data).catch(() => null),
    api(`${V}/statuses/intelligence`).then((r) => r.data).catch(() => null),
  ]);
  const db = (intel && intel.intelligence) || {};
  const dbTime = db.lastUpdate;
  const totals = h('div', { 'aria-busy': 'true' }, h('p', { class: 'muted' }, 'Counting every stored result…'));
  main.append(
    h('h1', {}, 'Overview'),
    h('div', { class: 'grid2' },
      h('section', { class: 'panel', 'aria-labelledby': 'h-scan' }, h('h2', { id: 'h-scan' }, 'Last scan'),
        status ? h('dl', { class: 'kv' },
          h('dt', {}, 'State'), h('dd', {}, status.scanning ? 'scanning' : status.completed ? 'completed' : 'not run'),
          h('dt', {}, 'Started'), h('dd', {}, when(status.scanTime)),
          h('dt', {}, 'Errors'), h('dd', {}, (status.errors || []).length ? h('ul', {}, status.errors.slice(0, 5).map((e) => h('li', {}, e))) : 'none'))
          : h('p', { class: 'muted' }, 'unknown')),
      h('section', { class: 'panel', 'aria-labelledby': 'h-db' }, h('h2', { id: 'h-db' }, 'Vulnerability database'),
        h('dl', { class: 'kv' },
          h('dt', {}, 'State'), h('dd', {}, db.connected ? h('span', { class: 'ok' }, 'ready') : h('span', { class: 'bad' }, 'missing')),
          h('dt', {}, 'Built'), h('dd', {}, dbTime ? `${when(dbTime)} (${ago(dbTime)})` : '—')))),
    totals);
  let summary;
  try {
    summary = (await api('/ui/api/summary')).data;
  } catch (e) {
    replace(totals, errorBox(e.message));
    totals.removeAttribute('aria-busy');
    return;
  }
  const v = summary.vulnerabilities;
  totals.removeAttribute('aria-busy');
  replace(totals,
    h('div', { class: 'cards' },
      card(num(summary.registries), 'registries'), card(num(summary.images), 'images'),
      card(num(summary.scanned), 'scanned'), card(h('span', { class: summary.failed ? 'bad' : '' }, num(summary.failed)), 'failed'),
      SEVERITIES.map((s) => card(sevBadge(s, v[s]), `${s} findings`)),
      card(num(summary.fixable), 'fixable findings')),
    h('div', { class: 'grid2' },
      h('section', { 'aria-labelledby': 'h-top' }, h('h2', { id: 'h-top' }, 'Most critical images'),
        summary.topImages.length ? table('Images with the most critical findings', [{ label: 'Image', cls: 'wrap' }, { label: 'Critical', num: true }, { label: 'High', num: true }],
          summary.topImages.map((r) => [imageLink(r.key, imageName(r)), sevBadge('critical', r.vulnerabilities.critical), sevBadge('high', r.vulnerabilities.high)]))
          : h('p', { class: 'notice' }, 'No image has critical or high findings.')),
      h('section', { 'aria-labelledby': 'h-cves' }, h('h2', { id: 'h-cves' }, 'CVEs that matter most'),
        summary.topCves.length ? table('CVEs by exploitation, severity and reach', [{ label: 'CVE' }, { label: 'Severity' }, { label: 'Images', num: true }, { label: 'KEV' }],
          summary.topCves.map((c) => [cveLink(c.cve), sevBadge(c.severity), num(c.images), c.kev ? 'yes' : '—']))
          : h('p', { class: 'notice' }, 'No findings.'))),
    h('section', { 'aria-labelledby': 'h-new' }, h('h2', { id: 'h-new' }, 'Newest scans'),
      summary.newestImages.length ? table('Newest scans', [{ label: 'Image', cls: 'wrap' }, { label: 'Scanned' }, { label: 'Critical', num: true }, { label: 'High', num: true }],
        summary.newestImages.map((r) => [imageLink(r.key, imageName(r)), when(r.scanTime), sevBadge('critical', r.vulnerabilities.critical), sevBadge('high', r.vulnerabilities.high)]))
        : h('p', { class: 'notice' }, 'Nothing scanned yet: add a registry.')),
  );
}
