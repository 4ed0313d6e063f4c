import type { ClientCertificate } from '../secrets/index.js';
import { CERTIFICATE_DISPLAY_NAME, certificateFacts } from './certificate.js';
import type { CredentialKind } from './credential-roll.js';
import type { GraphApplication } from './desired.js';
import type { DirectoryClient } from './directory-client.js';
import { keyProof } from './key-proof.js';

const ours = (app: GraphApplication) => (app.keyCredentials ?? []).filter((k) => k.displayName === CERTIFICATE_DISPLAY_NAME);

/**
 * An administrator's upload: PATCH keyCredentials, which replaces the whole collection, so the
 * certificates already there are sent back by keyId (https://learn.microsoft.com/graph/api/application-update).
 * Microsoft documents this route when the app has no valid certificate yet (addKey then refuses).
 */
export function patchedCertificateKind(directory: DirectoryClient, certificate: ClientCertificate): CredentialKind<ClientCertificate> {
  const facts = certificateFacts(certificate.certificatePem);
  const keep = (app: GraphApplication | undefined, drop?: string) => (app?.keyCredentials ?? []).filter((k) => k.keyId !== drop).map((k) => ({ keyId: k.keyId }));
  return {
    noun: 'certificate',
    short: 'certificate',
    async add(app) {
      const added = { type: 'AsymmetricX509Cert', usage: 'Verify', key: facts.der.toString('base64'), displayName: CERTIFICATE_DISPLAY_NAME };
      await directory.patchApplication(app.id, { keyCredentials: [...keep(app), added] });
      const uploaded = await directory.applicationByAppId(app.appId);
      const keyId = (uploaded?.keyCredentials ?? []).find((k) => !(app.keyCredentials ?? []).some((e) => e.keyId === k.keyId))?.keyId;
      const said = `Uploaded the certificate (Certificates & secrets > Certificates), SHA-256 thumbprint ${facts.thumbprintSha256}, valid until ${facts.endDateTime.slice(0, 10)}.`;
      return { keyId, endDateTime: facts.endDateTime, value: certificate, said };
    },
    async remove(app, keyId) {
      await directory.patchApplication(app.id, { keyCredentials: keep(await directory.applicationByAppId(app.appId), keyId) });
    },
    // Back to the collection as it was before the upload.
    undo: (app) => directory.patchApplication(app.id, { keyCredentials: keep(app) }),
    previous: ours,
  };
}

/**
 * The app renewing its own certificate: addKey and removeKey, each with a proof signed by a valid
 * certificate of the app - Microsoft's route for "an application to automate rolling its expiring
 * keys" (https://learn.microsoft.com/graph/api/application-addkey). The new one is added with a proof
 * from the certificate in use; after the switch, the old one is removed with a proof from the new one
 * (the old one may have expired by then).
 */
export function selfRolledCertificateKind(directory: DirectoryClient, current: ClientCertificate, next: ClientCertificate, now: () => number = Date.now): CredentialKind<ClientCertificate> {
  const facts = certificateFacts(next.certificatePem);
  return {
    noun: 'certificate',
    short: 'certificate',
    async add(app) {
      const added = await directory.addKey(app.id, facts.der, CERTIFICATE_DISPLAY_NAME, keyProof(current, app.id, now()));
      const said = `Added a new certificate (Certificates & secrets > Certificates), SHA-256 thumbprint ${facts.thumbprintSha256}, valid until ${facts.endDateTime.slice(0, 10)}.`;
      return { keyId: added.keyId, endDateTime: facts.endDateTime, value: next, said };
    },
    remove: (app, keyId) => directory.removeKey(app.id, keyId, keyProof(next, app.id, now())),
    undo: async (app, keyId) => (keyId ? directory.removeKey(app.id, keyId, keyProof(current, app.id, now())) : undefined),
    previous: ours,
  };
}
