// Caseload: filter by status, stage and worker; sort; filter the list instantly by name.

import { api, type CaseloadRow } from '../api';
import type { Ctx } from '../main';
import { h, field, select, input, fmtDate, labelOf, plural } from '../dom';

export async function caseloadView(ctx: Ctx): Promise<HTMLElement> {
  const workers = await api.workers();
  const me = ctx.status.worker?.id ?? '';
  // Filters are kept per worker: switching profile must not show the next worker the last one's view.
  const savedKey = `linkwell.caseload.${me}`;
  const saved = JSON.parse(sessionStorage.getItem(savedKey) ?? '{}') as Record<string, string>;
  const status = select('status', ctx.vocab.episode_status, { blank: 'All open' });
  const stage = select('stage', ctx.vocab.stage, { blank: 'Any stage' });
  const worker = select(
    'worker',
    workers.map((w) => ({ code: w.id, label: w.id === me ? `${w.name} (you)` : w.name })),
    { blank: 'Everyone' },
  );
  const sort = select('sort', [
    { code: 'name', label: 'Name' },
    { code: 'opened', label: 'Date opened' },
    { code: 'last_contact', label: 'Last contact (longest ago first)' },
  ]);
  const filter = input('filter', { type: 'search' });
  status.value = saved.status ?? '';
  stage.value = saved.stage ?? '';
  worker.value = saved.worker ?? me;
  sort.value = saved.sort ?? 'name';
  const count = h('p', { role: 'status', class: 'muted' });
  const tbody = h('tbody');
  let rows: CaseloadRow[] = [];
  const render = () => {
    const q = filter.value.trim().toLowerCase();
    const shown = q ? rows.filter((r) => r.name.toLowerCase().includes(q)) : rows;
    count.textContent = `${plural(shown.length, 'person', 'people')} shown`;
    tbody.replaceChildren(
      ...shown.map((r) =>
        h(
          'tr',
          {},
          h('th', { scope: 'row' }, h('a', { href: `#/person/${r.person_id}` }, r.name)),
          h('td', {}, labelOf(ctx.vocab.episode_status, r.status)),
          h('td', {}, labelOf(ctx.vocab.stage, r.stage)),
          h('td', {}, fmtDate(r.opened_on)),
          h('td', {}, r.last_contact ? fmtDate(r.last_contact.slice(0, 10)) : 'None yet'),
          h('td', {}, r.next_appointment ? fmtDate(r.next_appointment.slice(0, 10)) : '–'),
        ),
      ),
    );
  };
  const load = async () => {
    sessionStorage.setItem(
      savedKey,
      JSON.stringify({ status: status.value, stage: stage.value, worker: worker.value, sort: sort.value }),
    );
    rows = await api.caseload({
      status: status.value || null,
      stage: stage.value || null,
      worker_id: worker.value || null,
      sort: sort.value,
    });
    render();
  };
  [status, stage, worker, sort].forEach((c) => c.addEventListener('change', () => void load()));
  filter.addEventListener('input', render);
  await load();
  return h(
    'div',
    {},
    h('h1', {}, 'Caseload'),
    h(
      'form',
      {
        class: 'filters',
        role: 'search',
        'aria-label': 'Filter the caseload',
        onsubmit: (e: Event) => e.preventDefault(),
      },
      field('Find by name', filter),
      field('Status', status),
      field('Stage', stage),
      field('Worker', worker),
      field('Sort by', sort),
    ),
    count,
    h(
      'div',
      { class: 'table-wrap' },
      h(
        'table',
        {},
        h('caption', { class: 'visually-hidden' }, 'People on the caseload'),
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            ['Name', 'Status', 'Stage', 'Opened', 'Last contact', 'Next appointment'].map((t) =>
              h('th', { scope: 'col' }, t),
            ),
          ),
        ),
        tbody,
      ),
    ),
  );
}
