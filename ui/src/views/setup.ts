// The front door: first set-up (the worker, their team and a passphrase), the recovery code
// shown once, the unlock screen (with "who are you?" on a shared laptop, and a forgotten
// passphrase), and the lock settings. Nothing here shows anything about a person.

import { api, type LockState, type Profile, type Vocabularies } from '../api';
import { h, field, input, select, checkbox, val, raw, bool, reportError, clearMessage, onSubmit, tell } from '../dom';

const passphrase = (name: string, autocomplete: string) =>
  input(name, { type: 'password', autocomplete, spellcheck: 'false' });

const PASS_HINT = 'At least 10 characters. A few words together are easy to remember and hard to guess.';

/** First run (or another worker on a shared laptop): who you are, your team, your passphrase. */
export function setupView(vocab: Vocabularies, done: (state: LockState) => void, back?: () => void): HTMLElement {
  const how = h(
    'fieldset',
    { class: 'checks' },
    h('legend', {}, 'How are you starting?'),
    h(
      'div',
      { class: 'field check' },
      h('input', { type: 'radio', name: 'how', value: 'alone', id: 'how-alone', checked: true }),
      h('label', { for: 'how-alone' }, 'On this laptop for now'),
    ),
    h(
      'div',
      { class: 'field check' },
      h('input', { type: 'radio', name: 'how', value: 'join', id: 'how-join' }),
      h('label', { for: 'how-join' }, 'Join my organisation’s server (I have an enrolment code)'),
    ),
  );
  const alone = h(
    'div',
    {},
    field('Your name', input('worker_name', { autocomplete: 'name' }), { required: true }),
    field('Your role', select('role', vocab.role, { value: 'link_worker' })),
    field('Team name', input('team_name', { autocomplete: 'organization' }), { required: true }),
    field('Locality', input('locality'), { hint: 'For example, Rushcliffe' }),
  );
  const join = h(
    'div',
    { hidden: true },
    field('Server address', input('server', { type: 'url', inputmode: 'url', spellcheck: 'false' }), {
      required: true,
      hint: 'From your administrator, for example https://sync.example.nhs.uk',
    }),
    field('Enrolment code', input('code', { spellcheck: 'false', autocapitalize: 'characters' }), {
      required: true,
      hint: 'The one-time code your administrator gave you',
    }),
  );
  const demo = field('Add made-up demo people and services', checkbox('demo'), {
    hint: 'For trying Linkwell out. Never use demo data for real people.',
  });
  const form = h(
    'form',
    { 'data-primary': true, novalidate: true },
    how,
    alone,
    join,
    field('Choose a passphrase', passphrase('passphrase', 'new-password'), { required: true, hint: PASS_HINT }),
    field('Type the passphrase again', passphrase('passphrase_again', 'new-password'), { required: true }),
    demo,
    h(
      'div',
      { class: 'actions' },
      h('button', { type: 'submit', class: 'primary' }, 'Set up Linkwell'),
      back ? h('button', { type: 'button', class: 'secondary', onclick: back }, 'Back') : null,
    ),
  );
  (form.elements.namedItem('role') as HTMLSelectElement).value = 'link_worker';
  const joining = () =>
    (form.querySelector<HTMLInputElement>('input[name="how"]:checked')?.value ?? 'alone') === 'join';
  how.addEventListener('change', () => {
    alone.hidden = joining();
    demo.hidden = joining();
    join.hidden = !joining();
  });
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearMessage(form);
    const btn = form.querySelector<HTMLButtonElement>('button[type=submit]')!;
    btn.disabled = true;
    btn.textContent = joining()
      ? 'Joining the server…'
      : bool(form, 'demo')
        ? 'Setting up with demo data…'
        : 'Setting up…';
    const pass = raw(form, 'passphrase');
    const again = raw(form, 'passphrase_again');
    try {
      const state = joining()
        ? await api.joinServer(val(form, 'server'), val(form, 'code'), pass, again)
        : await api.createProfile(
            {
              team_name: val(form, 'team_name'),
              locality: val(form, 'locality') || undefined,
              worker_name: val(form, 'worker_name'),
              role: val(form, 'role'),
            },
            pass,
            again,
            bool(form, 'demo'),
          );
      done(state);
    } catch (err) {
      btn.disabled = false;
      btn.textContent = 'Set up Linkwell';
      reportError(form, err);
    }
  });
  return h(
    'section',
    { class: 'setup card' },
    h('h1', {}, back ? 'Add a worker to this laptop' : 'Welcome to Linkwell'),
    h(
      'p',
      {},
      'Linkwell keeps your records on this laptop, encrypted, and works without the internet. Your passphrase unlocks them; nobody else can read them without it.',
    ),
    form,
  );
}

