// The real window: the debug desktop app under Xvfb, driven through tauri-driver and
// WebKitWebDriver. First run with demo data, then a referral taken through the form, then the
// person's record; a screenshot is saved at each step (tests/desktop/screenshots/).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { remote } from 'webdriverio';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const app = process.env.LINKWELL_DESKTOP ?? join(root, 'target', 'debug', 'linkwell-desktop');
const shots = join(here, 'screenshots');
mkdirSync(shots, { recursive: true });

let driver, browser, dir;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'linkwell-desktop-'));
  process.env.LINKWELL_DB = join(dir, 'desktop.db');
  driver = spawn(process.env.TAURI_DRIVER ?? 'tauri-driver', ['--port', '4444', '--native-port', '4445'], { stdio: ['ignore', 'inherit', 'inherit'], env: process.env });
  await new Promise((r) => setTimeout(r, 1500));
  browser = await remote({
    hostname: '127.0.0.1', port: 4444, logLevel: 'warn', connectionRetryCount: 5,
    capabilities: { 'tauri:options': { application: app }, browserName: 'wry' },
  });
});

after(async () => {
  await browser?.deleteSession().catch(() => undefined);
  driver?.kill();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const shot = (name) => browser.saveScreenshot(join(shots, `${name}.png`));
const byLabel = async (text) => {
  const label = await browser.$(`//label[normalize-space(.)="${text}" or normalize-space(.)="${text} (required)"]`);
  await label.waitForExist({ timeout: 10000 });
  return browser.$(`#${await label.getAttribute('for')}`);
};
const button = (text) => browser.$(`//button[normalize-space(.)="${text}"]`);
const heading = (text) => browser.$(`//h1[starts-with(normalize-space(.), "${text}")]`);

test('first run, demo data, Today', async () => {
  await (await heading('Welcome to Linkwell')).waitForDisplayed({ timeout: 30000 });
  await shot('01-first-run');
  await (await byLabel('Team name')).setValue('Rushcliffe Social Prescribing');
  await (await byLabel('Your name')).setValue('Priya Shah');
  await (await byLabel('Add made-up demo people and services')).click();
  await (await button('Set up Linkwell')).click();
  await (await heading('Today')).waitForDisplayed({ timeout: 90000 });
  const sync = await browser.$('[aria-label="Sync status"]');
  assert.match(await sync.getText(), /offline/i);
  await shot('02-today');
});

test('take a referral and open the record', async () => {
  await (await browser.$('//a[normalize-space(.)="New referral"]')).click();
  await (await heading('New referral')).waitForDisplayed();
  await (await byLabel('First name')).setValue('Margaret');
  await (await byLabel('Last name')).setValue('Hill');
  await (await byLabel('NHS number')).setValue('943 476 5910');
  await (await byLabel('Postcode')).click();
  const err = await browser.$('[data-field="nhs_number"] .error');
  await err.waitForDisplayed({ timeout: 5000 });
  await shot('03-referral-validation');
  await (await byLabel('NHS number')).clearValue();
  await (await byLabel('NHS number')).setValue('943 476 5919');
  await (await byLabel('Referral source')).selectByVisibleText('GP');
  await (await byLabel('Loneliness')).click();
  await (await byLabel('Consent to contact')).click();
  await (await button('Take referral')).click();
  await (await heading('Margaret')).waitForDisplayed({ timeout: 10000 });
  await shot('04-person');
  await (await browser.$('//a[normalize-space(.)="Directory"]')).click();
  await (await heading('Directory')).waitForDisplayed();
  await shot('05-directory');
});
