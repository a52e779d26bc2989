// The department console: signs in with a token (pasted, or in the `#token=` fragment, never a
// query parameter), shows who is signed in, and routes between the overview and a policy's page.

import { ApiError, SignedOut, forget, gql, setToken, token } from './api.js';
import { h, fill } from './dom.js';
import { lang, setLang, t } from './i18n.js';
import { editor } from './editor.js';
import { overview } from './overview.js';
import { policyPage } from './policy.js';
import { stopLive } from './live.js';

const view = document.getElementById('view');
let viewer = null;

/** `#/policy/ID?from=…` → { path: 'policy', id, params } */
function route() {
  const [path, query] = location.hash.replace(/^#/, '').split('?');
  const parts = path.split('/').filter(Boolean);
  return {
    name: parts[0] ?? '', id: parts[1], edit: parts[2] === 'edit', params: new URLSearchParams(query ?? ''),
  };
}

/** Shows `path`; the same address again (after a change made on the page) is shown anew. */
function go(path, params) {
  const query = params?.toString();
  const hash = `#${path}${query ? `?${query}` : ''}`;
  if (location.hash === hash) render();
  else location.hash = hash;
}

function chrome() {
  document.documentElement.lang = lang() === 'en' ? 'en' : 'zh-CN';
  document.title = `${t('brand')} · ${t('overview')}`;
  document.getElementById('brand').textContent = t('brand');
  document.querySelector('.skip').textContent = t('skip');
  const switcher = document.getElementById('lang');
  switcher.textContent = t('switchLang');
  switcher.setAttribute('lang', lang() === 'en' ? 'zh-CN' : 'en');
  const out = document.getElementById('signout');
  out.textContent = t('signOut');
  out.hidden = !token();
  const who = document.getElementById('who');
  who.textContent = viewer
    ? `${t('signedInAs')}: ${t(viewer.role)}${viewer.department ? ` · ${viewer.department.name}` : ''}${viewer.subject ? ` (${viewer.subject})` : ''}`
    : '';
}

function signIn(message) {
  viewer = null;
  chrome();
  const input = h('textarea', { id: 'token', name: 'token', rows: 4, required: true, autocomplete: 'off', spellcheck: 'false' });
  fill(view,
    h('h1', {}, t('signInTitle')),
    message ? h('p', { class: 'error', role: 'alert' }, message) : '',
    h('form', {
      class: 'signin', onsubmit: (event) => {
        event.preventDefault();
        setToken(input.value);
        render();
      },
    },
    h('p', {}, t('signInHelp')),
    h('label', { for: 'token' }, t('token')), input,
    h('button', { type: 'submit' }, t('signIn'))));
  input.focus();
}

async function render() {
  // A page that follows figures live stops when another is shown.
  stopLive();
  if (!token()) return signIn();
  try {
    if (!viewer) {
      viewer = (await gql('{ me { role subject department { code name } } }')).me;
    }
    chrome();
    if (!['DEPARTMENT', 'SYSTEM', 'ADMIN'].includes(viewer.role)) {
      fill(view, h('p', { class: 'error', role: 'alert' }, t('forbidden')));
      return;
    }
    const current = route();
    if (current.name === 'new') {
      await editor(view, undefined, viewer, go);
    } else if (current.name === 'policy' && current.id && current.edit) {
      await editor(view, current.id, viewer, go);
    } else if (current.name === 'policy' && current.id) {
      await policyPage(view, current, viewer, go);
    } else {
      await overview(view, current, viewer, go);
    }
    document.title = `${t('brand')} · ${view.querySelector('h1')?.textContent ?? ''}`;
  } catch (error) {
    if (error instanceof SignedOut) return signIn(t('signedOut'));
    fill(view, h('h1', {}, t('error')), h('p', { class: 'error', role: 'alert' },
      error instanceof ApiError && error.code ? `${error.code}: ${error.message}` : String(error.message ?? error)));
  }
}

// A token handed over in the fragment (a link the single window or the demo printed) is kept
// in session storage and taken out of the address bar and the history.
const handed = new URLSearchParams(location.hash.replace(/^#/, '')).get('token');
if (handed) {
  setToken(handed);
  history.replaceState(null, '', `${location.pathname}#/`);
}

document.getElementById('lang').addEventListener('click', () => {
  setLang(lang() === 'en' ? 'zh' : 'en');
  render();
});
document.getElementById('signout').addEventListener('click', () => {
  forget();
  viewer = null;
  location.hash = '#/';
  signIn();
});
window.addEventListener('hashchange', () => {
  render().then(() => view.focus({ preventScroll: true }));
});
render();