/** The recovery code, shown this once. */
export function recoveryCodeView(code: string, done: () => void): HTMLElement {
  const form = h(
    'form',
    { novalidate: true },
    field('I have written down my recovery code and will keep it safe', checkbox('kept')),
    h('button', { type: 'submit', class: 'primary' }, 'Continue'),
  );
  onSubmit(form, () => {
    if (bool(form, 'kept')) done();
    else tell(form, 'Tick the box once you have written the code down: it will not be shown again.');
  });
  return h(
    'section',
    { class: 'setup card' },
    h('h1', {}, 'Your recovery code'),
    h('p', { class: 'recovery-code', 'aria-label': 'Recovery code' }, code),
    h(
      'p',
      {},
      'Write this code down on paper and keep it somewhere safe, away from this laptop. It is shown only now.',
    ),
    h(
      'p',
      {},
      'If you forget your passphrase, this code lets you choose a new one. If both are lost, changes not yet synced cannot be recovered; synced records come back from the server once the laptop is enrolled again.',
    ),
    form,
  );
}

/** The unlock screen: who you are (on a shared laptop), your passphrase, and the ways out. */
export function lockView(
  state: LockState,
  vocab: Vocabularies,
  unlocked: (state: LockState) => void,
  reshow: () => void,
): HTMLElement {
  const profiles = state.profiles;
  let chosen: Profile = profiles[0];
  const section = h('section', { class: 'setup card lock' });
  const who =
    profiles.length > 1
      ? h(
          'fieldset',
          { class: 'checks', 'data-field': 'profile' },
          h('legend', {}, 'Who are you?'),
          profiles.map((p, i) => {
            const id = `profile-${p.id}`;
            return h(
              'div',
              { class: 'field check' },
              h('input', {
                type: 'radio',
                name: 'profile',
                value: p.id,
                id,
                checked: i === 0,
                onchange: () => {
                  chosen = p;
                  render();
                },
              }),
              h('label', { for: id }, p.name),
            );
          }),
          h('p', { class: 'error', hidden: true }),
        )
      : h('p', {}, `This laptop's Linkwell belongs to ${chosen.name}.`);

  const body = h('div', {});
  const render = () => body.replaceChildren(chosen.encrypted ? unlockForm() : encryptForm());

  const unlockForm = () => {
    const form = h(
      'form',
      { 'data-primary': true, novalidate: true },
      field('Passphrase', passphrase('passphrase', 'current-password'), { required: true }),
      h(
        'div',
        { class: 'actions' },
        h('button', { type: 'submit', class: 'primary' }, 'Unlock'),
        h(
          'button',
          { type: 'button', class: 'secondary', onclick: () => body.replaceChildren(recoverForm()) },
          'Forgotten your passphrase?',
        ),
      ),
    );
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      clearMessage(form);
      const pass = form.elements.namedItem('passphrase') as HTMLInputElement;
      const btn = form.querySelector<HTMLButtonElement>('button[type=submit]')!;
      btn.disabled = true;
      btn.textContent = 'Unlocking…';
      try {
        unlocked(await api.unlock(chosen.id, pass.value));
      } catch (err) {
        btn.disabled = false;
        btn.textContent = 'Unlock';
        pass.value = '';
        reportError(form, err);
      }
    });
    requestAnimationFrame(() => (form.elements.namedItem('passphrase') as HTMLInputElement | null)?.focus());
    return form;
  };

  const recoverForm = () => {
    const form = h(
      'form',
      { novalidate: true },
      h('h2', {}, 'Choose a new passphrase with your recovery code'),
      field('Recovery code', input('recovery_code', { spellcheck: 'false', autocapitalize: 'characters' }), {
        required: true,
        hint: 'The code you wrote down when Linkwell was set up, for example ABCD-EFGH-…',
      }),
      field('New passphrase', passphrase('new_passphrase', 'new-password'), { required: true, hint: PASS_HINT }),
      field('Type the new passphrase again', passphrase('new_passphrase_again', 'new-password'), { required: true }),
      h(
        'div',
        { class: 'actions' },
        h('button', { type: 'submit', class: 'primary' }, 'Set new passphrase and unlock'),
        h('button', { type: 'button', class: 'secondary', onclick: render }, 'Back'),
      ),
    );
    onSubmit(form, async () => {
      unlocked(
        await api.recover(
          chosen.id,
          raw(form, 'recovery_code'),
          raw(form, 'new_passphrase'),
          raw(form, 'new_passphrase_again'),
        ),
      );
    });
    return form;
  };

  const encryptForm = () => {
    const form = h(
      'form',
      { novalidate: true },
      h(
        'p',
        {},
        'These records were saved before Linkwell encrypted its data. Choose a passphrase to encrypt them now; this takes a moment and nothing is lost.',
      ),
      field('Choose a passphrase', passphrase('passphrase', 'new-password'), { required: true, hint: PASS_HINT }),
      field('Type the passphrase again', passphrase('passphrase_again', 'new-password'), { required: true }),
      h('button', { type: 'submit', class: 'primary' }, 'Encrypt and unlock'),
    );
    onSubmit(form, async () => {
      unlocked(await api.encryptProfile(chosen.id, raw(form, 'passphrase'), raw(form, 'passphrase_again')));
    });
    return form;
  };

  render();
  section.append(
    h('h1', {}, 'Linkwell is locked'),
    h('p', {}, 'Your records stay encrypted on this laptop until you unlock them. No internet is needed.'),
    who,
    body,
  );
  if (state.can_add_profile) {
    section.append(
      h(
        'p',
        {},
        h(
          'button',
          {
            type: 'button',
            class: 'link',
            onclick: () => {
              section.replaceChildren(setupView(vocab, unlocked, reshow));
            },
          },
          'Add another worker to this laptop',
        ),
      ),
    );
  }
  return section;
}

