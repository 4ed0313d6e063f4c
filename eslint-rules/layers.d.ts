/** Types of layers.js for the tests that read its tables. */
export const LAYERS: Record<string, string[]>;
export const EMULATOR_USERS: string[];
export const LIGHT_ENTRIES: Record<string, string[]>;
declare const plugin: { rules: Record<string, unknown> };
export default plugin;
