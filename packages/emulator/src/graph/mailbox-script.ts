/**
 * The mailbox page's one script, served as /_emulator/mailbox.js (CSP: scripts from the emulator
 * only). It does two things a meta refresh could not:
 * - new messages are fetched every few seconds and put in place, so a message a person opened
 *   stays open and the page does not jump back to the top;
 * - each HTML body's frame is as tall as the e-mail, instead of a clipped box with its own scroll.
 * Written as a function so it is type-checked and linted; its source text is what the browser gets.
 */
function mailboxScript(): void {
  const REFRESH_MS = Number(document.body.dataset.refreshSeconds ?? '5') * 1000;

  /** The frame as tall as its e-mail (sandboxed without scripts; same origin so it can be measured). */
  const fit = (frame: HTMLIFrameElement): void => {
    const doc = frame.contentDocument;
    if (!doc?.documentElement) return;
    // The root element's own box: scrollHeight would never be less than the frame's current height.
    frame.style.height = `${Math.ceil(doc.documentElement.getBoundingClientRect().height) + 2}px`;
  };
  const wire = (root: ParentNode): void => {
    root.querySelectorAll<HTMLIFrameElement>('iframe.html').forEach((frame) => {
      frame.addEventListener('load', () => fit(frame));
      if (frame.contentDocument?.readyState === 'complete') fit(frame);
    });
  };
  wire(document);
  // A frame in a closed message has no size yet: fit it when the message is opened.
  document.addEventListener('toggle', (event) => {
    const details = event.target as HTMLDetailsElement;
    if (details.open) details.querySelectorAll<HTMLIFrameElement>('iframe.html').forEach(fit);
  }, true);
  window.addEventListener('resize', () => document.querySelectorAll<HTMLIFrameElement>('iframe.html').forEach(fit));

  const replaceFrom = (next: Document, selector: string): void => {
    const mine = document.querySelector(selector);
    const theirs = next.querySelector(selector);
    if (mine && theirs) mine.replaceWith(document.importNode(theirs, true));
  };

  /** Merges the page as the server has it now: new messages are added, nothing open is touched. */
  const merge = (next: Document): void => {
    replaceFrom(next, 'header p');
    replaceFrom(next, 'nav');
    const content = document.querySelector('.content');
    if (!content) return;
    // Nothing read yet (no message shown): take the new content as it is.
    if (!content.querySelector('article[data-id]')) {
      replaceFrom(next, '.content');
      wire(document.querySelector('.content') ?? document);
      return;
    }
    next.querySelectorAll<HTMLElement>('section[data-mailbox]').forEach((section) => {
      const address = section.dataset.mailbox ?? '';
      const mine = content.querySelector<HTMLElement>(`section[data-mailbox="${CSS.escape(address)}"]`);
      if (!mine) {
        const added = document.importNode(section, true);
        content.prepend(added);
        wire(added);
        return;
      }
      const known = new Set([...mine.querySelectorAll<HTMLElement>('article[data-id]')].map((a) => a.dataset.id));
      const anchor = mine.querySelector('article[data-id]');
      // Newest first: the new ones are those before the first message already shown.
      for (const article of section.querySelectorAll<HTMLElement>('article[data-id]')) {
        if (known.has(article.dataset.id)) break;
        const added = document.importNode(article, true);
        added.classList.add('new');
        if (anchor) anchor.before(added);
        else mine.querySelector('h2')?.after(added);
        wire(added);
      }
      const present = new Set([...section.querySelectorAll<HTMLElement>('article[data-id]')].map((a) => a.dataset.id));
      mine.querySelectorAll<HTMLElement>('article[data-id]').forEach((a) => {
        if (!present.has(a.dataset.id)) a.remove();
      });
      const more = section.querySelector('.more');
      const myMore = mine.querySelector('.more');
      if (myMore) myMore.remove();
      if (more) mine.append(document.importNode(more, true));
    });
  };

  const refresh = async (): Promise<void> => {
    const response = await fetch(window.location.href, { cache: 'no-store', headers: { accept: 'text/html' } });
    if (!response.ok) return;
    merge(new DOMParser().parseFromString(await response.text(), 'text/html'));
  };
  window.setInterval(() => {
    if (document.visibilityState === 'visible') refresh().catch(() => undefined);
  }, REFRESH_MS);
}

/** The script as served: esbuild (tsx) may wrap functions in __name() to keep their names. */
export const MAILBOX_SCRIPT = `"use strict";\nvar __name = function (target) { return target; };\n(${mailboxScript.toString()})();\n`;
export const MAILBOX_SCRIPT_PATH = '/_emulator/mailbox.js';