/** Lock settings: change the passphrase, and how long Linkwell waits before locking itself. */
export function settingsView(state: LockState): HTMLElement {
  const change = h(
    'form',
    { novalidate: true },
    h('h2', {}, 'Change your passphrase'),
    field('Current passphrase', passphrase('current', 'current-password'), { required: true }),
    field('New passphrase', passphrase('new_passphrase', 'new-password'), { required: true, hint: PASS_HINT }),
    field('Type the new passphrase again', passphrase('new_passphrase_again', 'new-password'), { required: true }),
    h('button', { type: 'submit', class: 'primary' }, 'Change passphrase'),
  );
  onSubmit(change, async () => {
    await api.changePassphrase(
      raw(change, 'current'),
      raw(change, 'new_passphrase'),
      raw(change, 'new_passphrase_again'),
    );
    change.reset();
    tell(change, 'Passphrase changed. Use the new one next time you unlock. Your recovery code still works.');
  });
  const idle = h(
    'form',
    { novalidate: true },
    h('h2', {}, 'Locking'),
    field(
      'Lock after this many minutes without use',
      input('minutes', { type: 'number', min: 1, max: 60, value: state.idle_lock_minutes, inputmode: 'numeric' }),
      { hint: 'Between 1 and 60. Linkwell also locks when you press Lock or Alt+L.' },
    ),
    h('button', { type: 'submit' }, 'Save'),
  );
  onSubmit(idle, async () => {
    const s = await api.setIdleLock(Number(val(idle, 'minutes')));
    tell(idle, `Linkwell will lock after ${s.idle_lock_minutes} minutes without use.`);
  });
  return h('section', { class: 'settings' }, h('h1', {}, 'Settings'), change, idle);
}
