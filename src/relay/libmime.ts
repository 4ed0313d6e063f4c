import { createRequire } from 'node:module';
import type Libmime from 'libmime';

/**
 * libmime (with iconv-lite and encoding-japanese), loaded when the relay first reads or writes a
 * header rather than when the service starts: ~4 MB of heap that a service with no relayed mail
 * never needs (issue 14: idle RSS). Synchronous, so the callers stay as they were.
 */
let lib: typeof Libmime | undefined;
export const libmime = (): typeof Libmime => (lib ??= createRequire(import.meta.url)('libmime') as typeof Libmime);
