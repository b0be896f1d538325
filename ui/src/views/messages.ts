// Messages to the referrer on the person page: choose which (accepted, declined, first seen,
// closed), review it on screen as it will be sent (the core decides every word and which
// content rule applies), save or print the letter, and mark it sent by a route. A sent message
// is never changed: a correction is a new message that replaces it.

import { api, type Id, type MessageOptions, type MessageReview, type PersonRecord } from '../api';
import type { Ctx } from '../main';
import { h, field, textarea, select, val, opt, reportError, clearMessage, announce, labelOf, section } from '../dom';

function sentAt(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime())
    ? iso
    : d.toLocaleString('en-GB', { day: 'numeric', month: 'long', year: 'numeric', hour: '2-digit', minute: '2-digit' });
}

/** Labelled rows as a definition list, a row without a label as a paragraph. */
function rows(list: { label: string; value: string }[]): HTMLElement[] {
  const out: HTMLElement[] = [];
  let dl: HTMLElement | null = null;
  for (const r of list) {
    if (!r.label) {
      dl = null;
      out.push(h('p', {}, r.value));
      continue;
    }
    if (!dl) {
      dl = h('dl', {});
      out.push(dl);
    }
    dl.append(h('dt', {}, r.label), h('dd', {}, r.value));
  }
  return out;
}

/** The message in the core's words, block by block, as the letter prints it. */
function preview(review: MessageReview): HTMLElement {
  const m = review.message;
  return h(
    'article',
    { class: 'message-preview', 'aria-label': `${m.title} message as it will be sent` },
    h('h3', {}, m.title, h('span', { class: 'muted' }, ` to ${m.to.name}`)),
    h('p', { class: m.rule === 'consent_to_share' ? 'tag' : 'tag warn' }, m.rule_words),
    ...review.sections.map((s) => h('section', { class: 'message-block' }, h('h4', {}, s.heading), rows(s.rows))),
    h('p', { class: 'muted' }, `The letter is ${review.document.pages.length} page(s) of A4.`),
  );
}

