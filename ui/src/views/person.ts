// The person record: summary, referral and episode (contact attempts, handover, closing),
// sessions and notes (quick capture, revisions), wellness plan, goals with SMART steps and an
// attainment chart, measures with a trend chart and the follow-up schedule, onward referrals.

import { api, type PersonRecord, type Id } from '../api';
import { personFieldset, readPerson, fillPerson } from './person-fields';
import type { Ctx } from '../main';
import { takeUpBlock } from './groups';
import { lineChart } from '../chart';
import { outcomeSections } from './measures';
import { closeOff } from './today';
import { messagesSection } from './messages';
import {
  h,
  field,
  input,
  textarea,
  select,
  checkbox,
  val,
  opt,
  bool,
  reportError,
  clearMessage,
  keepDraft,
  labelOf,
  fmtDate,
  fmtDateTime,
  nowLocal,
  todayIso,
  announce,
  plural,
  checkGroup,
  checkedValues,
  checkAsYouType,
  dateInput,
  dateTimeInput,
  section,
} from '../dom';

type Refresh = (section?: string) => Promise<void>;

/** What was just saved, shown at the top of its section once the record is redrawn (a sighted
 * worker sees it, not only a screen reader), with an undo where the record allows one. */
type Saved = { text: string; undo?: () => Promise<unknown> };
let justSaved: Saved | null = null;

function savedBanner(saved: Saved, again: () => Promise<void>): HTMLElement {
  const undo = saved.undo;
  return h(
    'div',
    { class: 'saved' },
    h('p', {}, h('span', { 'aria-hidden': 'true' }, '✓ '), saved.text),
    undo
      ? h(
          'button',
          {
            type: 'button',
            class: 'secondary small',
            onclick: async () => {
              await undo();
              justSaved = { text: 'Undone: the note is retracted (kept in its history, marked undone).' };
              announce('Undone');
              await again();
            },
          },
          'Undo',
        )
      : null,
  );
}

/** A form that saves through `save`, shows the core's errors, and refreshes the record. */
function saving<T>(
  form: HTMLFormElement,
  save: () => Promise<T>,
  done: string | ((saved: T) => Saved),
  refresh: () => Promise<void>,
  onSaved?: () => Promise<void> | void,
): HTMLFormElement {
  form.noValidate = true;
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearMessage(form);
    const btn = form.querySelector<HTMLButtonElement>('button[type=submit]');
    if (btn) btn.disabled = true;
    try {
      const result = await save();
      await onSaved?.();
      justSaved = typeof done === 'string' ? { text: done } : done(result);
      announce(justSaved.text);
      await refresh();
    } catch (err) {
      reportError(form, err);
    } finally {
      if (btn) btn.disabled = false;
    }
  });
  return form;
}

function details(summary: string, open: boolean, ...body: HTMLElement[]): HTMLElement {
  return h('details', { open }, h('summary', {}, summary), ...body);
}

export async function personView(ctx: Ctx, personId: Id, focusSection?: string): Promise<HTMLElement> {
  const root = h('div', { class: 'person' });
  const refresh: Refresh = async (sectionId) => {
    const rec = await api.personRecord(personId);
    const open = new Set(
      Array.from(root.querySelectorAll('details[open]'))
        .map((d) => d.id)
        .filter(Boolean),
    );
    root.replaceChildren(...render(ctx, rec, refresh, open));
    if (justSaved && sectionId) {
      root.querySelector(`#${sectionId}-h`)?.after(savedBanner(justSaved, () => refresh(sectionId)));
      justSaved = null;
    }
    if (sectionId) root.querySelector<HTMLElement>(`#${sectionId}-h`)?.focus();
  };
  const rec = await api.personRecord(personId);
  root.replaceChildren(...render(ctx, rec, refresh, new Set()));
  if (focusSection) {
    root.dataset.keepFocus = '1';
    window.setTimeout(() => root.querySelector<HTMLElement>(`#${focusSection}-h`)?.focus(), 0);
  }
  return root;
}

