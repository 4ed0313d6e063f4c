import type { FastifyReply } from 'fastify';
import { escapeHtml, html, raw, type Html } from '../html.js';
import type { EntraError, TraceIds } from './errors.js';

/**
 * Server-rendered pages of the emulated sign-in experience: no scripts except the
 * form_post auto-submit, no external assets, every value HTML-escaped. Element ids and
 * field names follow Entra's (loginfmt, idSIButton9, idBtn_Back, otc) so a script written
 * against Microsoft's pages finds its way here too.
 */

export { escapeHtml, html, raw, type Html };

export function hiddenInputs(fields: Record<string, string | undefined>): Html {
  return raw(
    Object.entries(fields)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `<input type="hidden" name="${escapeHtml(k)}" value="${escapeHtml(v!)}">`)
      .join(''),
  );
}

const STYLE = `
body{font-family:"Segoe UI",system-ui,-apple-system,sans-serif;background:#f2f2f2;margin:0;color:#1b1b1b}
main{max-width:440px;margin:48px auto;background:#fff;padding:44px;box-shadow:0 2px 6px rgba(0,0,0,.2)}
.brand{font-weight:600;color:#5e5e5e;margin-bottom:16px}
h1{font-size:1.5rem;font-weight:600;margin:0 0 12px}
p{line-height:1.4}
form{margin:12px 0}
label{display:block;margin:8px 0 4px}
input[type=text],input[type=email]{width:100%;box-sizing:border-box;padding:6px 0;font-size:1rem;border:0;border-bottom:1px solid #666}
input:focus,button:focus{outline:2px solid #0067b8;outline-offset:2px}
button{font-size:1rem;padding:6px 18px;min-width:108px;border:1px solid #0067b8;background:#0067b8;color:#fff;cursor:pointer}
button.secondary{background:#ccc;border-color:#ccc;color:#000}
button.tile{display:block;width:100%;text-align:left;background:#fff;color:#1b1b1b;border:1px solid #ccc;padding:10px}
button.tile:hover{background:#e6e6e6}
.buttons{display:flex;gap:8px;justify-content:flex-end;margin-top:20px}
.error{color:#e81123}
.small{font-size:.85rem;color:#5e5e5e}
ul.perms li{margin:6px 0}
.details{font-family:Consolas,monospace;font-size:.8rem;background:#f4f4f4;padding:8px;white-space:pre-wrap;word-break:break-all}
footer{font-size:.75rem;color:#767676;margin-top:28px}
`;

export function page(title: string, body: Html): string {
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="none"><title>${escapeHtml(title)}</title><style>${STYLE}</style></head>
<body><main>
<div class="brand">Microsoft</div>
${body.html}
<footer>o365-notify emulator of Microsoft Entra ID. Not a Microsoft service.</footer>
</main></body></html>`;
}

export function sendPage(reply: FastifyReply, status: number, title: string, body: Html): FastifyReply {
  reply.header('cache-control', 'no-store, no-cache');
  reply.header('x-frame-options', 'DENY');
  return reply.code(status).type('text/html; charset=utf-8').send(page(title, body));
}

/**
 * "Sorry, but we're having trouble signing you in." - for errors found before the redirect
 * URI is trusted (or that Entra shows on its own pages); the app is not told.
 */
export function sendErrorPage(reply: FastifyReply, err: EntraError, ids: TraceIds, extra?: Html): FastifyReply {
  return sendPage(
    reply,
    400,
    'Sign in to your account',
    html`<h1>Sign in</h1>
<p>Sorry, but we’re having trouble signing you in.</p>
<p id="error-message" class="error" data-aadsts="${String(err.code)}">AADSTS${String(err.code)}: ${err.text}</p>
${extra}
<h2 class="small">Troubleshooting details</h2>
<div class="details">Request Id: ${ids.traceId}
Correlation Id: ${ids.correlationId}
Timestamp: ${ids.timestamp}
Message: AADSTS${String(err.code)}: ${err.text}</div>`,
  );
}

/** The response_mode=form_post page: an auto-submitting form, as Entra sends it. */
export function formPostPage(action: string, fields: Record<string, string | undefined>): string {
  return `<html><head><title>Working...</title></head><body><form method="POST" name="hiddenform" action="${escapeHtml(action)}">${
    hiddenInputs(fields).html
  }<noscript><p>Script is disabled. Click Submit to continue.</p><input type="submit" value="Submit" /></noscript></form><script language="javascript">window.setTimeout(function(){document.forms[0].submit();}, 0);</script></body></html>`;
}
