// A link worker's day in real Chromium over the real core: linkwell-bridge on a random
// loopback port with a fresh database, the built UI, driven by roles and labels only.
// Each step checks the screen; the end checks what the core stored (its own export).
// axe-core runs on every screen visited: no serious or critical violations allowed.
// The day is a chain of steps, each a test that names the steps it needs: a step runs once,
// the first time a test needs it, so any test run alone (--test-name-pattern) sets up the
// same state the whole run would.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { createServer } from 'node:http';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
// CI keeps cargo's build outside the clone (CARGO_TARGET_DIR); follow it like cargo does.
const targetDir = process.env.CARGO_TARGET_DIR ? resolve(root, process.env.CARGO_TARGET_DIR) : join(root, 'target');
const require = createRequire(import.meta.url);
const axeSource = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const bridgeBin = process.env.LINKWELL_BRIDGE ?? join(targetDir, 'debug', 'linkwell-bridge');

let dir, url, token, browser, context;
const bridges = [];

/** Starts linkwell-bridge over a database file; answers its address and per-launch token. */
function startBridge(db) {
  return new Promise((resolve, reject) => {
    const bridge = spawn(bridgeBin, ['--db', db, '--port', '0', '--ui', join(root, 'ui', 'dist')], { stdio: ['ignore', 'pipe', 'inherit'] });
    bridges.push(bridge);
    let out = '';
    const timer = setTimeout(() => reject(new Error('bridge did not start')), 20000);
    bridge.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/(http:\/\/127\.0\.0\.1:\d+\/\?token=([0-9a-f]+))/);
      if (m) { clearTimeout(timer); resolve({ url: m[1], token: m[2] }); }
    });
    bridge.on('exit', (code) => reject(new Error(`bridge exited ${code}`)));
  });
}

async function call(method, args = {}, on = { url, token }) {
  const base = new URL(on.url);
  const res = await fetch(`${base.origin}/api/${method}`, {
    method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${on.token}` }, body: JSON.stringify(args),
  });
  const body = await res.json();
  if (!res.ok) throw new Error(`${method}: ${res.status} ${JSON.stringify(body)}`);
  return body;
}

/** Checks `check` every 50 ms until it answers truthy; fails naming `what` after `timeout` ms. */
async function until(what, check, timeout = 10000) {
  const end = Date.now() + timeout;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > end) throw new Error(`timed out after ${timeout} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const ran = new Map();
/**
 * A test that is also a step of the day: `needs` (other steps) run first, each at most once
 * per run, then `body`. Answers the step, for later tests to name in their `needs`.
 */
function step(name, needs, body) {
  const run = () => {
    if (!ran.has(run)) {
      ran.set(run, (async () => {
        for (const need of needs) await need();
        await body();
      })());
    }
    return ran.get(run);
  };
  test(name, run);
  return run;
}

const axeSeen = [];
async function axe(page, name) {
  await page.evaluate(axeSource);
  const result = await page.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
  const bad = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  axeSeen.push(`${name}: ${result.violations.length} violations (${bad.length} serious/critical)`);
  assert.deepEqual(bad.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(', ')})`), [], `axe on ${name}`);
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'linkwell-browser-'));
  ({ url, token } = await startBridge(join(dir, 'test.db')));
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--headless', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  context = await browser.newContext({ locale: 'en-GB', viewport: { width: 1280, height: 900 } });
});

after(async () => {
  await browser?.close();
  for (const b of bridges) b.kill();
  if (dir) rmSync(dir, { recursive: true, force: true });
  if (axeSeen.length) console.log(`# axe: ${axeSeen.join('; ')}`);
});

test('the API refuses calls without the per-launch token', async () => {
  const base = new URL(url);
  const res = await fetch(`${base.origin}/api/status`, { method: 'POST', body: '{}' });
  assert.equal(res.status, 401);
  const bad = await fetch(`${base.origin}/api/status`, { method: 'POST', headers: { Authorization: 'Bearer nope' }, body: '{}' });
  assert.equal(bad.status, 401);
});

let personId;
let recoveryCode;
const PASSPHRASE = 'kettle on by the allotment gate';
const today = new Date().toISOString().slice(0, 10);
const inAMonth = new Date(Date.now() + 30 * 864e5).toISOString().slice(0, 10);

const setUp = step('first run: set up with demo data', [], async () => {
  const page = await context.newPage();
  await page.goto(url);
  await page.getByRole('heading', { name: 'Welcome to Linkwell' }).waitFor();
  await axe(page, 'setup');
  await page.getByLabel('Team name').fill('Rushcliffe Social Prescribing');
  await page.getByLabel('Your name').fill('Priya Shah');
  await page.getByLabel('Add made-up demo people and services').check();
  // A passphrase too short, then two that differ: the core's words, next to the fields.
  await page.getByLabel('Choose a passphrase').fill('short');
  await page.getByLabel('Type the passphrase again').fill('short');
  await page.getByRole('button', { name: 'Set up Linkwell' }).click();
  await page.locator('[data-field="passphrase"] .error').getByText(/at least 10 characters/).waitFor();
  await page.getByLabel('Choose a passphrase').fill(PASSPHRASE);
  await page.getByLabel('Type the passphrase again').fill(`${PASSPHRASE}!`);
  await page.getByRole('button', { name: 'Set up Linkwell' }).click();
  await page.locator('[data-field="passphrase_again"] .error').getByText(/different/).waitFor();
  await page.getByLabel('Type the passphrase again').fill(PASSPHRASE);
  await page.getByRole('button', { name: 'Set up Linkwell' }).click();
  // The recovery code is shown once, and must be acknowledged.
  await page.getByRole('heading', { name: 'Your recovery code' }).waitFor({ timeout: 60000 });
  recoveryCode = await page.getByLabel('Recovery code', { exact: true }).innerText();
  assert.match(recoveryCode, /^[A-Z2-9]{4}(-[A-Z2-9]{4}){5}$/);
  await axe(page, 'recovery code');
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.getByText('Tick the box once you have written the code down').waitFor();
  await page.getByLabel('I have written down my recovery code').check();
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.getByRole('heading', { name: /^Today/ }).waitFor({ timeout: 60000 });
  await assert.doesNotReject(page.getByRole('status', { name: 'Sync status' }).getByText('Working offline (that is normal)').waitFor());
  await axe(page, 'today');
  await page.getByRole('link', { name: 'Caseload' }).click();
  await page.getByRole('heading', { name: 'Caseload' }).waitFor();
  await page.getByRole('table').getByRole('row').nth(1).waitFor();
  await axe(page, 'caseload');
  await page.close();
});

const referral = step('take a referral, validated as you type with the core’s messages', [setUp], async () => {
  const page = await context.newPage();
  await page.goto(url);
  await page.getByRole('link', { name: 'New referral' }).click();
  await page.getByRole('heading', { name: 'New referral' }).waitFor();
  await page.getByLabel('First name').fill('Margaret');
  await page.getByLabel('NHS number').fill('943 476 5910');
  await page.getByLabel('NHS number').blur();
  // The core's own modulus-11 message appears next to the field while typing.
  const nhsError = page.locator('[data-field="nhs_number"] .error');
  await nhsError.waitFor({ state: 'visible' });
  assert.match(await nhsError.innerText(), /NHS number/i);
  assert.equal(await page.getByLabel('NHS number').getAttribute('aria-invalid'), 'true');
  await page.getByLabel('NHS number').fill('943 476 5919');
  await page.getByLabel('Last name').fill('Hill');
  await page.getByLabel('Postcode').fill('ng11 6ja');
  await page.getByLabel('Access needs').fill('Uses a walking frame; ground-floor rooms please');
  await page.getByLabel('Referral source').selectOption({ label: 'GP' });
  await page.getByRole('group', { name: /Reasons for referral/ }).getByLabel('Loneliness').check();
  await page.getByRole('group', { name: /Reasons for referral/ }).getByLabel('Inactivity').check();
  await page.getByLabel('Consent to contact').check();
  await nhsError.waitFor({ state: 'hidden' });
  await axe(page, 'new referral');
  await page.getByRole('button', { name: 'Take referral' }).click();
  await page.getByRole('heading', { name: /^Margaret/, level: 1 }).waitFor();
  personId = new URL(page.url()).hash.split('/')[2].split('?')[0];
  assert.ok(personId, 'on the person page');
  // The consent ticked on the form is on her record.
  await page.getByText('Consent to be contacted: yes').waitFor();
  await page.close();
});

// Ctrl+K finds her however her number is typed, and by a name with a slip in it; each result
// says whose it is (axe checks the open list's contrast); a service's snippet is in words.
step('search finds a person by NHS number as shown, postcode, and a misspelt name', [referral], async () => {
  const page = await context.newPage();
  await page.goto(url);
  await page.getByRole('heading', { name: /^Today/ }).waitFor();
  const box = page.getByRole('searchbox', { name: 'Search people, notes and services' });
  const results = page.getByRole('list', { name: 'Search results' });
  for (const typed of ['943 476 5919', '9434765919', 'NG116JA', 'margret hil']) {
    await box.fill(typed);
    await results.getByRole('link', { name: /Person Margaret Hill/ }).waitFor();
  }
  await axe(page, 'search results');
  await box.fill('walking');
  const service = results.getByRole('link', { name: /Service East Leake walking group/ });
  await service.waitFor();
  assert.doesNotMatch(await results.innerText(), /_|"/, 'snippets in words, not codes');
  // Another screen by its shortcut closes the list instead of leaving it over the new screen.
  await page.keyboard.press('Alt+2');
  await page.getByRole('heading', { name: 'Caseload', level: 1 }).waitFor();
  await results.waitFor({ state: 'hidden' });
  await page.close();
});

// The same NHS number again: the core says who she may be before anything is saved, and
// with her support still open a re-referral must wait.
step('a second referral for the same person is not saved as someone new', [referral], async () => {
  const page = await context.newPage();
  await page.goto(`${url}#/referral/new`);
  await page.getByRole('heading', { name: 'New referral' }).waitFor();
  await page.getByLabel('First name').fill('Maggie');
  await page.getByLabel('Last name').fill('Hill');
  await page.getByLabel('NHS number').fill('9434765919');
  await page.getByLabel('Referral source').selectOption({ label: 'GP' });
  await page.getByRole('group', { name: /Reasons for referral/ }).getByLabel('Loneliness').check();
  await page.getByRole('button', { name: 'Take referral' }).click();
  const matches = page.getByRole('region', { name: 'This may be someone already known' });
  await matches.getByText(/Margaret Hill.*same NHS number/).waitFor();
  assert.equal(await matches.getByRole('button', { name: /A different person/ }).count(), 0, 'the same NHS number is the same person');
  assert.ok(await matches.getByRole('button', { name: /Same person: refer onto Margaret Hill/ }).isDisabled(), 'her episode is still open');
  await axe(page, 'likely matches');
  const same = await call('person_matches', { person: { given_name: 'Maggie', family_name: 'Hill', nhs_number: '9434765919' } });
  assert.deepEqual(same.map((m) => m.name), ['Margaret Hill'], 'nothing saved: she is still the only one with that number');
  await call('discard_draft', { key: 'new-referral' });
  await page.close();
});

// Someone else's whole journey, so Margaret's record stays as the later steps expect: an
// appointment closed off from Today, closing asked twice, reopened, closed, and re-referred
// onto the same record from New referral.
const localNow = (minutes) => {
  const d = new Date(Date.now() + minutes * 60000);
  const p = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
};
step('close off an appointment, close with confirmation, reopen, and re-refer the same person', [setUp], async () => {
  const nhs = '401 023 2137';
  const taken = await call('take_referral', { referral: { person: { given_name: 'Olumide', family_name: 'Okafor', nhs_number: nhs }, referral: { source: 'gp', received_on: today, reasons: ['loneliness'] } } });
  const pid = taken.person.id;
  await call('record_session', { person_id: pid, session: { starts_at: localNow(-60), mode: 'phone', attendance: 'booked' } });
  const page = await context.newPage();
  await page.goto(url);
  await page.getByRole('heading', { name: /^Today/ }).waitFor();
  const closeOff = page.getByRole('group', { name: /Close off Olumide Okafor’s appointment/ });
  await closeOff.getByRole('button', { name: 'Attended' }).click();
  await until('Today to stop showing the closed-off appointment', async () => (await closeOff.count()) === 0);

  await page.goto(`${url}#/person/${pid}`);
  const referral = page.getByRole('region', { name: 'Referral and episode' });
  await referral.getByText('Hand over or close').click();
  const close = referral.getByRole('form', { name: 'Close the episode' });
  await close.getByLabel('Reason for closing').selectOption({ label: 'Chose to stop' });
  await close.getByRole('button', { name: 'Close episode…' }).click();
  const confirm = close.getByRole('group', { name: 'Confirm closing' });
  await confirm.getByText(/Close Olumide’s support\?/).waitFor();
  await confirm.getByRole('button', { name: 'Keep it open' }).click();
  assert.equal((await call('person_record', { person_id: pid })).open_episode?.status, 'active', 'not closed without saying yes');
  await close.getByRole('button', { name: 'Close episode…' }).click();
  await confirm.getByRole('button', { name: 'Yes, close the episode' }).click();
  await referral.getByText(/Support closed/).waitFor();
  assert.equal(await page.getByRole('form', { name: 'Record a session' }).count(), 0, 'a closed record offers no session form');
  assert.equal(await page.getByRole('form', { name: 'Log a contact attempt' }).count(), 0, 'nor contact attempts');
  await page.getByRole('form', { name: 'Add a quick note' }).waitFor();
  await axe(page, 'closed record');
  await referral.getByRole('button', { name: 'Reopen the episode' }).click();
  // Offered again, folded away behind their disclosures (he has sessions and was reached).
  await page.getByRole('form', { name: 'Record a session', includeHidden: true }).waitFor({ state: 'attached' });
  await page.getByRole('form', { name: 'Log a contact attempt', includeHidden: true }).waitFor({ state: 'attached' });
  await call('close_episode', { episode_id: taken.episode.id, reason: 'chose_to_stop', closed_on: today });

  // Referred again: the same NHS number finds him; the same person gets a new episode.
  await page.goto(`${url}#/referral/new`);
  await page.getByLabel('First name').fill('Olumide');
  await page.getByLabel('Last name').fill('Okafor');
  await page.getByLabel('NHS number').fill(nhs.replace(/ /g, ''));
  await page.getByLabel('Referral source').selectOption({ label: 'Self-referral' });
  await page.getByRole('group', { name: /Reasons for referral/ }).getByLabel('Loneliness').check();
  await page.getByRole('button', { name: 'Take referral' }).click();
  const matches = page.getByRole('region', { name: 'This may be someone already known' });
  await matches.getByRole('button', { name: 'Same person: refer onto Olumide Okafor’s record' }).click();
  await page.getByRole('heading', { name: /^Olumide/, level: 1 }).waitFor();
  assert.ok(page.url().includes(pid), 'onto his existing record');
  const rec = await call('person_record', { person_id: pid });
  assert.equal(rec.episodes.length, 2, 'a new episode for the known person');
  assert.ok(rec.open_episode, 'open again');
  await page.close();
});

// A save with fields missing: each message in words beside its field and in the summary, in
// the form's order, as links to the fields; a message goes as soon as its field is right.
step('errors are in words, beside their fields and in a summary in form order that follows the fixes', [setUp], async () => {
  const page = await context.newPage();
  await page.goto(`${url}#/referral/new`);
  await page.getByRole('heading', { name: 'New referral' }).waitFor();
  await page.getByLabel('First name').fill('Nobody');
  const workers = await page.getByLabel('Worker').locator('option').allInnerTexts();
  assert.ok(workers.includes('Me') && !workers.includes('Priya Shah'), `Me, not also her own name: ${workers.join(', ')}`);
  await page.getByRole('button', { name: 'Take referral' }).click();
  const summary = page.locator('form .form-message');
  await summary.getByRole('link', { name: 'Choose who referred them' }).waitFor();
  const items = await summary.getByRole('listitem').allInnerTexts();
  const at = (re) => items.findIndex((t) => re.test(t));
  assert.ok(at(/Last name/) >= 0 && at(/Last name/) < at(/who referred them/) && at(/who referred them/) < at(/reason/i), `form order: ${items.join(' | ')}`);
  assert.doesNotMatch(items.join(' '), /_|must be one of/, 'no codes');
  await page.locator('[data-field="source"] .error').getByText('Choose who referred them').waitFor();
  await summary.getByRole('link', { name: 'Choose who referred them' }).click();
  assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('name')), 'source', 'the link moves to its field');
  await page.getByLabel('Last name').fill('Person');
  await until('the fixed field to leave the summary', async () => !(await summary.innerText()).match(/Last name/));
  await page.locator('[data-field="family_name"] .error').waitFor({ state: 'hidden' });
  await summary.getByRole('link', { name: 'Choose who referred them' }).waitFor();
  await axe(page, 'error summary');
  await call('discard_draft', { key: 'new-referral' });
  await page.close();
});

