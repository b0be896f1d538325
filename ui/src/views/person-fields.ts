// A person's details as one set of labelled fields, shared by New referral and the record's
// "Edit details", so both forms ask the same things in the same words.

import type { Person, PersonInput } from '../api';
import { h, field, input, textarea, checkbox, val, opt, bool, dateInput, ukDate } from '../dom';

export function personFieldset(legend: string): HTMLFieldSetElement {
  return h(
    'fieldset',
    {},
    h('legend', {}, legend),
    h(
      'div',
      { class: 'cols' },
      field('First name', input('given_name'), { required: true }),
      field('Last name', input('family_name'), { required: true }),
      field('Preferred name', input('preferred_name'), { hint: 'What they like to be called' }),
      field('Date of birth', dateInput('date_of_birth')),
      field('NHS number', input('nhs_number', { inputmode: 'numeric' }), {
        hint: '10 digits, for example 943 476 5919',
      }),
      field('Postcode', input('postcode')),
      field('Phone', input('phone', { type: 'tel' })),
      field('Email', input('email', { type: 'email' })),
      field('GP practice', input('gp_practice')),
      field('Preferred language', input('language')),
    ),
    field('Address', textarea('address', { rows: 2 })),
    h(
      'div',
      { class: 'cols' },
      field('Needs an interpreter', checkbox('interpreter_needed')),
      field('Large print', checkbox('large_print')),
      field('Easy read', checkbox('easy_read')),
    ),
    field('Access needs', textarea('accessibility_needs', { rows: 2 }), {
      hint: 'For example, uses a walking frame; hearing aid',
    }),
    h(
      'div',
      { class: 'cols' },
      field('Carer status', input('carer_status'), { hint: 'For example, cares for husband' }),
      field('Contact restrictions', input('contact_restrictions'), { hint: 'For example, no voicemail' }),
    ),
  );
}

export function readPerson(form: HTMLFormElement): PersonInput {
  return {
    given_name: val(form, 'given_name'),
    family_name: val(form, 'family_name'),
    preferred_name: opt(val(form, 'preferred_name')),
    date_of_birth: opt(val(form, 'date_of_birth')),
    nhs_number: opt(val(form, 'nhs_number')),
    address: opt(val(form, 'address')),
    postcode: opt(val(form, 'postcode')),
    phone: opt(val(form, 'phone')),
    email: opt(val(form, 'email')),
    gp_practice: opt(val(form, 'gp_practice')),
    language: opt(val(form, 'language')),
    interpreter_needed: bool(form, 'interpreter_needed'),
    large_print: bool(form, 'large_print'),
    easy_read: bool(form, 'easy_read'),
    accessibility_needs: opt(val(form, 'accessibility_needs')),
    carer_status: opt(val(form, 'carer_status')),
    contact_restrictions: opt(val(form, 'contact_restrictions')),
  };
}

/** Puts a saved person's details into the fields, for editing. */
export function fillPerson(form: HTMLFormElement, p: Person): void {
  const values = p as unknown as Record<string, string | boolean | null | undefined>;
  form
    .querySelectorAll<HTMLInputElement | HTMLTextAreaElement>('fieldset input[name], fieldset textarea[name]')
    .forEach((el) => {
      const v = values[el.name];
      if (el instanceof HTMLInputElement && el.type === 'checkbox') el.checked = Boolean(v);
      else el.value = typeof v === 'string' ? (el.dataset.date ? ukDate(v) : v) : '';
    });
}
