// The person page's outcomes: one form per instrument (drawn from the core's description of
// it, so ranges and words are the core's), the follow-ups with their decisions, each goal's
// status and what came of each onward referral. Every rule is the core's; this draws and sends.

import { api, type PersonRecord, type InstrumentForm, type MeasureInput, type Id, type Vocabularies } from '../api';
import type { Ctx } from '../main';
import type { FollowUpDue } from '../generated/FollowUpDue';
import type { MeasureField } from '../generated/MeasureField';
import type { OnwardReferral } from '../generated/OnwardReferral';
import { lineChart } from '../chart';
import {
  h,
  field,
  input,
  select,
  textarea,
  val,
  reportError,
  clearMessage,
  announce,
  fmtDate,
  todayIso,
  dateInput,
  labelOf,
  section,
} from '../dom';

type Refresh = (section?: string) => Promise<void>;

/** Submits through `save`, shows the core's errors next to their fields, then refreshes. */
function saving(form: HTMLFormElement, save: () => Promise<string>, refresh: () => Promise<void>): HTMLFormElement {
  form.noValidate = true;
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearMessage(form);
    const btn = form.querySelector<HTMLButtonElement>('button[type=submit]');
    if (btn) btn.disabled = true;
    try {
      const done = await save();
      announce(done);
      await refresh();
    } catch (err) {
      reportError(form, err);
    } finally {
      if (btn) btn.disabled = false;
    }
  });
  return form;
}

function measureInput(f: MeasureField): HTMLElement {
  if (f.choices.length) {
    const choices = f.choices.map((c) => ({ code: String(c.value), label: c.label }));
    return field(f.label, select(f.field, choices, { blank: 'Choose an answer' }), { required: f.required });
  }
  const range = f.label.includes(' to ') ? '' : ` (${f.min} to ${f.max})`;
  const control = input(f.field, {
    type: 'number',
    min: f.min,
    max: f.max,
    step: f.whole ? 1 : 'any',
    inputmode: f.whole ? 'numeric' : 'decimal',
  });
  return field(`${f.label}${range}`, control, { required: f.required });
}

function readMeasure(form: HTMLFormElement, f: InstrumentForm): MeasureInput {
  const num = (name: string) => {
    const s = val(form, name);
    return s === '' ? null : Number(s);
  };
  const has = (name: string) => f.fields.some((x) => x.field === name);
  return {
    instrument: f.instrument,
    time_point: val(form, 'time_point'),
    taken_on: val(form, 'taken_on'),
    score: has('score') ? num('score') : null,
    level: has('level') ? num('level') : null,
    items: f.fields.filter((x) => x.field.startsWith('items.')).map((x) => num(x.field)),
  };
}

/** The time point a new measure most likely is: its baseline, else the follow-up now due. */
function likelyTimePoint(r: PersonRecord, f: InstrumentForm): string {
  if (!r.measures.some((m) => m.measure.instrument === f.instrument)) return 't0';
  const due = r.follow_ups.find((x) => x.state === 'open' && x.instruments.includes(f.instrument));
  return due?.time_point ?? 'other';
}

function instrumentForm(
  v: Vocabularies,
  r: PersonRecord,
  f: InstrumentForm,
  refresh: () => Promise<void>,
): HTMLFormElement {
  const licence = f.licence
    ? h(
        'p',
        { class: 'muted' },
        `Licensed to ${f.licence.licence_holder}${f.licence.licensed_on ? ` from ${fmtDate(f.licence.licensed_on)}` : ''}.`,
      )
    : null;
  if (f.unavailable) {
    return h(
      'form',
      { 'aria-label': `Record ${f.label}`, 'data-instrument': f.instrument },
      h('h3', {}, f.label),
      h('p', { class: 'notice', role: 'note' }, f.unavailable),
    );
  }
  const form = h(
    'form',
    { 'aria-label': `Record ${f.label}`, 'data-instrument': f.instrument },
    h('h3', {}, f.label),
    licence,
    h('p', { class: 'hint' }, f.hint),
    h(
      'div',
      { class: 'cols' },
      field('Time point', select('time_point', v.time_point)),
      field('Date taken', dateInput('taken_on', todayIso())),
    ),
    h('div', { class: 'cols' }, f.fields.map(measureInput)),
    h('button', { type: 'submit' }, 'Record measure'),
  );
  (form.elements.namedItem('time_point') as HTMLSelectElement).value = likelyTimePoint(r, f);
  return saving(
    form,
    async () => {
      await api.recordMeasure(r.person.id, readMeasure(form, f));
      return `${f.label} recorded`;
    },
    refresh,
  );
}

