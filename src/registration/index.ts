export { GRAPH_CLI_TOOLS_APP_ID, type DeviceCodeInfo } from './admin-sign-in.js';
export { registerAndSave, type RegistrationOutcome, type RegistrationRequest } from './register-and-save.js';
export { RegistrationError } from './directory-client.js';
export { findDrift, SIGN_IN_AUDIENCE, type Drift, type GraphApplication, type RegistrationWanted } from './desired.js';
export { exchangeScopeLines, register, type RegisterOptions, type RegisterResult } from './register.js';
export { rotateSecret, SECRET_DISPLAY_NAME, secretKind, type RotateOptions, type RotateResult, type RotationSteps } from './rotate.js';
export { rollCredential, type CredentialKind, type RollResult, type RollSteps } from './credential-roll.js';
export { loadRegistrationRecord, saveRegistrationRecord, type RegistrationRecord } from './record.js';
export { READ_SCOPES, readRegistrationAsAdmin } from './read-as-admin.js';
export { reviewRegistration, type RegistrationReview, type RegistrationStep } from './review.js';
export { NOT_YET_PROPAGATED, PROPAGATION_WAIT_MS, waitForTokenService, type PropagationOutcome } from './propagation.js';
export { appOnlyAnswer, delegatedAnswer } from './token-service-answer.js';
export {
  ownCertificate,
  ownSecret,
  renewedCertificate,
  renewedLifetimeMs,
  renewOwnCredentialIfDue,
  rotationDue,
  secretLifetimeOnApp,
  type OwnCredential,
  type SelfRotation,
} from './self-rotate.js';
export { CERTIFICATE_DISPLAY_NAME, certificateFacts, manualUploadLines, newClientCertificate, UPLOAD_CERTIFICATE_PATH, writeCertificateFile } from './certificate.js';
export { uploadCertificate, type CertificateOptions } from './certificate-upload.js';
export { keyProof, PROOF_AUDIENCE, PROOF_LIFETIME_SECONDS } from './key-proof.js';
