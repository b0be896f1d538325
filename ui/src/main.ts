// The app shell: the front door (set-up, unlock, lock), then the header with navigation,
// search, the sync status and Lock, a hash router over the screens, and the keyboard
// shortcuts (Ctrl+K search, Alt+N note, Ctrl+S save, Alt+L lock).

import '@fontsource/atkinson-hyperlegible/400.css';
import '@fontsource/atkinson-hyperlegible/700.css';
import './style.css';
import { api, ApiError, markReady, onChange, onLocked, type LockState, type Status, type Vocabularies } from './api';
import { h, plural, flushDrafts, announce } from './dom';
import { todayView } from './views/today';
import { caseloadView } from './views/caseload';
import { referralView } from './views/referral';
import { personView } from './views/person';
import { printView } from './views/print';
import { directoryView, serviceView, serviceFormView } from './views/directory';
import { reportsView } from './views/reports';
import { reviewView } from './views/review';
import { setupView, recoveryCodeView, lockView, settingsView } from './views/setup';
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
let syncButtonEl: HTMLElement;
let vocab: Vocabularies;
let lockState: LockState;
/** True while the working screens are on show (false on the front door). */
let open = false;

function shell(): { main: HTMLElement } {
  const nav = h(
    'nav',
    { 'aria-label': 'Main' },
    h(
      'ul',
      {},
      [
        ['#/today', 'Today'],
        ['#/caseload', 'Caseload'],
        ['#/referral/new', 'New referral'],
        ['#/directory', 'Directory'],
        ['#/reports', 'Reports'],
      ].map(([href, text]) => h('li', {}, h('a', { href, 'data-nav': href }, text))),
    ),
  );
  syncEl = h('div', { class: 'sync', role: 'status', 'aria-live': 'polite', 'aria-label': 'Sync status' });
  syncButtonEl = h('div', { class: 'sync-action' });
  const header = h(
    'header',
    { class: 'top' },
    h('div', { class: 'brand' }, h('span', { class: 'logo', 'aria-hidden': 'true' }, '◎'), ' Linkwell'),
    nav,
    searchBox(() => ctx),
    syncEl,
    syncButtonEl,
    h(
      'div',
      { class: 'who' },
      h('a', { href: '#/settings', 'data-nav': '#/settings' }, 'Settings'),
      h(
        'button',
        { type: 'button', class: 'lock-button', 'aria-keyshortcuts': 'Alt+L', onclick: () => void lockNow() },
        'Lock',
      ),
    ),
  );
  const main = h('main', { id: 'main', tabindex: '-1' });
  const footer = h(
    'footer',
    { class: 'keys' },
    h('h2', { class: 'visually-hidden' }, 'Keyboard shortcuts'),
    h(
      'ul',
      {},
      h('li', {}, h('kbd', {}, 'Ctrl'), '+', h('kbd', {}, 'K'), ' search'),
      h('li', {}, h('kbd', {}, 'Alt'), '+', h('kbd', {}, 'N'), ' add a note'),
      h('li', {}, h('kbd', {}, 'Ctrl'), '+', h('kbd', {}, 'S'), ' save the form you are in'),
      h('li', {}, h('kbd', {}, 'Alt'), '+', h('kbd', {}, '1–5'), ' screens'),
      h('li', {}, h('kbd', {}, 'Alt'), '+', h('kbd', {}, 'L'), ' lock'),
    ),
  );
  app.replaceChildren(
    header,
    main,
    footer,
    h('div', { id: 'announcer', class: 'visually-hidden', 'aria-live': 'polite' }),
  );
  return { main };
}

let syncing = false;

function timeAgo(iso: string): string {
  const d = new Date(iso);
  const same = d.toDateString() === new Date().toDateString();
  const t = d.toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit' });
  return same ? `today at ${t}` : `${d.toLocaleDateString('en-GB', { day: 'numeric', month: 'short' })} at ${t}`;
}

/** Shows the sync lines, touching the live region only when the words change. */
function show(lines: [string, string | null][]): void {
  const text = lines.map(([, t]) => t ?? '').join('|');
  if (syncEl.dataset.text === text) return;
  syncEl.dataset.text = text;
  syncEl.replaceChildren(
    ...lines
      .filter(([, t]) => t)
      .map(([cls, t]) => (cls === 'review' ? h('a', { href: '#/review' }, t) : h('span', { class: cls || null }, t))),
  );
}

