import type Libmime from 'libmime';
import { lazyRequire } from '../shared/index.js';

/**
 * libmime (with iconv-lite and encoding-japanese), loaded when the relay first reads or writes a
 * header rather than when the service starts: ~4 MB of heap that a service with no relayed mail
 * never needs (issue 14: idle RSS). Synchronous, so the callers stay as they were.
 */
export const libmime = lazyRequire<typeof Libmime>('libmime');
