export { startEmulator, type EmulatorOptions, type RunningEmulator } from './server.js';
export { defaultSeed, readSeedFile, DEMO_APPS, DEMO_DOMAIN, DEMO_TENANT_ID, type SeedFile, type SeededSecret } from './seed.js';
export { CONSUMER_TENANT_ID } from './directory.js';
// What the `demo` command does on /devicelogin for the person (the device-code sign-in, approved).
export { approveFromControl } from './entra/index.js';