// A save is shown where it landed, with an undo for a note; a note can be retracted with a
// reason (and not without one). Her own record, so Margaret's stays as later steps expect.
step('a saved note is shown with an undo, and a note is retracted with a reason', [setUp], async () => {
  const taken = await call('take_referral', { referral: { person: { given_name: 'Edna', family_name: 'Fairweather' }, referral: { source: 'gp', received_on: today, reasons: ['isolation'] } } });
  const page = await context.newPage();
  await page.goto(`${url}#/person/${taken.person.id}`);
  const sessions = page.getByRole('region', { name: 'Sessions and notes' });
  await sessions.getByRole('textbox', { name: 'Quick note' }).fill('Rang about the bus pass');
  await sessions.getByRole('button', { name: 'Add note' }).click();
  await sessions.getByText('Note added to the timeline below.').waitFor();
  assert.ok(await sessions.getByText('Note added to the timeline below.').isVisible(), 'seen, not only announced');
  await axe(page, 'saved with undo');
  await sessions.getByRole('button', { name: 'Undo' }).click();
  await sessions.getByText(/Undone: the note is retracted/).waitFor();
  await sessions.getByText('Retracted: Undone straight after saving').waitFor();

  await sessions.getByRole('textbox', { name: 'Quick note' }).fill('Her son will drive her on Thursdays');
  await sessions.getByRole('button', { name: 'Add note' }).click();
  await sessions.getByText('Her son will drive her on Thursdays').waitFor();
  await sessions.getByRole('button', { name: 'Retract this note' }).click();
  const retract = sessions.getByRole('form', { name: 'Retract note' });
  await retract.getByRole('button', { name: 'Retract note' }).click();
  await retract.locator('[data-field="reason"] .error').getByText(/Reason for retracting/).waitFor();
  await retract.getByLabel('Reason for retracting').fill('Written on the wrong record');
  await retract.getByRole('button', { name: 'Retract note' }).click();
  await sessions.getByText('Retracted: Written on the wrong record').waitFor();
  assert.equal(await page.getByRole('region', { name: 'Subject access request' }).count(), 0, 'a link worker is not offered the export');
  await page.close();
});

