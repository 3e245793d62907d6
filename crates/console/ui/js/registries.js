// Registries: the scan specifications with their status, add / edit / delete (the API's
// validation messages shown as they come), start and stop a scan, and live progress.
import { api, V } from './api.js';
import { h, replace, table, field, errorBox, announce } from './dom.js';
import { when, num } from './format.js';

const OS = ['linux', 'linuxARM64', 'windows'];

export async function render(main) {
  const [settings, creds] = await Promise.all([
    api(`${V}/settings/registry`).then((r) => r.data),
    api(`${V}/credentials`).then((r) => r.data).catch(() => []),
  ]);
  const specs = settings.specifications || [];
  const progress = h('section', { class: 'panel', 'aria-labelledby': 'h-progress' }, h('h2', { id: 'h-progress' }, 'Scan'));
  const progressBody = h('div', { id: 'progress' });
  const msg = h('div', { 'aria-live': 'polite' });
  const start = h('button', { type: 'button', id: 'start-scan', onclick: () => act(`${V}/registry/scan`, 'Scan started') }, 'Start scan');
  const stop = h('button', { type: 'button', class: 'danger', id: 'stop-scan', onclick: () => act(`${V}/registry/stop`, 'Scan stopped') }, 'Stop scan');
  progress.append(h('div', { class: 'actions' }, start, stop), msg, progressBody);

  async function act(path, done) {
    msg.replaceChildren();
    try { await api(path, { method: 'POST' }); announce(done); msg.append(h('p', { class: 'notice' }, done)); poll(); } catch (e) { msg.append(errorBox(e.message)); }
  }

  const editor = h('section', { class: 'panel', 'aria-labelledby': 'h-edit' });
  function showEditor(spec, index) {
    const isNew = index < 0;
    const s = spec || { version: '2', registry: '', repository: '', tag: '', os: 'linux', cap: 5, scanners: 2, collections: ['All'], credentialID: '' };
    const registry = h('input', { name: 'registry', value: s.registry, placeholder: 'https://registry.example:5000 (empty: Docker Hub)' });
    const repository = h('input', { name: 'repository', value: s.repository, placeholder: 'apps/* (empty: all)' });
    const tag = h('input', { name: 'tag', value: s.tag, placeholder: 'empty: all tags' });
    const os = h('select', { name: 'os' }, OS.map((o) => h('option', { value: o }, o)));
    os.value = s.os || 'linux';
    const cap = h('input', { name: 'cap', type: 'number', min: '0', value: String(s.cap ?? 5) });
    const scanners = h('input', { name: 'scanners', type: 'number', min: '1', value: String(s.scanners ?? 2) });
    const cred = h('select', { name: 'credential' }, h('option', { value: '' }, 'none'), creds.map((c) => h('option', { value: c._id }, c._id)));
    cred.value = s.credentialID || '';
    const err = h('div', { 'aria-live': 'assertive' });
    const form = h('form', { class: 'filters', id: 'spec-form' },
      field('s-registry', 'Registry', registry), field('s-repository', 'Repository', repository), field('s-tag', 'Tag', tag),
      field('s-os', 'OS', os), field('s-cap', 'Cap (newest tags per repository, 0: all)', cap), field('s-scanners', 'Scanners', scanners),
      field('s-cred', 'Credential', cred),
      h('div', { class: 'actions' }, h('button', { type: 'submit' }, isNew ? 'Add registry' : 'Save'),
        h('button', { type: 'button', class: 'secondary', onclick: () => editor.replaceChildren() }, 'Cancel')));
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      err.replaceChildren();
      const next = { ...s, registry: registry.value.trim(), repository: repository.value.trim(), tag: tag.value.trim(), os: os.value,
        cap: Number(cap.value), scanners: Number(scanners.value), credentialID: cred.value };
      try {
        if (isNew) await api(`${V}/settings/registry?scanLater=true`, { method: 'POST', body: next });
        else await api(`${V}/settings/registry?scanLater=true`, { method: 'PUT', body: { specifications: specs.map((x, i) => (i === index ? next : x)) } });
        location.hash = '#/registries?saved=' + Date.now();
      } catch (e) { err.append(errorBox(e.message)); }
    });
    editor.replaceChildren(h('h2', { id: 'h-edit' }, isNew ? 'Add a registry' : 'Edit registry'), err, form);
    registry.focus();
  }

  async function remove(index) {
    if (!window.confirm(`Delete the specification for ${specs[index].registry || 'Docker Hub'} ${specs[index].repository}?`)) return;
    try {
      await api(`${V}/settings/registry`, { method: 'PUT', body: { specifications: specs.filter((_, i) => i !== index) } });
      location.hash = '#/registries?deleted=' + Date.now();
    } catch (e) { msg.replaceChildren(errorBox(e.message)); }
  }

  // Each specification's status, start and image counts come from the last regular scan's
  // progress (matched by id), refreshed by the poll below without reloading the page.
  const specCells = new Map();
  function cells(s) {
    if (!specCells.has(s.id)) {
      specCells.set(s.id, { status: h('span', {}, 'not scanned'), started: h('span', {}, '—'), images: h('span', {}, '—') });
    }
    return specCells.get(s.id);
  }
  function showSpecProgress(all) {
    for (const p of all) {
      const c = specCells.get(p.imageScan && p.imageScan.id);
      if (!c) continue;
      const err = (p.discovery && p.discovery.error) || '';
      replace(c.status, err ? h('span', { class: 'bad' }, 'failed: ', err) : p.isScanOngoing ? 'scanning' : 'scanned');
      replace(c.started, when(p.specScanStartTime));
      replace(c.images, `${num(p.imageScan.scanned)} / ${num(p.imageScan.total)}`);
    }
  }

  const list = specs.length ? table('Registry specifications', [
    { label: 'Registry', cls: 'wrap' }, { label: 'Repository', cls: 'wrap' }, { label: 'Tag', cls: 'hide-narrow' }, { label: 'Credential', cls: 'hide-narrow' },
    { label: 'Status' }, { label: 'Last scan', cls: 'hide-narrow' }, { label: 'Images scanned', num: true }, { label: 'Actions' },
  ], specs.map((s, i) => [
    s.registry || 'Docker Hub', s.repository || '(all)', s.tag || '(all)', s.credentialID || '—',
    cells(s).status, cells(s).started, cells(s).images,
    h('div', { class: 'actions' },
      h('button', { type: 'button', class: 'secondary', 'aria-label': `Edit ${s.registry} ${s.repository}`, onclick: () => showEditor(s, i) }, 'Edit'),
      h('button', { type: 'button', class: 'danger', 'aria-label': `Delete ${s.registry} ${s.repository}`, onclick: () => remove(i) }, 'Delete')),
  ])) : h('p', { class: 'notice' }, 'No registry yet.');

  main.append(h('h1', {}, 'Registries'), progress,
    h('div', { class: 'actions' }, h('button', { type: 'button', id: 'add-registry', onclick: () => showEditor(null, -1) }, 'Add registry')),
    editor, h('h2', {}, `Specifications (${num(specs.length)})`), list);

  let timer = null;
  let alive = true;
  async function poll() {
    clearTimeout(timer);
    if (!alive) return;
    try {
      const [p, st] = await Promise.all([api(`${V}/registry/progress`), api(`${V}/statuses/registry`)]);
      const all = p.data || [];
      const total = all.reduce((a, x) => a + (x.imageScan ? x.imageScan.total : 0), 0);
      const scanned = all.reduce((a, x) => a + (x.imageScan ? x.imageScan.scanned : 0), 0);
      const ongoing = all.some((x) => x.isScanOngoing);
      const s = st.data || {};
      showSpecProgress(all);
      replace(progressBody,
        h('p', { id: 'scan-state' }, ongoing ? 'Scanning' : s.completed ? 'Last scan completed' : 'No scan running',
          ` · ${num(scanned)} of ${num(total)} images scanned`, s.scanTime ? ` · started ${when(s.scanTime)}` : ''),
        h('progress', { max: String(Math.max(total, 1)), value: String(scanned), 'aria-label': 'Images scanned', id: 'scan-progress' }),
        (s.errors || []).length ? h('details', {}, h('summary', {}, `${num(s.errors.length)} errors`), h('ul', {}, s.errors.slice(0, 50).map((e) => h('li', {}, e)))) : null);
      progressBody.dataset.scanned = String(scanned);
      progressBody.dataset.total = String(total);
      progressBody.dataset.ongoing = String(ongoing);
      stop.disabled = !ongoing;
      timer = setTimeout(poll, ongoing ? 1000 : 5000);
    } catch (e) {
      progressBody.replaceChildren(errorBox(e.message));
    }
  }
  poll();
  return () => { alive = false; clearTimeout(timer); };
}
