/** The page's one stylesheet, served as /ui/page.css (no CDN, no web fonts: it works offline). */
export const PAGE_CSS = `
:root {
  --bg: #f3f5f8; --card: #fff; --text: #1f2328; --muted: #57606a; --line: #d8dee4;
  --primary: #0f5cc0; --primary-dark: #0b4590; --done: #1a7f37; --done-bg: #e9f6ec;
  --failed: #c9252d; --failed-bg: #fdecec; --warn: #8a5a00; --warn-bg: #fff5da; --todo: #6e7781;
  --focus: #ffb000;
}
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { margin: 0; background: var(--bg); color: var(--text); font: 15px/1.5 "Segoe UI", system-ui, -apple-system, "Helvetica Neue", Arial, sans-serif; }
a { color: var(--primary); }
a:focus-visible, button:focus-visible, input:focus-visible, select:focus-visible, summary:focus-visible { outline: 3px solid var(--focus); outline-offset: 2px; }
.skip { position: absolute; left: -9999px; top: 0; background: #fff; padding: .5rem 1rem; z-index: 10; }
.skip:focus { left: .5rem; }
.top { background: #10233f; color: #fff; padding: .75rem 1.25rem; display: flex; flex-wrap: wrap; align-items: center; gap: .5rem 1.5rem; }
.brand { font-weight: 600; font-size: 1.1rem; }
.brand span { font-weight: 400; color: #b8c7dc; font-size: .9rem; margin-left: .5rem; }
.top nav { display: flex; flex-wrap: wrap; gap: .25rem .9rem; flex: 1; }
.top nav a { color: #dbe6f5; text-decoration: none; font-size: .92rem; }
.top nav a:hover { text-decoration: underline; }
.top .lock { background: transparent; color: #fff; border: 1px solid #7d93b3; }
main { max-width: 62rem; margin: 0 auto; padding: 1rem 1rem 3rem; }
section.card { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 1.1rem 1.4rem 1.3rem; margin: 1rem 0; }
h1 { font-size: 1.35rem; margin: .4rem 0 0; }
h2 { font-size: 1.2rem; margin: 0 0 .6rem; }
h3 { font-size: 1rem; margin: 0; }
p { margin: .35rem 0; }
.muted, .help { color: var(--muted); }
.help { font-size: .88rem; margin: .2rem 0 0; }
code, .mono { font-family: ui-monospace, "Cascadia Mono", Consolas, monospace; font-size: .92em; overflow-wrap: anywhere; }
.flash { background: var(--done-bg); border: 1px solid #a6d8b4; color: #14532d; padding: .6rem .9rem; border-radius: 6px; margin-top: 1rem; }
.banner { background: var(--warn-bg); border: 1px solid #eacb7a; border-left: 6px solid #d4a017; border-radius: 6px; padding: .7rem 1rem; margin-top: 1rem; }
.banner h2 { font-size: 1rem; margin: 0 0 .3rem; }
.banner ul { margin: 0; padding-left: 1.2rem; }
.banner li { margin: .2rem 0; }
.banner.urgent { background: var(--failed-bg); border-color: #f0a8ab; border-left-color: var(--failed); }

/* The guide as a checklist */
.summary-line { display: flex; flex-wrap: wrap; gap: .5rem 1rem; align-items: center; justify-content: space-between; }
ol.checklist { list-style: none; margin: .6rem 0 0; padding: 0; counter-reset: step; }
ol.checklist > li { display: grid; grid-template-columns: 2rem 1fr; gap: .1rem .7rem; padding: .45rem 0; border-top: 1px solid #eef1f4; }
ol.checklist p { margin: .15rem 0; }
ol.checklist > li:first-child { border-top: 0; }
.mark { width: 1.7rem; height: 1.7rem; border-radius: 50%; display: inline-flex; align-items: center; justify-content: center; font-weight: 700; font-size: .95rem; margin-top: .05rem; }
.step-done .mark { background: var(--done); color: #fff; }
.step-failed .mark { background: var(--failed); color: #fff; }
.step-todo .mark { background: #fff; color: var(--todo); border: 2px solid #b9c1c9; }
.step-not-needed .mark { background: #eef1f4; color: var(--todo); }
.step-title { display: flex; flex-wrap: wrap; gap: .2rem .6rem; align-items: baseline; }
.state { font-size: .78rem; font-weight: 600; text-transform: uppercase; letter-spacing: .03em; padding: .05rem .45rem; border-radius: 999px; }
.step-done .state { color: var(--done); background: var(--done-bg); }
.step-failed .state { color: var(--failed); background: var(--failed-bg); }
.step-todo .state { color: var(--todo); background: #eef1f4; }
.step-not-needed .state { color: var(--todo); background: #f6f8fa; }
.where { font-size: .86rem; color: var(--muted); }
.evidence { font-size: .92rem; line-height: 1.4; }
.diagnosis { background: var(--failed-bg); border: 1px solid #f3b8bb; border-radius: 6px; padding: .55rem .8rem; margin: .45rem 0 .1rem; font-size: .92rem; }
.diagnosis-title { font-weight: 600; color: #8c1d22; }
.problem.error { color: var(--failed); }
.problem.warning { color: var(--warn); }
.problem.note { color: var(--muted); }
.problems:empty { display: none; }
.problems { margin: .6rem 0; }

/* Forms */
form { margin: 0; }
form h3 { margin: 1.1rem 0 .2rem; }
fieldset { border: 1px solid var(--line); border-radius: 6px; padding: .6rem .9rem .8rem; margin: .8rem 0; }
legend { font-weight: 600; padding: 0 .3rem; }
.choice { display: grid; grid-template-columns: 1.4rem 1fr; gap: .1rem .4rem; padding: .45rem .3rem; border-radius: 6px; }
.choice + .choice { border-top: 1px solid #eef1f4; }
.choice input { margin-top: .3rem; align-self: start; }
.choice label strong { display: block; }
.choice .detail { display: block; color: var(--muted); font-size: .88rem; }
.choice.unsupported { opacity: .85; }
.choice.unsupported strong { text-decoration: line-through; color: var(--muted); }
.unsupported-note { display: block; color: var(--failed); font-size: .88rem; }
.field { margin: .8rem 0; }
.field > label, .label { display: block; font-weight: 600; margin-bottom: .2rem; }
.req { font-weight: 600; font-size: .78rem; padding: .05rem .45rem; border-radius: 999px; background: #eef1f4; color: var(--muted); margin-left: .3rem; }
.req[data-rule="required"] { background: #e6eefb; color: var(--primary-dark); }
.req[data-rule="must be blank"] { background: var(--warn-bg); color: var(--warn); }
input[type="text"], input[type="email"], input[type="password"], input[type="date"], input[type="number"], input[type="time"], input[type="datetime-local"], select {
  width: 100%; max-width: 34rem; font: inherit; padding: .45rem .6rem; border: 1px solid #aab4bf; border-radius: 5px; background: #fff; color: var(--text);
}
input[type="number"] { max-width: 10rem; }
input[aria-invalid="true"] { border-color: var(--failed); box-shadow: 0 0 0 1px var(--failed); }
.msg { display: block; font-size: .9rem; margin-top: .25rem; }
.msg .problem { display: block; }
.row { display: flex; flex-wrap: wrap; gap: .6rem 1.2rem; }
.row > .field { flex: 1 1 14rem; }
.inline-check { display: inline-flex; gap: .4rem; align-items: center; font-weight: 400; margin-right: 1rem; }
.secret-state { display: inline-block; font-size: .9rem; padding: .1rem .5rem; border-radius: 4px; background: #eef1f4; margin-bottom: .35rem; }
.redirect { display: flex; flex-wrap: wrap; align-items: center; gap: .5rem; background: #f6f8fa; border: 1px dashed #b9c1c9; border-radius: 6px; padding: .55rem .8rem; margin: .8rem 0; }
.redirect code { font-size: 1rem; font-weight: 600; }
button { font: inherit; padding: .45rem .95rem; border-radius: 5px; border: 1px solid #8c959f; background: #f6f8fa; color: var(--text); cursor: pointer; }
button:hover { background: #eef1f4; }
button.primary { background: var(--primary); border-color: var(--primary); color: #fff; font-weight: 600; }
button.primary:hover { background: var(--primary-dark); }
button.small { padding: .2rem .6rem; font-size: .88rem; }
button:disabled { opacity: .6; cursor: default; }
.actions { display: flex; flex-wrap: wrap; gap: .6rem; align-items: center; margin-top: .8rem; }

/* Sign-in */
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .25rem 1rem; margin: .4rem 0 .6rem; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; overflow-wrap: anywhere; }
.device { border: 2px solid var(--primary); border-radius: 8px; padding: .8rem 1rem; margin-top: .9rem; background: #f5f9ff; }
.device .code { font: 700 1.7rem/1.2 ui-monospace, Consolas, monospace; letter-spacing: .12em; margin: .3rem 0; }
.result .ok, .answer .ok { color: var(--done); font-weight: 600; }
.result .failed, .answer .failed { color: var(--failed); font-weight: 600; }
.result .pending, .answer .pending { color: var(--muted); }
/* A submit's answer sits next to its button (wrapping under it on a narrow screen). */
.answer { margin: 0; flex: 1 1 14rem; }
.answer:empty { display: none; }

/* Events table and deliveries */
.table-wrap { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; font-size: .92rem; }
th, td { text-align: left; padding: .4rem .5rem; border-bottom: 1px solid #eef1f4; vertical-align: top; }
th { font-weight: 600; color: var(--muted); font-size: .85rem; }
td select { max-width: 10rem; padding: .25rem .4rem; }
.badge { display: inline-block; font-size: .78rem; font-weight: 600; padding: .05rem .45rem; border-radius: 999px; background: #eef1f4; color: var(--muted); white-space: nowrap; }
.badge.sent { background: var(--done-bg); color: var(--done); }
.badge.failed { background: var(--failed-bg); color: var(--failed); }
.badge.waiting-sign-in, .badge.queued, .badge.sending { background: var(--warn-bg); color: var(--warn); }
.queue { display: flex; flex-wrap: wrap; gap: .5rem 1.4rem; margin: .3rem 0 .8rem; }
.queue div { background: #f6f8fa; border-radius: 6px; padding: .35rem .7rem; }
.queue strong { font-size: 1.1rem; margin-right: .3rem; }
ul.events { margin: .2rem 0 0; padding-left: 1.1rem; color: var(--muted); font-size: .86rem; }
.locked main { max-width: 34rem; }

@media (max-width: 640px) {
  body { font-size: 15px; }
  main { padding: .5rem .6rem 2rem; }
  section.card { padding: .9rem .9rem 1rem; border-radius: 6px; }
  .top { padding: .6rem .8rem; }
  .brand span { display: block; margin: 0; }
  dl.facts { grid-template-columns: 1fr; }
  dl.facts dt { margin-top: .3rem; }
  /* Tables with a column per field become one block per row: nothing hides in a sideways scroll. */
  table.stack thead { display: none; }
  table.stack tr { display: block; border-bottom: 1px solid var(--line); padding: .3rem 0; }
  table.stack td { display: block; border: 0; padding: .15rem .2rem; }
  table.stack td[data-label]::before { content: attr(data-label) ": "; color: var(--muted); font-weight: 600; }
  table.stack td select { max-width: 100%; width: auto; }
}
`;