const contactSessionPlan = step('contact attempt, first session with a note, wellness plan', [referral], async () => {
  const page = await context.newPage();
  await page.goto(`${url}#/person/${personId}`);
  const referral = page.getByRole('region', { name: 'Referral and episode' });
  await referral.waitFor();
  await referral.getByLabel('How').selectOption({ label: 'Phone' });
  await referral.getByLabel('Outcome').selectOption({ label: 'Appointment booked' });
  await referral.getByRole('button', { name: 'Log attempt' }).click();
  await page.getByRole('list', { name: 'Contact attempts' }).getByText('Phone – Appointment booked').waitFor();

  const sessions = page.getByRole('region', { name: 'Sessions and notes' });
  await sessions.getByLabel('Mode').selectOption({ label: 'Face to face' });
  await sessions.getByLabel('Venue').fill('Keyworth Library');
  await sessions.getByLabel('Minutes').fill('45');
  await sessions.getByLabel('Session note').fill('First meeting. Margaret misses the walking club she went to before her hip operation.');
  await sessions.getByLabel('Next step').fill('Look at walking groups together');
  await sessions.getByRole('button', { name: 'Save session' }).click();
  await sessions.getByText('misses the walking club').waitFor();

  const plan = page.getByRole('region', { name: 'Wellness plan' });
  await plan.getByLabel('What keeps me well').fill('A walk to the shop each morning; phoning my sister on Sundays.');
  await plan.getByLabel('What makes me unwell or stressed').fill('Letters about money; being indoors all week.');
  await plan.getByLabel('Early warning signs').fill('Not getting dressed; not answering the phone.');
  await plan.getByLabel('What I will do when I notice them').fill('Ring my sister; go to the library café.');
  await plan.getByLabel('What helps in a crisis, and who to contact').fill('My sister Jean, 0115 496 0000; GP surgery.');
  await plan.getByLabel('Review by').fill(inAMonth);
  await plan.getByRole('button', { name: 'Save plan' }).click();
  await plan.getByText(/Version 1, written/).waitFor();
  await axe(page, 'person record');
  await page.close();
});

const goalsAndMeasure = step('two goals with SMART steps, and a baseline ONS4', [referral], async () => {
  const page = await context.newPage();
  await page.goto(`${url}#/person/${personId}`);
  const goals = page.getByRole('region', { name: 'Goals' });
  await goals.waitFor();
  const addGoal = async (text, way, steps) => {
    await goals.getByLabel('Goal, in the person’s words').fill(text);
    await goals.getByLabel('Five Ways to Wellbeing').selectOption({ label: way });
    for (const [i, [s, on]] of steps.entries()) {
      await goals.getByLabel(`Step ${i + 1}`, { exact: true }).fill(s);
      await goals.getByLabel(`Step ${i + 1} by`).fill(on);
    }
    await goals.getByRole('button', { name: 'Add goal' }).click();
    await goals.getByRole('heading', { name: text }).waitFor();
  };
  await addGoal('Go walking with other people', 'Be active', [['Walk to the park and back', inAMonth], ['Go to one walking group session', inAMonth]]);
  await addGoal('Phone my sister every Sunday', 'Connect', [['Put a reminder on the calendar', today], ['Ring Jean on Sunday', inAMonth]]);
  await goals.getByRole('list', { name: 'Steps for Go walking with other people' }).getByRole('listitem').nth(1).waitFor();

  const measures = page.getByRole('region', { name: 'Measures' });
  await measures.getByLabel('Measure', { exact: true }).selectOption({ label: 'ONS personal wellbeing (ONS4)' });
  await measures.getByLabel('Time point').selectOption({ label: 'Baseline (T0)' });
  await measures.getByLabel('Life satisfaction (0 to 10)').fill('4');
  await measures.getByLabel('Worthwhile (0 to 10)').fill('5');
  await measures.getByLabel('Happiness yesterday (0 to 10)').fill('3');
  await measures.getByLabel('Anxiety yesterday (0 to 10)').fill('7');
  await measures.getByRole('button', { name: 'Record measure' }).click();
  await measures.getByRole('table', { name: 'Measures recorded' }).getByRole('cell', { name: 'Baseline (T0)' }).waitFor();
  await measures.getByText(/life satisfaction low/).waitFor();
  await measures.getByText(/About 4 months \(T1\): due/).waitFor();
  await page.close();
});

const onwardReferral = step('find the walking group in the directory and refer', [goalsAndMeasure], async () => {
  const page = await context.newPage();
  await page.goto(`${url}#/person/${personId}`);
  const onward = page.getByRole('region', { name: 'Onward referrals' });
  await onward.getByRole('button', { name: 'Suggest services for this person' }).click();
  await onward.getByRole('heading', { name: 'Suggested services' }).waitFor();
  const walking = onward.getByRole('link', { name: 'East Leake walking group' });
  await walking.waitFor();
  await axe(page, 'suggestions');
  await onward.getByRole('link', { name: 'Find in directory' }).click();
  await page.getByRole('heading', { name: 'Directory' }).waitFor();
  await page.getByText(/Finding a service for/).waitFor();
  await page.getByLabel('Search the directory').fill('walking');
  // The list is re-drawn for the search: click only once it shows the search's results.
  await page.locator('ul.services[aria-busy="false"]').waitFor();
  await page.getByRole('link', { name: 'East Leake walking group' }).click();
  await page.getByRole('heading', { name: 'East Leake walking group', level: 1 }).waitFor();
  await axe(page, 'service page');
  await page.getByRole('button', { name: 'Refer Margaret to this service' }).click();
  const list = page.getByRole('region', { name: 'Onward referrals' });
  await list.getByRole('link', { name: 'East Leake walking group' }).waitFor();
  await list.getByText(/Referral made\s*since/).waitFor();
  await page.close();
});

step('the walking group’s places, and Margaret on its waiting list, seen from both pages', [onwardReferral], async () => {
  const page = await context.newPage();
  await page.goto(`${url}#/person/${personId}?section=onward`);
  await page.getByRole('region', { name: 'Onward referrals' }).getByRole('link', { name: 'East Leake walking group' }).click();
  await page.getByRole('heading', { name: 'East Leake walking group', level: 1 }).waitFor();
  // More places free than a session holds: refused beside the field, in words.
  await page.getByText('Change places or room').click();
  const places = page.getByRole('form', { name: 'Places and room' });
  await places.getByLabel('Places per session', { exact: true }).fill('12');
  await places.getByLabel('Places free', { exact: true }).fill('14');
  await places.getByRole('button', { name: 'Save places' }).click();
  await places.locator('[data-field="places_free"] .error').getByText('Places free (14) cannot be more than places per session (12)').waitFor();
  await places.getByLabel('Places free', { exact: true }).fill('0');
  await places.getByRole('button', { name: 'Save places' }).click();
  await page.getByText(/^0 of 12 places free/).waitFor();
  const join = page.getByRole('form', { name: 'Put on the waiting list' });
  await join.getByRole('button', { name: 'Put Margaret on the waiting list' }).click();
  const waiting = page.getByRole('list', { name: 'Waiting for a place' });
  await waiting.getByRole('listitem').filter({ hasText: /waiting since .* referred by/ }).waitFor();
  await axe(page, 'group page with its waiting list');
  await waiting.getByRole('link', { name: /Margaret/ }).click();
  const onward = page.getByRole('region', { name: 'Onward referrals' });
  await onward.getByText(/On the waiting list since/).waitFor();
  const r = await call('person_record', { person_id: personId });
  assert.equal(r.onward.length, 1, 'the wait is under the referral already made');
  assert.ok(r.onward[0].take_up.waiting);
  await page.close();
});

// A US-English browser still shows British dates: fields take day/month/year, the charts'
// axes say "2 Dec", not "12-02".
step('dates are British whatever the browser’s locale', [goalsAndMeasure], async () => {
  const us = await browser.newContext({ locale: 'en-US', viewport: { width: 1280, height: 900 } });
  const page = await us.newPage();
  const [y, m, d] = today.split('-');
  await page.goto(`${url}#/referral/new`);
  await page.getByRole('heading', { name: 'New referral' }).waitFor();
  assert.equal(await page.getByLabel('Date received').inputValue(), `${d}/${m}/${y}`);
  assert.equal(await page.getByLabel('Date received').getAttribute('type'), 'text', 'one Tab stop, no mm/dd/yyyy');
  await page.goto(`${url}#/person/${personId}`);
  await page.getByRole('heading', { name: /^Margaret/, level: 1 }).waitFor();
  const ticks = await page.locator('svg.chart text').allTextContents();
  const dates = ticks.filter((t) => /\d/.test(t) && /[A-Za-z-]/.test(t));
  assert.ok(dates.length > 0, `chart axis dates: ${ticks.join(', ')}`);
  for (const t of dates) assert.match(t, /^\d{1,2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)$/);
  await us.close();
});

