import type { EmulatorContext } from '../context.js';
import { FlowStore } from './flows.js';
import { GrantStore } from './grants.js';

/** The Entra side's memory for one emulator instance, shared with the control routes. */
export interface EntraState {
  grants: GrantStore;
  flows: FlowStore;
}

const states = new WeakMap<EmulatorContext, EntraState>();

export function entraState(ctx: EmulatorContext): EntraState {
  let state = states.get(ctx);
  if (!state) {
    state = { grants: new GrantStore(ctx.clock), flows: new FlowStore(ctx.clock) };
    states.set(ctx, state);
  }
  return state;
}
