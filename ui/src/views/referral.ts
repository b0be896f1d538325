// New referral: every field of the person and the referral, checked by the core as you type
// (messages appear for fields you have touched), taken in one save.

import { api, ApiError, type NewReferral, type PersonMatch } from '../api';
import type { Ctx } from '../main';
import {
  h,
  field,
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
  keepDraft,
  todayIso,
  announce,
  checkAsYouType,
  fmtDate,
  dateInput,
} from '../dom';
import { personFieldset, readPerson } from './person-fields';
import { referrerPicker } from './referrers';

/** Who the worker said the person is, when the core found likely matches. */
type Decision = { same_person_as?: string; different_from?: string[] };

function read(form: HTMLFormElement, decision: Decision = {}): NewReferral {
  return {
    person: readPerson(form),
    referral: {
      source: val(form, 'source'),
      referrer_id: opt(val(form, 'referrer_id')) ?? null,
      received_on: val(form, 'received_on'),
      reasons: checkedValues(form, 'reasons'),
      conditions: val(form, 'conditions')
        .split('\n')
        .map((s) => s.trim())
        .filter(Boolean),
      snomed_code: opt(val(form, 'snomed_code')),
      consent_to_contact: bool(form, 'consent_to_contact'),
      detail: opt(val(form, 'detail')),
    },
    stage: opt(val(form, 'stage')),
    worker_id: opt(val(form, 'worker_id')) ?? null,
    ...decision,
  };
}

/** The core found people who may be this one: the worker says who they are before anything is
 * saved. A certain match (same NHS number) can only be the same person. */
function matchesPanel(matches: PersonMatch[], decide: (d: Decision) => void): HTMLElement {
  const different = matches.every((m) => !m.certain);
  return h(
    'section',
    { class: 'banner matches', 'aria-labelledby': 'matches-h', tabindex: -1 },
    h('h2', { id: 'matches-h' }, 'This may be someone already known'),
    h('p', {}, 'Nothing is saved yet. Check with the person, then choose:'),
    h(
      'ul',
      { 'aria-label': 'Likely matches' },
      matches.map((m) =>
        h(
          'li',
          {},
          h('strong', {}, m.name),
          ` – born ${m.date_of_birth ? fmtDate(m.date_of_birth) : 'not recorded'}`,
          m.postcode ? `, ${m.postcode}` : '',
          ` (${m.why})`,
          m.open_episode
            ? h('p', { class: 'hint' }, 'Being supported now: close that episode before a re-referral.')
            : null,
          h(
            'button',
            { type: 'button', disabled: m.open_episode, onclick: () => decide({ same_person_as: m.person_id }) },
            `Same person: refer onto ${m.name}’s record`,
          ),
        ),
      ),
    ),
    different
      ? h(
          'button',
          { type: 'button', onclick: () => decide({ different_from: matches.map((m) => m.person_id) }) },
          'A different person: create a new record',
        )
      : h('p', {}, 'The same NHS number means the same person: if this is someone else, check the NHS number.'),
  );
}

export async function referralView(ctx: Ctx): Promise<HTMLElement> {
  const v = ctx.vocab;
  const workers = await api.workers();
  const referrer = await referrerPicker(ctx);
  const form = h(
    'form',
    { 'data-primary': true, novalidate: true, 'aria-labelledby': 'ref-h' },
    personFieldset('The person'),
    h(
      'fieldset',
      {},
      h('legend', {}, 'The referral'),
      h(
        'div',
        { class: 'cols' },
        field('Referral source', select('source', v.referral_source, { blank: 'Choose…' }), { required: true }),
        referrer.field,
        field('Date received', dateInput('received_on', todayIso()), { required: true }),
      ),
      checkGroup('Reasons for referral (choose at least one)', 'reasons', v.referral_reason),
      field('Long-term conditions', textarea('conditions', { rows: 2 }), { hint: 'One per line' }),
      h(
        'div',
        { class: 'cols' },
        field(
          'SNOMED CT code',
          select(
            'snomed_code',
            v.snomed_code.map((c) => ({ code: c.code, label: `${c.code} ${c.label}` })),
            { blank: 'None' },
          ),
        ),
        field('Stage', select('stage', v.stage, { blank: 'My own stage' })),
        field(
          'Worker',
          select(
            'worker_id',
            // "Me" is the worker taking it: their own name is not offered twice.
            workers.filter((w) => w.id !== ctx.status.worker?.id).map((w) => ({ code: w.id, label: w.name })),
            { blank: 'Me' },
          ),
        ),
      ),
      field('Consent to contact', checkbox('consent_to_contact'), {
        hint: 'The person agreed to be contacted by the service',
      }),
      field('Referral detail', textarea('detail', { rows: 3 })),
    ),
    h(
      'div',
      { class: 'actions' },
      h('button', { type: 'submit', class: 'primary' }, 'Take referral'),
      h('span', { class: 'muted' }, ' Ctrl+S saves'),
    ),
  );
  const draft = keepDraft(form, 'new-referral');
  checkAsYouType(form, () => api.checkNewReferral(read(form)));
  const take = async (decision: Decision = {}) => {
    clearMessage(form);
    form.querySelector('.matches')?.remove();
    try {
      const taken = await api.takeReferral(read(form, decision));
      await draft.clear();
      announce(`Referral taken for ${taken.person.given_name} ${taken.person.family_name}`);
      ctx.go(`#/person/${taken.person.id}`);
    } catch (err) {
      if (err instanceof ApiError && err.reason === 'likely_same_person') {
        const matches = await api.personMatches(read(form).person ?? {});
        const panel = matchesPanel(matches, (d) => void take(d));
        form.querySelector('.actions')?.before(panel);
        panel.focus();
        return;
      }
      reportError(form, err);
    }
  };
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    void take();
  });
  return h(
    'div',
    {},
    h('h1', { id: 'ref-h' }, 'New referral'),
    h('p', { class: 'lead' }, 'Everything is checked as you type. Nothing is saved until you choose Take referral.'),
    form,
    referrer.dialog,
  );
}
