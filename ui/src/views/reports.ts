// Reports: choose whose figures (my caseload, or my team with small numbers hidden) and the
// period, then read every table of the evaluation — its caveats first, how each figure is
// counted under it — and download a table as CSV or the whole pack as a PDF. Every figure
// and every suppressed cell comes from the core; this screen only shows them.

import { api, ApiError, downloadBlob, type ReportAnswer, type ReportTable } from '../api';
import type { Ctx } from '../main';
import { h, field, select, dateInput, onSubmit, reportError, clearMessage, announce, todayIso, ukDate } from '../dom';

/** Whether the core withheld the table's cell (row, col): "fewer than 5", or "suppressed". */
const withheld = (t: ReportTable, row: number, col: number) => t.withheld.some(([r, c]) => r === row && c === col);

const NS = 'http://www.w3.org/2000/svg';
function s(tag: string, attrs: Record<string, string | number>, text?: string): SVGElement {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  if (text !== undefined) el.textContent = text;
  return el;
}

/** Horizontal bars of a table's count column; the table under it says the same in words. A
 * withheld count gets no bar, only its words. */
function barChart(t: ReportTable, col: number): HTMLElement | null {
  const rows = t.total_row ? t.rows.slice(0, -1) : t.rows;
  const values = rows.map((r, i) => (withheld(t, i, col) ? null : Number(r[col])));
  const max = Math.max(1, ...values.map((v) => v ?? 0));
  if (rows.length === 0 || rows.length > 24) return null;
  const L = 170,
    W = 560,
    bar = 18,
    gap = 8;
  const H = rows.length * (bar + gap) + gap;
  const svg = s('svg', {
    viewBox: `0 0 ${W} ${H}`,
    width: '100%',
    role: 'img',
    'aria-label': `${t.title}, as a bar chart (the table below has the same figures)`,
    class: 'chart bars',
  });
  rows.forEach((r, i) => {
    const y = gap + i * (bar + gap);
    svg.append(s('text', { x: L - 8, y: y + bar - 4, 'text-anchor': 'end', 'font-size': 12, fill: '#1b1f24' }, r[0]));
    const v = values[i];
    const w = v === null ? 0 : ((W - L - 90) * v) / max;
    if (v !== null && w > 0) svg.append(s('rect', { x: L, y, width: w, height: bar, fill: '#1d5f8a' }));
    svg.append(
      s('text', { x: L + w + 6, y: y + bar - 4, 'font-size': 12, fill: v === null ? '#4a5360' : '#1b1f24' }, r[col]),
    );
  });
  return h('figure', { class: 'chart-wrap' }, svg as unknown as HTMLElement);
}

/** One table with its chart, its method note and its CSV (the core's text, as the command line
 * writes it). */
function tableCard(t: ReportTable, csv: string, scopeName: string): HTMLElement {
  const id = `report-${t.name}`;
  const chartCol = { funnel: 1, referrals_by_source: 1, referrals_by_month: 1, closing_reasons: 1 }[t.name];
  const chart = chartCol !== undefined ? barChart(t, chartCol) : null;
  const body = t.rows.map((r, row) =>
    h(
      'tr',
      {},
      r.map((c, i) =>
        i === 0
          ? h('th', { scope: 'row' }, c)
          : h('td', withheld(t, row, i) ? { class: 'num suppressed' } : { class: 'num' }, c),
      ),
    ),
  );
  return h(
    'section',
    { class: 'card report-table', id, 'aria-labelledby': `${id}-h` },
    h('h2', { id: `${id}-h`, tabindex: '-1' }, t.title),
    chart,
    h(
      'div',
      // Focusable, so a table wider than the window scrolls by keyboard too.
      { class: 'table-wrap', tabindex: '0', role: 'group', 'aria-label': `${t.title}: table` },
      h(
        'table',
        {},
        h('caption', { class: 'visually-hidden' }, `${t.title} (${scopeName})`),
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            t.columns.map((c, i) => h('th', { scope: 'col', class: i === 0 ? null : 'num' }, c)),
          ),
        ),
        h('tbody', {}, body),
      ),
    ),
    t.note ? h('p', { class: 'hint' }, h('strong', {}, 'How this is counted: '), t.note) : null,
    h(
      'div',
      { class: 'actions' },
      h(
        'button',
        {
          type: 'button',
          class: 'secondary',
          onclick: () => {
            downloadBlob(`${t.name}.csv`, new Blob([csv], { type: 'text/csv;charset=utf-8' }));
            announce(`${t.title} downloaded as ${t.name}.csv`);
          },
        },
        'Download CSV',
        h('span', { class: 'visually-hidden' }, ` of ${t.title}`),
      ),
    ),
  );
}

function yearAgo(iso: string): string {
  const [y, m, d] = iso.split('-').map(Number);
  const dt = new Date(Date.UTC(y - 1, m - 1, d + 1));
  return dt.toISOString().slice(0, 10);
}

