#!/usr/bin/env node
const argv = process.argv.slice(2);

if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-V')) {
  // Answered before the rest of the CLI (and the logger) loads: issue 14, <= 1.5x `node -e 0`.
  const { productVersion } = await import('../shared/index.js');
  process.stdout.write(`${productVersion()}\n`);
} else {
  const { ignoreBrokenPipes } = await import('../infra/index.js');
  // `serve | tee log` stopped with Ctrl-C: the service still finishes its work (issue 10.12).
  ignoreBrokenPipes();
  const { main } = await import('./main.js');
  process.exitCode = await main(argv);
}
