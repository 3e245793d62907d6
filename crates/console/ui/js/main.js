// The console's shell: hash routes to pages, the session, the navigation. Each page module
// exports `render(main, params)` that fills <main> and may return a function to call when the
// page is left (to stop polling).
import { api, setSession, whenLoggedOut } from './api.js';
import { announce } from './dom.js';
import * as login from './login.js';
import * as overview from './overview.js';
import * as registries from './registries.js';
import * as images from './images.js';
import * as image from './image.js';
import * as vulnerability from './vulnerability.js';
import * as policies from './policies.js';
import * as credentials from './credentials.js';

const PAGES = { login, overview, registries, images, image, vulnerability, policies, credentials };
const main = document.getElementById('main');
let session = null;
let leave = null;

/** '#/images?severity=high' → {page: 'images', arg: '', query: URLSearchParams}. */
function parseHash() {
  const h = location.hash.replace(/^#\/?/, '');
  const [path, q = ''] = h.split('?');
  const [page, ...rest] = path.split('/');
  return { page: page || 'overview', arg: decodeURIComponent(rest.join('/')), query: new URLSearchParams(q) };
}

function showChrome(on) {
  document.getElementById('nav').hidden = !on;
  document.getElementById('who').hidden = !on;
  if (session) document.getElementById('who-name').textContent = session.username;
}

async function route() {
  if (leave) { leave(); leave = null; }
  let { page, arg, query } = parseHash();
  if (!session && page !== 'login') {
    try {
      session = (await api('/ui/session')).data;
      setSession(session);
    } catch {
      location.hash = '#/login';
      return;
    }
  }
  if (!PAGES[page]) page = 'overview';
  showChrome(!!session && page !== 'login');
  for (const a of document.querySelectorAll('nav a')) {
    const target = a.getAttribute('href').slice(2);
    if (target === page || (page === 'image' && target === 'images')) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  main.replaceChildren();
  main.removeAttribute('aria-busy');
  try {
    leave = (await PAGES[page].render(main, { arg, query, session, onLogin })) || null;
  } catch (e) {
    main.replaceChildren();
    const p = document.createElement('p');
    p.className = 'error';
    p.setAttribute('role', 'alert');
    p.textContent = e.message;
    main.appendChild(p);
  }
  const h1 = main.querySelector('h1');
  document.title = h1 ? `${h1.textContent} · Crowsnest` : 'Crowsnest';
  announce(document.title);
  main.setAttribute('data-ready', page);
  // For measurements (examples/ui_images): when this page's data is in the DOM.
  performance.mark('crowsnest:ready');
}

function onLogin(s) {
  session = s;
  setSession(s);
  location.hash = '#/overview';
}

whenLoggedOut(() => {
  session = null;
  setSession(null);
  if (!location.hash.startsWith('#/login')) location.hash = '#/login';
});

document.getElementById('logout').addEventListener('click', async () => {
  try { await api('/ui/logout', { method: 'POST' }); } catch { /* the session is gone either way */ }
  session = null;
  setSession(null);
  location.hash = '#/login?out=1';
});

window.addEventListener('hashchange', () => { route(); main.focus(); });
route();