function render(ctx: Ctx, r: PersonRecord, refresh: Refresh, open: Set<string>): HTMLElement[] {
  const v = ctx.vocab;
  const p = r.person;
  const pid = p.id;
  const re = (s: string) => () => refresh(s);
  const ep = r.open_episode;

  // ---- Summary ----
  const needs = [
    p.interpreter_needed
      ? `Needs an interpreter${p.language ? ` (${p.language})` : ''}`
      : p.language
        ? `Speaks ${p.language}`
        : '',
    p.large_print ? 'Large print' : '',
    p.easy_read ? 'Easy read' : '',
    p.accessibility_needs ?? '',
    p.contact_restrictions ? `Contact: ${p.contact_restrictions}` : '',
  ].filter(Boolean);
  const flags = r.risk_flags.filter((f) => f.active);
  // Edit details: the same fields as New referral, checked by the core as you type.
  const editForm = h(
    'form',
    { 'aria-label': 'Edit details', novalidate: true },
    personFieldset('Details'),
    h('button', { type: 'submit' }, 'Save details'),
  );
  fillPerson(editForm, p);
  checkAsYouType(editForm, () => api.checkPerson(readPerson(editForm)));
  saving(editForm, () => api.updatePerson(pid, readPerson(editForm)), 'Details saved', re('summary'));
  // Each active flag is reviewed by date: kept with the next review date, or lifted.
  const flagReviews = flags.map((f) => {
    const kind = labelOf(v.risk_kind, f.kind);
    const due = Boolean(f.review_due);
    const keep = h(
      'form',
      { class: 'inline', 'aria-label': `Review ${kind}` },
      h(
        'p',
        {},
        h('strong', {}, kind),
        due
          ? h('span', { class: 'tag warn' }, ` review due ${fmtDate(f.review_on)}`)
          : ` · review by ${fmtDate(f.review_on)}`,
        f.note ? h('span', { class: 'muted' }, ` · ${f.note}`) : null,
      ),
      field(`Next review of ${kind}`, dateInput('review_on')),
      h(
        'div',
        { class: 'actions' },
        h('button', { type: 'submit' }, 'Keep the flag'),
        h(
          'button',
          {
            type: 'button',
            class: 'secondary',
            onclick: async () => {
              try {
                await api.reviewRiskFlag(f.id, false);
                announce(`${kind} lifted`);
                await refresh('summary');
              } catch (err) {
                reportError(keep, err);
              }
            },
          },
          'Lift the flag',
        ),
      ),
    );
    saving(keep, () => api.reviewRiskFlag(f.id, true, val(keep, 'review_on')), `${kind} kept`, re('summary'));
    return { due, keep };
  });
  const summary = h(
    'header',
    { class: 'person-head card', id: 'summary' },
    h(
      'h1',
      { id: 'summary-h', tabindex: -1 },
      r.display_name,
      p.preferred_name
        ? h('span', { class: 'sub' }, ` (${p.given_name} ${p.family_name})`)
        : h('span', { class: 'sub' }, ` ${p.family_name}`),
    ),
    flags.length
      ? h(
          'ul',
          { class: 'flags', 'aria-label': 'Risk flags' },
          flags.map((f) =>
            h('li', { class: 'tag danger' }, `${labelOf(v.risk_kind, f.kind)} · review ${fmtDate(f.review_on)}`),
          ),
        )
      : null,
    h(
      'dl',
      { class: 'facts' },
      h('dt', {}, 'Date of birth'),
      h('dd', {}, p.date_of_birth ? fmtDate(p.date_of_birth) : 'Not recorded'),
      h('dt', {}, 'NHS number'),
      h(
        'dd',
        {},
        p.nhs_number ? p.nhs_number.replace(/\D/g, '').replace(/^(\d{3})(\d{3})(\d{4})$/, '$1 $2 $3') : 'Not recorded',
      ),
      h('dt', {}, 'Phone'),
      h('dd', {}, p.phone ?? 'Not recorded'),
      h('dt', {}, 'Communication'),
      h('dd', {}, needs.length ? needs.join('; ') : 'No needs recorded'),
      h('dt', {}, 'Consents'),
      h(
        'dd',
        {},
        r.consents.length
          ? r.consents.map((c) => `${labelOf(v.consent_kind, c.kind)}: ${c.given ? 'yes' : 'no'}`).join('; ')
          : 'None recorded',
      ),
      h('dt', {}, 'Status'),
      h('dd', {}, ep ? `${labelOf(v.episode_status, ep.status)} · ${labelOf(v.stage, ep.stage)}` : 'No open episode'),
      // What matters to them, at the top of the conversation: their goals in their words.
      h('dt', {}, 'What matters'),
      h(
        'dd',
        {},
        r.goals
          .filter((g) => !g.goal.archived && g.goal.status === 'active')
          .map((g) => g.goal.text)
          .join('; ') || 'No goals yet',
      ),
    ),
    h(
      'nav',
      { 'aria-label': 'Sections of this record', class: 'jump' },
      h(
        'ul',
        {},
        [
          ['referral', 'Referral'],
          ['messages', 'Messages to the referrer'],
          ['sessions', 'Sessions and notes'],
          ['plan', 'Wellness plan'],
          ['goals', 'Goals'],
          ['measures', 'Measures'],
          ['onward', 'Onward referrals'],
        ].map(([id, t]) => h('li', {}, h('a', { href: `#/person/${pid}?section=${id}` }, t))),
        r.audit_trail ? h('li', {}, h('a', { href: `#/person/${pid}?section=audit` }, 'Who has looked')) : null,
      ),
    ),
    flagReviews.length
      ? details(
          `Review risk flags (${flagReviews.filter((f) => f.due).length} due)`,
          flagReviews.some((f) => f.due),
          ...flagReviews.map((f) => f.keep),
        )
      : null,
    details('Edit details', false, editForm),
    h(
      'p',
      { class: 'actions' },
      h('a', { href: `#/person/${pid}/print`, class: 'button secondary' }, 'Print Green Book'),
    ),
  );

  // ---- Referral and episode ----
  const latest = r.referrals[r.referrals.length - 1];
  const attemptForm = h(
    'form',
    { 'aria-label': 'Log a contact attempt' },
    h('h3', {}, 'Log a contact attempt'),
    h(
      'div',
      { class: 'cols' },
      field('When', dateTimeInput('attempted_at', nowLocal())),
      field('How', select('method', v.contact_method)),
      field('Outcome', select('outcome', v.contact_outcome)),
    ),
    field('Note about the attempt', input('note')),
    h('button', { type: 'submit' }, 'Log attempt'),
  );
  const consentForm = h(
    'form',
    { 'aria-label': 'Record consent' },
    h('h3', {}, 'Record consent'),
    h(
      'div',
      { class: 'cols' },
      field('Consent to', select('kind', v.consent_kind)),
      field('Given', checkbox('given', { checked: true })),
    ),
    h('button', { type: 'submit' }, 'Record consent'),
  );
  const flagForm = h(
    'form',
    { 'aria-label': 'Add a risk flag' },
    h('h3', {}, 'Add a risk flag'),
    h('div', { class: 'cols' }, field('Flag', select('kind', v.risk_kind)), field('Review by', dateInput('review_on'))),
    field('Flag note', input('note')),
    h('button', { type: 'submit' }, 'Add flag'),
  );
  const closeForm = ep
    ? h(
        'form',
        { 'aria-label': 'Close the episode' },
        h('h3', {}, 'Close the episode'),
        h(
          'div',
          { class: 'cols' },
          field('Reason for closing', select('reason', v.closing_reason)),
          field('Closed on', dateInput('closed_on', todayIso())),
        ),
        h('button', { type: 'submit', class: 'ask' }, 'Close episode…'),
      )
    : null;
  const handForm = ep
    ? h(
        'form',
        { 'aria-label': 'Hand over' },
        h('h3', {}, 'Hand over'),
        h(
          'div',
          { class: 'cols' },
          field('To worker', select('to', [])),
          field('To stage', select('stage', v.stage, { value: 'link_worker' })),
        ),
        field('Handover note', textarea('note', { rows: 2 })),
        h('button', { type: 'submit' }, 'Hand over'),
      )
    : null;
  if (handForm) {
    void api.workers().then((ws) => {
      const sel = handForm.querySelector<HTMLSelectElement>('select[name=to]')!;
      sel.replaceChildren(
        ...ws
          .filter((w) => w.id !== ep?.worker_id)
          .map((w) => h('option', { value: w.id }, `${w.name} (${labelOf(v.role, w.role)})`)),
      );
    });
    saving(
      handForm,
      () => api.handOver(ep!.id, val(handForm, 'to'), val(handForm, 'stage'), val(handForm, 'note')),
      'Handed over',
      re('referral'),
    );
  }
  if (latest)
    saving(
      attemptForm,
      () =>
        api.logContactAttempt(latest.referral.id, {
          attempted_at: val(attemptForm, 'attempted_at'),
          method: val(attemptForm, 'method'),
          outcome: val(attemptForm, 'outcome'),
          note: opt(val(attemptForm, 'note')),
        }),
      'Contact attempt logged',
      re('referral'),
    );
  saving(
    consentForm,
    () => api.recordConsent(pid, { kind: val(consentForm, 'kind'), given: bool(consentForm, 'given') }),
    'Consent recorded',
    re('referral'),
  );
  saving(
    flagForm,
    () =>
      api.addRiskFlag(pid, {
        kind: val(flagForm, 'kind'),
        review_on: val(flagForm, 'review_on'),
        note: opt(val(flagForm, 'note')),
      }),
    'Risk flag added',
    re('referral'),
  );
  if (closeForm) {
    // Closing ends the support: asked once more, in words, before it is done (and Reopen
    // on the closed record undoes it).
    const confirm = h(
      'div',
      { class: 'banner confirm', hidden: true, role: 'group', 'aria-label': 'Confirm closing' },
      h('p', {}, `Close ${r.display_name}’s support? Sessions and contact attempts stop until it is reopened.`),
      h('button', { type: 'submit', class: 'primary', name: 'confirmed', value: 'yes' }, 'Yes, close the episode'),
      ' ',
      h(
        'button',
        {
          type: 'button',
          onclick: () => {
            confirm.hidden = true;
            closeForm.querySelector<HTMLButtonElement>('button.ask')?.focus();
          },
        },
        'Keep it open',
      ),
    );
    closeForm.append(confirm);
    closeForm.addEventListener('submit', async (e) => {
      e.preventDefault();
      clearMessage(closeForm);
      const sure = (e as SubmitEvent).submitter?.getAttribute('name') === 'confirmed';
      if (!sure) {
        confirm.hidden = false;
        confirm.querySelector<HTMLButtonElement>('button')?.focus();
        return;
      }
      try {
        await api.closeEpisode(ep!.id, val(closeForm, 'reason'), val(closeForm, 'closed_on'));
        announce('Episode closed');
        await refresh('referral');
      } catch (err) {
        reportError(closeForm, err);
      }
    });
  }
  const closedEpisode = ep ? null : [...r.episodes].reverse().find((x) => x.episode.status === 'closed')?.episode;
  const reopen = closedEpisode
    ? h(
        'div',
        { class: 'banner closed' },
        h(
          'p',
          {},
          h('strong', {}, `Support closed ${fmtDate(closedEpisode.closed_on)}`),
          closedEpisode.closing_reason ? ` – ${labelOf(v.closing_reason, closedEpisode.closing_reason)}` : '',
          '. Notes can still be added; reopen to record sessions or contact.',
        ),
        h(
          'button',
          {
            type: 'button',
            onclick: async (e: Event) => {
              const btn = e.currentTarget as HTMLButtonElement;
              btn.disabled = true;
              try {
                await api.reopenEpisode(closedEpisode.id);
                announce('Episode reopened');
                await refresh('referral');
              } catch (err) {
                btn.disabled = false;
                btn.after(h('p', { class: 'error', role: 'alert' }, err instanceof Error ? err.message : String(err)));
              }
            },
          },
          'Reopen the episode',
        ),
      )
    : null;
  const referral = section(
    'referral',
    'Referral and episode',
    ...r.referrals.map(({ referral: rf, attempts }) =>
      h(
        'div',
        { class: 'referral' },
        h(
          'p',
          {},
          h('strong', {}, `Referred ${fmtDate(rf.received_on)}`),
          ` by ${labelOf(v.referral_source, rf.source)}${rf.referrer_name ? ` (${rf.referrer_name}${rf.referrer_practice ? `, ${rf.referrer_practice}` : ''})` : ''}`,
        ),
        h('p', {}, 'Reasons: ', rf.reasons.map((x) => labelOf(v.referral_reason, x)).join(', ')),
        rf.conditions.length ? h('p', {}, 'Long-term conditions: ', rf.conditions.join(', ')) : null,
        rf.detail ? h('p', { class: 'quote' }, rf.detail) : null,
        h('h3', {}, 'Contact attempts'),
        attempts.length
          ? h(
              'ol',
              { class: 'rows', 'aria-label': 'Contact attempts' },
              attempts.map((a) =>
                h(
                  'li',
                  {},
                  `${fmtDateTime(a.attempted_at)}: ${labelOf(v.contact_method, a.method)} – ${labelOf(v.contact_outcome, a.outcome)}${a.note ? ` (${a.note})` : ''}`,
                ),
              ),
            )
          : h('p', { class: 'muted' }, 'No attempts yet.'),
      ),
    ),
    ...r.episodes.map(({ episode: e, handovers, worker_name }) =>
      h(
        'p',
        {},
        `Episode opened ${fmtDate(e.opened_on)} with ${worker_name ?? 'a colleague'} (${labelOf(v.stage, e.stage)}): ${labelOf(v.episode_status, e.status)}`,
        e.first_contact_on ? `; first contact ${fmtDate(e.first_contact_on)}` : '',
        e.closed_on ? `; closed ${fmtDate(e.closed_on)} – ${labelOf(v.closing_reason, e.closing_reason ?? '')}` : '',
        handovers.length ? `; ${plural(handovers.length, 'handover')}` : '',
      ),
    ),
    reopen,
    // Once the person has been reached, logging another attempt is the exception: folded away.
    latest && ep ? (ep.first_contact_on ? details('Log a contact attempt', false, attemptForm) : attemptForm) : null,
    details('Consent and risk flags', false, consentForm, flagForm),
    ep && closeForm && handForm ? details('Hand over or close', false, handForm, closeForm) : null,
  );

  // ---- Sessions and notes ----
  const quick = h(
    'form',
    { 'aria-label': 'Add a quick note', class: 'quick-note' },
    field('Quick note', textarea('body', { id: 'quick-note', rows: 3, 'aria-keyshortcuts': 'Alt+N' }), {
      hint: 'Alt+N jumps here from anywhere on this record. Kept as a draft until you add it.',
    }),
    h('button', { type: 'submit' }, 'Add note'),
  );
  const quickDraft = keepDraft(quick, `note.${pid}`);
  saving(
    quick,
    () => api.addNote(pid, val(quick, 'body')),
    (n) => ({
      text: 'Note added to the timeline below.',
      undo: () => api.retractNote(n.note.id, 'Undone straight after saving'),
    }),
    re('sessions'),
    () => quickDraft.clear(),
  );
  const sessionForm = h(
    'form',
    { 'aria-label': 'Record a session' },
    h('h3', {}, 'Record a session'),
    h(
      'div',
      { class: 'cols' },
      field('Date and time', dateTimeInput('starts_at', nowLocal())),
      field('Mode', select('mode', v.session_mode)),
      field('Venue', input('venue')),
      field('Minutes', input('minutes', { type: 'number', min: 1, max: 600, inputmode: 'numeric' })),
      field('Attendance', select('attendance', v.attendance, { value: 'attended' })),
    ),
    field('Session note', textarea('note', { rows: 4 })),
    field('Actions agreed', textarea('actions_agreed', { rows: 2 })),
    field('Next step', input('next_step')),
    h('button', { type: 'submit' }, 'Save session'),
  );
  (sessionForm.elements.namedItem('attendance') as HTMLSelectElement).value = 'attended';
  const sessionDraft = keepDraft(sessionForm, `session.${pid}`);
  saving(
    sessionForm,
    () =>
      api.recordSession(pid, {
        starts_at: val(sessionForm, 'starts_at'),
        mode: val(sessionForm, 'mode'),
        venue: opt(val(sessionForm, 'venue')),
        minutes: val(sessionForm, 'minutes') ? Number(val(sessionForm, 'minutes')) : undefined,
        attendance: val(sessionForm, 'attendance'),
        actions_agreed: opt(val(sessionForm, 'actions_agreed')),
        next_step: opt(val(sessionForm, 'next_step')),
        note: opt(val(sessionForm, 'note')),
      }),
    'Session saved: it is in the timeline below.',
    re('sessions'),
    () => sessionDraft.clear(),
  );
  const notesBySession = new Map<string, typeof r.notes>();
  const loose: typeof r.notes = [];
  r.notes.forEach((n) => {
    if (n.note.session_id) notesBySession.set(n.note.session_id, [...(notesBySession.get(n.note.session_id) ?? []), n]);
    else loose.push(n);
  });
  const noteView = (n: (typeof r.notes)[number]) => {
    const cur = n.revisions[n.revisions.length - 1];
    const rev = h(
      'form',
      { 'aria-label': 'Revise note', hidden: true },
      field('Revised note', textarea('body', { rows: 3, value: cur.body })),
      h('button', { type: 'submit' }, 'Save revision'),
    );
    const revDraft = keepDraft(rev, `revise.${n.note.id}`, () => {
      rev.hidden = false;
    });
    saving(
      rev,
      () => api.reviseNote(n.note.id, cur.id, val(rev, 'body')),
      'Note revised',
      re('sessions'),
      () => revDraft.clear(),
    );
    const retract = h(
      'form',
      { 'aria-label': 'Retract note', hidden: true },
      field('Reason for retracting', input('reason'), {
        hint: 'For example, written on the wrong record. The note stays in its history, marked retracted.',
      }),
      h('button', { type: 'submit' }, 'Retract note'),
    );
    saving(retract, () => api.retractNote(n.note.id, val(retract, 'reason')), 'Note retracted', re('sessions'));
    return h(
      'article',
      { class: cur.retracted ? 'note retracted' : 'note' },
      h(
        'p',
        { class: 'meta' },
        fmtDateTime(n.note.created_at),
        n.revisions.length > 1 ? ` · revised ${plural(n.revisions.length - 1, 'time')}` : '',
      ),
      cur.retracted ? h('p', {}, `Retracted: ${cur.reason ?? ''}`) : h('p', { class: 'body' }, cur.body),
      n.revisions.length > 1
        ? details(
            'Earlier versions',
            false,
            h(
              'ol',
              {},
              n.revisions
                .slice(0, -1)
                .map((x) => h('li', {}, h('span', { class: 'meta' }, fmtDateTime(x.written_at)), ` ${x.body}`)),
            ),
          )
        : null,
      cur.retracted ? null : disclosure('Revise this note', rev, 'textarea'),
      cur.retracted ? null : disclosure('Retract this note', retract, 'input'),
      rev,
      retract,
    );
  };
  const sessions = section(
    'sessions',
    'Sessions and notes',
    quick,
    // Open for the first session; after that the timeline comes first and the form is a click away.
    ep || !r.episodes.length ? details('Record a session', !r.sessions.length, sessionForm) : null,
    h('h3', {}, 'Timeline'),
    r.sessions.length || loose.length
      ? h(
          'ol',
          { class: 'timeline' },
          [
            ...r.sessions.map((s) => ({
              at: s.starts_at,
              el: h(
                'li',
                {},
                h(
                  'p',
                  {},
                  h('strong', {}, fmtDateTime(s.starts_at)),
                  ` · ${labelOf(v.session_mode, s.mode)}${s.venue ? ` at ${s.venue}` : ''}${s.minutes ? ` · ${s.minutes} minutes` : ''} · `,
                  h(
                    'span',
                    { class: s.attendance === 'did_not_attend' ? 'tag warn' : 'tag' },
                    labelOf(v.attendance, s.attendance),
                  ),
                ),
                s.attendance === 'booked'
                  ? closeOff(
                      { session_id: s.id, starts_at: s.starts_at },
                      r.display_name,
                      () => void refresh('sessions'),
                    )
                  : null,
                s.actions_agreed ? h('p', {}, 'Actions agreed: ', s.actions_agreed) : null,
                s.next_step ? h('p', {}, 'Next step: ', s.next_step) : null,
                ...(notesBySession.get(s.id) ?? []).map(noteView),
              ),
            })),
            ...loose.map((n) => ({ at: n.note.created_at, el: h('li', {}, noteView(n)) })),
          ]
            .sort((a, b) => b.at.localeCompare(a.at))
            .map((x) => x.el),
        )
      : h('p', { class: 'muted' }, 'No sessions or notes yet.'),
  );

  // ---- Wellness plan ----
  const plan = r.plan;
  const planForm = h(
    'form',
    { 'aria-label': 'Wellness plan' },
    field('What keeps me well', textarea('keeps_me_well', { value: plan?.keeps_me_well ?? '' }), {
      hint: 'Daily things',
    }),
    field('What makes me unwell or stressed', textarea('triggers', { value: plan?.triggers ?? '' })),
    field('Early warning signs', textarea('warning_signs', { value: plan?.warning_signs ?? '' }), {
      hint: 'Signs that I am becoming unwell',
    }),
    field('What I will do when I notice them', textarea('when_i_notice', { value: plan?.when_i_notice ?? '' })),
    field('What helps in a crisis, and who to contact', textarea('crisis_help', { value: plan?.crisis_help ?? '' })),
    field('Review by', dateInput('review_on', plan?.review_on ?? '')),
    h('button', { type: 'submit' }, 'Save plan'),
  );
  const planDraft = keepDraft(planForm, `plan.${pid}`);
  saving(
    planForm,
    () =>
      api.saveWellbeingPlan(pid, {
        keeps_me_well: val(planForm, 'keeps_me_well'),
        triggers: val(planForm, 'triggers'),
        warning_signs: val(planForm, 'warning_signs'),
        when_i_notice: val(planForm, 'when_i_notice'),
        crisis_help: val(planForm, 'crisis_help'),
        review_on: opt(val(planForm, 'review_on')),
      }),
    'Wellness plan saved',
    re('plan'),
    () => planDraft.clear(),
  );
  const planSec = section(
    'plan',
    'Wellness plan',
    h(
      'p',
      { class: 'muted' },
      plan
        ? `Version ${r.plan_versions}, written ${fmtDate(plan.written_on)}${plan.review_on ? `; review by ${fmtDate(plan.review_on)}` : ''}.`
        : 'No plan yet. It is drawn from WRAP: fill in what the person says, in their words.',
    ),
    // A written plan reads as the person's words; editing it is a click away.
    plan
      ? h(
          'dl',
          { class: 'facts plan' },
          (
            [
              ['What keeps me well', plan.keeps_me_well],
              ['What makes me unwell or stressed', plan.triggers],
              ['Early warning signs', plan.warning_signs],
              ['What I will do when I notice them', plan.when_i_notice],
              ['What helps in a crisis', plan.crisis_help],
            ] as const
          )
            .filter(([, text]) => text)
            .flatMap(([term, text]) => [h('dt', {}, term), h('dd', {}, text)]),
        )
      : null,
    details(plan ? 'Edit the plan' : 'Write the plan', !plan, planForm),
  );

  // ---- Goals ----
  const stepRows = h('div', { class: 'steps' });
  const addStepRow = () => {
    const n = stepRows.children.length + 1;
    stepRows.append(
      h(
        'div',
        { class: 'cols step' },
        field(`Step ${n}`, input(`step_${n}`), { hint: n === 1 ? 'Small, specific and measurable' : undefined }),
        field(`Step ${n} by`, dateInput(`step_${n}_on`)),
      ),
    );
  };
  addStepRow();
  addStepRow();
  const goalForm = h(
    'form',
    { 'aria-label': 'Add a goal' },
    h('h3', {}, 'Add a goal'),
    field('Goal, in the person’s words', textarea('text', { rows: 2 })),
    field('Five Ways to Wellbeing', select('five_ways', v.five_ways)),
    stepRows,
    h(
      'button',
      {
        type: 'button',
        class: 'secondary',
        onclick: () => {
          addStepRow();
          stepRows.querySelector<HTMLInputElement>(`input[name=step_${stepRows.children.length}]`)?.focus();
        },
      },
      'Add another step',
    ),
    h('button', { type: 'submit' }, 'Add goal'),
  );
  const goalDraft = keepDraft(goalForm, `goal.${pid}`);
  saving(
    goalForm,
    () => {
      const steps = Array.from({ length: stepRows.children.length }, (_, i) => ({
        text: val(goalForm, `step_${i + 1}`),
        target_on: opt(val(goalForm, `step_${i + 1}_on`)),
      })).filter((s) => s.text !== '');
      return api.addGoal(pid, { text: val(goalForm, 'text'), five_ways: val(goalForm, 'five_ways'), steps });
    },
    'Goal added',
    re('goals'),
    () => goalDraft.clear(),
  );
  const ratingChoices = v.goal_rating;
  const goalsWithRatings = r.goals.filter((g) => g.ratings.length);
  const goals = section(
    'goals',
    'Goals',
    r.attainment !== null
      ? h(
          'p',
          {},
          'Goal attainment T-score: ',
          h('strong', {}, r.attainment.toFixed(1)),
          h('span', { class: 'muted' }, ' (50 means goals met as expected)'),
        )
      : null,
    goalsWithRatings.length
      ? lineChart(
          'Goal attainment ratings over time',
          goalsWithRatings.map((g) => ({
            name: g.goal.text,
            points: g.ratings.map((x) => ({ x: x.rated_on, y: x.score })),
          })),
          -2,
          2,
          (n) => (n > 0 ? `+${n}` : String(n)),
        )
      : null,
    r.goals.length
      ? h(
          'ul',
          { class: 'goals' },
          r.goals.map((g, gi) => {
            const rate = h(
              'form',
              { 'aria-label': `Rate goal: ${g.goal.text}`, class: 'inline' },
              field(`Rating for “${g.goal.text}”`, select('score', ratingChoices, { value: '0' })),
              h('button', { type: 'submit' }, 'Rate'),
            );
            (rate.elements.namedItem('score') as HTMLSelectElement).value = '0';
            saving(rate, () => api.rateGoal(g.goal.id, Number(val(rate, 'score'))), 'Rating recorded', re('goals'));
            return h(
              'li',
              { class: 'goal' },
              h('h3', {}, g.goal.text),
              h(
                'p',
                { class: 'muted' },
                `${labelOf(v.five_ways, g.goal.five_ways)} · set ${fmtDate(g.goal.set_on)} · ${labelOf(v.goal_status, g.goal.status)}${r.goal_words[gi] ? ` · latest: ${r.goal_words[gi]}` : ''}`,
              ),
              h(
                'ol',
                { class: 'steps-list', 'aria-label': `Steps for ${g.goal.text}` },
                g.steps.map((s) => {
                  const cb = h('input', { type: 'checkbox', id: `step-${s.id}`, checked: s.status === 'done' });
                  cb.addEventListener('change', async () => {
                    await api.setStepStatus(s.id, cb.checked ? 'done' : 'planned');
                    announce(cb.checked ? 'Step done' : 'Step to do');
                    await refresh('goals');
                  });
                  return h(
                    'li',
                    {},
                    cb,
                    h(
                      'label',
                      { for: `step-${s.id}` },
                      s.text,
                      s.target_on ? h('span', { class: 'muted' }, ` by ${fmtDate(s.target_on)}`) : null,
                    ),
                  );
                }),
              ),
              rate,
            );
          }),
        )
      : h('p', { class: 'muted' }, 'No goals yet.'),
    // Kept a disclosure while empty too, so a second goal straight after the first finds it open.
    details('Add a goal', !r.goals.length, goalForm),
  );

  // ---- Onward referrals ----
  const suggestBox = h('div', { class: 'suggestions', 'aria-live': 'polite' });
  const onward = section(
    'onward',
    'Onward referrals',
    r.onward.length
      ? h(
          'ul',
          { class: 'rows' },
          r.onward.map((o) => {
            const f = h(
              'form',
              { class: 'inline', 'aria-label': `Update ${o.service_name ?? 'referral'}` },
              field(
                `Status of ${o.service_name ?? 'referral'}`,
                select('status', v.onward_status, { value: o.onward.status }),
              ),
              checkGroup('Barriers', 'barriers', v.barrier),
              h('button', { type: 'submit' }, 'Update'),
            );
            (f.elements.namedItem('status') as HTMLSelectElement).value = o.onward.status;
            f.querySelectorAll<HTMLInputElement>('input[name=barriers]').forEach((cb) => {
              cb.checked = o.onward.barriers.some((code) => code === cb.value);
            });
            saving(
              f,
              () =>
                api.updateOnwardReferral(o.onward.id, {
                  status: val(f, 'status'),
                  barriers: checkedValues(f, 'barriers'),
                }),
              'Onward referral updated',
              re('onward'),
            );
            return h(
              'li',
              { class: 'onward' },
              h(
                'p',
                {},
                h('a', { href: `#/directory/${o.onward.service_id}?for=${pid}` }, o.service_name ?? 'Service'),
                ' ',
                h('span', { class: 'tag' }, o.status_label),
                h('span', { class: 'muted' }, ` since ${fmtDate(o.onward.status_on)}`),
                o.onward.barriers.length
                  ? h(
                      'span',
                      { class: 'muted' },
                      ` · barriers: ${o.onward.barriers.map((b) => labelOf(v.barrier, b)).join(', ')}`,
                    )
                  : null,
              ),
              details('Change status or barriers', false, f),
              introductionBox(o.onward.id),
              takeUpBlock(ctx, o, pid, re('onward')),
            );
          }),
        )
      : h('p', { class: 'muted' }, 'No onward referrals yet.'),
    h(
      'div',
      { class: 'actions' },
      h(
        'button',
        {
          type: 'button',
          onclick: async () => {
            const list = await api.suggestServices(pid);
            suggestBox.replaceChildren(
              h('h3', {}, 'Suggested services'),
              list.length
                ? h(
                    'ol',
                    { class: 'rows' },
                    list.map((s) =>
                      h(
                        'li',
                        {},
                        h('a', { href: `#/directory/${s.service.id}?for=${pid}` }, s.service.name),
                        h(
                          'ul',
                          { class: 'why' },
                          s.reasons.map((x) => h('li', {}, x)),
                          s.cautions.map((x) => h('li', { class: 'caution' }, x)),
                        ),
                        h(
                          'button',
                          {
                            type: 'button',
                            class: 'secondary',
                            onclick: async () => {
                              await api.referOnward(pid, s.service.id, 'suggested');
                              announce(`${s.service.name} suggested`);
                              await refresh('onward');
                            },
                          },
                          `Suggest ${s.service.name}`,
                        ),
                      ),
                    ),
                  )
                : h('p', {}, 'Nothing in the directory matches this person’s reasons or goals yet.'),
            );
            suggestBox.querySelector('h3')?.setAttribute('tabindex', '-1');
            suggestBox.querySelector<HTMLElement>('h3')?.focus();
          },
        },
        'Suggest services for this person',
      ),
      h('a', { href: `#/directory?for=${pid}`, class: 'button secondary' }, 'Find in directory'),
    ),
    suggestBox,
  );

  // ---- Audit trail (supervisors only: the core sends it to no one else) ----
  const sarSaved = h('p', { role: 'status' });
  const sar = r.audit_trail
    ? section(
        'sar',
        'Subject access request',
        h(
          'p',
          {},
          `Everything Linkwell holds about ${r.full_name}, with who looked at the record, as one file to answer a subject access request. Exporting is recorded in the audit trail.`,
        ),
        h(
          'button',
          {
            type: 'button',
            onclick: async () => {
              const data = await api.exportPerson(pid);
              const name = `subject-access-${pid.slice(0, 8)}-${todayIso()}.json`;
              const a = h('a', {
                href: URL.createObjectURL(new Blob([JSON.stringify(data, null, 2)], { type: 'application/json' })),
                download: name,
              });
              document.body.append(a);
              a.click();
              a.remove();
              sarSaved.textContent = `Saved as ${name} in your downloads. The file is not encrypted: hand it over securely and delete your copy.`;
            },
          },
          `Export everything about ${r.display_name}`,
        ),
        sarSaved,
      )
    : null;
  const audit = r.audit_trail
    ? section(
        'audit',
        'Who has looked at this record',
        h(
          'p',
          { class: 'hint' },
          'Every opening, printing and export of this record, by whom and on which laptop. Kept for good; it cannot be changed.',
        ),
        r.audit_trail.length
          ? h(
              'table',
              {},
              h('caption', { class: 'visually-hidden' }, 'Audit trail, newest first'),
              h(
                'thead',
                {},
                h(
                  'tr',
                  {},
                  ['When', 'Who', 'What', 'Laptop'].map((t) => h('th', { scope: 'col' }, t)),
                ),
              ),
              h(
                'tbody',
                {},
                r.audit_trail.map((a) =>
                  h(
                    'tr',
                    {},
                    h('td', {}, fmtDateTime(a.at)),
                    h('td', {}, a.worker_name ?? 'A worker from another team'),
                    h('td', {}, a.action_label),
                    h('td', {}, h('code', {}, a.device_id.slice(-8))),
                  ),
                ),
              ),
            )
          : h('p', { class: 'muted' }, 'Nobody has opened this record yet.'),
      )
    : null;

  // Reading order as on paper: summary, referral, sessions, plan, goals, measures, onward.
  const all = [
    summary,
    referral,
    messagesSection(ctx, r, refresh),
    sessions,
    planSec,
    goals,
    ...outcomeSections(ctx, r, refresh),
    onward,
    sar,
    audit,
  ].filter((el): el is HTMLElement => el !== null);
  all.forEach((el) =>
    el.querySelectorAll('details').forEach((d, i) => {
      const id = `${el.id}-d${i}`;
      d.id = id;
      if (open.has(id)) d.open = true;
    }),
  );
  return all;
}

