#!/usr/bin/env node
import { ignoreBrokenPipes } from '../infra/index.js';
import { main } from './main.js';

// `serve | tee log` stopped with Ctrl-C: the service still finishes its work (issue 10.12).
ignoreBrokenPipes();

process.exitCode = await main(process.argv.slice(2));
