// The referrer on a referral: chosen from the team's list, or added there and then (a dialog
// with the referrer's form, checked by the core as you type). The core decides every rule: a
// way to reach them, the shape of an ODS code, that the preferred route has its details.

import { api, type Referrer, type ReferrerInput } from '../api';
import type { Ctx } from '../main';
import {
  h,
  field,
  input,
  textarea,
  select,
  val,
  opt,
  reportError,
  clearMessage,
  announce,
  checkAsYouType,
} from '../dom';

function label(r: Referrer): string {
  const where = r.practice ?? r.organisation;
  return `${r.name}${r.role ? `, ${r.role}` : ''}${where ? ` – ${where}` : ''}`;
}

function readReferrer(form: HTMLFormElement): ReferrerInput {
  return {
    name: val(form, 'name'),
    role: opt(val(form, 'role')),
    organisation: opt(val(form, 'organisation')),
    practice: opt(val(form, 'practice')),
    ods_code: opt(val(form, 'ods_code')),
    secure_email: opt(val(form, 'secure_email')),
    postal_address: opt(val(form, 'postal_address')),
    postcode: opt(val(form, 'postcode')),
    preferred_route: val(form, 'preferred_route'),
  };
}

/** The referrer field for the referral form, and the dialog that adds a new referrer (placed
 * outside the referral form: forms do not nest). */
export async function referrerPicker(ctx: Ctx): Promise<{ field: HTMLElement; dialog: HTMLDialogElement }> {
  const referrers = await api.referrers();
  const choice = select(
    'referrer_id',
    referrers.map((r) => ({ code: r.id, label: label(r) })),
    { blank: referrers.length ? 'Choose the referrer…' : 'No referrers yet: add one' },
  );
  // The form is built each time the dialog opens and removed when it closes, so its fields
  // never stand beside the referral form's own (two Postcode fields, say) while hidden.
  const dialog = h('dialog', { class: 'referrer-dialog', 'aria-labelledby': 'add-referrer-h' });
  dialog.addEventListener('close', () => dialog.replaceChildren());
  const open = () => {
    const form = h(
      'form',
      { novalidate: true, 'aria-labelledby': 'add-referrer-h' },
      h('h2', { id: 'add-referrer-h' }, 'Add a referrer'),
      h('p', { class: 'hint' }, 'Shared with your team. Give at least one way to send them messages.'),
      h(
        'div',
        { class: 'cols' },
        field('Name', input('name'), { required: true }),
        field('Role', input('role'), { hint: 'For example GP, practice nurse, social worker' }),
        field('GP practice', input('practice')),
        field('Practice ODS code', input('ods_code', { autocapitalize: 'characters' }), { hint: 'Like C84001' }),
        field('Organisation', input('organisation'), { hint: 'If not a GP practice' }),
        field('Secure email', input('secure_email', { type: 'email' })),
      ),
      field('Postal address', textarea('postal_address', { rows: 2 })),
      h(
        'div',
        { class: 'cols' },
        field('Postcode', input('postcode')),
        field('Send messages by', select('preferred_route', ctx.vocab.message_route, { blank: 'Choose…' }), {
          required: true,
        }),
      ),
      h(
        'div',
        { class: 'actions' },
        h('button', { type: 'submit', class: 'primary' }, 'Add referrer'),
        h('button', { type: 'button', class: 'secondary', onclick: () => dialog.close() }, 'Cancel'),
      ),
    );
    checkAsYouType(form, () => api.checkReferrer(readReferrer(form)));
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      clearMessage(form);
      try {
        const r = await api.addReferrer(readReferrer(form));
        choice.append(h('option', { value: r.id }, label(r)));
        choice.value = r.id;
        choice.dispatchEvent(new Event('input', { bubbles: true }));
        dialog.close();
        announce(`${r.name} added and chosen as the referrer`);
        choice.focus();
      } catch (err) {
        reportError(form, err);
      }
    });
    dialog.replaceChildren(form);
    dialog.showModal();
    form.querySelector<HTMLInputElement>('input[name=name]')?.focus();
  };
  const wrap = field('Referrer', choice, {
    hint: 'Who referred them: messages about the referral go back to this person',
  });
  wrap.append(
    h(
      'button',
      {
        type: 'button',
        class: 'link',
        onclick: open,
      },
      'Add a new referrer',
    ),
  );
  return { field: wrap, dialog };
}
