import type { EmailAddress } from './message.js';
import { escapeHtml } from '../html.js';
import { MAILBOX_SCRIPT_PATH } from './mailbox-script.js';
import type { Mailbox, StoredMessage } from './store.js';

/**
 * The /_emulator/ page: mailboxes and their messages, newest first, for a person to read.
 * Everything shown comes from mail senders, so every value is HTML-escaped; HTML bodies are
 * shown inside a sandboxed iframe (no scripts, forms or popups; no network under the page's CSP).
 * Each message is a <details>: the newest is open; the page's script (mailbox-script.ts) adds new
 * messages in place, so what a person opened stays open while they read.
 */

export const PAGE_CSP =
  "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'unsafe-inline'; img-src data:; frame-src 'self'; base-uri 'none'; form-action 'none'";

const REFRESH_SECONDS = 5;
const PER_MAILBOX_OVERVIEW = 10;
const PER_MAILBOX_SELECTED = 200;


function address(a: EmailAddress): string {
  return a.name && a.name !== a.address ? `${escapeHtml(a.name)} &lt;${escapeHtml(a.address)}&gt;` : escapeHtml(a.address);
}

function addressLine(label: string, list: EmailAddress[]): string {
  return list.length === 0 ? '' : `<div class="meta"><span class="k">${label}</span> ${list.map(address).join(', ')}</div>`;
}

function size(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(2)} MB`;
}

function body(m: StoredMessage): string {
  if (m.body.contentType === 'html') {
    // srcdoc is an attribute: escaping keeps the markup inside it. The sandbox blocks scripts, forms,
    // popups and navigation; same-origin (harmless without scripts) lets the page's script measure
    // the e-mail's height, so the frame is as tall as the e-mail.
    return `<iframe class="html" sandbox="allow-same-origin" referrerpolicy="no-referrer" title="HTML body" srcdoc="${escapeHtml(m.body.content)}"></iframe>`;
  }
  return `<pre class="text">${escapeHtml(m.body.content)}</pre>`;
}

function message(m: StoredMessage, open: boolean): string {
  const headers = m.internetMessageHeaders.length
    ? `<details><summary>${m.internetMessageHeaders.length} custom header(s)</summary><ul>${m.internetMessageHeaders
        .map((h) => `<li><code>${escapeHtml(h.name)}: ${escapeHtml(h.value)}</code></li>`)
        .join('')}</ul></details>`
    : '';
  const attachments = m.attachments.length
    ? `<ul class="att">${m.attachments
        .map(
          (a) =>
            `<li>📎 ${escapeHtml(a.name || '(unnamed)')} <span class="dim">${escapeHtml(a.contentType)}, ${size(a.size)}, sha256 ${a.blob.sha256.slice(0, 16)}…${
              a.blob.content ? '' : ', content dropped'
            }</span></li>`,
        )
        .join('')}</ul>`
    : '';
  return `<article class="msg" data-id="${escapeHtml(m.id)}"><details${open ? ' open' : ''}>
