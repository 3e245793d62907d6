// Login: a real form (it also works as a plain POST to /ui/login without this script).
import { api } from './api.js';
import { h, field, errorBox } from './dom.js';

export function render(main, { query, onLogin }) {
  const user = h('input', { name: 'username', autocomplete: 'username', required: true });
  const pass = h('input', { name: 'password', type: 'password', autocomplete: 'current-password', required: true });
  const msg = h('div', { 'aria-live': 'assertive' });
  if (query.get('failed')) msg.appendChild(errorBox('invalid credentials'));
  if (query.get('out')) msg.appendChild(h('p', { class: 'notice' }, 'You are logged out.'));
  const form = h('form', { method: 'post', action: '/ui/login', id: 'login-form' },
    field('login-user', 'User name', user),
    field('login-pass', 'Password', pass),
    h('button', { type: 'submit' }, 'Log in'));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    msg.replaceChildren();
    try {
      const { data } = await api('/ui/login', { method: 'POST', body: { username: user.value, password: pass.value } });
      onLogin(data);
    } catch (e) {
      msg.appendChild(errorBox(e.message));
      pass.value = '';
      pass.focus();
    }
  });
  main.append(h('section', { class: 'login panel' }, h('h1', {}, 'Log in to Crowsnest'), msg, form));
  user.focus();
}