export async function reportsView(ctx: Ctx): Promise<HTMLElement> {
  const role = ctx.status.worker?.role ?? '';
  const team = role === 'supervisor' || role === 'admin';
  const scope = select('scope', [
    { code: 'my_team', label: 'My team' },
    { code: 'my_caseload', label: 'My caseload' },
  ]);
  scope.value = team ? 'my_team' : 'my_caseload';
  const today = todayIso();
  const from = dateInput('from', yearAgo(today));
  const to = dateInput('to', today);
  const status = h('p', { role: 'status', class: 'muted', id: 'report-status' });
  const out = h('div', { id: 'report-out' });
  const pdfButton = h('button', { type: 'button', id: 'report-pdf', disabled: true }, 'Save the evaluation pack (PDF)');
  const form = h(
    'form',
    { class: 'filters report-choice', 'aria-label': 'Choose the report', 'data-primary': '' },
    field('Whose figures', scope, { hint: 'My team hides small numbers; my caseload shows every number.' }),
    field('From', from),
    field('To', to),
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Show the figures'), pdfButton),
    status,
  );
  form.noValidate = true;
  const request = () => ({
    name: 'evaluation',
    scope: scope.value,
    from: from.value.trim(),
    to: to.value.trim(),
    on: null,
  });
  let shown: string | null = null;
  const draw = (r: ReportAnswer) => {
    const e = r.evaluation;
    const period = `${ukDate(e.period.from)} to ${ukDate(e.period.to)}`;
    const t = e.suppression_threshold;
    out.replaceChildren(
      h(
        'section',
        { class: 'card caveats', 'aria-labelledby': 'report-caveats-h' },
        h('h2', { id: 'report-caveats-h' }, `${e.scope_label}: ${period}`),
        // The caveats say how small numbers are hidden; only the unsuppressed scope needs a warning.
        t === null
          ? h(
              'p',
              { class: 'banner' },
              'Your own caseload: every number is shown. Do not share these figures outside your team.',
            )
          : null,
        h('h3', {}, 'Read this first'),
        h(
          'ul',
          {},
          e.caveats.map((c) => h('li', {}, c)),
        ),
        h('p', { class: 'meta' }, `Data as of ${ukDate(e.data_date)}. No person is named in these figures.`),
      ),
      h(
        'nav',
        { class: 'card jump', 'aria-label': 'Tables in this report' },
        h(
          'ul',
          { class: 'inline-list' },
          r.tables.map((tb) => h('li', {}, h('a', { href: `#report-${tb.name}`, onclick: jump(tb.name) }, tb.title))),
        ),
      ),
      ...r.tables.map((tb, i) => tableCard(tb, r.csv[i] ?? '', e.scope_label)),
    );
  };
  const show = async () => {
    clearMessage(form);
    status.textContent = 'Working out the figures…';
    out.setAttribute('aria-busy', 'true');
    try {
      const started = performance.now();
      const r = await api.report(request());
      draw(r);
      shown = JSON.stringify(request());
      pdfButton.disabled = false;
      const ms = Math.round(performance.now() - started);
      status.textContent = `${r.tables.length} tables for ${r.evaluation.scope_label.toLowerCase()}, ${ukDate(r.evaluation.period.from)} to ${ukDate(r.evaluation.period.to)} (worked out in ${ms} ms).`;
    } catch (e) {
      status.textContent = '';
      out.replaceChildren();
      pdfButton.disabled = true;
      reportError(form, e);
    } finally {
      out.removeAttribute('aria-busy');
    }
  };
  // Changing a choice makes the PDF button wait for the figures it would print.
  for (const c of [scope, from, to])
    c.addEventListener('input', () => {
      pdfButton.disabled = shown !== JSON.stringify(request());
    });
  scope.addEventListener('change', () => void show());
  onSubmit(form, show);
  pdfButton.addEventListener('click', async () => {
    pdfButton.disabled = true;
    status.textContent = 'Making the PDF…';
    try {
      const file = await api.saveReportPdf(request());
      status.textContent = `Saved the evaluation pack as ${file}.`;
      announce(status.textContent);
    } catch (e) {
      status.textContent = e instanceof ApiError ? e.message : String(e);
    } finally {
      pdfButton.disabled = false;
    }
  });
  await show();
  return h(
    'div',
    { class: 'reports' },
    h('h1', {}, 'Reports'),
    h(
      'p',
      { class: 'muted' },
      'The evaluation figures: the referral funnel, waits, caseloads, follow-ups and outcome change between paired time points.',
    ),
    form,
    out,
  );
}

/** A link to a table moves focus to its heading (a hash link would change the screen). */
function jump(name: string): (e: Event) => void {
  return (e) => {
    e.preventDefault();
    const heading = document.getElementById(`report-${name}-h`);
    heading?.scrollIntoView({ block: 'start' });
    heading?.focus();
  };
}