/** The sync line: honest about what is waiting, when it last worked and what went wrong. */
async function refreshStatus(): Promise<void> {
  try {
    const s = await api.syncStatus();
    ctx.status.pending = s.pending;
    if (!s.enrolled) {
      show([
        ['', 'Working offline (that is normal)'],
        ['pending', `${plural(s.pending, 'change')} kept on this laptop`],
      ]);
      syncButtonEl.replaceChildren();
      return;
    }
    const headline = s.all_synced
      ? 'All synced'
      : s.pending > 0
        ? `${plural(s.pending, 'change')} waiting to sync`
        : s.unplaced > 0
          ? `Not fully synced: ${plural(s.unplaced, 'received change')} could not be placed here`
          : 'Not fully synced yet';
    const when = s.last_success_at ? `Last synced ${timeAgo(s.last_success_at)}` : 'Not synced yet';
    const problem = s.last_error
      ? s.offline
        ? 'Offline: Linkwell will sync when the server can be reached'
        : `Last try: ${s.last_error}`
      : null;
    const btn = h(
      'button',
      {
        type: 'button',
        class: 'sync-now',
        'aria-busy': syncing ? 'true' : null,
        disabled: syncing,
        onclick: () => void syncNow(),
      },
      syncing ? 'Syncing…' : 'Sync now',
    );
    show([
      ['pending', headline],
      ['', when],
      ['sync-problem', problem],
      ['review', s.to_review > 0 ? `${plural(s.to_review, 'change')} to review` : null],
    ]);
    syncButtonEl.replaceChildren(btn);
  } catch {
    syncEl.textContent = 'Status unavailable';
  }
}

async function syncNow(): Promise<void> {
  if (syncing) return;
  syncing = true;
  await refreshStatus();
  try {
    const out = await api.syncNow();
    announce(
      out.ok && out.report
        ? `Sync finished: ${plural(out.report.pushed, 'change')} sent, ${plural(out.report.pulled, 'change')} received.`
        : out.offline
          ? 'The server could not be reached. Your changes are kept on this laptop.'
          : `Sync did not finish: ${out.error ?? 'unknown problem'}`,
    );
  } catch (e) {
    announce(e instanceof ApiError ? e.message : String(e));
  } finally {
    syncing = false;
    await refreshStatus();
  }
}

/** Counts navigations, so that a slow page finishing after a later one is not shown. */
let routeSeq = 0;

async function route(): Promise<void> {
  if (!open) return;
  const mine = ++routeSeq;
  const hash = location.hash || '#/today';
  const [path, query = ''] = hash.slice(1).split('?');
  const params = new URLSearchParams(query);
  const parts = path.split('/').filter(Boolean);
  const main = document.getElementById('main')!;
  // A new screen (a link, Alt+1..4) never keeps the search list over it.
  const results = document.getElementById('search-results');
  if (results) results.hidden = true;
  document.querySelectorAll<HTMLAnchorElement>('[data-nav]').forEach((a) => {
    const current = hash.startsWith(a.dataset.nav!);
    if (current) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  });
  let view: HTMLElement;
  try {
    switch (parts[0]) {
      case 'caseload':
        view = await caseloadView(ctx);
        break;
      case 'reports':
        view = await reportsView(ctx);
        break;
      case 'review':
        view = await reviewView();
        break;
      case 'settings':
        view = settingsView(lockState);
        break;
      case 'referral':
        view = await referralView(ctx);
        break;
      case 'person':
        view =
          parts[2] === 'print'
            ? await printView(parts[1])
            : await personView(ctx, parts[1], params.get('section') ?? undefined);
        break;
      case 'directory':
        if (parts[1] === 'new') view = await serviceFormView(ctx, undefined);
        else if (parts[1] && parts[2] === 'edit') view = await serviceFormView(ctx, parts[1]);
        else if (parts[1]) view = await serviceView(ctx, parts[1], params.get('for') ?? undefined);
        else view = await directoryView(ctx, params.get('for') ?? undefined);
        break;
      default:
        view = await todayView(ctx);
    }
  } catch (e) {
    const msg = e instanceof ApiError ? e.message : String(e);
    view = h(
      'section',
      {},
      h('h1', {}, 'Something went wrong'),
      h('p', {}, msg),
      h('p', {}, h('a', { href: '#/today' }, 'Back to Today')),
    );
  }
  if (mine !== routeSeq) return;
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
      if (note) {
        e.preventDefault();
        note.focus();
        note.scrollIntoView({ block: 'center' });
      }
    } else if ((e.ctrlKey || e.metaKey) && key === 's') {
      e.preventDefault();
      const active = document.activeElement as HTMLElement | null;
      const form = active?.closest('form') ?? document.querySelector<HTMLFormElement>('main form[data-primary]');
      form?.requestSubmit();
    } else if (e.altKey && key === 'l' && open) {
      e.preventDefault();
      void lockNow();
    } else if (e.altKey && ['1', '2', '3', '4', '5'].includes(key) && open) {
      e.preventDefault();
      location.hash = ['#/today', '#/caseload', '#/referral/new', '#/directory', '#/reports'][Number(key) - 1];
    }
  });
}

