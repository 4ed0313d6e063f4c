export { authStatePath, readAuthState, writeAuthState, updateAuthState, REFRESH_TOKEN_INACTIVITY_DAYS, type AuthState } from './auth-state.js';
export { SignInError, diagnoseAuthFailure, diagnoseContext } from './errors.js';
export { startKeepAlive, DEFAULT_REFRESH_AFTER_DAYS, type KeepAliveOptions } from './keep-alive.js';
export { SignInCancelledError, type AuthorizationResponse } from './loopback.js';
export { createNetworkClient, type RawErrorCapture } from './network-client.js';
export { openAuthSession, trustedCa, type AuthSession, type OpenSessionOptions } from './session.js';
export {
  completeBrowserSignIn,
  createBrowserSignInRequest,
  recordSignInFailure,
  signInAppOnly,
  signInWithBrowser,
  signInWithDeviceCode,
  signOut,
  SECRET_NOT_NEEDED_NOTE,
  type BrowserSignInRequest,
  type SignInResult,
} from './sign-in.js';
export { authStatusOf, readAuthStatus, type AuthStatus } from './status.js';
export { createTokenProvider, NOT_SIGNED_IN, type SessionTokenProvider } from './token-provider.js';
export { probePublicClientFlows, type PublicClientFlowsProbe } from './public-client-probe.js';
export { encryptedCachePlugin, tokenCachePlugin, TokenCacheConflictError } from './cache-plugin.js';
export {
  fileAuthState,
  fileTokenCache,
  seedTokenCache,
  sharedTokenCache,
  type AuthStateStore,
  type SealedTokenCacheStore,
  type SeedOutcome,
  type SharedAuthStorage,
  type TokenCacheStorage,
} from './token-cache-port.js';
