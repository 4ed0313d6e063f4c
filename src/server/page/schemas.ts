import { Type, type TProperties, type TObject, type TOptional, type TUnknown } from '@sinclair/typebox';
import { queryText } from '../schema.js';

/**
 * The request shapes of the settings page (routes-*.ts), declared once for Fastify and the handlers.
 * The page's forms are forgiving by design (a field that is not text reads as empty, and the form's
 * own check says what is missing in the page's words), so a field is declared by its name and
 * read as text by the handler; index.ts reads a missing or non-object body as an empty form, as
 * the handlers did before the schemas. What a value must be is the forms' check
 * (account-form.ts, notifications-form.ts, the silences and the password), not the schema's.
 */

type FormOf<K extends string> = TObject<{ [P in K]: TOptional<TUnknown> }>;

/** An object of optional fields, each of any JSON value (the handler reads it as text). */
function form<K extends string>(description: string, names: readonly K[]): FormOf<K> {
  const properties: TProperties = {};
  for (const name of names) properties[name] = Type.Optional(Type.Unknown());
  return Type.Object(properties, { description }) as FormOf<K>;
}


/** `GET /`: `?login=TOKEN` (the one-time link), `?resume=1` (back from Microsoft's sign-in). */
export const PageQuery = Type.Object({ login: queryText(), resume: queryText() });

/** `GET /ui/api/state?fragments`: the live parts of the page as HTML too. */
export const StateQuery = Type.Object({ fragments: queryText() });

export const LoginForm = form('The password form (application/x-www-form-urlencoded).', ['password']);

/** Entra ID's form_post answer to a browser sign-in (OAuth 2.0 authorization response). */
export const SignInAnswer = form('The authorization response Entra ID posts to the redirect URI.', ['code', 'state', 'client_info', 'error', 'error_description']);

export const AccountFormBody = form('The Account form; read by account-form.ts.', [
  'type',
  'clientId',
  'tenantId',
  'auth',
  'sender',
  'redirectPort',
  'secretExpires',
  'secret',
  'clearSecret',
]);

/** The Notifications form: recipients, levels, `event.<id>.enabled` and `.minSeverity`, the daily report; read by notifications-form.ts. */
export const NotificationsFormBody = Type.Record(Type.String(), Type.Unknown(), { description: 'The Notifications form; read by notifications-form.ts.' });

export const SilenceFormBody = form('The Silences form.', ['type', 'agent', 'folder', 'severity', 'endsAt', 'comment']);

export const TestEmailFormBody = form('The test e-mail: `to`, addresses separated by commas, semicolons or spaces (empty: the admin recipients).', ['to']);

export const PasswordFormBody = form('The admin password form.', ['currentPassword', 'password']);

export const RegisterFormBody = form('"Register for me": what the Account form shows.', ['type', 'auth', 'tenantId', 'sender', 'grantAdminConsent']);

export const SilenceIdParams = Type.Object({ id: Type.String() });
