// Policies: the vulnerability and compliance rules, read as tables and edited as the API's JSON.
import { api, V } from './api.js';
import { h, table, errorBox, announce } from './dom.js';

const KINDS = [
  ['vulnerability', 'Vulnerability policy (images)', `${V}/policies/vulnerability/images`],
  ['compliance', 'Compliance policy (containers)', `${V}/policies/compliance/container`],
];

export async function render(main) {
  main.append(h('h1', {}, 'Policies'));
  for (const [key, title, path] of KINDS) {
    const section = h('section', { class: 'panel', 'aria-labelledby': `h-${key}` }, h('h2', { id: `h-${key}` }, title));
    main.append(section);
    let doc;
    try { doc = (await api(path)).data; } catch (e) { section.append(errorBox(e.message)); continue; }
    const rules = (doc && doc.rules) || [];
    const thr = (r) => r.alertThreshold ? `alert ≥ ${r.alertThreshold.value ?? '—'}, block ${r.blockThreshold && r.blockThreshold.enabled ? `≥ ${r.blockThreshold.value}` : 'off'}` : '—';
    section.append(rules.length ? table(`${title} rules`, [{ label: 'Rule', cls: 'wrap' }, { label: 'Collections', cls: 'wrap' }, { label: 'Thresholds' }, { label: 'Only fixed' }, { label: 'State' }],
      rules.map((r) => [r.name, (r.collections || []).map((c) => c.name || c).join(', ') || '—', thr(r), r.onlyFixed ? 'yes' : 'no', r.disabled ? 'disabled' : 'enabled']))
      : h('p', { class: 'notice' }, 'No rules.'));
    const area = h('textarea', { id: `edit-${key}`, spellcheck: 'false' });
    area.value = JSON.stringify(doc, null, 2);
    const msg = h('div', { 'aria-live': 'assertive' });
    const save = h('button', { type: 'button', onclick: async () => {
      msg.replaceChildren();
      let body;
      try { body = JSON.parse(area.value); } catch (e) { msg.append(errorBox(`not JSON: ${e.message}`)); return; }
      try { await api(path, { method: 'PUT', body }); msg.append(h('p', { class: 'notice' }, 'Saved.')); announce('Policy saved'); } catch (e) { msg.append(errorBox(e.message)); }
    } }, 'Save');
    section.append(h('details', {}, h('summary', {}, 'Edit as JSON'), h('label', { for: `edit-${key}`, class: 'sr-only' }, `${title} JSON`), area, h('div', { class: 'actions' }, save), msg));
  }
}
