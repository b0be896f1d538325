// After an onward referral: a group's places and waiting list (its directory page), and on the
// person page the wait, the sessions attended, 8 weeks on, and the group lead's feedback.
// Every rule is the core's; these forms send what was typed and show what it says.

import { api, type Id, type OnwardView, type Service } from '../api';
import type { Ctx } from '../main';
import {
  h,
  field,
  input,
  dateInput,
  textarea,
  select,
  val,
  opt,
  onSubmit,
  announce,
  fmtDate,
  labelOf,
  plural,
} from '../dom';

/** "8 of 12 places free (as of 2 Dec 2026)", or whether it has room. */
export function capacityText(ctx: Ctx, s: Service): string {
  const as = s.capacity_on ? ` (as of ${fmtDate(s.capacity_on)})` : '';
  if (s.places_free != null && s.places_per_session != null)
    return `${s.places_free} of ${s.places_per_session} places free${as}`;
  if (s.places_free != null) return `${plural(s.places_free, 'place')} free${as}`;
  const room = labelOf(ctx.vocab.has_room, s.has_room);
  return s.places_per_session != null
    ? `${s.places_per_session} places per session; ${room.toLowerCase()}${as}`
    : `${room}${as}`;
}

/** The group's places: shown, and a form to say what the group lead last said. */
export function capacityCard(ctx: Ctx, s: Service, reload: () => void): HTMLElement {
  const form = h(
    'form',
    { 'aria-label': 'Places and room', novalidate: true },
    h(
      'div',
      { class: 'cols' },
      field(
        'Places per session',
        input('places_per_session', { inputmode: 'numeric', value: s.places_per_session?.toString() ?? '' }),
      ),
      field('Places free', input('places_free', { inputmode: 'numeric', value: s.places_free?.toString() ?? '' })),
      field('Has room, when nobody counts the places', select('has_room', ctx.vocab.has_room)),
    ),
    h('button', { type: 'submit', class: 'secondary' }, 'Save places'),
  );
  (form.elements.namedItem('has_room') as HTMLSelectElement).value = s.has_room;
  onSubmit(form, async () => {
    await api.setCapacity(s.id, {
      places_per_session: opt(val(form, 'places_per_session')),
      places_free: opt(val(form, 'places_free')),
      has_room: val(form, 'has_room'),
    });
    announce('Places saved');
    reload();
  });
  return h(
    'section',
    { class: 'card', 'aria-labelledby': 'places-h' },
    h('h2', { id: 'places-h' }, 'Places'),
    h('p', {}, capacityText(ctx, s)),
    h('details', {}, h('summary', {}, 'Change places or room'), form),
  );
}

/** Who is waiting for a place, and (when finding a group for someone) putting them on the list. */
export async function waitingCard(s: Service, forId: Id | undefined, reload: () => void): Promise<HTMLElement> {
  const waiting = await api.waitingList(s.id);
  let join: HTMLElement | null = null;
  if (forId && !waiting.some((w) => w.entry.person_id === forId)) {
    const rec = await api.personRecord(forId);
    const form = h(
      'form',
      { 'aria-label': 'Put on the waiting list', novalidate: true },
      field('Waiting since', dateInput('since_on')),
      h('button', { type: 'submit', class: 'secondary' }, `Put ${rec.display_name} on the waiting list`),
    );
    onSubmit(form, async () => {
      await api.joinWaitingList({ person_id: forId, service_id: s.id, since_on: opt(val(form, 'since_on')) });
      announce(`${rec.display_name} is on the waiting list for ${s.name}`);
      reload();
    });
    join = form;
  }
  return h(
    'section',
    { class: 'card', 'aria-labelledby': 'waiting-h' },
    h('h2', { id: 'waiting-h' }, 'Waiting list'),
    waiting.length
      ? h(
          'ul',
          { class: 'rows', 'aria-label': 'Waiting for a place' },
          waiting.map((w) =>
            h(
              'li',
              {},
              h('a', { href: `#/person/${w.entry.person_id}?section=onward` }, w.person_name),
              ` waiting since ${fmtDate(w.entry.since_on)} (${plural(w.days_waiting, 'day')}), referred by ${w.worker_name}`,
            ),
          ),
        )
      : h('p', { class: 'muted' }, 'Nobody is waiting for a place.'),
    join,
  );
}

