// Credentials: list, add or replace, delete. Secrets are write-only: the API never returns them.
import { api, V } from './api.js';
import { h, table, field, errorBox } from './dom.js';
import { num } from './format.js';

const TYPES = ['basic', 'dockerhub', 'githubToken', 'gitlabToken', 'apiToken', 'certificate'];

export async function render(main) {
  const creds = (await api(`${V}/credentials`)).data || [];
  const msg = h('div', { 'aria-live': 'assertive' });
  const id = h('input', { name: 'id', required: true });
  const type = h('select', { name: 'type' }, TYPES.map((t) => h('option', { value: t }, t)));
  const account = h('input', { name: 'account', autocomplete: 'off' });
  const secret = h('input', { name: 'secret', type: 'password', autocomplete: 'new-password' });
  const form = h('form', { class: 'filters', id: 'cred-form' },
    field('c-id', 'Name', id), field('c-type', 'Type', type), field('c-account', 'Account (user)', account),
    field('c-secret', 'Secret', secret), h('button', { type: 'submit' }, 'Save credential'));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    msg.replaceChildren();
    try {
      await api(`${V}/credentials`, { method: 'POST', body: { _id: id.value.trim(), type: type.value, accountID: account.value, secret: { plain: secret.value } } });
      location.hash = '#/credentials?saved=' + Date.now();
    } catch (e) { msg.append(errorBox(e.message)); }
  });
  async function remove(c) {
    if (!window.confirm(`Delete credential ${c._id}?`)) return;
    try { await api(`${V}/credentials/${encodeURIComponent(c._id)}`, { method: 'DELETE' }); location.hash = '#/credentials?deleted=' + Date.now(); } catch (e) { msg.replaceChildren(errorBox(e.message)); }
  }
  main.append(h('h1', {}, 'Credentials'),
    h('section', { class: 'panel', 'aria-labelledby': 'h-add' }, h('h2', { id: 'h-add' }, 'Add or replace'), msg, form),
    h('h2', {}, `Stored (${num(creds.length)})`),
    creds.length ? table('Credentials', [{ label: 'Name', cls: 'wrap' }, { label: 'Type' }, { label: 'Account', cls: 'wrap' }, { label: 'Last modified', cls: 'hide-narrow' }, { label: 'Actions' }],
      creds.map((c) => [c._id, c.type, c.accountID || '—', c.lastModified || '—',
        h('button', { type: 'button', class: 'danger', 'aria-label': `Delete ${c._id}`, onclick: () => remove(c) }, 'Delete')]))
      : h('p', { class: 'notice' }, 'No credentials.'));
}
