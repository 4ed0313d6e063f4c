import { Type, type Static } from '@sinclair/typebox';
import { NOTIFICATION_STATUSES } from '../store/index.js';
import { queryText } from './schema.js';

/**
 * The request shapes of `/api/v1` (api-routes.ts), declared once: Fastify checks them (schema.ts)
 * and the handlers get their types. What an ImageManager event or an Alertmanager webhook may hold
 * is the intake's to judge (src/intake: per-field errors in the portal's words), so those bodies are
 * declared as any JSON here and the intake stays the one place that knows their fields.
 */

export const MAX_PAGE = 200;
export const DEFAULT_PAGE = 50;
export const MAX_TEST_RECIPIENTS = 20;


export const EventsBody = Type.Unknown({
  description: 'One ImageManager event or an array of them (README "Sending events"); checked by src/intake/events.ts.',
});

export const AlertsBody = Type.Unknown({
  description: "Alertmanager's webhook payload, version 4 (extra fields allowed); checked by src/intake/alertmanager.ts.",
});

export const DeliveriesQuery = Type.Object(
  {
    limit: Type.Optional(
      Type.Integer({ minimum: 1, maximum: MAX_PAGE, description: `Deliveries per page (default ${DEFAULT_PAGE}).`, errorMessage: `"limit" must be a whole number from 1 to ${MAX_PAGE}` }),
    ),
    status: Type.Optional(
      Type.Union(
        NOTIFICATION_STATUSES.map((s) => Type.Literal(s)),
        { errorMessage: `"status" must be one of ${NOTIFICATION_STATUSES.join(', ')}` },
      ),
    ),
    before: Type.Optional(Type.String({ description: 'The "next" value of the previous page.', errorMessage: '"before" must be the "next" value of a previous page' })),
    bodies: queryText(), // 1 or true: the rendered e-mails come along
  },
  { errorCode: 'bad-request' },
);
export type DeliveriesQuery = Static<typeof DeliveriesQuery>;

export const TestEmailBody = Type.Object(
  {
    to: Type.Optional(
      Type.Union([Type.Null(), Type.String(), Type.Array(Type.String(), { maxItems: MAX_TEST_RECIPIENTS })], {
        errorMessage: `"to" must be an e-mail address (or a list of at most ${MAX_TEST_RECIPIENTS}), such as admin@contoso.com`,
      }),
    ),
  },
  { errorCode: 'bad-request', errorMessage: 'The body must be a JSON object such as {"to": "admin@contoso.com"}' },
);
export type TestEmailBody = Static<typeof TestEmailBody>;

const silenceText = (name: string) => Type.Optional(Type.Union([Type.String(), Type.Null()], { errorMessage: `"${name}" must be a string` }));

export const SilenceBody = Type.Object(
  {
    // Which matchers are allowed and what their values may be is the silences' own check (notify).
    matchers: Type.Record(Type.String(), Type.Unknown()),
    endsAt: silenceText('endsAt'),
    startsAt: silenceText('startsAt'),
    comment: silenceText('comment'),
    createdBy: silenceText('createdBy'),
  },
  {
    errorCode: 'invalid-silence',
    errorMessage: 'Send {"matchers": {"type": "imagemanager.*", "agent": "SRV1"}, "endsAt": "2026-12-01T00:00:00Z", "comment": "..."}',
  },
);
export type SilenceBody = Static<typeof SilenceBody>;

export const SilencesQuery = Type.Object({ all: queryText() }, { errorCode: 'bad-request' });

export const SilenceParams = Type.Object({ id: Type.String() });