/** On the person page, under one onward referral: the wait, sessions, 8 weeks on, feedback. */
export function takeUpBlock(ctx: Ctx, o: OnwardView, pid: Id, refresh: () => Promise<void>): HTMLElement {
  const t = o.take_up;
  const name = o.service_name ?? 'the group';
  const facts = h(
    'p',
    { class: 'muted' },
    t.waiting ? `On the waiting list since ${fmtDate(t.waiting.since_on)}. ` : '',
    `${plural(t.attended.length, 'session')} attended`,
    t.attended.length ? ` (last ${fmtDate(t.attended[t.attended.length - 1])})` : '',
    `. ${t.adherence_label}.`,
  );
  const parts: HTMLElement[] = [facts];
  if (o.open && !t.waiting) {
    const wait = h(
      'form',
      { class: 'inline', 'aria-label': `Waiting list for ${name}`, novalidate: true },
      field('Waiting since', dateInput('since_on')),
      h('button', { type: 'submit' }, 'Put on the waiting list'),
    );
    onSubmit(wait, async () => {
      await api.joinWaitingList({
        person_id: pid,
        service_id: o.onward.service_id,
        since_on: opt(val(wait, 'since_on')),
      });
      announce(`On the waiting list for ${name}`);
      await refresh();
    });
    parts.push(h('details', {}, h('summary', {}, 'Put on the waiting list'), wait));
  }
  if (t.waiting) {
    const entry = t.waiting.id;
    const end = h(
      'form',
      { class: 'inline', 'aria-label': `End the wait for ${name}` },
      field('How the wait ended', select('reason', ctx.vocab.wait_end)),
      h('button', { type: 'submit' }, 'End the wait'),
    );
    onSubmit(end, async () => {
      await api.endWait(entry, val(end, 'reason'));
      announce('Wait ended');
      await refresh();
    });
    parts.push(h('details', {}, h('summary', {}, 'End the wait'), end));
  }
  const came = h(
    'form',
    { class: 'inline', 'aria-label': `Session attended at ${name}`, novalidate: true },
    field('Day of the session', dateInput('attended_on')),
    h('button', { type: 'submit' }, 'Record a session attended'),
  );
  onSubmit(came, async () => {
    await api.recordGroupAttendance(o.onward.id, val(came, 'attended_on'));
    announce(`Session at ${name} recorded`);
    await refresh();
  });
  parts.push(h('details', {}, h('summary', {}, 'Record a session attended'), came));
  const said = h(
    'form',
    { 'aria-label': `The group lead’s feedback on ${name}`, novalidate: true },
    h('div', { class: 'cols' }, field('From whom', input('from_whom')), field('When', dateInput('received_on'))),
    field('What they said', textarea('said')),
    h('button', { type: 'submit' }, 'Record feedback'),
  );
  onSubmit(said, async () => {
    await api.recordLeadFeedback(o.onward.id, {
      from_whom: val(said, 'from_whom'),
      said: val(said, 'said'),
      received_on: opt(val(said, 'received_on')),
    });
    announce('Feedback recorded');
    await refresh();
  });
  if (t.lead_feedback.length)
    parts.push(
      h(
        'ul',
        { class: 'rows', 'aria-label': `What ${name} said` },
        t.lead_feedback.map((f) => h('li', {}, h('strong', {}, `${f.from_whom}, ${fmtDate(f.received_on)}: `), f.said)),
      ),
    );
  parts.push(h('details', {}, h('summary', {}, 'Record feedback from the group lead'), said));
  return h('div', { class: 'take-up' }, ...parts);
}
