// New referral: every field of the person and the referral, checked by the core as you type
// (messages appear for fields you have touched), taken in one save.

import { api, type NewReferral } from '../api';
import type { Ctx } from '../main';
import { h, field, input, textarea, select, checkbox, checkGroup, checkedValues, val, opt, bool, showErrors, reportError, clearMessage, keepDraft, todayIso, announce } from '../dom';

function read(form: HTMLFormElement): NewReferral {
  return {
    person: {
      given_name: val(form, 'given_name'), family_name: val(form, 'family_name'), preferred_name: opt(val(form, 'preferred_name')),
      date_of_birth: opt(val(form, 'date_of_birth')), nhs_number: opt(val(form, 'nhs_number')), address: opt(val(form, 'address')),
      postcode: opt(val(form, 'postcode')), phone: opt(val(form, 'phone')), email: opt(val(form, 'email')),
      gp_practice: opt(val(form, 'gp_practice')), language: opt(val(form, 'language')),
      interpreter_needed: bool(form, 'interpreter_needed'), large_print: bool(form, 'large_print'), easy_read: bool(form, 'easy_read'),
      accessibility_needs: opt(val(form, 'accessibility_needs')), carer_status: opt(val(form, 'carer_status')),
      contact_restrictions: opt(val(form, 'contact_restrictions')),
    },
    referral: {
      source: val(form, 'source'), referrer_name: opt(val(form, 'referrer_name')), referrer_practice: opt(val(form, 'referrer_practice')),
      received_on: val(form, 'received_on'), reasons: checkedValues(form, 'reasons'),
      conditions: val(form, 'conditions').split('\n').map((s) => s.trim()).filter(Boolean),
      snomed_code: opt(val(form, 'snomed_code')), consent_to_contact: bool(form, 'consent_to_contact'), detail: opt(val(form, 'detail')),
    },
    stage: opt(val(form, 'stage')),
    worker_id: opt(val(form, 'worker_id')) ?? null,
  };
}

export async function referralView(ctx: Ctx): Promise<HTMLElement> {
  const v = ctx.vocab;
  const workers = await api.workers();
  const form = h('form', { 'data-primary': true, novalidate: true, 'aria-labelledby': 'ref-h' },
    h('fieldset', {}, h('legend', {}, 'The person'),
      h('div', { class: 'cols' },
        field('First name', input('given_name', { autocomplete: 'off' }), { required: true }),
        field('Last name', input('family_name'), { required: true }),
        field('Preferred name', input('preferred_name'), { hint: 'What they like to be called' }),
        field('Date of birth', input('date_of_birth', { type: 'date' })),
        field('NHS number', input('nhs_number', { inputmode: 'numeric' }), { hint: '10 digits, for example 943 476 5919' }),
        field('Postcode', input('postcode')),
        field('Phone', input('phone', { type: 'tel' })),
        field('Email', input('email', { type: 'email' })),
        field('GP practice', input('gp_practice')),
        field('Preferred language', input('language'))),
      field('Address', textarea('address', { rows: 2 })),
      h('div', { class: 'cols' },
        field('Needs an interpreter', checkbox('interpreter_needed')),
        field('Large print', checkbox('large_print')),
        field('Easy read', checkbox('easy_read'))),
      field('Access needs', textarea('accessibility_needs', { rows: 2 }), { hint: 'For example, uses a walking frame; hearing aid' }),
      h('div', { class: 'cols' },
        field('Carer status', input('carer_status'), { hint: 'For example, cares for husband' }),
        field('Contact restrictions', input('contact_restrictions'), { hint: 'For example, no voicemail' }))),
    h('fieldset', {}, h('legend', {}, 'The referral'),
      h('div', { class: 'cols' },
        field('Referral source', select('source', v.referral_source, { blank: 'Choose…' }), { required: true }),
        field('Referrer’s name', input('referrer_name')),
        field('Referrer’s practice', input('referrer_practice')),
        field('Date received', input('received_on', { type: 'date', value: todayIso() }), { required: true })),
      checkGroup('Reasons for referral (choose at least one)', 'reasons', v.referral_reason),
      field('Long-term conditions', textarea('conditions', { rows: 2 }), { hint: 'One per line' }),
      h('div', { class: 'cols' },
        field('SNOMED CT code', select('snomed_code', v.snomed_code.map((c) => ({ code: c.code, label: `${c.code} ${c.label}` })), { blank: 'None' })),
        field('Stage', select('stage', v.stage, { blank: 'My own stage' })),
        field('Worker', select('worker_id', workers.map((w) => ({ code: w.id, label: w.name })), { blank: 'Me' }))),
      field('Consent to contact', checkbox('consent_to_contact'), { hint: 'The person agreed to be contacted by the service' }),
      field('Referral detail', textarea('detail', { rows: 3 }))),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Take referral'), h('span', { class: 'muted' }, ' Ctrl+S saves')));
  const draft = keepDraft(form, 'new-referral');
  const touched = new Set<string>();
  let timer = 0;
  const check = async () => {
    const res = await api.checkNewReferral(read(form)).catch(() => null);
    if (res) showErrors(form, res.errors, touched);
  };
  const onEdit = (e: Event) => {
    const name = (e.target as HTMLInputElement).name;
    if (name) touched.add(name);
    window.clearTimeout(timer);
    timer = window.setTimeout(() => void check(), 250);
  };
  form.addEventListener('input', onEdit);
  form.addEventListener('focusout', onEdit);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearMessage(form);
    try {
      const taken = await api.takeReferral(read(form));
      await draft.clear();
      announce(`Referral taken for ${taken.person.given_name} ${taken.person.family_name}`);
      ctx.go(`#/person/${taken.person.id}`);
    } catch (err) {
      reportError(form, err);
    }
  });
  return h('div', {}, h('h1', { id: 'ref-h' }, 'New referral'),
    h('p', { class: 'lead' }, 'Everything is checked as you type. Nothing is saved until you choose Take referral.'), form);
}
