// Small DOM helpers: element building, labelled form fields with their error slots, drafts
// kept (encrypted, by the core) so unsaved text survives a closed window, and screen-reader
// messages.

import { api, ApiError, type Choice, type FieldError } from './api';

type Child = Node | string | number | null | undefined | false | Child[];
type Attrs = Record<string, string | number | boolean | null | undefined | ((e: Event) => void)>;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (typeof v === 'function') el.addEventListener(k.replace(/^on/, ''), v as EventListener);
    else if (k === 'value' && 'value' in el) (el as HTMLInputElement).value = String(v);
    else if (k === 'checked') (el as HTMLInputElement).checked = Boolean(v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

function append(el: Node, children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.appendChild(typeof c === 'object' ? c : document.createTextNode(String(c)));
  }
}

let uid = 0;
export const nextId = (p = 'f') => `${p}-${++uid}`;

/** A labelled control with hint and an error slot wired by aria-describedby. */
export function field(
  label: string,
  control: HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement,
  opts: { hint?: string; required?: boolean } = {},
): HTMLElement {
  const id = control.id || nextId();
  control.id = id;
  const err = h('p', { class: 'error', id: `${id}-error`, hidden: true });
  const described = [`${id}-error`];
  let hint: HTMLElement | null = null;
  const hintText = opts.hint ?? DATE_HINTS[control.dataset.date ?? ''];
  if (hintText) {
    hint = h('p', { class: 'hint', id: `${id}-hint` }, hintText);
    described.unshift(`${id}-hint`);
  }
  control.setAttribute('aria-describedby', described.join(' '));
  if (opts.required) control.required = true;
  const isCheck = control instanceof HTMLInputElement && control.type === 'checkbox';
  const lab = h('label', { for: id }, label, opts.required ? h('span', { class: 'req' }, ' (required)') : null);
  return h(
    'div',
    { class: isCheck ? 'field check' : 'field', 'data-field': control.name },
    isCheck ? [control, lab, hint, err] : [lab, hint, control, err],
  );
}

export const input = (name: string, attrs: Attrs = {}) =>
  h('input', { name, type: 'text', autocomplete: 'off', ...attrs });
/** A stored date (2026-12-01) as a worker types it: 01/12/2026. */
export function ukDate(iso: string | null | undefined): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}:\d{2}))?/.exec(iso ?? '');
  if (!m) return iso ?? '';
  return `${m[3]}/${m[2]}/${m[1]}${m[4] ? ` ${m[4]}` : ''}`;
}
/** A date field: day/month/year typed as digits, one Tab stop, British whatever the browser's
 * locale (a native date field shows mm/dd/yyyy in a US browser). The core reads either form. */
export const dateInput = (name: string, iso = '', attrs: Attrs = {}) =>
  input(name, { inputmode: 'numeric', value: ukDate(iso), 'data-date': 'date', ...attrs });
/** A date and time field, as dateInput: 01/12/2026 14:30. */
export const dateTimeInput = (name: string, iso = '', attrs: Attrs = {}) =>
  input(name, { value: ukDate(iso), 'data-date': 'datetime', ...attrs });
const DATE_HINTS: Record<string, string> = {
  date: 'Day/month/year, for example 01/12/2026',
  datetime: 'Day/month/year and time, for example 01/12/2026 14:30',
};
export const textarea = (name: string, attrs: Attrs = {}) => h('textarea', { name, rows: 3, ...attrs });
export const checkbox = (name: string, attrs: Attrs = {}) => h('input', { name, type: 'checkbox', ...attrs });
export function select(name: string, choices: Choice[], attrs: Attrs & { blank?: string } = {}): HTMLSelectElement {
  const { blank, ...rest } = attrs;
  return h(
    'select',
    { name, ...rest },
    blank !== undefined ? h('option', { value: '' }, blank) : null,
    choices.map((c) => h('option', { value: c.code }, c.label)),
  );
}

