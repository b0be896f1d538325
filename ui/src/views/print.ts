// Print a person's Green Book: choose pages, see them as they will print, then print them
// from the window or save the exact PDF. The preview is drawn from the core's own page model
// (the same layout the PDF is rendered from), because a desktop web view cannot show a PDF.

import { api, type GreenBookOptions, type GreenBookPreview, type Id, type PreviewPage } from '../api';
import { h, field, checkbox, reportError, clearMessage, announce, plural, onSubmit } from '../dom';

// Positions are millimetres on an A4 page; the preview scales them to its own width with
// container units, so 1 mm is (100 / 210) cqw and the same sheets print at true size.
const MM_PT = 0.3528;
const cq = (mm: number, widthMm: number) => `${((mm / widthMm) * 100).toFixed(3)}cqw`;

/** Sets inline geometry through CSSOM: the Content-Security-Policy refuses style attributes. */
function styled<E extends HTMLElement>(el: E, css: Partial<CSSStyleDeclaration>): E {
  Object.assign(el.style, css);
  return el;
}

function sheet(page: PreviewPage, count: number, widthMm: number, heightMm: number): HTMLElement {
  const at = (mm: number) => cq(mm, widthMm);
  const body = h(
    'div',
    { class: 'sheet-body', 'aria-hidden': 'true' },
    page.lines.map((l) =>
      styled(h('div', { class: `sheet-line ${l.kind}` }), {
        left: at(Math.min(l.x1_mm, l.x2_mm)),
        top: at(Math.min(l.y1_mm, l.y2_mm)),
        width: at(Math.max(Math.abs(l.x2_mm - l.x1_mm), 0.2)),
        height: at(Math.max(Math.abs(l.y2_mm - l.y1_mm), l.thickness_pt * MM_PT)),
      }),
    ),
    page.boxes.map((b) =>
      styled(h('div', { class: b.ticked ? 'sheet-box ticked' : 'sheet-box' }, b.ticked ? '✓' : ''), {
        left: at(b.x_mm),
        top: at(b.y_mm),
        width: at(b.w_mm),
        height: at(b.h_mm),
        fontSize: at(b.h_mm * 0.8),
      }),
    ),
    page.runs.map((r) =>
      styled(h('span', { class: `sheet-run${r.bold ? ' bold' : ''}${r.accent ? ' accent' : ''}` }, r.text), {
        left: at(r.x_mm),
        top: at(r.y_mm - r.ascent_mm),
        fontSize: at(r.size_pt * MM_PT),
      }),
    ),
  );
  // Screen readers get the page's text in reading order instead of positioned fragments.
  const words = h(
    'div',
    { class: 'visually-hidden' },
    page.runs.map((r) => h('p', {}, r.text)),
  );
  return styled(
    h(
      'article',
      {
        class: 'sheet',
        'aria-label': `Page ${page.number} of ${count}: ${page.title}${page.continued ? ' (continued)' : ''}`,
      },
      body,
      words,
    ),
    { aspectRatio: `${widthMm} / ${heightMm}` },
  );
}

export async function printView(personId: Id): Promise<HTMLElement> {
  const first = await api.greenBookPreview(personId, {});
  const name = first.display_name;

  const pages = h(
    'fieldset',
    { class: 'checks', 'data-field': 'pages' },
    h('legend', {}, 'Pages to print'),
    h(
      'p',
      { class: 'hint' },
      'Pages with nothing written on them yet are left out, unless you print blank pages to fill in by hand.',
    ),
    h(
      'div',
      { class: 'check-grid' },
      first.sections.map((s) => field(s.title, checkbox('pages', { value: s.name, checked: true }))),
    ),
  );
  const large = checkbox('large_print', { checked: first.large_print });
  const blank = checkbox('blank');
  const status = h('p', { role: 'status', class: 'print-count' });
  const preview = h('section', { class: 'preview', 'aria-label': 'Preview' });
  const form = h(
    'form',
    { 'aria-label': 'Choose what to print', class: 'card print-choices' },
    pages,
    field('Large print (16 pt)', large, {
      hint: first.large_print ? `${name} asked for large print or easy read.` : undefined,
    }),
    field('Blank pages to fill in by hand', blank),
    h(
      'div',
      { class: 'actions' },
      h('button', { type: 'button', id: 'print-now' }, 'Print…'),
      h('button', { type: 'submit' }, 'Save as PDF'),
    ),
    status,
  );
  form.noValidate = true;

  const options = (): GreenBookOptions => {
    const chosen = Array.from(form.querySelectorAll<HTMLInputElement>('input[name="pages"]:checked')).map(
      (i) => i.value,
    );
    return { pages: chosen.join(','), large_print: large.checked, blank: blank.checked };
  };
  const draw = (p: GreenBookPreview) => {
    const d = p.document;
    preview.replaceChildren(...d.pages.map((pg) => sheet(pg, d.pages.length, d.page_width_mm, d.page_height_mm)));
    status.textContent = `${plural(d.pages.length, 'page')} to print${d.missing_glyphs.length ? `. Some characters cannot be printed and show as ?: ${d.missing_glyphs.join(' ')}` : ''}`;
  };
  // Only the newest choice is drawn, however quickly boxes are ticked. The core says what is
  // wrong with a choice (no pages ticked, say) next to the field.
  let asked = 0;
  const redraw = async () => {
    clearMessage(form);
    const mine = ++asked;
    try {
      const p = await api.greenBookPreview(personId, options());
      if (mine === asked) draw(p);
    } catch (err) {
      if (mine !== asked) return;
      preview.replaceChildren();
      status.textContent = '';
      reportError(form, err);
    }
  };
  form.addEventListener('change', () => void redraw());
  draw(first);

  form.querySelector<HTMLButtonElement>('#print-now')!.addEventListener('click', async () => {
    // Nothing on show (the core refused the choice, and said why): nothing to print.
    if (!preview.childElementCount) return;
    try {
      await api.recordPrinted(personId);
      window.print();
    } catch (err) {
      reportError(form, err);
    }
  });
  onSubmit(form, async () => {
    const saved = await api.saveGreenBook(personId, options());
    const where = saved.path ? `Saved as ${saved.path}` : `Saved as ${saved.file_name} in your downloads`;
    status.textContent = `${where}. The file is not encrypted: give it to ${name} or delete it after printing.`;
    announce(where);
  });

  return h(
    'div',
    { class: 'print-screen' },
    h('p', { class: 'crumb' }, h('a', { href: `#/person/${personId}` }, `Back to ${name}`)),
    h('h1', {}, `Print ${name}’s Green Book`),
    h(
      'p',
      { class: 'hint' },
      'Pages for the patient-held folder: hole-punch margin on the left, name and date on every page.',
    ),
    form,
    h('h2', { class: 'visually-hidden' }, 'Preview'),
    preview,
  );
}
