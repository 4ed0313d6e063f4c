import type { Command } from '../command.js';
import { configCommand } from './config.js';
import { demoCommand } from './demo.js';
import { doctorCommand } from './doctor.js';
import { emulatorCommand } from './emulator.js';
import { explainCommand } from './explain.js';
import { loginCommand, logoutCommand } from './login.js';
import { sendCommand, testCommand } from './send.js';
import { setupCommand } from './setup.js';
import { statusCommand } from './status.js';
import { eventCommand } from './event.js';
import { previewCommand } from './preview.js';
import { serveCommand } from './serve.js';
import { serviceCommand } from './service.js';
import { backupCommand, restoreCommand } from './backup.js';
import { silenceCommand } from './silence.js';
import { tokenCommand } from './token.js';

/** Every CLI command, in the order `--help` lists them. Add new commands here. */
export const commands: Command[] = [
  setupCommand,
  loginCommand,
  logoutCommand,
  statusCommand,
  testCommand,
  sendCommand,
  eventCommand,
  serveCommand,
  serviceCommand,
  backupCommand,
  restoreCommand,
  silenceCommand,
  previewCommand,
  tokenCommand,
  doctorCommand,
  configCommand,
  emulatorCommand,
  demoCommand,
  explainCommand,
];
