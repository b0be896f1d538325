// The real window: the debug desktop app under Xvfb, driven through tauri-driver and
// WebKitWebDriver. First run with demo data, then a referral taken through the form, then the
// person's record; a screenshot is saved at each step (tests/desktop/screenshots/).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer, connect } from 'node:net';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { deflateSync, crc32 } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { remote } from 'webdriverio';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
// CI keeps cargo's build outside the clone (CARGO_TARGET_DIR); follow it like cargo does.
const targetDir = process.env.CARGO_TARGET_DIR ? resolve(root, process.env.CARGO_TARGET_DIR) : join(root, 'target');
const app = process.env.LINKWELL_DESKTOP ?? join(targetDir, 'debug', 'linkwell-desktop');
const shots = join(here, 'screenshots');
mkdirSync(shots, { recursive: true });

let driver, browser, dir;

/** `n` distinct loopback ports that were free a moment ago (the OS picks them: port 0). */
async function freePorts(n) {
  const servers = await Promise.all(Array.from({ length: n }, () => new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => resolve(s));
  })));
  const ports = servers.map((s) => s.address().port);
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}

/** Waits until `port` on 127.0.0.1 accepts connections; fails after `timeout` ms or if `child` exits. */
async function accepting(port, child, what, timeout = 30000) {
  const end = Date.now() + timeout;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${what} exited (${child.exitCode ?? child.signalCode}) before it listened on ${port}`);
    const ok = await new Promise((resolve) => {
      const c = connect(port, '127.0.0.1');
      c.once('connect', () => { c.destroy(); resolve(true); });
      c.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > end) throw new Error(`${what} did not accept connections on ${port} within ${timeout} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'linkwell-desktop-'));
  process.env.LINKWELL_DB = join(dir, 'desktop.db');
  // A home of its own: "Save as PDF" goes to its Downloads, not the tester's.
  process.env.HOME = dir;
  const [port, nativePort] = await freePorts(2);
  driver = spawn(process.env.TAURI_DRIVER ?? 'tauri-driver', ['--port', String(port), '--native-port', String(nativePort), '--native-driver', '/usr/bin/WebKitWebDriver'], { stdio: ['ignore', 'inherit', 'inherit'], env: process.env });
  await accepting(port, driver, 'tauri-driver');
  browser = await remote({
    hostname: '127.0.0.1', port, logLevel: 'warn', connectionRetryCount: 5,
    capabilities: { 'tauri:options': { application: app }, 'wdio:enforceWebDriverClassic': true },
  });
});

