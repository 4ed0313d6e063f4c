import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createSecureContext, rootCertificates, type SecureContext } from 'node:tls';

/**
 * Which certificate authorities HTTPS to Entra ID and Graph trusts: the public roots, plus the
 * emulator's CA when it is the target, plus the corporate CA of a TLS-inspecting proxy from
 * NODE_EXTRA_CA_CERTS. Verification is never turned off.
 *
 * Why one SecureContext per CA set (issue 9.7): a `ca` option passed per request or per agent makes
 * Node build a new certificate store (~150 roots parsed) for every TLS connection, and that memory
 * is not given back (2,400 failed connections reached 1.37 GB). The context is built once per set of
 * certificates and shared by every connection and agent of the process.
 */

const contexts = new Map<string, SecureContext>();
const extraFiles = new Map<string, string[]>();

/** The PEM blocks of a bundle (a file may hold several). */
export function pemBlocks(text: string): string[] {
  return text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
}

/**
 * NODE_EXTRA_CA_CERTS, read once per path. Node adds it to its default store only when no `ca` is
 * given; ours is built with `ca`, so it is added here, as Node documents it: extra, not instead.
 */
export function extraCaFromEnv(env: NodeJS.ProcessEnv): string[] {
  const file = env.NODE_EXTRA_CA_CERTS?.trim();
  if (!file) return [];
  let blocks = extraFiles.get(file);
  if (!blocks) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new Error(
        `Cannot read NODE_EXTRA_CA_CERTS=${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}): it must name a PEM file with your network's CA certificate (ask whoever runs the proxy or TLS inspection for it).`,
      );
    }
    blocks = pemBlocks(text);
    if (blocks.length === 0) throw new Error(`NODE_EXTRA_CA_CERTS=${file} holds no PEM certificate ("-----BEGIN CERTIFICATE-----"): export the CA as Base-64 (PEM), not DER.`);
    extraFiles.set(file, blocks);
  }
  return blocks;
}

function asList(ca: string | Buffer | (string | Buffer)[] | undefined): string[] {
  if (ca === undefined) return [];
  return (Array.isArray(ca) ? ca : [ca]).flatMap((c) => pemBlocks(c.toString()));
}

/** The one shared context for the public roots plus `ca` plus NODE_EXTRA_CA_CERTS. */
export function secureContextFor(ca?: string | Buffer | (string | Buffer)[], env: NodeJS.ProcessEnv = process.env): SecureContext {
  const extra = [...asList(ca), ...extraCaFromEnv(env)];
  const key = createHash('sha256').update(extra.join('\n')).digest('hex');
  let context = contexts.get(key);
  if (!context) {
    context = createSecureContext(extra.length > 0 ? { ca: [...rootCertificates, ...extra] } : {});
    contexts.set(key, context);
  }
  return context;
}

/** How many distinct contexts this process built (tests: stays 1 per CA set). */
export function secureContextCount(): number {
  return contexts.size;
}