/** A fieldset of checkboxes sharing one name; the legend is its accessible name. */
export function checkGroup(legend: string, name: string, choices: Choice[]): HTMLFieldSetElement {
  const id = nextId('g');
  return h(
    'fieldset',
    { class: 'checks', 'data-field': name, 'aria-describedby': `${id}-error` },
    h('legend', {}, legend),
    h(
      'div',
      { class: 'check-grid' },
      choices.map((c) => {
        const cid = nextId();
        return h(
          'div',
          { class: 'field check' },
          h('input', { type: 'checkbox', name, value: c.code, id: cid }),
          h('label', { for: cid }, c.label),
        );
      }),
    ),
    h('p', { class: 'error', id: `${id}-error`, hidden: true }),
  );
}

export function checkedValues(form: HTMLFormElement, name: string): string[] {
  return Array.from(form.querySelectorAll<HTMLInputElement>(`input[name="${name}"]:checked`)).map((i) => i.value);
}

export function val(form: HTMLFormElement, name: string): string {
  const el = form.elements.namedItem(name) as HTMLInputElement | null;
  return el ? el.value.trim() : '';
}
export const opt = (s: string) => (s === '' ? undefined : s);
/** A field's exact text, not trimmed (passphrases). */
export function raw(form: HTMLFormElement, name: string): string {
  return (form.elements.namedItem(name) as HTMLInputElement | null)?.value ?? '';
}
export function bool(form: HTMLFormElement, name: string): boolean {
  return (form.elements.namedItem(name) as HTMLInputElement | null)?.checked ?? false;
}

/** Shows field errors next to their controls (and a summary), or clears them. */
export function showErrors(
  form: HTMLFormElement,
  errors: { field: string; message: string }[],
  only?: Set<string>,
): void {
  form.querySelectorAll<HTMLElement>('[data-field]').forEach((wrap) => {
    const name = wrap.dataset.field ?? '';
    const msgs = errors.filter((e) => e.field === name && (!only || only.has(name))).map((e) => e.message);
    const slot = wrap.querySelector<HTMLElement>(':scope > .error');
    const control = wrap.querySelector<HTMLElement>('input,select,textarea');
    if (slot) {
      slot.textContent = msgs.join(' ');
      slot.hidden = msgs.length === 0;
    }
    if (control && wrap.tagName !== 'FIELDSET') control.setAttribute('aria-invalid', msgs.length ? 'true' : 'false');
    wrap.classList.toggle('invalid', msgs.length > 0);
  });
}

/** Asks the core to check the form a moment after each edit, and shows its messages next to
 * the fields the worker has touched (all of them once they try to save). */
export function checkAsYouType(
  form: HTMLFormElement,
  check: () => Promise<{ errors: { field: string; message: string }[] }>,
): void {
  const touched = new Set<string>();
  form.dataset.checked = '1';
  let timer = 0;
  let asked = 0;
  const run = async () => {
    // Only the newest check is shown: a slow older answer never overwrites a newer one.
    const mine = ++asked;
    const res = await check().catch(() => null);
    if (!res || mine !== asked) return;
    // Once a save has failed every field's message shows, and the summary follows them.
    const tried = form.dataset.tried === '1';
    showErrors(form, res.errors, tried ? undefined : touched);
    if (standing.has(form)) showSummary(form, res.errors);
  };
  const onEdit = (e: Event) => {
    const name = (e.target as HTMLInputElement).name;
    if (name) touched.add(name);
    window.clearTimeout(timer);
    timer = window.setTimeout(() => void run(), 250);
  };
  form.addEventListener('input', onEdit);
  form.addEventListener('focusout', onEdit);
}

/** Handles a form's submit with `action`: earlier messages cleared, its error shown on the form. */
export function onSubmit(form: HTMLFormElement, action: () => Promise<void> | void): void {
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearMessage(form);
    try {
      await action();
    } catch (err) {
      reportError(form, err);
    }
  });
}

/** A calm message at the top of a form (done, or what to do next); not an error. */
export function tell(form: HTMLFormElement, text: string): void {
  formMessage(form).replaceChildren(h('p', {}, text));
  formMessage(form).classList.add('shown');
}