/** A link-styled button that shows and hides `panel`, saying which in aria-expanded, and puts the
 * cursor in the panel's first `focus` field when it opens. */
function disclosure(label: string, panel: HTMLElement, focus: string): HTMLButtonElement {
  const button = h('button', { type: 'button', class: 'link', 'aria-expanded': 'false' }, label) as HTMLButtonElement;
  button.addEventListener('click', () => {
    panel.hidden = !panel.hidden;
    button.setAttribute('aria-expanded', String(!panel.hidden));
    if (!panel.hidden) panel.querySelector<HTMLElement>(focus)?.focus();
  });
  return button;
}

/** The introduction for the group lead: the words to copy, and a one-page PDF to send. */
function introductionBox(onwardId: Id): HTMLElement {
  const out = h('div', { role: 'status' });
  const box = details(
    'Introduction for the group lead',
    false,
    h(
      'p',
      { class: 'actions' },
      h(
        'button',
        {
          type: 'button',
          class: 'secondary',
          onclick: async () => {
            const intro = await api.onwardIntroduction(onwardId);
            const text = h('textarea', { readonly: true, rows: 10, 'aria-label': 'Introduction to copy' });
            (text as HTMLTextAreaElement).value = intro.text;
            out.replaceChildren(h('p', { class: 'muted' }, intro.sharing_words), text);
          },
        },
        'Show the words to copy',
      ),
      h(
        'button',
        {
          type: 'button',
          class: 'secondary',
          onclick: async () => announce(`Saved as ${await api.saveIntroduction(onwardId)}`),
        },
        'Save the introduction as PDF',
      ),
    ),
    out,
  );
  return box;
}
