import type { FastifyError, FastifySchemaCompiler } from 'fastify';
import { KindGuard, Type, type TSchema } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';

/**
 * Route schemas (TypeBox) and how Fastify checks them. A request shape is declared once, in
 * api-schemas.ts or page/schemas.ts, with the words the answer gives when a request does not fit:
 * `errorMessage` on the field (or on the whole shape, for the body itself), `errorCode` on the
 * shape. The project's intake checks (src/intake, the page's forms) still judge the content.
 */
declare module '@sinclair/typebox' {
  interface SchemaOptions {
    /** What the 400 answer says when the value here does not fit (the portal's words). */
    errorMessage?: string;
    /** The answer's `error` code for a request that does not fit this shape (default bad-request). */
    errorCode?: string;
  }
}

/** A query parameter given once is a string; given twice, a list (Fastify's query parser). */
export const queryText = () => Type.Optional(Type.Union([Type.String(), Type.Array(Type.String())]));

/** One failed check, as Fastify hands it to the error handler in `err.validation`. */
export interface SchemaProblem {
  message: string;
  instancePath: string;
  /** The answer's `error` code (the shape's errorCode). */
  code: string;
}

/**
 * The fields of a query's or a path's shape that are numbers: their text is read as `Number()`
 * reads it (the rule the handlers used): "5" is 5, "2.5" stays 2.5 for the check to refuse, "true"
 * is NaN. TypeBox's own Value.Convert would make "2.5" an integer 2 and "true" a 1. Found once per
 * route, when its schema is compiled, not per request.
 */
function numberFields(schema: TSchema): string[] {
  if (!KindGuard.IsObject(schema)) return [];
  return Object.entries(schema.properties)
    .filter(([, field]) => KindGuard.IsNumber(field) || KindGuard.IsInteger(field))
    .map(([name]) => name);
}

function withNumbers(fields: string[], value: unknown): unknown {
  if (fields.length === 0 || value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = { ...(value as Record<string, unknown>) };
  for (const name of fields) if (typeof out[name] === 'string') out[name] = Number(out[name]);
  return out;
}

/**
 * TypeBox's compiled check instead of Ajv. Numbers in queries and path parameters are read from
 * their text first (numberFields); bodies are taken as sent: a JSON body means what it says, so
 * `{"comment": 5}` stays a number and is refused, as the handlers refused it before.
 */
export const typeBoxCompiler: FastifySchemaCompiler<TSchema> = ({ schema, httpPart }) => {
  const check = TypeCompiler.Compile(schema);
  const numbers = httpPart === 'body' ? [] : numberFields(schema);
  return (value: unknown) => {
    const converted = withNumbers(numbers, value);
    if (check.Check(converted)) return { value: converted };
    const first = check.Errors(converted).First();
    const words = (first?.schema as TSchema | undefined)?.errorMessage ?? schema.errorMessage;
    const path = first?.path.replace(/^\//, '').replace(/\//g, '.') ?? '';
    const problem: SchemaProblem = {
      message: words ?? (path ? `"${path}": ${first?.message ?? 'not the expected value'}` : 'The request does not have the expected form.'),
      instancePath: first?.path ?? '',
      code: schema.errorCode ?? 'bad-request',
    };
    // Fastify turns `error` into the 400 (schemaErrorFormatter, then the error handler).
    return { error: [problem] as never };
  };
};

/** Fastify's `schemaErrorFormatter`: the message is the shape's own words, not Ajv's text. */
export function schemaErrorFormatter(errors: unknown[]): Error {
  const first = errors[0] as Partial<SchemaProblem> | undefined;
  return new Error(first?.message ?? 'The request does not have the expected form.');
}

/** The code and words of a request that did not fit its route's schema, or undefined for another error. */
export function schemaAnswer(err: unknown): { code: string; message: string } | undefined {
  const e = err as FastifyError & { validation?: Partial<SchemaProblem>[] };
  if (e?.code !== 'FST_ERR_VALIDATION' || !Array.isArray(e.validation)) return undefined;
  return { code: e.validation[0]?.code ?? 'bad-request', message: e.message };
}
