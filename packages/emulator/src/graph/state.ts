import type { EmulatorContext } from '../context.js';
import { MailboxLimits } from './limits.js';
import { MailStore } from './store.js';
import { UploadSessions } from './uploads.js';

/** The mail state of one emulator, shared by the Graph routes and the control API. */
export interface GraphState {
  store: MailStore;
  limits: MailboxLimits;
  uploads: UploadSessions;
}

const states = new WeakMap<EmulatorContext, GraphState>();

export function graphStateFor(ctx: EmulatorContext): GraphState {
  let state = states.get(ctx);
  if (!state) {
    const clock = { now: () => ctx.clock.now(), delivered: () => void (ctx.stats.messagesDelivered += 1) };
    state = { store: new MailStore(ctx.directory, undefined, clock), limits: new MailboxLimits(ctx), uploads: new UploadSessions() };
    states.set(ctx, state);
  }
  return state;
}
