/** Reads one parameter from a parsed query string or form body; repeated parameters take the first value. */
export type ParamReader = (name: string) => string | undefined;

export function params(source: unknown): ParamReader {
  const record = typeof source === 'object' && source !== null ? (source as Record<string, unknown>) : {};
  return (name) => {
    const value = record[name];
    if (typeof value === 'string') return value;
    if (Array.isArray(value) && typeof value[0] === 'string') return value[0];
    return undefined;
  };
}