/** The forms, one per instrument; the chooser puts the chosen one on the page. */
function recordMeasures(v: Vocabularies, r: PersonRecord, refresh: () => Promise<void>): HTMLElement {
  const chooser = select(
    'instrument',
    r.instrument_forms.map((f) => ({
      code: f.instrument,
      label: f.unavailable ? `${f.label} (not available yet)` : f.label,
    })),
  );
  const slot = h('div', {});
  const show = () => {
    const f = r.instrument_forms.find((x) => x.instrument === chooser.value);
    slot.replaceChildren(...(f ? [instrumentForm(v, r, f, refresh)] : []));
  };
  chooser.addEventListener('change', show);
  show();
  return h('div', { class: 'record-measures' }, h('h3', {}, 'Record a measure'), field('Measure', chooser), slot);
}

function stateWords(f: FollowUpDue): HTMLElement {
  const note = f.note ? `: ${f.note}` : '';
  switch (f.state) {
    case 'recorded':
      return h('span', { class: 'tag' }, `recorded ${fmtDate(f.state_on)}`);
    case 'declined':
      return h('span', { class: 'tag' }, `declined ${fmtDate(f.state_on)}${note}`);
    case 'not_possible':
      return h('span', { class: 'tag' }, `could not be done ${fmtDate(f.state_on)}${note}`);
    case 'contact_withdrawn':
      return h('span', { class: 'tag' }, `not followed up: consent to contact withdrawn ${fmtDate(f.state_on)}`);
    default:
      if (f.remind_on) return h('span', { class: 'tag' }, `reminder set: back on Today ${fmtDate(f.remind_on)}`);
      return h(
        'span',
        { class: f.days_overdue > 0 ? 'tag warn' : 'tag' },
        f.days_overdue > 0 ? `overdue since ${fmtDate(f.due_on)}` : `due ${fmtDate(f.due_on)}`,
      );
  }
}

function decideForm(v: Vocabularies, pid: Id, f: FollowUpDue, refresh: () => Promise<void>): HTMLFormElement {
  const form = h(
    'form',
    { 'aria-label': `Decide ${f.label}` },
    field('Decision', select('decision', v.follow_up_decision)),
    field('Reason', textarea('note', { rows: 2 }), {
      hint: 'Needed when the person declined or it could not be done.',
    }),
    field('Remind me in (days)', input('remind_in_days', { type: 'number', min: 1, max: 90, inputmode: 'numeric' }), {
      hint: 'Only for “Remind me later”.',
    }),
    h('button', { type: 'submit' }, 'Save decision'),
  );
  return saving(
    form,
    async () => {
      const days = val(form, 'remind_in_days');
      const d = await api.decideFollowUp(pid, {
        time_point: f.time_point,
        instrument: f.repeating ? f.instruments[0] : null,
        decision: val(form, 'decision'),
        note: val(form, 'note') || null,
        remind_in_days: days === '' ? null : Number(days),
      });
      return d.remind_on ? `Reminder set: back on Today on ${fmtDate(d.remind_on)}` : 'Follow-up decision saved';
    },
    refresh,
  );
}

const names = (v: Vocabularies, f: FollowUpDue) => f.instruments.map((i) => labelOf(v.instrument, i)).join(', ');