// Her plan and groups are in the book: with nothing in them the preview leaves those pages out,
// but shows them once the choice of pages changes.
step('print the Green Book: choose pages, preview, save the PDF, print', [contactSessionPlan, onwardReferral], async () => {
  const page = await context.newPage();
  await page.goto(`${url}#/person/${personId}`);
  await page.getByRole('heading', { name: /^Margaret/, level: 1 }).waitFor();
  assert.equal(await page.getByRole('region', { name: 'Who has looked at this record' }).count(), 0, 'a link worker sees no audit trail');
  await page.getByRole('link', { name: 'Print Green Book' }).click();
  await page.getByRole('heading', { name: /^Print Margaret.s Green Book/, level: 1 }).waitFor();
  const preview = page.getByRole('region', { name: 'Preview' });
  const count = page.getByRole('status').filter({ hasText: /pages? to print/ });
  const pagesShown = async () => Number((await count.innerText()).match(/(\d+) pages? to print/)[1]);
  const all = await pagesShown();
  assert.equal(await preview.getByRole('article').count(), all);
  // The preview is the book's own layout: her name and the goals she set, page numbers.
  await preview.getByRole('article', { name: /My goals and steps/ }).first().getByText('Go walking with other people').first().waitFor();
  await preview.getByRole('article', { name: `Page 1 of ${all}: My Green Book` }).waitFor();
  await axe(page, 'print');
  // Fewer pages: the count and the preview follow the choice.
  await page.getByRole('checkbox', { name: 'Five Ways to Wellbeing' }).uncheck();
  await page.getByRole('checkbox', { name: 'My Green Book' }).uncheck();
  // Each tick redraws; wait for the last one (the count and the sheets agree, neither page left).
  const unticked = preview.getByRole('article', { name: /Five Ways to Wellbeing|My Green Book$/ });
  await until('the preview to be redrawn without the unticked pages', async () => (await unticked.count()) === 0 && (await preview.getByRole('article').count()) === (await pagesShown()));
  assert.equal(await unticked.count(), 0);
  const chosen = await pagesShown();
  assert.ok(chosen < all, `${chosen} of ${all}`);
  assert.equal(await preview.getByRole('article').count(), chosen);

  // Save as PDF: the exact PDF from the core, named without her name, read back by poppler.
  const changesBefore = await call('pending_count');
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Save as PDF' }).click()]);
  assert.match(download.suggestedFilename(), /^green-book-[0-9a-f]{8}-\d{4}-\d\d-\d\d\.pdf$/);
  const saved = join(dir, 'saved.pdf');
  await download.saveAs(saved);
  assert.match(execFileSync('pdfinfo', [saved], { encoding: 'utf8' }), new RegExp(`Pages:\\s+${chosen}\\n`));
  const text = execFileSync('pdftotext', ['-layout', saved, '-'], { encoding: 'utf8' });
  assert.match(text, /Margaret/);
  assert.match(text, /Go walking with other people/);
  await page.getByText(/Saved as green-book-.* in your downloads\. The file is not encrypted/).waitFor();

  // Printing from the window: on paper only the sheets, one per A4 page.
  await page.emulateMedia({ media: 'print' });
  assert.equal(await page.getByRole('banner').isVisible(), false, 'the app around the sheets is not printed');
  await page.pdf({ path: join(dir, 'printed.pdf'), format: 'A4', printBackground: true });
  await page.emulateMedia({ media: 'screen' });
  assert.match(execFileSync('pdfinfo', [join(dir, 'printed.pdf')], { encoding: 'utf8' }), new RegExp(`Pages:\\s+${chosen}\\n`));
  assert.match(execFileSync('pdftotext', [join(dir, 'printed.pdf'), '-'], { encoding: 'utf8' }), /Go walking with other people/);
  // The print dialog itself cannot run headless: count that it was asked for.
  await page.evaluate(() => { window.print = () => { window.printAsked = (window.printAsked ?? 0) + 1; }; });
  await page.getByRole('button', { name: 'Print…' }).click();
  await page.waitForFunction(() => window.printAsked === 1);
  // Saving and printing are both audited: two records waiting to sync (a link worker cannot
  // read the trail itself; the supervisor test below does).
  assert.equal(await call('pending_count'), changesBefore + 2, 'saving and printing are both audited');
  await page.close();
});

step('edit her details (checked as you type) and review a risk flag', [referral], async () => {
  const page = await context.newPage();
  await page.goto(`${url}#/person/${personId}`);
  await page.getByRole('heading', { name: /^Margaret/, level: 1 }).waitFor();
  await page.getByText('Edit details', { exact: true }).click();
  const edit = page.getByRole('form', { name: 'Edit details' });
  assert.equal(await edit.getByLabel('Postcode').inputValue(), 'NG11 6JA', 'the form starts from what is saved');
  await edit.getByLabel('Phone').fill('0115 496 0000 call after 2');
  await edit.getByLabel('Phone').blur();
  await edit.getByText(/is not a phone number/).waitFor();
  await edit.getByLabel('Phone').fill('0115 496 0000');
  await edit.getByLabel('Contact restrictions').fill('No voicemail');
  await page.waitForFunction(() => !document.querySelector('form[aria-label="Edit details"] [aria-invalid="true"]'));
  await edit.getByRole('button', { name: 'Save details' }).click();
  await page.getByText('Contact: No voicemail').waitFor();
  await page.getByText('0115 496 0000', { exact: true }).waitFor();

  // A flag due for review today: keep needs a date from today on; lifting takes it away.
  await call('add_risk_flag', { person_id: personId, flag: { kind: 'safeguarding', review_on: today, note: 'Lives alone' } });
  await page.reload();
  await page.getByRole('heading', { name: /^Margaret/, level: 1 }).waitFor();
  await page.getByRole('list', { name: 'Risk flags' }).getByText(/Safeguarding/).waitFor();
  const review = page.getByRole('form', { name: 'Review Safeguarding concern' });
  await review.getByText(/review due/).waitFor();
  await axe(page, 'edit details and flag review');
  await review.getByRole('button', { name: 'Keep the flag' }).click();
  await review.getByText(/Next review date/).first().waitFor();
  await review.getByRole('button', { name: 'Lift the flag' }).click();
  await page.getByRole('heading', { name: /^Margaret/, level: 1 }).waitFor();
  await page.waitForFunction(() => !document.querySelector('[aria-label="Risk flags"]'));
  const flags = (await call('person_record', { person_id: personId })).risk_flags;
  assert.deepEqual(flags.map((f) => [f.kind, f.active]), [['safeguarding', false]], 'lifted, not deleted');
  await page.close();
});

const halfWrittenNote = step('a half-written note survives closing the window', [referral], async () => {
  const draft = 'Rang to say she enjoyed the first walk and wants to';
  // From an empty quick note, whatever an earlier test left in it.
  await call('discard_draft', { key: `note.${personId}` });
  let page = await context.newPage();
  await page.goto(`${url}#/person/${personId}`);
  await page.getByRole('heading', { name: /^Margaret/, level: 1 }).waitFor();
  await page.keyboard.press('Alt+N');
  const focused = await page.evaluate(() => document.activeElement?.id);
  assert.equal(focused, 'quick-note', 'Alt+N focuses the quick note');
  await page.keyboard.type(draft);
  // Each keystroke is kept as it is typed: the core has the whole text within moments.
  await until('the core to have the whole draft as typed', async () => (await call('draft', { key: `note.${personId}` }))?.body === draft);
  await page.close(); // mid-note, never saved
  page = await context.newPage();
  await page.goto(`${url}#/person/${personId}`);
  const note = page.getByRole('textbox', { name: 'Quick note' });
  // The draft comes back from the core (encrypted) a moment after the form appears.
  await page.getByText('Draft restored').first().waitFor();
  assert.equal(await note.inputValue(), draft);
  // Finishing and saving with Ctrl+S clears the draft.
  await note.focus();
  await page.keyboard.press('End');
  await page.keyboard.type(' come again next week.');
  await page.keyboard.press('Control+s');
  await page.getByRole('region', { name: 'Sessions and notes' }).getByText('wants to come again next week.').waitFor();
  assert.equal(await page.getByRole('textbox', { name: 'Quick note' }).inputValue(), '');
  assert.equal(await call('draft', { key: `note.${personId}` }), null, 'saving clears the draft');
  await page.close();
});

step('drafts and records never sit unencrypted on disk', [contactSessionPlan], async () => {
  const page = await context.newPage();
  await page.goto(`${url}#/person/${personId}`);
  const note = page.getByRole('textbox', { name: 'Quick note' });
  await note.fill('Unsaved thought about the zebracrossing');
  await note.blur();
  await page.waitForFunction(() => document.querySelector('#quick-note') !== null);
  // The draft is in the core (encrypted), not in the browser's own storage.
  await until('the core to have the draft', () => call('draft', { key: `note.${personId}` }));
  assert.match((await call('draft', { key: `note.${personId}` })).body, /zebracrossing/);
  const stored = await page.evaluate(() => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }));
  assert.doesNotMatch(stored, /zebracrossing|Margaret/);
  for (const f of ['test.db', 'test.db-wal']) {
    let bytes;
    try { bytes = readFileSync(join(dir, f)); } catch { continue; }
    assert.ok(!bytes.subarray(0, 16).toString('latin1').startsWith('SQLite format 3'), `${f} is encrypted`);
    for (const secret of ['Margaret', 'zebracrossing', 'Keyworth Library']) assert.equal(bytes.indexOf(secret), -1, `${f} shows ${secret}`);
  }
  await page.close();
});

step('locking hides every person; unlocking needs the passphrase and keeps the draft', [referral], async () => {
  const page = await context.newPage();
  await page.goto(`${url}#/person/${personId}`);
  await page.getByRole('heading', { name: /^Margaret/, level: 1 }).waitFor();
  await page.getByRole('textbox', { name: 'Quick note' }).fill('Written just before lunch');
  await page.getByRole('button', { name: 'Lock' }).click();
  await page.getByRole('heading', { name: 'Linkwell is locked' }).waitFor();
  const shown = await page.evaluate(() => document.body.innerText + document.title);
  assert.doesNotMatch(shown, /Margaret|Hill|Written just before lunch/);
  await axe(page, 'locked');
  // Locked means locked for every caller, not just this page.
  const base = new URL(url);
  const res = await fetch(`${base.origin}/api/person_record`, {
    method: 'POST', headers: { Authorization: `Bearer ${token}` }, body: JSON.stringify({ person_id: personId }),
  });
  assert.equal(res.status, 423);
  assert.doesNotMatch(await res.text(), /Margaret/);
  await page.getByLabel('Passphrase').fill('not my passphrase at all');
  await page.getByRole('button', { name: 'Unlock' }).click();
  await page.locator('[data-field="passphrase"] .error').getByText('That passphrase is not right').waitFor();
  await page.getByLabel('Passphrase').fill(PASSPHRASE);
  await page.getByRole('button', { name: 'Unlock' }).click();
  await page.getByRole('heading', { name: /^Margaret/, level: 1 }).waitFor();
  await page.getByText('Draft restored').first().waitFor();
  assert.equal(await page.getByRole('textbox', { name: 'Quick note' }).inputValue(), 'Written just before lunch');
  // Alt+L locks from anywhere; the recovery code sets a new passphrase.
  await page.keyboard.press('Alt+L');
  await page.getByRole('heading', { name: 'Linkwell is locked' }).waitFor();
  await page.getByRole('button', { name: 'Forgotten your passphrase?' }).click();
  await page.getByLabel('Recovery code').fill(recoveryCode.toLowerCase());
  await page.getByLabel(/^New passphrase/).fill('a new kettle by the gate');
  await page.getByLabel('Type the new passphrase again').fill('a new kettle by the gate');
  await page.getByRole('button', { name: 'Set new passphrase and unlock' }).click();
  await page.getByRole('heading', { name: /^Margaret/, level: 1 }).waitFor();
  await page.getByRole('textbox', { name: 'Quick note' }).fill('');
  await page.getByRole('textbox', { name: 'Quick note' }).blur();
  await page.close();
});

