export { GRAPH_CLI_TOOLS_APP_ID } from './admin-sign-in.js';
export { RegistrationError } from './directory-client.js';
export { findDrift, SIGN_IN_AUDIENCE, type Drift, type GraphApplication, type RegistrationWanted } from './desired.js';
export { exchangeScopeLines, register, type RegisterOptions, type RegisterResult } from './register.js';
export { rotateSecret, type RotateOptions, type RotateResult } from './rotate.js';
export { loadRegistrationRecord, saveRegistrationRecord, type RegistrationRecord } from './record.js';
export { READ_SCOPES, readRegistrationAsAdmin } from './read-as-admin.js';
export { reviewRegistration, type RegistrationReview, type RegistrationStep } from './review.js';
export { NOT_YET_PROPAGATED, PROPAGATION_WAIT_MS, waitForTokenService, type PropagationOutcome } from './propagation.js';