<summary><div class="top"><span class="folder">${escapeHtml(m.folder)}</span>${m.importance !== 'normal' ? ` <span class="imp">${escapeHtml(m.importance)}</span>` : ''} <time>${escapeHtml(m.receivedDateTime)}</time></div>
<h3>${escapeHtml(m.subject || '(no subject)')}</h3>
${m.from ? addressLine('From', [m.from]) : ''}${addressLine('To', m.toRecipients)}</summary>
<p class="mid">Message-ID ${escapeHtml(m.internetMessageId)}</p>
${addressLine('Cc', m.ccRecipients)}${addressLine('Bcc', m.bccRecipients)}${addressLine('Reply-To', m.replyTo)}
${headers}${attachments}${body(m)}
</details></article>
`;
}

function newestFirst(box: Mailbox): StoredMessage[] {
  return [...box.folders.inbox, ...box.folders.sentitems, ...box.folders.drafts].sort((a, b) => b.receivedDateTime.localeCompare(a.receivedDateTime));
}

export interface PageInput {
  mailboxes: Mailbox[];
  /** Show only this mailbox (more of its messages). */
  selected?: Mailbox;
  nowIso: string;
  stats: { messagesDelivered: number; throttled429: number; nonDeliveryReports: number };
}

export function renderMailboxPage(input: PageInput): string {
  const nav = input.mailboxes
    .map((box) => {
      const counts = `${box.folders.inbox.length} in · ${box.folders.sentitems.length} sent · ${box.folders.drafts.length} drafts`;
      const label = `${escapeHtml(box.address)}${box.displayName ? ` <span class="dim">${escapeHtml(box.displayName)}</span>` : ''}${box.external ? ' <span class="ext">external</span>' : ''}`;
      const current = input.selected === box ? ' aria-current="page"' : '';
      return `<li><a href="?mailbox=${escapeHtml(encodeURIComponent(box.address))}"${current}>${label}</a><br><span class="dim">${counts}</span></li>`;
    })
    .join('');
  const shown = input.selected ? [input.selected] : input.mailboxes;
  let anyOpen = false;
  const sections = shown
    .map((box) => {
      const all = newestFirst(box);
      const limit = input.selected ? PER_MAILBOX_SELECTED : PER_MAILBOX_OVERVIEW;
      if (all.length === 0 && !input.selected) return '';
      const more = all.length > limit ? `<p class="dim more">${all.length - limit} older message(s) not shown.</p>` : '';
      // The newest message of the page is open; the others show their subject, sender and time.
      const messages = all.slice(0, limit).map((m, i) => {
        const open = i === 0 && !anyOpen;
        if (open) anyOpen = true;
        return message(m, open);
      });
      return `<section data-mailbox="${escapeHtml(box.address)}"><h2>${escapeHtml(box.address)}</h2>${all.length === 0 ? '<p class="dim">No messages.</p>' : messages.join('')}${more}</section>`;
    })
    .join('');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<script src="${MAILBOX_SCRIPT_PATH}" defer></script>
<title>Emulator mailboxes · o365-notify</title>
<style>
body{font:15px/1.4 system-ui,sans-serif;margin:0;color:#1b1b1b;background:#f4f5f7}
header{background:#0f3d68;color:#fff;padding:.6rem 1rem}header h1{font-size:1.1rem;margin:0}header p{margin:.2rem 0 0;font-size:.85rem;opacity:.85}
main{display:flex;flex-wrap:wrap;gap:1rem;padding:1rem;max-width:1200px;margin:auto}
nav{flex:1 1 240px;min-width:0}nav ul{list-style:none;padding:0;margin:0}nav li{background:#fff;margin:0 0 .4rem;padding:.4rem .6rem;border-radius:4px;overflow-wrap:anywhere}
nav a[aria-current]{font-weight:bold}.content{flex:3 1 420px;min-width:0}
.msg{background:#fff;border-radius:4px;padding:.6rem .8rem;margin:0 0 .8rem;overflow-wrap:anywhere}.msg h3{margin:.2rem 0;font-size:1rem}
.meta{font-size:.9rem}.k{color:#555;display:inline-block;min-width:4.5em}.dim{color:#666;font-size:.85rem}
.folder,.imp,.ext{font-size:.75rem;background:#e3e8ef;border-radius:3px;padding:0 .3rem}.imp{background:#fde2c5}.ext{background:#e6dcf5}
pre.text{white-space:pre-wrap;background:#fafafa;border:1px solid #e5e5e5;padding:.5rem;max-height:20rem;overflow:auto}
iframe.html{display:block;width:100%;height:40rem;border:1px solid #e5e5e5;background:#fff;margin-top:.5rem}
details>summary{cursor:pointer;list-style:none}details>summary::-webkit-details-marker{display:none}
details>summary h3::before{content:"\\25B8 ";color:#666}details[open]>summary h3::before{content:"\\25BE "}
.msg.new{box-shadow:0 0 0 2px #8fb6e8}ul.att{padding-left:1rem}
h2{font-size:1rem;margin:.4rem 0}
</style>
</head>
<body data-refresh-seconds="${REFRESH_SECONDS}">
<header><h1>Emulated mailboxes</h1><p>${escapeHtml(input.nowIso)} · ${input.stats.messagesDelivered} message(s) delivered · ${input.stats.throttled429} throttled (429) · ${input.stats.nonDeliveryReports} refused over a sending limit (non-delivery report) · new messages appear within ${REFRESH_SECONDS} s · <a href="?" style="color:#fff">all mailboxes</a></p></header>
<main>
<nav><ul>${nav || '<li class="dim">No mailboxes.</li>'}</ul></nav>
<div class="content">${sections || '<p class="dim">No messages yet.</p>'}</div>
</main>
</body>
</html>`;
}
