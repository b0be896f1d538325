// Instant search across people, notes and the directory (the core's full-text index).
// Results appear as a list of links under the box; Down arrow moves into them, Escape closes.

import { api } from '../api';
import type { Ctx } from '../main';
import { h, plural } from '../dom';

export function searchBox(ctx: () => Ctx): HTMLElement {
  const box = h('input', {
    id: 'global-search',
    type: 'search',
    name: 'q',
    autocomplete: 'off',
    placeholder: 'Name, note or group',
    'aria-controls': 'search-results',
    'aria-keyshortcuts': 'Control+K',
  });
  const count = h('p', { class: 'visually-hidden', 'aria-live': 'polite' });
  const list = h('ul', { id: 'search-results', class: 'search-results', hidden: true, 'aria-label': 'Search results' });
  let seq = 0;
  const close = () => {
    list.hidden = true;
  };
  box.addEventListener('input', async () => {
    const text = box.value.trim();
    const mine = ++seq;
    if (text.length < 2) {
      list.hidden = true;
      count.textContent = '';
      return;
    }
    const hits = await api.search(text).catch(() => []);
    if (mine !== seq) return;
    list.replaceChildren(
      ...hits.map((hit) => {
        const href = hit.kind === 'service' ? `#/directory/${hit.id}` : `#/person/${hit.person_id ?? hit.id}`;
        const kind = hit.kind === 'person' ? 'Person' : hit.kind === 'service' ? 'Service' : 'Note';
        return h(
          'li',
          {},
          h(
            'a',
            {
              href,
              onclick: () => {
                close();
                box.value = '';
              },
            },
            h('span', { class: 'kind' }, kind),
            ' ',
            h('strong', {}, hit.title),
            hit.snippet ? h('span', { class: 'snippet' }, ` – ${hit.snippet.replace(/[[\]]/g, '')}`) : null,
          ),
        );
      }),
    );
    if (!hits.length) list.replaceChildren(h('li', { class: 'none' }, 'Nothing found'));
    list.hidden = false;
    count.textContent = `${plural(hits.length, 'result')}`;
  });
  box.addEventListener('keydown', (e) => {
    if (e.key === 'ArrowDown') {
      e.preventDefault();
      list.querySelector('a')?.focus();
    }
    if (e.key === 'Enter') {
      e.preventDefault();
      list.querySelector('a')?.click();
    }
    if (e.key === 'Escape') close();
  });
  list.addEventListener('keydown', (e) => {
    const links = Array.from(list.querySelectorAll('a'));
    const i = links.indexOf(document.activeElement as HTMLAnchorElement);
    if (e.key === 'ArrowDown') {
      e.preventDefault();
      links[Math.min(i + 1, links.length - 1)]?.focus();
    }
    if (e.key === 'ArrowUp') {
      e.preventDefault();
      if (i <= 0) box.focus();
      else links[i - 1].focus();
    }
    if (e.key === 'Escape') {
      close();
      box.focus();
    }
  });
  void ctx;
  return h(
    'div',
    { class: 'search', role: 'search' },
    h('label', { for: 'global-search' }, 'Search people, notes and services'),
    box,
    count,
    list,
  );
}
