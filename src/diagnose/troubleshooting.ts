import { ADMIN_CONSENT_URL_PLACEHOLDER, catalog, type CatalogEntry } from './catalog.js';
import { GUIDE_STEPS, GUIDE_STEP_INFO } from './guide-steps.js';

const CONSENT_URL_IN_DOCS = 'https://login.microsoftonline.com/<Tenant ID>/adminconsent?client_id=<Client ID>';

/** docs/troubleshooting.md: the catalog as Markdown tables, one section per guide step. */
export function renderTroubleshootingMarkdown(entries: readonly CatalogEntry[] = catalog): string {
  const out: string[] = [
    '# Troubleshooting',
    '',
    '<!-- Generated from src/diagnose/ by `node --import tsx scripts/troubleshooting.ts`; do not edit by hand. -->',
    '',
    'Every Microsoft Entra ID (AADSTS) and Microsoft Graph error o365-notify knows, grouped by the step of',
    'the guide that fixes it. Paste any error message, JSON body or log line into',
    '`o365-notify explain` to get the same advice for your case (add `--json` for the object).',
    '',
  ];
  for (const step of GUIDE_STEPS) {
    const rows = entries.filter((e) => e.guideStep === step);
    if (rows.length === 0) continue;
    const info = GUIDE_STEP_INFO[step];
    out.push(`## ${info.title} (\`${step}\`)`, '', `Where: ${info.where}`, '');
    out.push('| Code | What happened | Why | How to fix |', '|---|---|---|---|');
    for (const e of rows) {
      const codes = [e.code, ...(e.aliases ?? [])].map((c) => `\`${c}\``).join('<br>');
      const fix = e.fix.replaceAll(ADMIN_CONSENT_URL_PLACEHOLDER, CONSENT_URL_IN_DOCS);
      out.push(`| ${codes} | ${cell(e.title)} | ${cell(e.cause)} | ${cell(fix)} |`);
    }
    out.push('');
  }
  return out.join('\n');
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\s*\n\s*/g, ' ').replace(/</g, '&lt;');
}