step('at 200% zoom every screen reflows without sideways scrolling', [referral], async () => {
  // 200% zoom of a 1280×900 window is a 640×450 CSS-pixel viewport (WCAG 1.4.4 / 1.4.10).
  const zoomed = await browser.newContext({ locale: 'en-GB', viewport: { width: 640, height: 450 }, deviceScaleFactor: 2 });
  const page = await zoomed.newPage();
  for (const [hash, heading] of [['#/today', /^Today/], ['#/caseload', 'Caseload'], ['#/referral/new', 'New referral'], [`#/person/${personId}`, /^Margaret/], [`#/person/${personId}/print`, /^Print Margaret/], ['#/directory', 'Directory'], ['#/settings', 'Settings']]) {
    await page.goto(`${url}${hash}`);
    await page.getByRole('heading', { name: heading, level: 1 }).waitFor();
    const wide = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(wide <= 1, `${hash} scrolls sideways by ${wide}px at 200%`);
    await page.getByRole('button', { name: 'Lock' }).scrollIntoViewIfNeeded();
    assert.ok(await page.getByRole('button', { name: 'Lock' }).isVisible(), `Lock reachable on ${hash}`);
  }
  await zoomed.close();
});

test('a supervisor sees on the record who opened and printed it', async () => {
  const office = await startBridge(join(dir, 'supervisor.db'));
  await call('create_profile', {
    setup: { team_name: 'Rushcliffe Social Prescribing', worker_name: 'Sam Okoro', role: 'supervisor' },
    passphrase: PASSPHRASE, passphrase_again: PASSPHRASE, demo: true,
  }, office);
  const [first] = await call('caseload', { filter: {} }, office);
  const page = await context.newPage();
  await page.goto(office.url);
  await page.getByRole('heading', { name: /^Today/ }).waitFor();
  await page.goto(`${new URL(office.url).origin}/#/person/${first.person_id}`);
  const trail = page.getByRole('region', { name: 'Who has looked at this record' });
  await trail.getByRole('row', { name: /Sam Okoro Opened the record/ }).waitFor();
  await axe(page, 'audit trail');
  await page.getByRole('link', { name: 'Print Green Book' }).click();
  await page.evaluate(() => { window.print = () => undefined; });
  await page.getByRole('button', { name: 'Print…' }).click();
  await page.getByRole('link', { name: /^Back to / }).click();
  await trail.getByRole('row', { name: /Sam Okoro Printed the Green Book/ }).waitFor();
  assert.equal(await trail.getByRole('row', { name: /Opened the record/ }).count(), 1, 'coming back to the record is the same sitting');
  // A subject access request: everything held about them, with the trail, as one file.
  const sar = page.getByRole('region', { name: 'Subject access request' });
  const [download] = await Promise.all([page.waitForEvent('download'), sar.getByRole('button', { name: /^Export everything about / }).click()]);
  assert.match(download.suggestedFilename(), /^subject-access-[0-9a-f]{8}-\d{4}-\d\d-\d\d\.json$/);
  const file = join(dir, 'sar.json');
  await download.saveAs(file);
  const exported = JSON.parse(readFileSync(file, 'utf8'));
  assert.equal(exported.records.person[0].id, first.person_id);
  assert.ok(exported.records.audit_event?.some((e) => e.action === 'printed_green_book'), 'the audit trail is in it');
  await sar.getByText(/Saved as subject-access-.* The file is not encrypted/).waitFor();
  await page.close();
});

// Issue 15: a supervisor's Reports screen over data whose figures are known by construction:
// eight referrals of theirs (six from a GP, two self-referrals), three of them seen.
test('reports: the team figures hide small numbers, the caseload shows them, CSV and the PDF pack match', async () => {
  const office = await startBridge(join(dir, 'reports.db'));
  await call('create_profile', {
    setup: { team_name: 'Rushcliffe Social Prescribing', worker_name: 'Ruth Adeyemi', role: 'supervisor' },
    passphrase: PASSPHRASE, passphrase_again: PASSPHRASE, demo: false,
  }, office);
  const daysAgo = (n) => new Date(Date.now() - n * 86400000).toISOString().slice(0, 10);
  const people = [['gp', 80], ['gp', 70], ['gp', 60], ['gp', 50], ['gp', 20], ['gp', 10], ['self', 40], ['self', 30]];
  for (const [i, [source, ago]] of people.entries()) {
    const taken = await call('take_referral', { referral: { person: { given_name: `Report${i}`, family_name: 'Person' }, referral: { source, received_on: daysAgo(ago), reasons: ['loneliness'] } } }, office);
    // The three referred longest ago were seen a week after referral.
    if (i < 3) await call('record_session', { person_id: taken.person.id, session: { starts_at: `${daysAgo(ago - 7)}T10:00`, mode: 'face_to_face', attendance: 'attended' } }, office);
  }
  const page = await context.newPage();
  await page.goto(office.url);
  await page.getByRole('heading', { name: /^Today/ }).waitFor();
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Reports' }).click();
  await page.getByRole('heading', { name: 'Reports', level: 1 }).waitFor();
  const funnel = page.getByRole('region', { name: 'From referral to support' });
  const sources = page.getByRole('region', { name: 'Referrals by source' });
  const cell = async (region, row, col) => (await region.getByRole('row', { name: new RegExp(`^${row}`) }).getByRole('cell').nth(col).innerText()).trim();
  // A supervisor starts on the team, with small numbers hidden and the caveat saying so.
  await funnel.getByRole('table').waitFor();
  assert.equal(await page.getByLabel('Whose figures').inputValue(), 'my_team');
  await page.getByText(/Counts from 1 to 4 are shown as "fewer than 5"/).waitFor();
  assert.equal(await cell(funnel, 'Referrals received', 0), '8');
  assert.equal(await cell(funnel, 'First seen', 0), 'fewer than 5', 'three seen is a small number');
  assert.equal(await cell(funnel, 'First seen', 1), '', 'no percentage of a hidden count');
  assert.equal(await cell(sources, 'Self-referral', 0), 'fewer than 5');
  assert.equal(await cell(sources, 'GP', 0), 'suppressed', 'GP would give the two self-referrals away from the total');
  assert.equal(await cell(sources, 'Total', 0), '8');
  assert.ok(await sources.locator('td.suppressed').count() >= 2, 'withheld cells are marked as such');
  await axe(page, 'reports (team)');

  // My caseload: every number, as the data implies it.
  await page.getByLabel('Whose figures').selectOption('my_caseload');
  await page.getByText(/Your own caseload: every number is shown/).waitFor();
  assert.equal(await cell(funnel, 'First seen', 0), '3');
  assert.equal(await cell(funnel, 'First seen', 1), '37.5%');
  assert.equal(await cell(sources, 'GP', 0), '6');
  assert.equal(await cell(sources, 'Self-referral', 0), '2');
  const waits = page.getByRole('region', { name: 'Waiting times (days)' });
  assert.equal(await cell(waits, 'Referral to first session', 0), '3');
  assert.equal(await cell(waits, 'Referral to first session', 1), '7', 'each was seen a week after referral');

  // By keyboard: a shorter period typed into From, Enter shows it (45 days: four referrals).
  await page.getByLabel('From', { exact: true }).focus();
  await page.keyboard.press('Control+A');
  await page.keyboard.type(daysAgo(45).split('-').reverse().join('/'));
  await page.keyboard.press('Enter');
  await until('the shorter period', async () => (await cell(funnel, 'Referrals received', 0)) === '4');
  assert.equal(await cell(sources, 'GP', 0), '2');
  // A period that ends before it starts: the core's words beside the field.
  await page.getByLabel('To', { exact: true }).fill(daysAgo(60).split('-').reverse().join('/'));
  await page.getByRole('button', { name: 'Show the figures' }).click();
  await page.locator('[data-field="to"] .error').getByText(/before it starts/).waitFor();
  await page.getByLabel('To', { exact: true }).fill(daysAgo(0).split('-').reverse().join('/'));
  await page.getByLabel('From', { exact: true }).fill(daysAgo(364).split('-').reverse().join('/'));
  await page.getByRole('button', { name: 'Show the figures' }).click();
  await until('the year again', async () => (await cell(funnel, 'Referrals received', 0)) === '8');

  // CSV of one table: the screen's cells, UTF-8 with a byte-order mark for Excel.
  const [csv] = await Promise.all([page.waitForEvent('download'), sources.getByRole('button', { name: /^Download CSV/ }).click()]);
  assert.equal(csv.suggestedFilename(), 'referrals_by_source.csv');
  await csv.saveAs(join(dir, 'sources.csv'));
  const text = readFileSync(join(dir, 'sources.csv'), 'utf8');
  assert.ok(text.startsWith('\ufeffSource,Referrals\r\n'), text);
  assert.match(text, /\r\nGP,6\r\n/);
  assert.match(text, /\r\nTotal,8\r\n/);

  // The evaluation pack in one action: every table, the caveats, no one's name.
  await page.getByLabel('Whose figures').selectOption('my_team');
  await page.getByText(/Counts from 1 to 4/).waitFor();
  const [pdf] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Save the evaluation pack (PDF)' }).click()]);
  assert.match(pdf.suggestedFilename(), /^evaluation-my_team-\d{4}-\d\d-\d\d-to-\d{4}-\d\d-\d\d\.pdf$/);
  await pdf.saveAs(join(dir, 'pack.pdf'));
  const pack = execFileSync('pdftotext', ['-layout', join(dir, 'pack.pdf'), '-'], { encoding: 'utf8' });
  for (const title of ['From referral to support', 'Referrals by source', 'Outcome change', 'Read this first', 'How this is counted']) assert.ok(pack.includes(title), `the pack has ${title}`);
  assert.match(pack, /Self-referral\s+fewer than 5/);
  assert.doesNotMatch(pack, /Report\d/, 'no person is named');
  await page.locator('#report-status').getByText(/Saved the evaluation pack as evaluation-my_team-/).waitFor();
  await page.close();
});

