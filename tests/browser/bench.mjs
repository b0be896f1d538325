// The worker's session, timed in real Chromium over the real core (issue 13's speed figures):
// opening a person with two years of history to painted, saving a quick note to shown in the
// timeline, and search from keystroke to results painted. Prints medians and p95s; asserts
// nothing about speed (the machines are shared and noisy).
// Usage: bash tests/browser/bench.sh [RUNS]  (builds the bridge in release first)

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const bridgeBin = process.env.LINKWELL_BRIDGE;
const runs = Number(process.argv[2] ?? 30);

function startBridge(db) {
  return new Promise((resolve, reject) => {
    const bridge = spawn(bridgeBin, ['--db', db, '--port', '0', '--ui', join(root, 'ui', 'dist')], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    bridge.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/(http:\/\/127\.0\.0\.1:\d+\/\?token=([0-9a-f]+))/);
      if (m) resolve({ bridge, url: m[1], token: m[2] });
    });
    bridge.on('exit', (code) => reject(new Error(`bridge exited ${code}`)));
  });
}

async function call(on, method, args = {}) {
  const res = await fetch(`${new URL(on.url).origin}/api/${method}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${on.token}` },
    body: JSON.stringify(args),
  });
  const body = await res.json();
  if (!res.ok) throw new Error(`${method}: ${res.status} ${JSON.stringify(body)}`);
  return body;
}

const iso = (d) => d.toISOString().slice(0, 10);
const daysAgo = (n) => new Date(Date.now() - n * 864e5);

/** A person two years into support: about 60 sessions, 100 notes and 20 measures. */
async function personWithHistory(on) {
  const taken = await call(on, 'take_referral', {
    referral: {
      person: { given_name: 'Beatrice', family_name: 'Okonkwo', postcode: 'NG12 5AB' },
      referral: { source: 'gp', received_on: iso(daysAgo(730)), reasons: ['loneliness'], consent_to_contact: true },
    },
  });
  const pid = taken.person.id;
  for (let i = 0; i < 60; i++) {
    const on_ = iso(daysAgo(720 - i * 12));
    const session = await call(on, 'record_session', {
      person_id: pid,
      session: { starts_at: `${on_} 10:00`, mode: 'face_to_face', attendance: 'attended', minutes: 45 },
    });
    await call(on, 'add_note', { person_id: pid, body: `Session ${i + 1}: talked about the week, the garden and the lunch club.`, session_id: session.id });
    if (i < 40) await call(on, 'add_note', { person_id: pid, body: `Phone call after session ${i + 1}: all well.` });
  }
  for (let i = 0; i < 20; i++) {
    await call(on, 'record_measure', {
      person_id: pid,
      measure: { instrument: 'ons4', time_point: i === 0 ? 't0' : 'other', taken_on: iso(daysAgo(360 - i * 18)), items: [5, 6, 5, 4] },
    });
  }
  return pid;
}

/** Runs `body` in the page, which starts its clock, acts, and answers the time to painted. */
async function sample(page, body, arg) {
  return page.evaluate(body, arg);
}

// In-page helpers: wait (by MutationObserver, not by polling a clock) until `ready()` holds,
// then for the next frame to be painted.
const PAGE_HELPERS = () => {
  window.__until = (ready) =>
    new Promise((resolve) => {
      if (ready()) return resolve();
      const mo = new MutationObserver(() => {
        if (ready()) {
          mo.disconnect();
          resolve();
        }
      });
      mo.observe(document.body, { childList: true, subtree: true, characterData: true });
    });
  window.__painted = () => new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
};

const stats = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p) => s[Math.min(s.length - 1, Math.ceil(p * s.length) - 1)];
  return `median ${q(0.5).toFixed(1)} ms, p95 ${q(0.95).toFixed(1)} ms (n=${s.length})`;
};

const dir = mkdtempSync(join(tmpdir(), 'linkwell-ui-bench-'));
const on = await startBridge(join(dir, 'bench.db'));
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--headless', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
});
try {
  const passphrase = 'kettle on by the allotment gate';
  await call(on, 'create_profile', {
    setup: { team_name: 'Bench team', worker_name: 'Priya Shah', role: 'link_worker' },
    passphrase,
    passphrase_again: passphrase,
    demo: true,
  });
  const pid = await personWithHistory(on);
  const page = await (await browser.newContext({ locale: 'en-GB', viewport: { width: 1280, height: 900 } })).newPage();
  await page.addInitScript(PAGE_HELPERS);
  await page.goto(on.url);
  await page.getByRole('heading', { name: /^Today/ }).waitFor();

  const open = [];
  const note = [];
  const search = [];
  for (let i = 0; i < runs + 3; i++) {
    // Open the person from Today.
    await page.evaluate(() => { location.hash = '#/today'; });
    await page.getByRole('heading', { name: /^Today/ }).waitFor();
    const tOpen = await sample(page, async (id) => {
      const t0 = performance.now();
      location.hash = `#/person/${id}`;
      await window.__until(() => document.querySelector('h1')?.textContent?.startsWith('Beatrice') && document.querySelector('#quick-note'));
      await window.__painted();
      return performance.now() - t0;
    }, pid);
    // Save a quick note until it shows in the timeline.
    const tNote = await sample(page, async (n) => {
      const box = document.getElementById('quick-note');
      const text = `Bench note ${n}`;
      box.value = text;
      box.dispatchEvent(new Event('input', { bubbles: true }));
      const t0 = performance.now();
      box.closest('form').requestSubmit();
      await window.__until(() => Array.from(document.querySelectorAll('main li, main article, main p')).some((e) => e.textContent?.includes(text)) && document.getElementById('quick-note'));
      await window.__painted();
      return performance.now() - t0;
    }, i);
    // Search, from the keystroke to the results painted.
    const tSearch = await sample(page, async (n) => {
      const box = document.getElementById('global-search');
      box.focus();
      box.value = '';
      box.dispatchEvent(new Event('input', { bubbles: true }));
      const typed = n % 2 ? 'okonkwo' : 'beatrice';
      const t0 = performance.now();
      box.value = typed;
      box.dispatchEvent(new Event('input', { bubbles: true }));
      await window.__until(() => {
        const list = document.getElementById('search-results');
        return list && !list.hidden && list.textContent?.includes('Beatrice Okonkwo');
      });
      await window.__painted();
      return performance.now() - t0;
    }, i);
    if (i >= 3) {
      // The first three warm the caches and are not counted.
      open.push(tOpen);
      note.push(tNote);
      search.push(tSearch);
    }
  }
  console.log(`bridge: ${bridgeBin}`);
  console.log(`open a person with two years of history (60 sessions, 100 notes, 20 measures): ${stats(open)}`);
  console.log(`save a quick note until shown in the timeline: ${stats(note)}`);
  console.log(`search from keystroke to results painted: ${stats(search)}`);
} finally {
  await browser.close();
  on.bridge.kill();
  rmSync(dir, { recursive: true, force: true });
}
