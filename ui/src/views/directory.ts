// The community directory: search and filter, a service's page, add and edit, and referring
// the person you came from ("for") to a service.

import { api, type Service, type ServiceInput, type Id, type ImportReport, type FeedImportReport } from '../api';
import type { Ctx } from '../main';
import { capacityCard, capacityText, waitingCard } from './groups';
import {
  h,
  field,
  input,
  textarea,
  select,
  checkbox,
  checkGroup,
  checkedValues,
  val,
  opt,
  bool,
  reportError,
  clearMessage,
  labelOf,
  fmtDate,
  announce,
  plural,
  keepDraft,
} from '../dom';

function when(ctx: Ctx, s: Service): string {
  return s.schedules
    .map(
      (x) =>
        `${labelOf(ctx.vocab.weekday, x.weekday)} ${x.starts}–${x.ends}${x.frequency && x.frequency !== 'weekly' ? ` (${x.frequency})` : ''}`,
    )
    .join('; ');
}

function access(ctx: Ctx, s: Service): string[] {
  return [
    s.free ? 'Free' : s.cost ? `Cost: ${s.cost}` : '',
    s.step_free ? 'Step-free' : '',
    s.hearing_loop ? 'Hearing loop' : '',
    s.taking_new_members ? 'Taking new members' : 'Full at present',
    s.places_free != null || s.has_room !== 'unknown' ? capacityText(ctx, s) : '',
  ].filter(Boolean);
}

/** The import's report in the worker's words: counts, then each skipped record and difference. */
function reportView(r: ImportReport): HTMLElement {
  const items = [
    ...r.notes,
    ...r.skipped.map((s) => `Skipped ${s.id ?? '(no id)'}: ${s.reason}`),
    ...r.no_longer_listed.map((u) => `No longer listed since ${fmtDate(u.since)}: ${u.name}`),
    ...r.feed_differs.map(
      (d) => `Kept your edit of ${d.field} for ${d.name}; the feed now says ${JSON.stringify(d.feed)}`,
    ),
  ];
  return h(
    'div',
    { class: 'card' },
    h(
      'p',
      {},
      `Read as ${r.format}: ${r.added} added, ${r.updated} updated, ${r.unchanged} unchanged, ` +
        `${r.skipped.length} skipped, ${r.no_longer_listed.length} no longer listed.`,
    ),
    items.length
      ? h(
          'ul',
          {},
          items.map((i) => h('li', {}, i)),
        )
      : null,
  );
}

/** Import an Open Referral UK feed saved as a JSON file; the core reads and merges it. */
function importForm(reload: () => Promise<void>): HTMLElement {
  const report = h('div', { role: 'status' });
  const file = h('input', { type: 'file', name: 'file', accept: '.json,application/json' });
  const form = h(
    'form',
    {
      'aria-label': 'Import an Open Referral UK feed',
      onsubmit: async (e: Event) => {
        e.preventDefault();
        clearMessage(form);
        const chosen = file.files?.[0];
        if (!chosen) {
          report.replaceChildren(h('p', {}, 'Choose a feed file first.'));
          return;
        }
        try {
          const r = await api.importDirectory(await chosen.text());
          report.replaceChildren(reportView(r));
          await reload();
        } catch (err) {
          report.replaceChildren();
          reportError(form, err);
        }
      },
    },
    field('Open Referral UK feed (JSON file)', file),
    h('button', { type: 'submit', class: 'secondary' }, 'Import feed'),
  );
  return h('div', {}, form, report);
}

/** The report of an import from an address: pages read, then the usual report; if a page
 * could not be read, the core's words saying which and how to carry on. */
function feedReportView(r: FeedImportReport): HTMLElement {
  const pages = `${plural(r.pages_read, 'page')} read${r.total_pages ? ` of ${r.total_pages}` : ''}`;
  return h(
    'div',
    {},
    r.error ? h('p', { class: 'error', role: 'alert' }, r.error) : null,
    h(
      'p',
      {},
      r.resumed_from ? `Carried on from page ${r.resumed_from}, where the last import stopped. ${pages}.` : `${pages}.`,
    ),
    reportView(r.report),
  );
}