step('what the core stored matches what the screens showed', [contactSessionPlan, goalsAndMeasure, onwardReferral, halfWrittenNote], async () => {
  const exp = await call('export_person', { person_id: personId });
  const r = exp.records;
  assert.equal(r.person[0].postcode, 'NG11 6JA');
  assert.equal(r.person[0].nhs_number.replace(/\s/g, ''), '9434765919');
  assert.deepEqual(JSON.parse(typeof r.referral[0].reasons === 'string' ? r.referral[0].reasons : JSON.stringify(r.referral[0].reasons)).sort(), ['inactivity', 'loneliness']);
  assert.equal(r.contact_attempt.length, 1);
  assert.equal(r.contact_attempt[0].outcome, 'appointment_booked');
  assert.equal(r.session.length, 1);
  assert.equal(r.session[0].venue, 'Keyworth Library');
  assert.equal(r.note.length, 2, 'session note and the quick note');
  assert.ok(r.note_revision.some((n) => n.body.includes('wants to come again next week.')));
  assert.equal(r.wellbeing_plan.length, 1);
  assert.equal(r.goal.length, 2);
  assert.equal(r.goal_step.length, 4);
  assert.equal(r.measure.length, 1);
  assert.equal(r.measure[0].time_point, 't0');
  assert.equal(r.onward_referral.length, 1);
  assert.equal(r.onward_referral[0].status, 'referral_made');
  assert.equal(r.service[0].name, 'East Leake walking group');
  const status = await call('status');
  assert.ok(status.pending > 0, 'changes wait in the outbox');
});

// ---- Issue 14: every measure and every follow-up from the app ----
// A person of her own (taken through the API, so the steps above are untouched) whose
// baselines were taken five months ago: the 4-month follow-up (T1) is already due.
let outcomesId;
const pad = (n) => String(n).padStart(2, '0');
const ymd = (d) => `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
const now = new Date();
const baselineOn = ymd(new Date(now.getFullYear(), now.getMonth() - 5, 10));
const t1Due = ymd(new Date(now.getFullYear(), now.getMonth() - 1, 10));

const everyMeasure = step('every instrument recorded from its own form, checked by the core', [setUp], async () => {
  const taken = await call('take_referral', {
    referral: {
      person: { given_name: 'Doreen', family_name: 'Ashworth', postcode: 'ng12 5aa', date_of_birth: '1946-05-17' },
      referral: { source: 'gp', received_on: baselineOn, reasons: ['loneliness'], consent_to_contact: true },
    },
  });
  outcomesId = taken.person.id;
  const page = await context.newPage();
  await page.goto(`${url}#/person/${outcomesId}`);
  const measures = page.getByRole('region', { name: 'Measures and follow-ups' });
  await measures.waitFor();
  // What's missing, with the person in the room: no baseline yet, no consent to evaluation.
  const missing = page.getByRole('list', { name: 'What’s missing' });
  await missing.getByText(/No baseline \(T0\) measures yet/).waitFor();
  await missing.getByText(/No consent to evaluation recorded/).waitFor();
  const record = async (label, fill, check) => {
    await measures.getByLabel('Measure', { exact: true }).selectOption({ label });
    const form = measures.getByRole('form', { name: `Record ${label}` });
    await form.getByLabel('Time point').selectOption({ label: 'Baseline (T0)' });
    await form.getByLabel('Date taken').fill(baselineOn);
    for (const [field, value] of fill) {
      const el = form.getByLabel(field);
      if ((await el.evaluate((e) => e.tagName)) === 'SELECT') await el.selectOption({ label: value });
      else await el.fill(value);
    }
    await form.getByRole('button', { name: 'Record measure' }).click();
    await measures.getByRole('table', { name: 'Measures recorded' }).getByRole('row', { name: check }).waitFor();
  };
  await record('ONS personal wellbeing (ONS4)', [['Life satisfaction', '4'], ['Worthwhile', '5'], ['Happiness yesterday', '3'], ['Anxiety yesterday', '7']], /life satisfaction 4 \(low\).*anxiety 7 \(high\)/);
  await record('Loneliness (ONS direct question)', [['How often lonely', 'Some of the time']], /lonely: some of the time/);
  await record('Number of groups belonged to', [['Number of groups belonged to', '1']], /1 group/);
  await record('Service use in the last 3 months', [
    ['GP appointments', '4'], ['A&E attendances', '1'], ['Nights in hospital', '2'], ['Practice nurse appointments', '3'],
    ['Calls to 111 or out of hours', '1'], ['Outpatient appointments', '2'], ['Social care contacts', '0'],
  ], /GP appointments 4, A&E attendances 1, Nights in hospital 2, Practice nurse appointments 3, Calls to 111 or out of hours 1, Outpatient appointments 2, Social care contacts 0/);

  // PAM: a level that does not fit the score is refused in the core's words, naming the field.
  await measures.getByLabel('Measure', { exact: true }).selectOption({ label: 'Patient Activation Measure (PAM)' });
  const pam = measures.getByRole('form', { name: 'Record Patient Activation Measure (PAM)' });
  await pam.getByText(/Licensed to Demo Primary Care Network/).waitFor();
  await pam.getByLabel('PAM score').fill('56');
  await pam.getByLabel('Activation level').fill('1');
  await pam.getByRole('button', { name: 'Record measure' }).click();
  await pam.locator('[data-field="level"] .error').getByText('A PAM score of 56.0 is level 3, not 1').waitFor();
  await record('Patient Activation Measure (PAM)', [['PAM score', '56'], ['Activation level', '3']], /score 56\.0, level 3/);
  await record('EQ-5D', [['EQ-5D index', '0.712'], ['Health today (VAS, 0 to 100)', '65']], /index 0\.712, health today 65 out of 100/);
  await record('Well-being Star', [
    ['Lifestyle', '4'], ['Looking after yourself', '5'], ['Managing symptoms', '3'], ['Work, volunteering and other activities', '2'],
    ['Money', '6'], ['Where you live', '7'], ['Family and friends', '3'], ['Feeling positive', '4'],
  ], /Lifestyle 4, Looking after yourself 5, Managing symptoms 3/);
  // SWEMWBS without an items licence: the metric score only; the form has no answers to fill.
  await measures.getByLabel('Measure', { exact: true }).selectOption({ label: 'SWEMWBS' });
  const sw = measures.getByRole('form', { name: 'Record SWEMWBS' });
  assert.equal(await sw.getByLabel(/Statement 1/).count(), 0, 'no SWEMWBS item is shown');
  await record('SWEMWBS', [['Metric score', '19.25']], /metric score 19\.25/);
  await missing.getByText(/About 4 months \(T1\): .* overdue since/).waitFor();
  assert.equal(await missing.getByText(/No baseline/).count(), 0, 'the baseline gap is closed');
  await axe(page, 'person measures');
  const stored = (await call('person_record', { person_id: outcomesId })).measures;
  assert.equal(stored.length, 8, 'one measure of each instrument');
  await page.close();
});