function followUps(v: Vocabularies, r: PersonRecord, refresh: () => Promise<void>): HTMLElement {
  if (!r.follow_ups.length) {
    return h('p', { class: 'muted' }, 'No follow-ups yet: they are scheduled from each baseline (T0).');
  }
  return h(
    'ul',
    { class: 'rows', 'aria-label': 'Follow-ups' },
    r.follow_ups.map((f) =>
      h(
        'li',
        {},
        f.repeating ? `${names(v, f)}, repeated: ` : `${labelOf(v.time_point, f.time_point)}: `,
        stateWords(f),
        f.repeating ? null : ` – ${names(v, f)}`,
        f.on_today ? h('span', { class: 'tag warn' }, ' on Today') : null,
        f.state === 'open'
          ? h('details', {}, h('summary', {}, `Decide: ${f.label}`), decideForm(v, r.person.id, f, refresh))
          : null,
      ),
    ),
  );
}

function measuresTable(r: PersonRecord): HTMLElement {
  if (!r.measures.length) {
    return h('p', { class: 'muted' }, 'No measures yet. Take the baseline (T0) at the first session.');
  }
  return h(
    'table',
    {},
    h('caption', {}, 'Measures recorded'),
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        ['Date', 'Measure', 'Time point', 'Result'].map((t) => h('th', { scope: 'col' }, t)),
      ),
    ),
    h(
      'tbody',
      {},
      r.measures.map((m) =>
        h(
          'tr',
          {},
          h('td', {}, fmtDate(m.measure.taken_on)),
          h('td', {}, m.instrument_label),
          h('td', {}, m.time_point_label),
          h('td', {}, m.summary),
        ),
      ),
    ),
  );
}

function ons4Chart(v: Vocabularies, r: PersonRecord): HTMLElement | null {
  const ons4 = r.measures.filter((m) => m.measure.instrument === 'ons4' && m.measure.items.length === 4);
  if (!ons4.length) return null;
  return lineChart(
    'ONS4 scores over time',
    v.ons4_item.map((c, i) => ({
      name: c.label,
      points: ons4.map((m) => ({ x: m.measure.taken_on, y: m.measure.items[i] })),
    })),
    0,
    10,
  );
}

function goalStatuses(v: Vocabularies, r: PersonRecord, refresh: () => Promise<void>): HTMLElement {
  if (!r.goals.length) return h('p', { class: 'muted' }, 'No goals yet.');
  return h(
    'ul',
    { class: 'rows' },
    r.goals.map((g) => {
      const form = h(
        'form',
        { class: 'inline', 'aria-label': `Status of goal: ${g.goal.text}` },
        field(`Status of “${g.goal.text}”`, select('status', v.goal_status)),
        h('button', { type: 'submit' }, 'Set status'),
      );
      (form.elements.namedItem('status') as HTMLSelectElement).value = g.goal.status;
      saving(
        form,
        async () => {
          await api.setGoalStatus(g.goal.id, val(form, 'status'));
          return `Goal marked ${labelOf(v.goal_status, val(form, 'status')).toLowerCase()}`;
        },
        refresh,
      );
      return h('li', {}, form);
    }),
  );
}

function wentAlong(o: OnwardReferral): string {
  if (o.accompanied_by_name) return ` · went along with ${o.accompanied_by_name} (volunteer)`;
  if (o.accompanied_by_worker_id) return ' · a worker went along';
  return '';
}

/** Who went along to the first session: one of the team (listed when the form opens), or a volunteer. */
function accompaniedForm(onwardId: Id, name: string, refresh: () => Promise<void>): HTMLElement {
  const worker = select('worker_id', [], { blank: 'Not one of the team' });
  const form = h(
    'form',
    { 'aria-label': `Who went along to ${name}` },
    field('Worker who went along', worker),
    field('Or a volunteer’s name', input('volunteer_name')),
    h('button', { type: 'submit' }, 'Save who went along'),
  );
  void api.workers().then((ws) => {
    for (const w of ws) worker.append(h('option', { value: w.id }, w.name));
  });
  saving(
    form,
    async () => {
      await api.recordAccompanied(onwardId, {
        worker_id: val(form, 'worker_id') || null,
        volunteer_name: val(form, 'volunteer_name') || null,
      });
      return 'Saved who went along';
    },
    refresh,
  );
  return h('details', {}, h('summary', {}, `Who went along to ${name}`), form);
}

