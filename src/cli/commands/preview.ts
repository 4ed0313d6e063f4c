import { loadSettings, resolveHome } from '../../config/index.js';
import { PreviewError, PREVIEW_NAMES, TemplateSet, previewEmail, templatesDir } from '../../notify/index.js';
import { rulesFromSettings } from '../../server/index.js';
import { EXIT_FAILED, EXIT_OK, parseCommandArgs, UsageError, writeLine, type CliContext, type Command } from '../command.js';

const TEXT_PART_NOTE =
  'Note: e-mails are sent with the HTML part only (Microsoft Graph sendMail takes one body); the text part above ' +
  'is not sent, so a custom <name>.txt template changes only this preview. Mail clients that show plain text ' +
  'derive it from the HTML.';

export const previewCommand: Command = {
  name: 'preview',
  summary: 'show the e-mail an event type produces (subject and text, or --html)',
  usage: `Usage: o365-notify preview --type TYPE [--html]

Renders a sample e-mail for an event type (imagemanager.verification_failed, custom.<name>, ...)
or for ${PREVIEW_NAMES.join(', ')}, with your template overrides from the templates folder of the
home directory. Prints the subject and the text part; --html prints the HTML part instead.`,
  async run(args: string[], ctx: CliContext): Promise<number> {
    const { values } = parseCommandArgs(args, { type: { type: 'string' }, html: { type: 'boolean' } });
    if (!values.type) throw new UsageError('--type is required');
    const home = resolveHome(ctx.home, ctx.env);
    const rules = rulesFromSettings(await loadSettings(home, ctx.env));
    const templates = new TemplateSet(templatesDir(home));
    let email;
    try {
      email = previewEmail(values.type, { templates, now: Date.now(), timeZone: rules.dailyReport.timeZone });
    } catch (err) {
      if (err instanceof PreviewError) {
        writeLine(ctx.stderr, err.message);
        return EXIT_FAILED;
      }
      throw err;
    }
    for (const p of templates.problems) writeLine(ctx.stderr, `Template ${p.file}: ${p.message} (the built-in template was used)`);
    if (ctx.json) writeLine(ctx.stdout, JSON.stringify(email));
    else if (values.html) writeLine(ctx.stdout, email.html);
    else writeLine(ctx.stdout, `Subject: ${email.subject}\nImportance: ${email.importance}\n\n${email.text}`);
    // Said plainly (issue 9.6): Graph's JSON sendMail carries one body, and it is the HTML one.
    if (!ctx.json) writeLine(ctx.stderr, TEXT_PART_NOTE);
    return EXIT_OK;
  },
};
