// Today: appointments, follow-ups due, new referrals waiting for first contact, reviews due,
// messages to referrers not yet sent.

import { api, type Appointment } from '../api';
import type { Ctx } from '../main';
import { h, fmtDate, fmtDateTime, labelOf, plural, announce } from '../dom';

const WHAT: Record<string, string> = { wellbeing_plan: 'wellness plan review', risk_flag: 'risk flag review' };

function block(title: string, empty: string, items: HTMLElement[]): HTMLElement {
  const id = `h-${title.replace(/\W+/g, '-').toLowerCase()}`;
  return h(
    'section',
    { class: 'card', 'aria-labelledby': id },
    h('h2', { id }, title, ' ', h('span', { class: 'count' }, `(${items.length})`)),
    items.length ? h('ul', { class: 'rows' }, items) : h('p', { class: 'muted' }, empty),
  );
}

const personLink = (id: string, name: string) => h('a', { href: `#/person/${id}` }, name);

/** Attended, did not attend or cancelled: an appointment leaves Today once it is closed off. */
export function closeOff(a: { session_id: string; starts_at: string }, who: string, done: () => void): HTMLElement {
  const when = fmtDateTime(a.starts_at);
  const say = h('p', { class: 'error', hidden: true });
  const button = (code: string, label: string) =>
    h(
      'button',
      {
        type: 'button',
        class: 'secondary small',
        onclick: async () => {
          try {
            await api.updateSessionAttendance(a.session_id, code);
            announce(`${who}’s appointment on ${when}: ${label.toLowerCase()}`);
            done();
          } catch (e) {
            say.textContent = e instanceof Error ? e.message : String(e);
            say.hidden = false;
          }
        },
      },
      label,
    );
  return h(
    'div',
    { role: 'group', class: 'close-off', 'aria-label': `Close off ${who}’s appointment on ${when}` },
    button('attended', 'Attended'),
    button('did_not_attend', 'Did not attend'),
    button('cancelled', 'Cancelled'),
    say,
  );
}

const isToday = (a: Appointment, day: string) => a.starts_at.slice(0, 10) === day;

export async function todayView(ctx: Ctx): Promise<HTMLElement> {
  const t = await api.today();
  const v = ctx.vocab;
  return h(
    'div',
    { class: 'today' },
    h('h1', {}, 'Today', h('span', { class: 'sub' }, ` ${fmtDate(t.date)}`)),
    h('p', { class: 'lead' }, ctx.status.worker ? `Good to see you, ${ctx.status.worker.name}.` : ''),
    h(
      'div',
      { class: 'grid' },
      block(
        'Appointments',
        'No appointments to close off today.',
        t.appointments.map((a) =>
          h(
            'li',
            {},
            h(
              'time',
              { datetime: a.starts_at },
              isToday(a, t.date) ? a.starts_at.slice(11, 16) : `${fmtDateTime(a.starts_at)} (not closed off)`,
            ),
            ' ',
            personLink(a.person_id, a.person_name),
            h('span', { class: 'muted' }, ` · ${labelOf(v.session_mode, a.mode)}${a.venue ? ` at ${a.venue}` : ''}`),
            closeOff(a, a.person_name, () => ctx.go('#/today')),
          ),
        ),
      ),
      block(
        'Waiting for first contact',
        'Nobody is waiting.',
        t.waiting.map((w) =>
          h(
            'li',
            {},
            personLink(w.person_id, w.person_name),
            h('span', { class: w.days_waiting > 5 ? 'tag warn' : 'tag' }, `${plural(w.days_waiting, 'day')} waiting`),
            h('span', { class: 'muted' }, ` · ${plural(w.attempts, 'attempt')} so far`),
          ),
        ),
      ),
      block(
        'Follow-ups due',
        'No follow-up measures due.',
        t.follow_ups.map((f) =>
          h(
            'li',
            {},
            personLink(f.person_id, f.person_name),
            ` – ${f.label} `,
            h(
              'span',
              { class: f.days_overdue > 0 ? 'tag warn' : 'tag' },
              f.days_overdue > 0 ? `${plural(f.days_overdue, 'day')} overdue` : `due ${fmtDate(f.due_on)}`,
            ),
            f.remind_on ? h('span', { class: 'muted' }, ` · reminder you set for ${fmtDate(f.remind_on)}`) : null,
          ),
        ),
      ),
      block(
        'Reviews due',
        'No plan or risk reviews due.',
        [...t.risk_reviews, ...t.plan_reviews].map((r) =>
          h(
            'li',
            {},
            personLink(r.person_id, r.person_name),
            ` – ${WHAT[r.what] ?? r.what.replace(/_/g, ' ')} `,
            h(
              'span',
              { class: r.days_overdue > 0 ? 'tag warn' : 'tag' },
              r.days_overdue > 0 ? `${plural(r.days_overdue, 'day')} overdue` : `by ${fmtDate(r.review_on)}`,
            ),
          ),
        ),
      ),
      block(
        'Messages to referrers',
        'No messages to referrers due.',
        t.messages_due.map((m) =>
          h(
            'li',
            {},
            personLink(m.person_id, m.person_name),
            ` – ${labelOf(v.message_kind, m.kind).toLowerCase()} message to ${m.referrer_name} `,
            h(
              'span',
              { class: m.overdue ? 'tag warn' : 'tag' },
              m.overdue ? `overdue since ${fmtDate(m.due_on)}` : `by ${fmtDate(m.due_on)}`,
            ),
            m.worker_name !== ctx.status.worker?.name ? h('span', { class: 'muted' }, ` · ${m.worker_name}`) : null,
            ' ',
            h('a', { href: `#/person/${m.person_id}?section=messages`, class: 'small' }, 'Review and send'),
          ),
        ),
      ),
    ),
  );
}
