// The app shell: header with navigation, search and the sync status, a hash router over the
// screens, and the keyboard shortcuts (Ctrl+K search, Alt+N note, Ctrl+S save).

import '@fontsource/atkinson-hyperlegible/400.css';
import '@fontsource/atkinson-hyperlegible/700.css';
import './style.css';
import { api, ApiError, markReady, onChange, type Status, type Vocabularies } from './api';
import { h, plural } from './dom';
import { todayView } from './views/today';
import { caseloadView } from './views/caseload';
import { referralView } from './views/referral';
import { personView } from './views/person';
import { directoryView, serviceView, serviceFormView } from './views/directory';
import { setupView } from './views/setup';
import { searchBox } from './views/search';

export interface Ctx {
  vocab: Vocabularies;
  status: Status;
  go: (hash: string) => void;
  refreshStatus: () => Promise<void>;
}

const app = document.getElementById('app')!;
let ctx: Ctx;
let syncEl: HTMLElement;

function shell(): { main: HTMLElement } {
  const nav = h('nav', { 'aria-label': 'Main' },
    h('ul', {},
      [['#/today', 'Today'], ['#/caseload', 'Caseload'], ['#/referral/new', 'New referral'], ['#/directory', 'Directory']]
        .map(([href, text]) => h('li', {}, h('a', { href, 'data-nav': href }, text)))));
  syncEl = h('div', { class: 'sync', role: 'status', 'aria-live': 'polite', 'aria-label': 'Sync status' });
  const header = h('header', { class: 'top' },
    h('div', { class: 'brand' }, h('span', { class: 'logo', 'aria-hidden': 'true' }, '◎'), ' Linkwell'),
    nav, searchBox(() => ctx), syncEl);
  const main = h('main', { id: 'main', tabindex: '-1' });
  const footer = h('footer', { class: 'keys' },
    h('h2', { class: 'visually-hidden' }, 'Keyboard shortcuts'),
    h('ul', {},
      h('li', {}, h('kbd', {}, 'Ctrl'), '+', h('kbd', {}, 'K'), ' search'),
      h('li', {}, h('kbd', {}, 'Alt'), '+', h('kbd', {}, 'N'), ' add a note'),
      h('li', {}, h('kbd', {}, 'Ctrl'), '+', h('kbd', {}, 'S'), ' save the form you are in'),
      h('li', {}, h('kbd', {}, 'Alt'), '+', h('kbd', {}, '1–4'), ' screens')));
  app.replaceChildren(header, main, footer, h('div', { id: 'announcer', class: 'visually-hidden', 'aria-live': 'polite' }));
  return { main };
}

async function refreshStatus(): Promise<void> {
  try {
    const pending = await api.pendingCount();
    ctx.status.pending = pending;
    syncEl.replaceChildren(
      h('span', { class: 'dot', 'aria-hidden': 'true' }),
      h('span', {}, 'Working offline (that is normal)'),
      h('span', { class: 'pending' }, pending === 0 ? 'All changes synced' : `${plural(pending, 'change')} waiting to sync`),
    );
  } catch {
    syncEl.textContent = 'Status unavailable';
  }
}

async function route(): Promise<void> {
  const hash = location.hash || '#/today';
  const [path, query = ''] = hash.slice(1).split('?');
  const params = new URLSearchParams(query);
  const parts = path.split('/').filter(Boolean);
  const main = document.getElementById('main')!;
  document.querySelectorAll<HTMLAnchorElement>('[data-nav]').forEach((a) => {
    const current = hash.startsWith(a.dataset.nav!);
    if (current) a.setAttribute('aria-current', 'page'); else a.removeAttribute('aria-current');
  });
  let view: HTMLElement;
  try {
    switch (parts[0]) {
      case 'caseload': view = await caseloadView(ctx); break;
      case 'referral': view = await referralView(ctx); break;
      case 'person': view = await personView(ctx, parts[1], params.get('section') ?? undefined); break;
      case 'directory':
        if (parts[1] === 'new') view = await serviceFormView(ctx, undefined);
        else if (parts[1] && parts[2] === 'edit') view = await serviceFormView(ctx, parts[1]);
        else if (parts[1]) view = await serviceView(ctx, parts[1], params.get('for') ?? undefined);
        else view = await directoryView(ctx, params.get('for') ?? undefined);
        break;
      default: view = await todayView(ctx);
    }
  } catch (e) {
    const msg = e instanceof ApiError ? e.message : String(e);
    view = h('section', {}, h('h1', {}, 'Something went wrong'), h('p', {}, msg), h('p', {}, h('a', { href: '#/today' }, 'Back to Today')));
  }
  main.replaceChildren(view);
  const title = view.querySelector('h1')?.textContent ?? 'Linkwell';
  document.title = `${title} – Linkwell`;
  if (!view.dataset.keepFocus) main.focus({ preventScroll: false });
  window.scrollTo(0, 0);
}

function shortcuts(): void {
  document.addEventListener('keydown', (e) => {
    const key = e.key.toLowerCase();
    if ((e.ctrlKey || e.metaKey) && key === 'k') {
      e.preventDefault();
      document.getElementById('global-search')?.focus();
    } else if (e.altKey && key === 'n') {
      const note = document.getElementById('quick-note');
      if (note) { e.preventDefault(); note.focus(); note.scrollIntoView({ block: 'center' }); }
    } else if ((e.ctrlKey || e.metaKey) && key === 's') {
      e.preventDefault();
      const active = document.activeElement as HTMLElement | null;
      const form = active?.closest('form') ?? document.querySelector<HTMLFormElement>('main form[data-primary]');
      form?.requestSubmit();
    } else if (e.altKey && ['1', '2', '3', '4'].includes(key)) {
      e.preventDefault();
      location.hash = ['#/today', '#/caseload', '#/referral/new', '#/directory'][Number(key) - 1];
    }
  });
}

async function start(): Promise<void> {
  let status: Status;
  let vocab: Vocabularies;
  try {
    [status, vocab] = await Promise.all([api.status(), api.vocabularies()]);
  } catch (e) {
    app.replaceChildren(h('main', { id: 'main' }, h('h1', {}, 'Linkwell could not start'), h('p', {}, e instanceof Error ? e.message : String(e))));
    return;
  }
  ctx = { vocab, status, go: (hash) => { if (location.hash === hash) void route(); else location.hash = hash; }, refreshStatus };
  if (!status.initialised) {
    app.replaceChildren(h('main', { id: 'main', tabindex: '-1' }, setupView(ctx, async () => {
      ctx.status = await api.status();
      boot();
    })));
    requestAnimationFrame(() => markReady());
    return;
  }
  boot();
}

function boot(): void {
  shell();
  onChange(() => void refreshStatus());
  void refreshStatus();
  window.addEventListener('hashchange', () => void route());
  shortcuts();
  void route().then(() => requestAnimationFrame(() => markReady()));
}

void start();
