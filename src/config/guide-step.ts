/**
 * The step of the guide (or of running the product) that fixes a problem: the same union the
 * diagnosis catalog uses, so a settings problem and a runtime error point to the same place.
 */
export type { GuideStep } from '../diagnose/index.js';
