import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  calculateJwkThumbprint,
  exportJWK,
  generateKeyPair,
  importJWK,
  jwtVerify,
  SignJWT,
  type JWK,
  type JWTPayload,
  type JWTVerifyOptions,
} from 'jose';

type Key = CryptoKey;

/** Signs the emulator's id and access tokens (RS256) and publishes the public key as JWKS. */
export class TokenSigner {
  private constructor(
    private readonly privateKey: Key,
    private readonly publicKey: Key,
    private readonly publicJwk: JWK,
    readonly kid: string,
  ) {}

  /** Loads the signing key from `dataDir`, creating it on first use so tokens survive restarts. */
  static async open(dataDir: string): Promise<TokenSigner> {
    const file = join(dataDir, 'signing-key.json');
    let privateJwk: JWK;
    if (existsSync(file)) {
      privateJwk = JSON.parse(await readFile(file, 'utf8')) as JWK;
    } else {
      const pair = await generateKeyPair('RS256', { extractable: true, modulusLength: 2048 });
      privateJwk = await exportJWK(pair.privateKey);
      await writeFile(file, JSON.stringify(privateJwk), { mode: 0o600 });
    }
    const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...publicJwk } = privateJwk;
    const kid = await calculateJwkThumbprint(publicJwk);
    const privateKey = (await importJWK(privateJwk, 'RS256')) as Key;
    const publicKey = (await importJWK(publicJwk, 'RS256')) as Key;
    return new TokenSigner(privateKey, publicKey, { ...publicJwk, kid, use: 'sig', alg: 'RS256' }, kid);
  }

  async sign(claims: JWTPayload): Promise<string> {
    // Entra puts both kid and x5t (same value) in the header.
    return new SignJWT(claims).setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: this.kid, x5t: this.kid }).sign(this.privateKey);
  }

  /** Verifies signature and the standard time claims against the emulator clock. */
  async verify(token: string, options: JWTVerifyOptions & { nowSeconds: number }): Promise<JWTPayload> {
    const { nowSeconds, ...rest } = options;
    const { payload } = await jwtVerify(token, this.publicKey, { ...rest, currentDate: new Date(nowSeconds * 1000) });
    return payload;
  }

  /** The document served at /{tenant}/discovery/v2.0/keys. */
  jwks(issuer?: string): { keys: JWK[] } {
    return { keys: [{ ...this.publicJwk, x5t: this.kid, ...(issuer ? { issuer } : {}) } as JWK] };
  }
}