/** Import a feed from its address (https://), page by page, through the app's own connection. */
async function feedForm(reload: () => Promise<void>): Promise<HTMLElement> {
  const report = h('div', { role: 'status' });
  const url = input('url', { type: 'url', placeholder: 'https://' });
  const button = h('button', { type: 'submit', class: 'secondary' }, 'Import from address');
  const stopped = await api.stoppedFeedImport();
  if (stopped) {
    url.value = stopped.url;
    button.textContent = `Carry on from page ${stopped.next_page}`;
  }
  const form = h(
    'form',
    {
      'aria-label': 'Import an Open Referral UK feed from its address',
      onsubmit: async (e: Event) => {
        e.preventDefault();
        clearMessage(form);
        button.setAttribute('disabled', '');
        report.replaceChildren(h('p', {}, 'Reading the feed page by page…'));
        try {
          const r = await api.importDirectoryFeed(url.value);
          report.replaceChildren(feedReportView(r));
          button.textContent = r.stopped_at ? `Carry on from page ${r.stopped_at}` : 'Import from address';
          await reload();
        } catch (err) {
          report.replaceChildren();
          reportError(form, err);
        } finally {
          button.removeAttribute('disabled');
        }
      },
    },
    field('Feed address', url, { hint: 'The /services address the council or network publishes' }),
    button,
  );
  return h('div', {}, form, report);
}

async function forBanner(forId?: Id): Promise<HTMLElement | null> {
  if (!forId) return null;
  const rec = await api.personRecord(forId);
  return h(
    'p',
    { class: 'banner' },
    'Finding a service for ',
    h('a', { href: `#/person/${forId}?section=onward` }, rec.full_name),
    '.',
  );
}

export async function directoryView(ctx: Ctx, forId?: Id): Promise<HTMLElement> {
  const v = ctx.vocab;
  const saved = JSON.parse(sessionStorage.getItem('linkwell.directory') ?? '{}') as Record<string, string | boolean>;
  const form = h(
    'form',
    {
      class: 'filters',
      role: 'search',
      'aria-label': 'Filter the directory',
      onsubmit: (e: Event) => e.preventDefault(),
    },
    field('Search the directory', input('text', { type: 'search', value: (saved.text as string) ?? '' })),
    field('Category', select('category', v.service_category, { blank: 'Any category' })),
    field('Five Ways', select('five_ways', v.five_ways, { blank: 'Any' })),
    field('Day', select('day', v.weekday, { blank: 'Any day' })),
    h(
      'div',
      { class: 'check-row' },
      field('Free', checkbox('free_only')),
      field('Step-free', checkbox('step_free')),
      field('Hearing loop', checkbox('hearing_loop')),
      field('Taking new members', checkbox('taking_new_members')),
    ),
  );
  for (const k of ['category', 'five_ways', 'day'])
    (form.elements.namedItem(k) as HTMLSelectElement).value = (saved[k] as string) ?? '';
  for (const k of ['free_only', 'step_free', 'hearing_loop', 'taking_new_members'])
    (form.elements.namedItem(k) as HTMLInputElement).checked = Boolean(saved[k]);
  const count = h('p', { role: 'status', class: 'muted' });
  const list = h('ul', { class: 'services' });
  let seq = 0;
  const load = async () => {
    const filter = {
      text: opt(val(form, 'text')),
      category: opt(val(form, 'category')),
      five_ways: opt(val(form, 'five_ways')),
      day: opt(val(form, 'day')),
      free_only: bool(form, 'free_only'),
      step_free: bool(form, 'step_free'),
      hearing_loop: bool(form, 'hearing_loop'),
      taking_new_members: bool(form, 'taking_new_members'),
    };
    sessionStorage.setItem('linkwell.directory', JSON.stringify(filter));
    const mine = ++seq;
    // Busy until the results of the latest filter are shown: assistive technology (and the
    // tests) know the list is about to change under them.
    list.setAttribute('aria-busy', 'true');
    const services = await api.services(filter);
    if (mine !== seq) return;
    list.setAttribute('aria-busy', 'false');
    count.textContent = `${plural(services.length, 'service')} found`;
    list.replaceChildren(
      ...services.map((s) =>
        h(
          'li',
          { class: 'card service' },
          h('h2', {}, h('a', { href: `#/directory/${s.id}${forId ? `?for=${forId}` : ''}` }, s.name)),
          h('p', {}, s.description),
          h('p', { class: 'muted' }, [when(ctx, s), s.venue].filter(Boolean).join(' · ')),
          h(
            'ul',
            { class: 'tags', 'aria-label': 'Access and cost' },
            access(ctx, s).map((a) => h('li', { class: 'tag' }, a)),
          ),
        ),
      ),
    );
  };
  form.addEventListener('input', () => void load());
  form.addEventListener('change', () => void load());
  await load();
  return h(
    'div',
    {},
    h('h1', {}, 'Directory'),
    await forBanner(forId),
    h('p', {}, h('a', { href: '#/directory/new', class: 'button secondary' }, 'Add a service')),
    h('details', {}, h('summary', {}, 'Import from an Open Referral UK feed'), importForm(load), await feedForm(load)),
    form,
    count,
    list,
  );
}

