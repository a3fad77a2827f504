/**
 * The dashboard's shell: the API key form, the header (navigation, project, sign out), the alert
 * region, and hash routing to the four pages.
 */
import './styles.css';
import { Api, ApiError, loadApiUrl } from './api.js';
import { calls } from './calls.js';
import { cost } from './cost.js';
import { h, replaceChildren } from './dom.js';
import { overview } from './overview.js';
import { trace } from './trace.js';
import { HEADING_ID, type View } from './view.js';

/** The key lives in this tab's session only: never localStorage, a cookie or the URL. */
const KEY_STORAGE = 'evalforge.apiKey';

const ROUTES: Record<string, View> = { overview, calls, trace, cost };
const NAV: readonly (readonly [route: string, text: string])[] = [
  ['overview', 'Overview'],
  ['calls', 'Calls'],
  ['cost', 'Cost'],
];

let apiUrl = '';
let stopView: (() => void) | undefined;
let renders = 0;
let shownRoute = '';

function signIn(message?: string): void {
  stopView?.();
  stopView = undefined;
  const input = h('input', {
    id: 'api-key',
    name: 'api-key',
    type: 'password',
    autocomplete: 'off',
    spellcheck: 'false',
    required: true,
  });
  const form = h(
    'form',
    { class: 'sign-in', 'aria-labelledby': 'sign-in-heading' },
    h('h1', { id: 'sign-in-heading' }, 'EvalForge'),
    h('p', {}, 'Paste an API key to see its project’s calls, costs and traces.'),
    message ? h('p', { class: 'alert', role: 'alert', 'data-testid': 'sign-in-error' }, message) : null,
    h('div', { class: 'field' }, h('label', { for: 'api-key' }, 'API key'), input),
    h('p', { class: 'hint' }, 'Kept in this browser tab only, until you sign out or close it.'),
    h('button', { type: 'submit' }, 'Open the dashboard'),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const key = input.value.trim();
    if (!key) return;
    sessionStorage.setItem(KEY_STORAGE, key);
    showApp(key);
  });
  replaceChildren(document.body, h('main', { id: 'main' }, form));
  input.focus();
}

function signOut(message?: string): void {
  sessionStorage.removeItem(KEY_STORAGE);
  signIn(message);
}

let shell: { main: HTMLElement; alert: HTMLElement; project: HTMLElement; nav: HTMLElement } | undefined;

function showApp(key: string): void {
  const api = new Api(apiUrl, key);
  const project = h('strong', { 'data-testid': 'project' }, '…');
  const nav = h(
    'nav',
    { 'aria-label': 'Pages' },
    h(
      'ul',
      {},
      ...NAV.map(([route, text]) => h('li', {}, h('a', { href: `#/${route}`, 'data-route': route }, text))),
    ),
  );
  const alert = h('div', { class: 'alert-region', role: 'alert', 'data-testid': 'alert' });
  const main = h('main', { id: 'main' });
  replaceChildren(
    document.body,
    h('a', { class: 'skip', href: '#main', onclick: skipToMain }, 'Skip to content'),
    h(
      'header',
      { class: 'top' },
      h('span', { class: 'brand' }, 'EvalForge'),
      nav,
      h('span', { class: 'project' }, 'Project ', project),
      h('button', { type: 'button', class: 'secondary', onclick: () => signOut() }, 'Sign out'),
    ),
    alert,
    main,
  );
  shell = { main, alert, project, nav };
  route(api, false);
  window.onhashchange = () => route(api, true);
}

function skipToMain(event: Event): void {
  event.preventDefault();
  document.getElementById(HEADING_ID)?.focus();
}

function route(api: Api, moved: boolean): void {
  if (!shell) return;
  const { main, alert, project, nav } = shell;
  const hash = location.hash.replace(/^#\/?/, '');
  const at = hash.indexOf('?');
  const path = at < 0 ? hash : hash.slice(0, at);
  const [name = '', ...rest] = path.split('/');
  const view = ROUTES[name];
  if (!view) {
    location.replace('#/overview');
    return;
  }
  stopView?.();
  const render = ++renders;
  replaceChildren(main);
  for (const link of nav.querySelectorAll('a')) {
    if (link.dataset.route === name) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  const current = () => render === renders && shell?.main === main;
  stopView = view({
    api,
    main,
    rest: rest.map(decodeURIComponent).join('/'),
    params: new URLSearchParams(at < 0 ? '' : hash.slice(at + 1)),
    current,
    answered: (name) => {
      if (!current()) return;
      project.textContent = name;
      replaceChildren(alert);
    },
    failed: (error) => {
      if (!current()) return;
      if (error instanceof ApiError && error.unauthorized) {
        signOut(`This API key was not accepted: ${error.message}`);
        return;
      }
      replaceChildren(alert, h('p', {}, describe(error)));
    },
  });
  // A new page takes the focus to its heading; new filters on the same page leave it where it is.
  if (moved && name !== shownRoute) document.getElementById(HEADING_ID)?.focus();
  shownRoute = name;
}

function describe(error: unknown): string {
  if (error instanceof ApiError) {
    const retry = error.retryAfter === undefined ? '' : ` Try again in ${error.retryAfter} s.`;
    return error.status === 0
      ? `The API did not answer: ${error.message}.`
      : `The API answered ${error.status} (${error.code}): ${error.message}.${retry}`;
  }
  return `Something failed: ${error instanceof Error ? error.message : String(error)}`;
}

async function start(): Promise<void> {
  try {
    apiUrl = await loadApiUrl();
  } catch (error) {
    replaceChildren(
      document.body,
      h(
        'main',
        {},
        h(
          'p',
          { class: 'alert', role: 'alert' },
          `The dashboard has no configuration: ${(error as Error).message}.`,
        ),
      ),
    );
    return;
  }
  const key = sessionStorage.getItem(KEY_STORAGE);
  if (key) showApp(key);
  else signIn();
}

void start();