/** A form's message area: errors in role=alert, successes politely. */
export function formMessage(form: HTMLFormElement): HTMLElement {
  let m = form.querySelector<HTMLElement>(':scope > .form-message');
  if (!m) {
    m = h('div', { class: 'form-message', role: 'alert' });
    form.prepend(m);
  }
  return m;
}

/** The messages a failed save left on each form (kept in step as fields are put right). */
const standing = new WeakMap<HTMLFormElement, FieldError[]>();

/** The control a field's messages belong to. */
function controlFor(form: HTMLFormElement, name: string): HTMLElement | null {
  return form.querySelector<HTMLElement>(
    `[data-field="${name}"] input, [data-field="${name}"] select, [data-field="${name}"] textarea`,
  );
}

/** The error summary: every message in the order of the form's fields, each a link that moves
 * to its field; it empties once every field is right. */
function showSummary(form: HTMLFormElement, errors: FieldError[]): void {
  standing.set(form, errors);
  const msg = formMessage(form);
  const order = Array.from(form.querySelectorAll<HTMLElement>('[data-field]'), (el) => el.dataset.field);
  const at = (f: FieldError) => {
    const i = order.indexOf(f.field);
    return i < 0 ? order.length : i;
  };
  const sorted = errors.map((f, i) => ({ f, i })).sort((a, b) => at(a.f) - at(b.f) || a.i - b.i);
  if (!sorted.length) {
    msg.replaceChildren();
    msg.classList.remove('shown');
    return;
  }
  msg.replaceChildren(
    h('p', {}, 'Nothing was saved. Please check:'),
    h(
      'ul',
      {},
      sorted.map(({ f }) => {
        const target = controlFor(form, f.field);
        return h(
          'li',
          {},
          target
            ? h(
                'a',
                {
                  href: `#${target.id}`,
                  onclick: (e: Event) => {
                    e.preventDefault();
                    target.focus();
                  },
                },
                f.message,
              )
            : f.message,
        );
      }),
    ),
  );
  msg.classList.add('shown');
}

/** After a failed save, keeps the messages in step with the form: a checked form's summary
 * follows the core's check as you type (checkAsYouType); any other form drops a field's
 * message once that field is changed. */
function followEdits(form: HTMLFormElement): void {
  if (form.dataset.follows) return;
  form.dataset.follows = '1';
  form.addEventListener('input', (e) => {
    const errors = standing.get(form);
    if (!errors || form.dataset.checked) return;
    const name = (e.target as HTMLInputElement).name;
    const left = errors.filter((f) => f.field !== name);
    showErrors(form, left);
    showSummary(form, left);
  });
}

export function reportError(form: HTMLFormElement, e: unknown): void {
  const err = e instanceof ApiError ? e : new ApiError('internal', String(e));
  const msg = formMessage(form);
  if (err.fields.length) {
    form.dataset.tried = '1';
    showErrors(form, err.fields);
    showSummary(form, err.fields);
    followEdits(form);
    const first = form.querySelector<HTMLElement>('[aria-invalid="true"]');
    first?.focus();
  } else {
    msg.replaceChildren(h('p', {}, err.message));
    msg.classList.add('shown');
  }
}

export function clearMessage(form: HTMLFormElement): void {
  const m = form.querySelector<HTMLElement>(':scope > .form-message');
  if (m) {
    m.replaceChildren();
    m.classList.remove('shown');
  }
  standing.delete(form);
  showErrors(form, []);
}

const live = () => document.getElementById('announcer');
/** Says something to screen readers and shows it briefly. */
export function announce(text: string): void {
  const el = live();
  if (!el) return;
  el.textContent = '';
  window.setTimeout(() => {
    el.textContent = text;
  }, 30);
}

// ---- Drafts: every control in a form with data-draft is kept as it is typed. ----
// Drafts live in the core's encrypted database, never in the web view's own storage: unsaved
// note text is health data too.
type DraftValue = string | boolean | string[];
const flushers = new Set<() => void>();

/** Saves every pending draft now (before the window closes or Linkwell locks). */
export async function flushDrafts(): Promise<void> {
  await Promise.all(Array.from(flushers, (f) => f()));
}