export async function serviceView(ctx: Ctx, id: Id, forId?: Id): Promise<HTMLElement> {
  const v = ctx.vocab;
  const s = await api.service(id);
  let referBox: HTMLElement | null = null;
  if (forId) {
    const rec = await api.personRecord(forId);
    const existing = rec.onward.find((o) => o.onward.service_id === id && o.open);
    const form = h(
      'form',
      { 'aria-label': 'Refer to this service' },
      field('Status', select('status', v.onward_start_status, { value: 'referral_made' })),
      h('button', { type: 'submit', class: 'primary' }, `Refer ${rec.display_name} to this service`),
    );
    (form.elements.namedItem('status') as HTMLSelectElement).value = 'referral_made';
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      clearMessage(form);
      try {
        await api.referOnward(forId, id, val(form, 'status'));
        announce(`${rec.display_name} referred to ${s.name}`);
        ctx.go(`#/person/${forId}?section=onward`);
      } catch (err) {
        reportError(form, err);
      }
    });
    referBox = h(
      'section',
      { class: 'card', 'aria-labelledby': 'refer-h' },
      h('h2', { id: 'refer-h' }, `Refer ${rec.full_name}`),
      existing ? h('p', {}, `Already linked: ${existing.status_label}.`) : form,
    );
  }
  const row = (k: string, val2: string | null | undefined) => (val2 ? [h('dt', {}, k), h('dd', {}, val2)] : []);
  const here = () => ctx.go(`#/directory/${id}${forId ? `?for=${forId}` : ''}`);
  const places = capacityCard(ctx, s, here);
  const waiting = await waitingCard(s, forId, here);
  return h(
    'div',
    {},
    h('p', {}, h('a', { href: `#/directory${forId ? `?for=${forId}` : ''}` }, '← Back to the directory')),
    h('h1', {}, s.name),
    referBox,
    h(
      'section',
      { class: 'card', 'aria-label': 'About this service' },
      h('p', { class: 'lead' }, s.description),
      h(
        'dl',
        { class: 'facts' },
        row('When', when(ctx, s)),
        row('Where', [s.venue, s.address, s.postcode].filter(Boolean).join(', ')),
        row('Cost', s.free ? 'Free' : (s.cost ?? 'Ask')),
        row('Access', access(ctx, s).join(', ')),
        row('Transport', s.transport),
        row('Categories', s.categories.map((c) => labelOf(v.service_category, c)).join(', ')),
        row('Five Ways', s.five_ways.map((c) => labelOf(v.five_ways, c)).join(', ')),
        row('Contact', [s.contact_name, s.contact_phone, s.contact_email].filter(Boolean).join(', ')),
        row('Run by', s.lead),
        row('Last checked', s.last_verified_on ? fmtDate(s.last_verified_on) : 'Never'),
        row('Status', labelOf(v.service_status, s.status)),
      ),
    ),
    places,
    waiting,
    h(
      'p',
      { class: 'actions' },
      h('a', { href: `#/directory/${id}/edit`, class: 'button secondary' }, 'Edit this service'),
      h(
        'button',
        {
          type: 'button',
          class: 'secondary',
          onclick: async () => {
            await api.verifyService(id);
            announce('Marked as checked today');
            ctx.go(`#/directory/${id}${forId ? `?for=${forId}` : ''}`);
          },
        },
        'Mark as checked today',
      ),
      h(
        'button',
        {
          type: 'button',
          class: 'secondary',
          onclick: async () => {
            try {
              const out = await api.saveServicePage(id);
              announce(out.path ? `Saved as ${out.path}` : `Saved as ${out.file_name}`);
            } catch (err) {
              announce(err instanceof Error ? err.message : String(err));
            }
          },
        },
        'Print as a Green Book insert',
      ),
    ),
  );
}