export function messagesSection(ctx: Ctx, r: PersonRecord, refresh: (s?: string) => Promise<void>): HTMLElement | null {
  const v = ctx.vocab;
  const latest = r.referrals[r.referrals.length - 1]?.referral;
  if (!latest) return null;
  const referralId: Id = latest.id;
  const closed = !r.open_episode && r.episodes.some((e) => e.episode.referral_id === referralId);
  const area = h('div', { class: 'message-area' });
  const form = h(
    'form',
    { novalidate: true, 'aria-label': 'Write a message to the referrer' },
    h(
      'div',
      { class: 'field', 'data-field': 'referrer_id' },
      h(
        'p',
        { class: 'referrer-line' },
        h('strong', {}, 'Referrer: '),
        latest.referrer_id ? '' : `${latest.referrer_name ?? 'not recorded'} (not on the team’s list of referrers)`,
      ),
      h('p', { class: 'error', hidden: true }),
    ),
    h('div', { class: 'cols' }, field('Message', select('kind', v.message_kind))),
    field('What you ask the referrer to do', textarea('actions_for_referrer', { rows: 2 }), {
      hint: 'Leave empty for “No action needed”. Written out only if the person agreed to share with the referrer.',
    }),
    field('Summary for the referrer', textarea('summary', { rows: 2 }), {
      hint: 'Included only if the person agreed to share with the referrer; never safeguarding details.',
    }),
    h('div', { class: 'field', 'data-field': 'replaces' }, h('p', { class: 'error', hidden: true })),
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Review the message')),
  );
  (form.elements.namedItem('kind') as HTMLSelectElement).value = closed ? 'closed' : 'accepted';
  let replaces: Id | null = null;
  const options = (): MessageOptions => ({
    actions_for_referrer: opt(val(form, 'actions_for_referrer')) ?? null,
    summary: opt(val(form, 'summary')) ?? null,
    replaces,
  });
  const show = async () => {
    clearMessage(form);
    const kind = val(form, 'kind');
    let review: MessageReview;
    try {
      review = await api.referrerMessage(kind, referralId, options());
    } catch (err) {
      area.replaceChildren();
      reportError(form, err);
      return;
    }
    const to = review.message.to;
    form
      .querySelector('.referrer-line')
      ?.replaceChildren(
        h('strong', {}, 'Referrer: '),
        `${to.name}${to.practice ? `, ${to.practice}` : ''} · messages by ${labelOf(v.message_route, to.route).toLowerCase()}`,
      );
    const sentOfKind = review.sent.filter((s) => s.kind === kind);
    const latestSent = sentOfKind[sentOfKind.length - 1];
    const routeSelect = select('route', v.message_route);
    routeSelect.value = review.message.to.route;
    const sendForm = h(
      'form',
      { novalidate: true, 'aria-label': 'Mark the message sent' },
      latestSent && !replaces
        ? h(
            'p',
            { class: 'banner' },
            `A ${labelOf(v.message_kind, kind).toLowerCase()} message was sent ${sentAt(latestSent.sent_at)}. Sent messages are never changed: `,
            h(
              'button',
              {
                type: 'button',
                class: 'link',
                onclick: () => {
                  replaces = latestSent.id;
                  void show();
                },
              },
              'write a correction that replaces it',
            ),
          )
        : null,
      h(
        'div',
        { class: 'cols' },
        field('Sent by', routeSelect),
        h(
          'div',
          { class: 'actions' },
          h('button', { type: 'submit', class: 'primary' }, replaces ? 'Mark the correction sent' : 'Mark sent'),
          h(
            'button',
            {
              type: 'button',
              class: 'secondary',
              onclick: async () => {
                try {
                  const name = await api.saveMessageLetter(kind, referralId, options());
                  announce(`Letter saved as ${name}`);
                } catch (err) {
                  reportError(sendForm, err);
                }
              },
            },
            'Save the letter to print or send (PDF)',
          ),
        ),
      ),
    );
    sendForm.addEventListener('submit', async (e) => {
      e.preventDefault();
      clearMessage(sendForm);
      try {
        const sent = await api.markMessageSent(kind, referralId, options(), {
          route: val(sendForm, 'route'),
          sent_at: null,
        });
        announce(
          `${labelOf(v.message_kind, sent.kind)} message marked sent by ${labelOf(v.message_route, sent.route)}`,
        );
        replaces = null;
        await refresh('messages');
      } catch (err) {
        reportError(sendForm, err);
      }
    });
    area.replaceChildren(
      preview(review),
      sendForm,
      review.sent.length
        ? h(
            'div',
            {},
            h('h3', {}, 'Sent about this referral'),
            h(
              'ul',
              { class: 'rows', 'aria-label': 'Messages sent' },
              review.sent.map((s) =>
                h(
                  'li',
                  {},
                  `${labelOf(v.message_kind, s.kind)}: sent ${sentAt(s.sent_at)} by ${labelOf(v.message_route, s.route)}`,
                  s.replaces ? ' (a correction)' : '',
                  s.consent_rule === 'codes_only' ? ' · codes only' : ' · with consent to share',
                ),
              ),
            ),
          )
        : '',
    );
  };
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    replaces = null;
    void show();
  });
  form.addEventListener('change', (e) => {
    if ((e.target as HTMLElement).getAttribute('name') === 'kind') {
      replaces = null;
      void show();
    }
  });
  // Shown at once: what would be sent now, and what was sent already.
  if (latest.referrer_id) void show();
  return section(
    'messages',
    'Messages to the referrer',
    h(
      'p',
      { class: 'hint' },
      'By default a message carries codes, dates, scores and statuses only; the person’s own words go only with their consent to share with the referrer.',
    ),
    form,
    area,
  );
}
