// Changes to review: what sync could not settle alone. The core words each item and decides
// what may be done with it; this screen only shows it and passes the worker's choice back.

import { api, ApiError, type ReviewItem, type ReviewSettlement } from '../api';
import { h, fmtDate, announce } from '../dom';

function personLine(p: NonNullable<ReviewItem['person']>): HTMLElement {
  const details = [p.date_of_birth ? `born ${fmtDate(p.date_of_birth)}` : null, p.postcode].filter(Boolean).join(', ');
  return h('li', {}, h('a', { href: `#/person/${p.id}` }, p.name), details ? ` (${details})` : '');
}

const shown = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v));

function values(item: ReviewItem): HTMLElement | null {
  if (item.kind === 'possible_duplicate') return null;
  const rows: [string, unknown][] = [];
  if (item.kept != null) rows.push(['Kept', item.kept]);
  if (item.lost != null)
    rows.push([item.kind === 'rejected' || item.kind === 'quarantined' ? 'What was sent' : 'Also written', item.lost]);
  if (!rows.length) return null;
  return h('dl', { class: 'review-values' }, ...rows.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, shown(v))]));
}

function card(item: ReviewItem, refresh: () => void): HTMLElement {
  const say = h('p', { class: 'error', role: 'alert', hidden: true });
  const settle = (how: ReviewSettlement, label: string, done: string) =>
    h(
      'button',
      {
        type: 'button',
        class: how === 'seen' ? 'secondary' : null,
        onclick: async () => {
          try {
            await api.settleReview(item.id, how);
            announce(done);
            refresh();
          } catch (e) {
            say.textContent = e instanceof ApiError ? e.message : String(e);
            say.hidden = false;
          }
        },
      },
      label,
    );
  const people = [item.person, item.other_person].filter((p): p is NonNullable<typeof p> => p != null);
  const duplicate = item.kind === 'possible_duplicate';
  return h(
    'li',
    { class: 'card review-item', 'data-kind': item.kind },
    h('p', {}, item.summary),
    people.length
      ? h('ul', { class: 'rows', 'aria-label': duplicate ? 'The two records' : 'Whose record' }, people.map(personLine))
      : null,
    values(item),
    h(
      'div',
      { class: 'actions' },
      duplicate && !item.certain
        ? settle('different_people', 'They are different people', 'Recorded: they are different people')
        : null,
      duplicate && item.certain
        ? h('p', { class: 'muted' }, 'Same NHS number: correct it on the record that is wrong, and the flag goes.')
        : null,
      duplicate ? null : settle('seen', 'Seen', 'Marked as seen'),
    ),
    say,
  );
}

export async function reviewView(): Promise<HTMLElement> {
  const view = h('section', { 'aria-labelledby': 'h-review' });
  const draw = async () => {
    const items = await api.syncReview();
    view.replaceChildren(
      h('h1', { id: 'h-review' }, 'Changes to review'),
      items.length
        ? h(
            'ul',
            { class: 'review-list' },
            items.map((i) => card(i, () => void draw())),
          )
        : h('p', { class: 'muted' }, 'Nothing to review: sync settled everything.'),
    );
  };
  await draw();
  return view;
}
