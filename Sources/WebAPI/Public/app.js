// The dashboard's shell: hash routes, who is signed in, sign-out, and the way back to sign-in
// when a token stops working.
import { api, session, SESSION_ENDED } from './api.js';
import { signInView, registerView } from './view-auth.js';
import { homeView } from './view-home.js';
import { forecastView } from './view-forecast.js';
import { seriesView } from './view-series.js';
import { adminView } from './view-admin.js';

const view = document.getElementById('view');
const nav = document.getElementById('nav');
const flash = document.getElementById('flash');
let me = null;

function say(message, kind = 'info') {
  flash.textContent = message || '';
  flash.className = `flash ${kind}`;
  flash.hidden = !message;
}

async function whoAmI() {
  if (me || !session.token) return me;
  try {
    me = (await api('/api/auth/me')).data;
  } catch (error) {
    me = null;
    // A 401 has already ended the session; anything else leaves it and says so.
    if (error.status !== 401) say(`Could not load your account: ${error.message}`, 'error');
  }
  document.getElementById('whoami').textContent = me ? me.username : '';
  document.getElementById('nav-admin').hidden = !me?.is_admin;
  return me;
}

const routes = {
  signin: () => signInView(),
  register: () => registerView(),
  home: (arg) => homeView(arg),
  forecast: (arg) => forecastView(arg),
  series: () => seriesView(),
  admin: () => (me?.is_admin ? adminView() : null),
};
const PUBLIC = new Set(['signin', 'register']);

async function render() {
  const [name = 'home', arg] = location.hash.replace(/^#\/?/, '').split('/').map(decodeURIComponent);
  const route = routes[name] ? name : 'home';
  if (!PUBLIC.has(route) && !session.token) { location.replace('#/signin'); return; }
  if (PUBLIC.has(route) && session.token) { location.replace('#/home'); return; }
  if (!PUBLIC.has(route)) {
    await whoAmI();
    if (!session.token) return;  // the token was refused: SESSION_ENDED went to sign-in
  }
  nav.hidden = PUBLIC.has(route);
  for (const link of nav.querySelectorAll('[data-nav]')) link.classList.toggle('active', link.dataset.nav === route);
  const page = routes[route](arg) || routes.home();
  view.replaceChildren(page);
  document.title = `StockHub · ${route}${arg ? ` ${arg}` : ''}`;
}

function signedOut(message, kind) {
  me = null;
  session.clear();
  say(message, kind);
  if (location.hash === '#/signin') render(); else location.hash = '#/signin';
}

window.addEventListener(SESSION_ENDED, (event) => signedOut(event.detail, 'error'));
window.addEventListener('hashchange', () => {
  // A message belongs to the page it was shown on, except on the way to sign-in.
  if (!location.hash.startsWith('#/signin')) say('');
  render();
});
document.getElementById('signout').addEventListener('click', async () => {
  try { await api('/api/auth/logout', { method: 'POST' }); } catch { /* signed out locally either way */ }
  signedOut('You are signed out.', 'info');
});
render();