export function keepDraft(form: HTMLFormElement, key: string, onRestore?: () => void): { clear: () => Promise<void> } {
  form.dataset.draft = key;
  let done = false;
  let dirty = false;
  const collect = () => {
    const data: Record<string, DraftValue> = {};
    form.querySelectorAll<HTMLInputElement>('input[name],textarea[name],select[name]').forEach((el) => {
      if (el.type === 'password') return;
      if (el.type === 'checkbox') {
        const same = form.querySelectorAll(`[name="${el.name}"]`).length > 1;
        if (same) {
          const arr = (data[el.name] as string[]) ?? [];
          if (el.checked) arr.push(el.value);
          data[el.name] = arr;
        } else data[el.name] = el.checked;
      } else {
        data[el.name] = el.value;
      }
    });
    return data;
  };
  // Saved as it is typed, one save in flight at a time (so an older draft can never land
  // after a newer one); keystrokes made meanwhile go in the next save.
  let inFlight: Promise<void> | null = null;
  const flush = async (): Promise<void> => {
    if (inFlight) {
      await inFlight;
      return flush();
    }
    if (!dirty || done) return;
    dirty = false;
    inFlight = api.saveDraft(key, collect()).then(
      () => undefined,
      () => {
        dirty = true;
      },
    );
    await inFlight;
    inFlight = null;
    if (dirty && !done) void flush();
  };
  const schedule = () => {
    dirty = true;
    if (!inFlight) void flush();
  };
  form.addEventListener('input', schedule);
  form.addEventListener('change', schedule);
  form.addEventListener('focusout', () => void flush());
  flushers.add(flush);
  void api
    .draft(key)
    .then((saved) => {
      if (!saved || done) return;
      let restored = false;
      for (const [name, v] of Object.entries(saved)) {
        form.querySelectorAll<HTMLInputElement>(`[name="${name}"]`).forEach((el) => {
          if (el.type === 'checkbox') el.checked = Array.isArray(v) ? v.includes(el.value) : Boolean(v);
          else if (typeof v === 'string' && v !== '' && (el.tagName === 'SELECT' || el.value === '')) {
            el.value = v;
            if (el.tagName === 'TEXTAREA' || el.type === 'text') restored = true;
          }
        });
      }
      if (restored) {
        form.prepend(h('p', { class: 'draft-note', role: 'status' }, 'Draft restored: this text was not saved yet.'));
        onRestore?.();
      }
    })
    .catch(() => undefined);
  return {
    // Waits for a draft save already on its way, so it cannot land after the discard and
    // bring back text that was just saved.
    clear: async () => {
      done = true;
      flushers.delete(flush);
      form.querySelector('.draft-note')?.remove();
      if (inFlight) await inFlight;
      await api.discardDraft(key).catch(() => undefined);
    },
  };
}

export const labelOf = (choices: Choice[] | undefined, code: string) =>
  choices?.find((c) => c.code === code)?.label ?? code;

export function fmtDate(d: string | null | undefined): string {
  if (!d) return '';
  const dt = new Date(d.length === 10 ? `${d}T00:00:00` : d);
  if (Number.isNaN(dt.getTime())) return d;
  return dt.toLocaleDateString('en-GB', { weekday: 'short', day: 'numeric', month: 'short', year: 'numeric' });
}
export function fmtDateTime(d: string | null | undefined): string {
  if (!d) return '';
  const dt = new Date(d);
  if (Number.isNaN(dt.getTime())) return d;
  return `${fmtDate(d.slice(0, 10))}, ${dt.toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit' })}`;
}
export function nowLocal(): string {
  const d = new Date();
  d.setSeconds(0, 0);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
}
export const todayIso = () => nowLocal().slice(0, 10);
export const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** A card of a screen with its heading, labelled by it; the heading takes focus when jumped to. */
export function section(id: string, title: string, ...body: (HTMLElement | null)[]): HTMLElement {
  return h(
    'section',
    { class: 'card', id, 'aria-labelledby': `${id}-h` },
    h('h2', { id: `${id}-h`, tabindex: '-1' }, title),
    ...body,
  );
}