const followUpDecisions = step('a follow-up put off by days, a goal achieved, the group lead’s feedback and who went along', [everyMeasure], async () => {
  const page = await context.newPage();
  await page.goto(`${url}#/person/${outcomesId}`);
  const measures = page.getByRole('region', { name: 'Measures and follow-ups' });
  const list = measures.getByRole('list', { name: 'Follow-ups' });
  await list.getByRole('listitem').filter({ hasText: /About 4 months \(T1\): overdue since/ }).waitFor();
  // PAM every 3 months while supported: due two months ago. No reason: refused, naming it.
  await list.getByText('Decide: Patient Activation Measure (PAM), repeated').click();
  const decide = list.getByRole('form', { name: 'Decide Patient Activation Measure (PAM), repeated' });
  await decide.getByLabel('Decision').selectOption({ label: 'Could not be done' });
  await decide.getByRole('button', { name: 'Save decision' }).click();
  await decide.locator('[data-field="note"] .error').getByText('Say why the follow-up will not happen').waitFor();
  await decide.getByLabel('Decision').selectOption({ label: 'Remind me later' });
  await decide.getByLabel('Remind me in (days)').fill('14');
  await decide.getByRole('button', { name: 'Save decision' }).click();
  const back = ymd(new Date(now.getFullYear(), now.getMonth(), now.getDate() + 14));
  await until('the reminder on the person page', async () => {
    const f = (await call('person_record', { person_id: outcomesId })).follow_ups.find((x) => x.repeating && x.instruments.includes('pam'));
    return f?.remind_on === back && !f.on_today;
  });
  await list.getByRole('listitem').filter({ hasText: /repeated: reminder set: back on Today/ }).first().waitFor();

  const goal = await call('add_goal', { person_id: outcomesId, goal: { text: 'Go to the lunch club', five_ways: 'connect', steps: [] } });
  const services = await call('services', { filter: {} });
  await call('refer_onward', { person_id: outcomesId, service_id: services[0].id, status: 'referral_made' });
  await page.reload();
  const progress = page.getByRole('region', { name: 'Progress' });
  const status = progress.getByRole('form', { name: 'Status of goal: Go to the lunch club' });
  await status.getByLabel('Status of “Go to the lunch club”').selectOption({ label: 'Achieved' });
  await status.getByRole('button', { name: 'Set status' }).click();
  // The save redraws the section: wait for it before filling the next form, or the redraw
  // can take the half-typed feedback with it.
  await until('the goal achieved', async () => {
    const r = await call('person_record', { person_id: outcomesId });
    return r.goals.find((g) => g.goal.id === goal.goal.id)?.goal.status === 'achieved';
  });
  // The button is disabled from the click until the section has been drawn again.
  await until('the progress section drawn again', () => status.getByRole('button', { name: 'Set status' }).isEnabled());
  const feedback = progress.getByRole('form', { name: `Feedback from ${services[0].name}` });
  await feedback.getByLabel(/group lead/).fill('Came twice, chatted with everyone; wants to help set up');
  await feedback.getByRole('button', { name: 'Save feedback' }).click();
  await until('the goal achieved and the feedback kept', async () => {
    const r = await call('person_record', { person_id: outcomesId });
    return r.goals.find((g) => g.goal.id === goal.goal.id)?.goal.status === 'achieved' && r.onward[0]?.onward.feedback?.startsWith('Came twice');
  });
  await progress.getByText(`Who went along to ${services[0].name}`).click();
  const along = progress.getByRole('form', { name: `Who went along to ${services[0].name}` });
  await along.getByRole('button', { name: 'Save who went along' }).click();
  await along.locator('[data-field="worker_id"] .error').getByText(/Say who went along/).waitFor();
  await along.getByLabel('Or a volunteer’s name').fill('Alan Fisher');
  await along.getByRole('button', { name: 'Save who went along' }).click();
  await progress.getByText(/went along with Alan Fisher \(volunteer\)/).waitFor();
  assert.equal((await call('person_record', { person_id: outcomesId })).onward[0].onward.status, 'accompanied');
  await page.close();
});

step('after closing, the T1 follow-up is still on Today at its date', [followUpDecisions], async () => {
  const page = await context.newPage();
  await page.goto(`${url}#/person/${outcomesId}`);
  await page.getByText('Hand over or close').click();
  const close = page.getByRole('form', { name: 'Close the episode' });
  await close.getByLabel('Reason for closing').selectOption({ label: 'Goals met' });
  await close.getByRole('button', { name: 'Close episode…' }).click();
  await close.getByRole('button', { name: 'Yes, close the episode' }).click();
  await until('the episode closed', async () => (await call('person_record', { person_id: outcomesId })).open_episode === null);
  await page.goto(`${url}#/today`);
  const due = page.getByRole('region', { name: /Follow-ups due/ });
  const overdue = Math.round((Date.parse(ymd(now)) - Date.parse(t1Due)) / 864e5);
  await page.getByRole('heading', { name: /^Today/ }).waitFor();
  await due
    .getByRole('listitem')
    .filter({ hasText: 'Doreen Ashworth' })
    .filter({ hasText: /About 4 months \(T1\): ONS personal wellbeing \(ONS4\), EQ-5D, SWEMWBS, Loneliness/ })
    .filter({ hasText: `${overdue} days overdue` })
    .waitFor();
  const t = await call('today');
  const mine = t.follow_ups.filter((f) => f.person_id === outcomesId);
  assert.deepEqual(mine.map((f) => [f.time_point, f.due_on]), [['t1', t1Due]], 'T1 due 4 months after T0; PAM reminded; repeats end with the episode');
  await axe(page, 'today with follow-ups');
  await page.close();
});

step('import an Open Referral UK feed into the directory and read the report', [setUp], async () => {
  const page = await context.newPage();
  await page.goto(`${url}#/directory`);
  await page.getByRole('heading', { name: 'Directory' }).waitFor();
  await page.getByText('Import from an Open Referral UK feed').click();
  const form = page.getByRole('form', { name: 'Import an Open Referral UK feed' });
  const feed = join(root, 'crates/linkwell-core/tests/it/feeds/v1_faults.json');
  await form.getByLabel('Open Referral UK feed (JSON file)').setInputFiles(feed);
  await form.getByRole('button', { name: 'Import feed' }).click();
  const report = page.getByRole('status').filter({ hasText: 'Read as ORUK v1 services page' });
  await report.getByText(/3 added, 0 updated, 0 unchanged, 4 skipped/).waitFor();
  await report.getByText('Skipped 102: It has no name').waitFor();
  // The imported group is in the directory at once, its description as text.
  await page.getByRole('link', { name: 'Keyworth Walking Group' }).waitFor();
  assert.doesNotMatch(await page.locator('ul.services').innerText(), /<script|<p>/);
  // A file that is not a feed: the core's words beside the field, nothing imported.
  const bad = join(mkdtempSync(join(tmpdir(), 'lw-feed-')), 'not-a-feed.json');
  writeFileSync(bad, 'name,description\nWalks,Gentle\n');
  await form.getByLabel('Open Referral UK feed (JSON file)').setInputFiles(bad);
  await form.getByRole('button', { name: 'Import feed' }).click();
  await form.getByText(/it is not JSON/).first().waitFor();
  await axe(page, 'directory import');
  await page.close();
});

step('import a feed from its address page by page, carrying on after a page that failed', [setUp], async () => {
  // A v3 feed of two pages on loopback; page 2 fails the first time it is asked for.
  let failed = false;
  const feedServer = createServer((req, res) => {
    const n = Number(new URL(req.url, 'http://x').searchParams.get('page') ?? '1');
    if (n === 2 && !failed) {
      failed = true;
      res.writeHead(503).end();
      return;
    }
    const contents = [1, 2].map((i) => ({
      id: `web-${n}-${i}`,
      name: `Bingham Lunch Club ${n}-${i}`,
      description: 'Lunch and company.',
    }));
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ total_pages: 2, page_number: n, first_page: n === 1, last_page: n === 2, contents }));
  });
  await new Promise((ok) => feedServer.listen(0, '127.0.0.1', ok));
  const feedUrl = `http://127.0.0.1:${feedServer.address().port}/services`;
  const page = await context.newPage();
  await page.goto(`${url}#/directory`);
  await page.getByText('Import from an Open Referral UK feed').click();
  const form = page.getByRole('form', { name: 'Import an Open Referral UK feed from its address' });
  await form.getByLabel('Feed address').fill('http://example.org/services');
  await form.getByRole('button', { name: 'Import from address' }).click();
  await form.getByText(/Use the feed's https:\/\/ address/).first().waitFor();
  await form.getByLabel('Feed address').fill(feedUrl);
  await form.getByRole('button', { name: 'Import from address' }).click();
  await page.getByRole('alert').filter({ hasText: 'Page 2 of 2 could not be read' }).waitFor();
  await page.getByRole('link', { name: 'Bingham Lunch Club 1-1' }).waitFor();
  await form.getByRole('button', { name: 'Carry on from page 2' }).click();
  await page.getByText(/Carried on from page 2, where the last import stopped. 2 pages read of 2/).waitFor();
  await page.getByRole('link', { name: 'Bingham Lunch Club 2-2' }).waitFor();
  assert.equal(await page.getByRole('link', { name: /Bingham Lunch Club/ }).count(), 4, 'no duplicates');
  await axe(page, 'directory feed import');
  await page.close();
  feedServer.close();
});

step("a group's directory page prints as a Green Book insert from the window", [setUp], async () => {
  const page = await context.newPage();
  await page.goto(`${url}#/directory`);
  await page.getByRole('heading', { name: 'Directory' }).waitFor();
  const first = page.locator('ul.services h2 a').first();
  const name = (await first.innerText()).trim();
  await first.click();
  await page.getByRole('heading', { name, level: 1 }).waitFor();
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('button', { name: 'Print as a Green Book insert' }).click(),
  ]);
  assert.match(download.suggestedFilename(), /^group-insert-[0-9a-f]{8}-\d{4}-\d{2}-\d{2}\.pdf$/);
  const dir = mkdtempSync(join(tmpdir(), 'lw-insert-'));
  const saved = join(dir, 'insert.pdf');
  await download.saveAs(saved);
  assert.equal(readFileSync(saved).subarray(0, 5).toString(), '%PDF-', 'the window received a PDF');
  const text = execFileSync('pdftotext', ['-layout', saved, '-'], { encoding: 'utf8' });
  assert.ok(text.replace(/\s+/g, ' ').includes(name.replace(/\s+/g, ' ')), text);
  await page.close();
});

step('an onward referral gives the group lead an introduction to copy and as a PDF', [setUp], async () => {
  const people = await call('caseload', { filter: {} });
  const services = await call('services', { filter: {} });
  const person = people[people.length - 1];
  const onward = await call('refer_onward', {
    person_id: person.person_id,
    service_id: services[services.length - 1].id,
    status: 'referral_made',
  });
  const record = await call('person_record', { person_id: person.person_id });
  const page = await context.newPage();
  await page.goto(`${url}#/person/${person.person_id}?section=onward`);
  const item = page.locator('li.onward').filter({ hasText: services[services.length - 1].name });
  await item.getByText('Introduction for the group lead').click();
  await item.getByRole('button', { name: 'Show the words to copy' }).click();
  const words = await item.getByLabel('Introduction to copy').inputValue();
  assert.match(words, new RegExp(`would like to come along to ${services[services.length - 1].name}`));
  assert.ok(!words.includes(record.full_name), 'no full name for the group without consent');
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    item.getByRole('button', { name: 'Save the introduction as PDF' }).click(),
  ]);
  const dir = mkdtempSync(join(tmpdir(), 'lw-intro-'));
  const saved = join(dir, 'intro.pdf');
  await download.saveAs(saved);
  assert.equal(readFileSync(saved).subarray(0, 5).toString(), '%PDF-', 'the window received a PDF');
  assert.match(execFileSync('pdfinfo', [saved], { encoding: 'utf8' }), /Pages:\s+1\n/);
  assert.match(execFileSync('pdftotext', [saved, '-'], { encoding: 'utf8' }), /would like to come along/);
  assert.ok(onward.id);
  await page.close();
});