export async function serviceFormView(ctx: Ctx, id?: Id): Promise<HTMLElement> {
  const v = ctx.vocab;
  const s = id ? await api.service(id) : null;
  const sched = s?.schedules[0];
  const form = h(
    'form',
    { 'data-primary': true, novalidate: true, 'aria-labelledby': 'svc-h' },
    field('Name', input('name', { value: s?.name ?? '' }), { required: true }),
    field('What happens', textarea('description', { value: s?.description ?? '' }), { required: true }),
    checkGroup('Categories', 'categories', v.service_category),
    checkGroup('Five Ways to Wellbeing', 'five_ways', v.five_ways),
    h(
      'fieldset',
      {},
      h('legend', {}, 'When it meets'),
      h(
        'div',
        { class: 'cols' },
        field('Day', select('weekday', v.weekday, { blank: 'Not fixed' })),
        field('Starts', input('starts', { type: 'time', value: sched?.starts ?? '' })),
        field('Ends', input('ends', { type: 'time', value: sched?.ends ?? '' })),
        field('How often', input('frequency', { value: sched?.frequency ?? 'weekly' })),
      ),
    ),
    h(
      'div',
      { class: 'cols' },
      field('Venue', input('venue', { value: s?.venue ?? '' })),
      field('Address', input('address', { value: s?.address ?? '' })),
      field('Postcode', input('postcode', { value: s?.postcode ?? '' })),
      field('Cost', input('cost', { value: s?.cost ?? '' })),
    ),
    h(
      'div',
      { class: 'check-row' },
      field('Free', checkbox('free', { checked: s?.free ?? false })),
      field('Step-free', checkbox('step_free', { checked: s?.step_free ?? false })),
      field('Hearing loop', checkbox('hearing_loop', { checked: s?.hearing_loop ?? false })),
      field('Taking new members', checkbox('taking_new_members', { checked: s?.taking_new_members ?? true })),
    ),
    field('Transport', input('transport', { value: s?.transport ?? '' })),
    h(
      'div',
      { class: 'cols' },
      field('Contact name', input('contact_name', { value: s?.contact_name ?? '' })),
      field('Contact phone', input('contact_phone', { type: 'tel', value: s?.contact_phone ?? '' })),
      field('Contact email', input('contact_email', { type: 'email', value: s?.contact_email ?? '' })),
      field('Run by', input('lead', { value: s?.lead ?? '' })),
    ),
    field('Status', select('status', v.service_status)),
    h('button', { type: 'submit', class: 'primary' }, id ? 'Save changes' : 'Add service'),
  );
  if (sched) (form.elements.namedItem('weekday') as HTMLSelectElement).value = sched.weekday;
  (form.elements.namedItem('status') as HTMLSelectElement).value = s?.status ?? 'active';
  form.querySelectorAll<HTMLInputElement>('input[name=categories]').forEach((c) => {
    c.checked = s?.categories.some((code) => code === c.value) ?? false;
  });
  form.querySelectorAll<HTMLInputElement>('input[name=five_ways]').forEach((c) => {
    c.checked = s?.five_ways.some((code) => code === c.value) ?? false;
  });
  const draft = id ? null : keepDraft(form, 'new-service');
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearMessage(form);
    const input2: ServiceInput = {
      name: val(form, 'name'),
      description: val(form, 'description'),
      categories: checkedValues(form, 'categories'),
      five_ways: checkedValues(form, 'five_ways'),
      schedules: val(form, 'weekday')
        ? [
            {
              weekday: val(form, 'weekday'),
              starts: val(form, 'starts'),
              ends: val(form, 'ends'),
              frequency: opt(val(form, 'frequency')),
            },
          ]
        : (s?.schedules.slice(1) ?? []),
      venue: opt(val(form, 'venue')),
      address: opt(val(form, 'address')),
      postcode: opt(val(form, 'postcode')),
      cost: opt(val(form, 'cost')),
      free: bool(form, 'free'),
      step_free: bool(form, 'step_free'),
      hearing_loop: bool(form, 'hearing_loop'),
      taking_new_members: bool(form, 'taking_new_members'),
      transport: opt(val(form, 'transport')),
      contact_name: opt(val(form, 'contact_name')),
      contact_phone: opt(val(form, 'contact_phone')),
      contact_email: opt(val(form, 'contact_email')),
      lead: opt(val(form, 'lead')),
      status: val(form, 'status'),
      last_verified_on: s?.last_verified_on ?? undefined,
    };
    if (s && sched && input2.schedules?.length) input2.schedules = [input2.schedules[0], ...s.schedules.slice(1)];
    try {
      const saved = id ? await api.updateService(id, input2) : await api.addService(input2);
      await draft?.clear();
      announce(id ? 'Service saved' : 'Service added');
      ctx.go(`#/directory/${saved.id}`);
    } catch (err) {
      reportError(form, err);
    }
  });
  return h('div', {}, h('h1', { id: 'svc-h' }, id ? `Edit ${s?.name}` : 'Add a service'), form);
}
