import type { RelayStore, RelayUserRow } from '../store/index.js';
import { generatePassword, hashPassword, userNameProblem } from './passwords.js';

/** `o365-notify smtp user ...`: the relay's users, passwords stored only as scrypt hashes. */
export interface AddedUser {
  name: string;
  /** Set when the password was generated: shown once, never stored. */
  generatedPassword?: string;
  replaced: boolean;
}

export class RelayUserError extends Error {}

export async function addRelayUser(
  relay: RelayStore,
  input: { name: string; password?: string; allowedFrom?: string[]; allowedRecipients?: string[]; now?: number },
): Promise<AddedUser> {
  const problem = userNameProblem(input.name);
  if (problem) throw new RelayUserError(problem);
  if (input.password !== undefined && input.password.length < 8) {
    throw new RelayUserError('The password is shorter than 8 characters: give a longer one, or none to have one generated.');
  }
  const password = input.password ?? generatePassword();
  const existing = await relay.user(input.name);
  await relay.saveUser({
    name: input.name,
    passwordHash: await hashPassword(password),
    allowedFrom: input.allowedFrom ?? existing?.allowedFrom ?? [],
    allowedRecipients: input.allowedRecipients ?? existing?.allowedRecipients ?? [],
    createdAt: existing?.createdAt ?? input.now ?? Date.now(),
  });
  return { name: input.name, generatedPassword: input.password === undefined ? password : undefined, replaced: existing !== undefined };
}

/** Users without their hashes (nothing secret leaves the store). */
export async function listRelayUsers(relay: RelayStore): Promise<Omit<RelayUserRow, 'passwordHash'>[]> {
  return (await relay.users()).map(({ passwordHash: _hash, ...rest }) => rest);
}

export async function removeRelayUser(relay: RelayStore, name: string): Promise<boolean> {
  return relay.removeUser(name);
}
