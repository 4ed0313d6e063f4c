import type { Command } from '../command.js';
import { emulatorCommand } from './emulator.js';

/** Every CLI command, in the order `--help` lists them. Add new commands here. */
export const commands: Command[] = [
  emulatorCommand,
];