after(async () => {
  await browser?.deleteSession().catch(() => undefined);
  driver?.kill();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

// WebKitWebDriver's screenshot call hangs under Xvfb, so screenshots are taken from Xvfb's
// own framebuffer file (-fbdir, XWD format) and written out as PNG.
function xwdToPng(buf) {
  const u = (i) => buf.readUInt32BE(i * 4);
  const headerSize = u(0), width = u(4), height = u(5), byteOrder = u(7), bpp = u(11), bytesPerLine = u(12), ncolors = u(19);
  const data = headerSize + ncolors * 12;
  if (bpp !== 32) throw new Error(`unsupported XWD depth ${bpp}`);
  const raw = Buffer.alloc((width * 3 + 1) * height);
  for (let y = 0; y < height; y++) {
    raw[y * (width * 3 + 1)] = 0;
    for (let x = 0; x < width; x++) {
      const px = byteOrder === 0 ? buf.readUInt32LE(data + y * bytesPerLine + x * 4) : buf.readUInt32BE(data + y * bytesPerLine + x * 4);
      const o = y * (width * 3 + 1) + 1 + x * 3;
      raw[o] = (px >> 16) & 255; raw[o + 1] = (px >> 8) & 255; raw[o + 2] = px & 255;
    }
  }
  const chunk = (type, body) => {
    const len = Buffer.alloc(4); len.writeUInt32BE(body.length);
    const tb = Buffer.concat([Buffer.from(type), body]);
    const crc = Buffer.alloc(4); crc.writeUInt32BE(crc32(tb) >>> 0);
    return Buffer.concat([len, tb, crc]);
  };
  const ihdr = Buffer.alloc(13); ihdr.writeUInt32BE(width, 0); ihdr.writeUInt32BE(height, 4); ihdr[8] = 8; ihdr[9] = 2;
  return Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}
// A screenshot once what is on screen has been painted: two animation frames after the state
// the test waited for, then until two reads of the framebuffer 50 ms apart are the same.
const shot = async (name) => {
  const fb = process.env.XVFB_FBDIR;
  if (!fb) return;
  await browser.executeAsync((done) => requestAnimationFrame(() => requestAnimationFrame(() => done())));
  const screen = join(fb, 'Xvfb_screen0');
  const end = Date.now() + 10000;
  let last = readFileSync(screen);
  for (;;) {
    await new Promise((r) => setTimeout(r, 50));
    const now = readFileSync(screen);
    if (now.equals(last)) break;
    if (Date.now() > end) throw new Error(`the screen was still changing 10 s after the step before screenshot ${name}`);
    last = now;
  }
  writeFileSync(join(shots, `${name}.png`), xwdToPng(last));
};
const byLabel = async (text) => {
  const label = await browser.$(`//label[normalize-space(.)="${text}" or normalize-space(.)="${text} (required)"]`);
  await label.waitForExist({ timeout: 10000 });
  return browser.$(`#${await label.getAttribute('for')}`);
};
const button = (text) => browser.$(`//button[normalize-space(.)="${text}"]`);
const heading = (text) => browser.$(`//h1[starts-with(normalize-space(.), "${text}")]`);

const ran = new Map();
/**
 * A test that is also a step of the session: `needs` (other steps) run first, each at most
 * once per run, then `body`; so any test run alone (--test-name-pattern) sets up what it needs.
 */
function step(name, needs, body) {
  const run = () => {
    if (!ran.has(run)) {
      ran.set(
        run,
        (async () => {
          for (const need of needs) await need();
          await body();
        })(),
      );
    }
    return ran.get(run);
  };
  test(name, run);
  return run;
}

const setUp = step('first run, demo data, Today', [], async () => {
  await (await heading('Welcome to Linkwell')).waitForDisplayed({ timeout: 30000 });
  await shot('01-first-run');
  await (await byLabel('Team name')).setValue('Rushcliffe Social Prescribing');
  await (await byLabel('Your name')).setValue('Priya Shah');
  await (await byLabel('Add made-up demo people and services')).click();
  await (await byLabel('Choose a passphrase')).setValue('kettle on by the allotment gate');
  await (await byLabel('Type the passphrase again')).setValue('kettle on by the allotment gate');
  await (await button('Set up Linkwell')).click();
  await (await heading('Your recovery code')).waitForDisplayed({ timeout: 90000 });
  await shot('02-recovery-code');
  await (await byLabel('I have written down my recovery code and will keep it safe')).click();
  await (await button('Continue')).click();
  await (await heading('Today')).waitForDisplayed({ timeout: 90000 });
  const sync = await browser.$('[aria-label="Sync status"]');
  assert.match(await sync.getText(), /offline/i);
  await shot('03-today');
});

const referral = step('take a referral and open the record', [setUp], async () => {
  await (await browser.$('//a[normalize-space(.)="New referral"]')).click();
  await (await heading('New referral')).waitForDisplayed();
  await (await byLabel('First name')).setValue('Margaret');
  await (await byLabel('Last name')).setValue('Hill');
  await (await byLabel('NHS number')).setValue('943 476 5910');
  await (await byLabel('Postcode')).click();
  const err = await browser.$('[data-field="nhs_number"] .error');
  await err.waitForDisplayed({ timeout: 5000 });
  await shot('04-referral-validation');
  await (await byLabel('NHS number')).clearValue();
  await (await byLabel('NHS number')).setValue('943 476 5919');
  await (await byLabel('Referral source')).selectByVisibleText('GP');
  await (await byLabel('Loneliness')).click();
  await (await byLabel('Consent to contact')).click();
  await (await button('Take referral')).click();
  await (await heading('Margaret')).waitForDisplayed({ timeout: 10000 });
  await shot('05-person');
  await (await browser.$('//a[normalize-space(.)="Directory"]')).click();
  await (await heading('Directory')).waitForDisplayed();
  await shot('06-directory');
});

const printPreview = step('print preview and Save as PDF in the window', [referral], async () => {
  await (await browser.$('//a[normalize-space(.)="Caseload"]')).click();
  await (await heading('Caseload')).waitForDisplayed();
  await (await browser.$('//a[starts-with(normalize-space(.), "Margaret")]')).click();
  await (await browser.$('//a[normalize-space(.)="Print Green Book"]')).click();
  await (await heading('Print Margaret')).waitForDisplayed({ timeout: 10000 });
  const sheet = await browser.$('article.sheet');
  await sheet.waitForDisplayed({ timeout: 10000 });
  assert.match(await sheet.getAttribute('aria-label'), /^Page 1 of \d+: My Green Book$/);
  await shot('07-print-preview');
  await (await button('Save as PDF')).click();
  const said = await browser.$('//p[@role="status"][starts-with(normalize-space(.), "Saved as")]');
  await said.waitForDisplayed({ timeout: 10000 });
  const path = (await said.getText()).match(/^Saved as (.+?\.pdf)\./)[1];
  assert.ok(path.startsWith(dir), `${path} is in the app's Downloads`);
  assert.equal(readFileSync(path).subarray(0, 5).toString(), '%PDF-');
  assert.doesNotMatch(path, /Margaret|Hill/);
});

step('lock hides every person; the passphrase unlocks', [printPreview], async () => {
  await (await button('Lock')).click();
  await (await heading('Linkwell is locked')).waitForDisplayed({ timeout: 10000 });
  const body = await (await browser.$('body')).getText();
  assert.doesNotMatch(body, /Margaret|Hill/);
  await shot('08-locked');
  await (await byLabel('Passphrase')).setValue('not the passphrase');
  await (await button('Unlock')).click();
  await (await browser.$('//p[contains(., "That passphrase is not right")]')).waitForDisplayed({ timeout: 10000 });
  await (await byLabel('Passphrase')).setValue('kettle on by the allotment gate');
  await (await button('Unlock')).click();
  await (await heading('Print Margaret')).waitForDisplayed({ timeout: 10000 });
  await shot('09-unlocked');
});
