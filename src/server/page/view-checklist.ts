import type { ChecklistStep, StepDiagnosis, StepState } from './checklist.js';
import { html, type Html } from './html.js';
import type { BannerItem, PageData } from './page-data.js';

const MARKS: Record<StepState, string> = { done: '✓', failed: '✗', todo: '', 'not-needed': '–' };
const STATE_LABELS: Record<StepState, string> = { done: 'Done', failed: 'Needs fixing', todo: 'To do', 'not-needed': 'Not needed' };

/** Text whose `backticked` parts are commands: shown as code, never as literal backticks (issue 10.4). */
export function withCode(text: string): Html {
  const parts = text.split('`');
  // An odd count of backticks leaves the last one as text.
  if (parts.length % 2 === 0) return html`${text}`;
  return html`${parts.map((part, i) => (i % 2 === 1 ? html`<code>${part}</code>` : html`${part}`))}`;
}

export function diagnosisBlock(d: StepDiagnosis): Html {
  return html`<div class="diagnosis">
<p class="diagnosis-title">${d.code}: ${d.title}</p>
<p><strong>Why:</strong> ${withCode(d.cause)}</p>
<p><strong>Fix in the portal:</strong> ${withCode(d.fix)}</p>
${d.where ? html`<p class="where"><strong>Guide step:</strong> ${withCode(d.where)}</p>` : ''}
${d.adminConsentUrl ? html`<p><strong>Admin consent:</strong> <a href="${d.adminConsentUrl}" target="_blank" rel="noopener noreferrer" class="mono">${d.adminConsentUrl}</a></p>` : ''}
<p class="muted">Seen in: ${d.seenIn}</p>
</div>`;
}

function stepItem(step: ChecklistStep, index: number): Html {
  const mark = MARKS[step.state] || String(index + 1);
  return html`<li class="step step-${step.state}" data-step="${step.id}" data-state="${step.state}">
<span class="mark" aria-hidden="true">${mark}</span>
<div>
<div class="step-title"><h3>${step.title}</h3><span class="state">${STATE_LABELS[step.state]}</span></div>
${step.state === 'done' || step.state === 'not-needed' ? '' : html`<p class="where">${withCode(step.where)}</p>`}
<p class="evidence">${withCode(step.evidence)}</p>
${step.problems.map((p) => html`<p class="problem ${step.state === 'failed' ? p.severity : 'note'}">${withCode(p.message)}</p>`)}
${step.diagnosis ? diagnosisBlock(step.diagnosis) : ''}
</div>
</li>`;
}

/** The inside of #checklist-live: a summary line and the steps (replaced in place while the page is open). */
export function checklistFragment(data: PageData): Html {
  // Steps this setup does not need are neither done nor counted ("7 of 9" with one NOT NEEDED was wrong).
  const needed = data.checklist.filter((s) => s.state !== 'not-needed');
  const done = needed.filter((s) => s.state === 'done').length;
  const failed = needed.filter((s) => s.state === 'failed').length;
  const skipped = data.checklist.length - needed.length;
  const notNeeded = skipped > 0 ? ` (${skipped} not needed for this setup)` : '';
  const summary =
    failed > 0
      ? `${failed} step${failed === 1 ? '' : 's'} need${failed === 1 ? 's' : ''} fixing; ${done} of ${needed.length} done${notNeeded}.`
      : done === needed.length
        ? 'Every step is done: notifications will reach your recipients.'
        : `${done} of ${needed.length} steps done${notNeeded}.`;
  return html`<div class="summary-line"><p id="checklist-summary" role="status"><strong>${summary}</strong></p>
<button type="button" class="small" data-post="/ui/api/checks">Check again</button></div>
<ol class="checklist">${data.checklist.map(stepItem)}</ol>`;
}

export function bannerFragment(items: BannerItem[]): Html {
  if (items.length === 0) return html``;
  const urgent = items.some((i) => i.urgent);
  return html`<div class="banner${urgent ? ' urgent' : ''}" role="alert" id="needs-you">
<h2>Needs you</h2>
<ul>${items.map(
    (i) => html`<li>${i.text}${i.href ? html` <a href="${i.href}"${i.href.startsWith('#') ? '' : html` target="_blank" rel="noopener noreferrer"`}>${i.linkText ?? 'Fix it'}</a>` : ''}</li>`,
  )}</ul>
</div>`;
}
