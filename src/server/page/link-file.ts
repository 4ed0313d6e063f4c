import { createHash, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ensureHomeDir, withFileLock, writeFileAtomic } from '../../infra/index.js';

/**
 * One-time sign-in links made outside the service process (`o365-notify page link`): the CLI
 * writes the token's hash and expiry into the home dir, the running service spends it. Whoever
 * may write the home dir is the administrator already (it holds the settings and the store), so
 * no API token is needed to make a link. Only hashes are written.
 */

const LINKS_FILE = 'page-links.json';

interface LinkEntry {
  hash: string;
  expiresAt: number;
}

export function linkTokenHash(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
}

function linksFile(home: string): string {
  return join(home, LINKS_FILE);
}

async function readLinks(home: string): Promise<LinkEntry[]> {
  try {
    const parsed = JSON.parse(await readFile(linksFile(home), 'utf8')) as { links?: LinkEntry[] };
    return Array.isArray(parsed.links) ? parsed.links.filter((l) => typeof l.hash === 'string' && typeof l.expiresAt === 'number') : [];
  } catch (err) {
    // Missing or damaged: no links (a damaged file is replaced by the next write).
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' || err instanceof SyntaxError) return [];
    throw err;
  }
}

async function updateLinks(home: string, change: (links: LinkEntry[]) => LinkEntry[]): Promise<void> {
  await ensureHomeDir(home);
  await withFileLock(linksFile(home), async () => {
    const links = change(await readLinks(home));
    await writeFileAtomic(linksFile(home), JSON.stringify({ links }, null, 2) + '\n');
  });
}

/** A new one-time token for the service of this home; returns the token (never stored). */
export async function addLinkToken(home: string, lifetimeMs: number, now = Date.now()): Promise<string> {
  const token = randomBytes(32).toString('base64url');
  const entry = { hash: linkTokenHash(token), expiresAt: now + lifetimeMs };
  await updateLinks(home, (links) => [...links.filter((l) => l.expiresAt > now), entry]);
  return token;
}

/** True once for a token written by addLinkToken and not expired; it is spent either way. */
export async function takeLinkToken(home: string, token: string, now = Date.now()): Promise<boolean> {
  const hash = linkTokenHash(token);
  const links = await readLinks(home);
  if (!links.some((l) => l.hash === hash)) return false;
  let valid = false;
  await updateLinks(home, (current) => {
    valid = current.some((l) => l.hash === hash && l.expiresAt > now);
    return current.filter((l) => l.hash !== hash && l.expiresAt > now);
  });
  return valid;
}