function onwardOutcomes(r: PersonRecord, refresh: () => Promise<void>): HTMLElement {
  if (!r.onward.length) return h('p', { class: 'muted' }, 'No onward referrals yet.');
  return h(
    'ul',
    { class: 'rows' },
    r.onward.map((o) => {
      const name = o.service_name ?? 'the service';
      const form = h(
        'form',
        { 'aria-label': `Feedback from ${name}` },
        field(`Feedback from ${name}’s group lead`, textarea('feedback', { rows: 2 })),
        h('button', { type: 'submit' }, 'Save feedback'),
      );
      (form.elements.namedItem('feedback') as HTMLTextAreaElement).value = o.onward.feedback ?? '';
      saving(
        form,
        async () => {
          await api.updateOnwardReferral(o.onward.id, { feedback: val(form, 'feedback') });
          return 'Feedback saved';
        },
        refresh,
      );
      return h(
        'li',
        {},
        h('p', {}, h('strong', {}, name), ` · ${o.status_label}`, wentAlong(o.onward)),
        accompaniedForm(o.onward.id, name, refresh),
        form,
      );
    }),
  );
}

/** "What's missing": each gap with a link to the section that closes it. */
function whatsMissing(r: PersonRecord): HTMLElement | null {
  if (!r.missing.length) return null;
  const panel = h(
    'aside',
    { class: 'card missing', 'aria-labelledby': 'missing-h' },
    h('h2', { id: 'missing-h' }, 'What’s missing'),
    h(
      'ul',
      { 'aria-label': 'What’s missing' },
      r.missing.map((g) =>
        h(
          'li',
          {},
          g.words,
          ' ',
          h(
            'a',
            {
              href: `#${g.section}`,
              onclick: (e: Event) => {
                e.preventDefault();
                const to = document.getElementById(`${g.section}-h`) ?? document.getElementById(g.section);
                to?.scrollIntoView();
                to?.focus();
              },
            },
            'Go there',
          ),
        ),
      ),
    ),
  );
  // Mounted with the outcome sections, then moved under the person's summary once the page is
  // in place, so the gaps are the first thing seen with the person in the room.
  queueMicrotask(() => panel.parentElement?.querySelector(':scope > #summary')?.after(panel));
  return panel;
}

/** Which licensed instruments this organisation has switched on (as this laptop knows). */
function licences(r: PersonRecord): HTMLElement {
  return h(
    'details',
    {},
    h('summary', {}, 'Licensed instruments'),
    h(
      'ul',
      { class: 'rows', 'aria-label': 'Licensed instruments' },
      r.instrument_forms
        .filter((f) => f.licensed)
        .map((f) =>
          h(
            'li',
            {},
            `${f.label}: `,
            f.licence
              ? `on, licensed to ${f.licence.licence_holder}${f.licence.licensed_on ? ` from ${fmtDate(f.licence.licensed_on)}` : ''}`
              : 'off until the organisation’s licence arrives by sync',
          ),
        ),
    ),
  );
}

/** The person page's outcome sections, in reading order. */
export function outcomeSections(ctx: Ctx, r: PersonRecord, refresh: Refresh): HTMLElement[] {
  const v = ctx.vocab;
  const again = (id: string) => () => refresh(id);
  const measures = section(
    'measures',
    'Measures and follow-ups',
    r.ons4_bands
      ? h(
          'p',
          {},
          `Latest ONS4 (${fmtDate(r.ons4_bands.taken_on)}): life satisfaction ${r.ons4_bands.life_satisfaction}, worthwhile ${r.ons4_bands.worthwhile}, happiness ${r.ons4_bands.happiness}, anxiety ${r.ons4_bands.anxiety}.`,
        )
      : null,
    ons4Chart(v, r),
    measuresTable(r),
    h('h3', {}, 'Follow-ups'),
    followUps(v, r, again('measures')),
    recordMeasures(v, r, again('measures')),
    licences(r),
  );
  const progress = section(
    'progress',
    'Progress',
    h('h3', {}, 'Goal status'),
    goalStatuses(v, r, again('progress')),
    h('h3', {}, 'What came of onward referrals'),
    onwardOutcomes(r, again('progress')),
  );
  const missing = whatsMissing(r);
  return missing ? [missing, measures, progress] : [measures, progress];
}
