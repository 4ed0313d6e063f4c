import type { Command } from '../command.js';
import { configCommand } from './config.js';
import { doctorCommand } from './doctor.js';
import { emulatorCommand } from './emulator.js';
import { explainCommand } from './explain.js';
import { loginCommand, logoutCommand } from './login.js';
import { sendCommand, testCommand } from './send.js';
import { setupCommand } from './setup.js';
import { statusCommand } from './status.js';

/** Every CLI command, in the order `--help` lists them. Add new commands here. */
export const commands: Command[] = [
  setupCommand,
  loginCommand,
  logoutCommand,
  statusCommand,
  testCommand,
  sendCommand,
  doctorCommand,
  configCommand,
  emulatorCommand,
  explainCommand,
];