/**
 * Presses Tab until the focused control's name (its label, else its own text) matches `name`;
 * answers how many presses it took, failing after `max`. The keyboard-only run moves this way.
 */
async function tabTo(page, name, max = 400) {
  for (let i = 1; i <= max; i++) {
    await page.keyboard.press('Tab');
    const focused = await page.evaluate(() => {
      const e = document.activeElement;
      if (!e) return '';
      const label = e.labels?.[0]?.textContent ?? e.getAttribute('aria-label') ?? '';
      return (label || e.textContent || '').trim().replace(/\s+/g, ' ');
    });
    if (name.test(focused)) return i;
  }
  throw new Error(`Tab never reached ${name} in ${max} presses`);
}

/** With a select focused, presses ArrowDown until the chosen option's text matches `label`. */
async function chooseByKeys(page, label, max = 40) {
  for (let i = 0; i < max; i++) {
    const text = await page.evaluate(() => {
      const e = document.activeElement;
      return e instanceof HTMLSelectElement ? (e.selectedOptions[0]?.textContent ?? '') : null;
    });
    assert.notEqual(text, null, 'a select is focused');
    if (label.test(text)) return;
    await page.keyboard.press('ArrowDown');
  }
  throw new Error(`no option ${label}`);
}

// Issue 13: a whole session, referral to closing, with the keyboard alone. Every mouse or
// pointer event the page sees is counted, and there must be none.
step('a whole session by keyboard alone: referral, a note, closing', [setUp], async () => {
  const page = await context.newPage();
  await page.addInitScript(() => {
    window.__pointerEvents = 0;
    for (const kind of ['pointerdown', 'mousedown', 'mouseup', 'pointerup']) {
      window.addEventListener(kind, () => { window.__pointerEvents += 1; }, true);
    }
  });
  await page.goto(url);
  await page.getByRole('heading', { name: /^Today/ }).waitFor();
  await page.keyboard.press('Alt+3');
  await page.getByRole('heading', { name: 'New referral' }).waitFor();
  let tabs = await tabTo(page, /^First name/);
  await page.keyboard.type('Kwame');
  tabs += await tabTo(page, /^Last name/);
  await page.keyboard.type('Boateng');
  tabs += await tabTo(page, /^Date of birth/);
  await page.keyboard.type('14/03/1951');
  tabs += await tabTo(page, /^Referral source/);
  await chooseByKeys(page, /^GP$/);
  tabs += await tabTo(page, /^Loneliness/);
  await page.keyboard.press('Space');
  tabs += await tabTo(page, /^Consent to contact/);
  await page.keyboard.press('Space');
  tabs += await tabTo(page, /^Take referral$/);
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { name: /^Kwame/, level: 1 }).waitFor();
  console.log(`# keyboard: the referral form took ${tabs} Tab presses from the top of the page to Take referral`);
  const pid = new URL(page.url()).hash.split('/')[2].split('?')[0];
  // The quick note is one shortcut away, and Ctrl+S saves it.
  await page.keyboard.press('Alt+N');
  await page.keyboard.type('Talked about the lunch club; keen to try it');
  await page.keyboard.press('Control+S');
  await page.locator('p', { hasText: 'Note added to the timeline' }).waitFor();
  await page.getByText('Talked about the lunch club; keen to try it').first().waitFor();
  // Closing: open the disclosure, choose the reason, ask, then confirm.
  await tabTo(page, /^Hand over or close$/);
  await page.keyboard.press('Enter');
  await tabTo(page, /^Reason for closing/);
  await chooseByKeys(page, /^Chose to stop$/);
  await tabTo(page, /^Close episode…$/);
  await page.keyboard.press('Enter');
  await tabTo(page, /^Yes, close the episode$/);
  await page.keyboard.press('Enter');
  await until('the episode to be closed', async () => (await call('person_record', { person_id: pid })).open_episode === null);
  const record = await call('person_record', { person_id: pid });
  assert.equal(record.person.date_of_birth, '1951-03-14', 'the British date typed is the date stored');
  assert.equal(await page.evaluate(() => window.__pointerEvents), 0, 'no mouse or pointer event at all');
  await page.close();
});

// Issue 16: a referral from a new referrer (added from the referral form, the core's words
// beside the fields it refuses), the accepted message reviewed and marked sent, the episode
// closed, and the closing message sent; Today lists each until it is sent.
step('a referral from a new referrer gets its accepted and closing messages', [setUp], async () => {
  const page = await context.newPage();
  await page.goto(`${url}#/referral/new`);
  await page.getByRole('heading', { name: 'New referral' }).waitFor();
  await page.getByLabel('First name').fill('Doreen');
  await page.getByLabel('Last name').fill('Clarke');
  await page.getByLabel('NHS number').fill('485 777 3406');
  await page.getByLabel('Referral source').selectOption({ label: 'GP' });
  await page.getByRole('button', { name: 'Add a new referrer' }).click();
  const dialog = page.getByRole('dialog', { name: 'Add a referrer' });
  await dialog.getByLabel('Name').fill('Dr Asha Patel');
  await dialog.getByRole('button', { name: 'Add referrer' }).click();
  await dialog.locator('[data-field="preferred_route"] .error').getByText(/at least one way to reach the referrer/).waitFor();
  await dialog.getByLabel('Practice ODS code').fill('C8400');
  await dialog.getByRole('button', { name: 'Add referrer' }).click();
  await dialog.locator('[data-field="ods_code"] .error').getByText(/like C84001/).waitFor();
  await axe(page, 'add a referrer');
  await dialog.getByLabel('Practice ODS code').fill('C84001');
  await dialog.getByLabel('GP practice', { exact: true }).fill('Musters Medical Practice');
  await dialog.getByLabel('Send messages by').selectOption({ label: 'Secure email' });
  await dialog.getByRole('button', { name: 'Add referrer' }).click();
  await dialog.locator('[data-field="secure_email"] .error').getByText(/secure email/).waitFor();
  await dialog.getByLabel('Secure email').fill('asha.patel@nhs.net');
  await dialog.getByRole('button', { name: 'Add referrer' }).click();
  await dialog.waitFor({ state: 'hidden' });
  assert.match(await page.getByLabel('Referrer', { exact: true }).locator('option:checked').innerText(), /Dr Asha Patel/);
  await page.getByRole('group', { name: /Reasons for referral/ }).getByLabel('Loneliness').check();
  await page.getByRole('button', { name: 'Take referral' }).click();
  await page.getByRole('heading', { name: /^Doreen/, level: 1 }).waitFor();
  const pid = new URL(page.url()).hash.split('/')[2].split('?')[0];

  // On Today until it is sent.
  const due = async () => (await call('today')).messages_due.filter((m) => m.person_id === pid);
  assert.deepEqual((await due()).map((m) => m.kind), ['accepted']);
  const messages = page.getByRole('region', { name: 'Messages to the referrer' });
  const preview = messages.getByRole('article', { name: 'Referral accepted message as it will be sent' });
  await preview.getByText('871731000000106 Referral to social prescribing service').waitFor();
  await preview.getByText('No action needed').waitFor();
  await preview.getByText(/codes, dates, scores and statuses only/).first().waitFor();
  await axe(page, 'message review');
  await messages.getByRole('button', { name: 'Mark sent' }).click();
  await page.getByRole('list', { name: 'Messages sent' }).getByText(/Referral accepted: sent .* by Secure email/).waitFor();
  assert.deepEqual(await due(), []);

  // Seen once, then closed from the record: the closing message is due, reviewed and sent.
  await call('record_session', { person_id: pid, session: { starts_at: localNow(-30), mode: 'face_to_face', attendance: 'attended' } });
  await page.reload();
  await page.getByRole('heading', { name: /^Doreen/, level: 1 }).waitFor();
  await page.getByText('Hand over or close').click();
  const close = page.getByRole('form', { name: 'Close the episode' });
  await close.getByLabel('Reason for closing').selectOption({ label: 'Goals met' });
  await close.getByRole('button', { name: 'Close episode…' }).click();
  await close.getByRole('button', { name: 'Yes, close the episode' }).click();
  await until('the episode to be closed', async () => (await call('person_record', { person_id: pid })).open_episode === null);
  await until('the closing message to be due', async () => (await due()).some((m) => m.kind === 'closed'));
  await page.reload();
  const closing = messages.getByRole('article', { name: 'Support closed message as it will be sent' });
  await closing.getByText('Sessions attended').waitFor();
  await closing.getByText('Goals met').first().waitFor();
  await messages.getByRole('button', { name: 'Mark sent' }).click();
  await page.getByRole('list', { name: 'Messages sent' }).getByText(/Support closed: sent/).waitFor();
  assert.deepEqual(await due(), []);
  // A second closing message must say it replaces the first.
  await messages.getByRole('button', { name: 'Mark sent' }).waitFor();
  assert.ok(await messages.getByRole('button', { name: 'write a correction that replaces it' }).isVisible());
  await page.close();
});

step('a message for a referral with no referrer says so beside the referrer', [referral], async () => {
  const page = await context.newPage();
  await page.goto(`${url}#/person/${personId}?section=messages`);
  const messages = page.getByRole('region', { name: 'Messages to the referrer' });
  await messages.getByRole('button', { name: 'Review the message' }).click();
  await messages.locator('[data-field="referrer_id"] .error').getByText(/no referrer on record/).waitFor();
  await page.close();
});