/** Replaces everything on screen with a front-door view: nothing of any person stays. */
function frontDoor(view: HTMLElement): void {
  open = false;
  app.replaceChildren(h('main', { id: 'main', tabindex: '-1' }, view));
  document.title = `${view.querySelector('h1')?.textContent ?? 'Linkwell'} – Linkwell`;
  window.scrollTo(0, 0);
}

async function lockNow(): Promise<void> {
  await flushDrafts();
  try {
    lockState = await api.lock();
  } catch {
    /* shown locked regardless */
  }
  showLocked();
}

async function showLocked(): Promise<void> {
  if (open) await flushDrafts().catch(() => undefined);
  try {
    lockState = await api.lockState();
  } catch {
    /* keep the last known profiles */
  }
  if (lockState.state === 'unlocked') {
    void enter(lockState);
    return;
  }
  if (lockState.state === 'setup') {
    frontDoor(setupView(vocab, created));
    return;
  }
  frontDoor(
    lockView(
      lockState,
      vocab,
      (s) => (s.recovery_code ? created(s) : void enter(s)),
      () => void showLocked(),
    ),
  );
}

function created(state: LockState): void {
  lockState = state;
  frontDoor(recoveryCodeView(state.recovery_code ?? '', () => void enter(state)));
}

async function enter(state: LockState): Promise<void> {
  lockState = { ...state, recovery_code: undefined };
  const status = await api.status();
  ctx = {
    vocab,
    status,
    go: (hash) => {
      if (location.hash === hash) void route();
      else location.hash = hash;
    },
    refreshStatus,
  };
  open = true;
  shell();
  void refreshStatus();
  await route();
}

// The core locks itself after the idle time; the window finds out within a few seconds and
// hides everything. Typing and clicking count as use.
let lastKeepAlive = 0;
function watchLock(): void {
  window.setInterval(() => {
    if (!open) return;
    api
      .lockState()
      .then((s) => {
        if (s.state !== 'unlocked') void showLocked();
        else if (!syncing) void refreshStatus();
      })
      .catch(() => undefined);
  }, 5000);
  const busy = () => {
    if (!open || Date.now() - lastKeepAlive < 30000) return;
    lastKeepAlive = Date.now();
    void api.keepAlive().catch(() => undefined);
  };
  for (const ev of ['keydown', 'pointerdown', 'input', 'wheel']) document.addEventListener(ev, busy, { passive: true });
  window.addEventListener('pagehide', () => void flushDrafts());
  onLocked(() => {
    if (open) void showLocked();
  });
}

async function start(): Promise<void> {
  try {
    [lockState, vocab] = await Promise.all([api.lockState(), api.vocabularies()]);
  } catch (e) {
    app.replaceChildren(
      h(
        'main',
        { id: 'main' },
        h('h1', {}, 'Linkwell could not start'),
        h('p', {}, e instanceof Error ? e.message : String(e)),
      ),
    );
    return;
  }
  onChange(() => void refreshStatus());
  window.addEventListener('hashchange', () => void route());
  shortcuts();
  watchLock();
  if (lockState.state === 'unlocked') await enter(lockState);
  else await showLocked();
  requestAnimationFrame(() => markReady());
}

void start();
