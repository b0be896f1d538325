// First run: name the team and the worker, and offer made-up demo data to try things out.

import { api } from '../api';
import type { Ctx } from '../main';
import { h, field, input, select, checkbox, val, bool, reportError } from '../dom';

export function setupView(ctx: Ctx, done: () => Promise<void>): HTMLElement {
  const form = h('form', { 'data-primary': true, novalidate: true },
    field('Team name', input('team_name', { autocomplete: 'organization' }), { required: true }),
    field('Locality', input('locality'), { hint: 'For example, Rushcliffe' }),
    field('Your name', input('worker_name', { autocomplete: 'name' }), { required: true }),
    field('Your role', select('role', ctx.vocab.role, { value: 'link_worker' })),
    field('Add made-up demo people and services', checkbox('demo'), { hint: 'For trying Linkwell out. Never use demo data for real people.' }),
    h('button', { type: 'submit', class: 'primary' }, 'Set up Linkwell'));
  (form.elements.namedItem('role') as HTMLSelectElement).value = 'link_worker';
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const btn = form.querySelector('button')!;
    btn.disabled = true;
    btn.textContent = bool(form, 'demo') ? 'Setting up with demo data…' : 'Setting up…';
    try {
      await api.setup({ team_name: val(form, 'team_name'), locality: val(form, 'locality') || undefined, worker_name: val(form, 'worker_name'), role: val(form, 'role') }, bool(form, 'demo'));
      await done();
    } catch (err) {
      btn.disabled = false;
      btn.textContent = 'Set up Linkwell';
      reportError(form, err);
    }
  });
  return h('section', { class: 'setup card' },
    h('h1', {}, 'Welcome to Linkwell'),
    h('p', {}, 'Linkwell keeps your records on this laptop and works without the internet. Tell it who you are to begin.'),
    form);
}
