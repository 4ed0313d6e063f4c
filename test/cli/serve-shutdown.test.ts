import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, closeSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { fdLogDestination } from '../../src/infra/index.js';
import { tempHome, testEnv } from '../support/cli.js';
import { waitFor } from '../server/helpers.js';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
/** Generous: the bug this guards against (issue 10.12) kept the stopped service alive for good. */
const STOP_DEADLINE_MS = 20_000;

function exited(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

function serve(home: string, stdout: 'pipe' | number | NodeJS.WritableStream): ChildProcess {
  const out = stdout as never;
  return spawn(process.execPath, ['--import', 'tsx', 'src/cli/bin.ts', '--home', home, 'serve', '--port', '0'], {
    cwd: REPO,
    env: testEnv(home),
    stdio: ['ignore', out, out],
  });
}

async function stopsWithin(child: ChildProcess, what: string) {
  const result = await Promise.race([
    exited(child),
    new Promise<'alive'>((resolve) => setTimeout(() => resolve('alive'), STOP_DEADLINE_MS).unref()),
  ]);
  if (result === 'alive') child.kill('SIGKILL');
  assert.notEqual(result, 'alive', `${what}: serve was still running ${STOP_DEADLINE_MS / 1000} s after SIGINT`);
  return result as { code: number | null; signal: NodeJS.Signals | null };
}

describe('serve stops on Ctrl-C whatever its stdout is (issue 10.12)', () => {
  let home: string;
  let cleanup: () => Promise<void>;
  before(async () => ({ home, cleanup } = await tempHome()));
  after(() => cleanup());

  it('`serve | tee log`, Ctrl-C ends tee as well: serve exits at once with 0 (a real pipe, real SIGINT)', async () => {
    const log = join(home, 'tee.log');
    // tee reads the pipe and writes the file, as `o365-notify serve | tee log` in a shell.
    const tee = spawn('tee', [log], { stdio: ['pipe', 'ignore', 'inherit'] });
    const child = serve(home, tee.stdin!);
    try {
      // tee creates the file when it starts: until then there is nothing to read, not a failure.
      await waitFor(() => existsSync(log) && /Stop with Ctrl\+C/.test(readFileSync(log, 'utf8')), 'serve started (in the tee log)', 30_000);
      // Ctrl-C goes to the whole foreground group; tee ends first here so the reader is surely gone.
      tee.kill('SIGINT');
      await exited(tee);
      child.kill('SIGINT');
      const { code } = await stopsWithin(child, 'stdout a pipe whose reader ended');
      assert.equal(code, 0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      if (tee.exitCode === null) tee.kill('SIGKILL');
    }
  });

  it('stdout a pipe that is still read: serve says it stopped and exits with 0', async () => {
    const child = serve(home, 'pipe');
    let out = '';
    child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
    try {
      await waitFor(() => /Stop with Ctrl\+C/.test(out), `serve started:\n${out}`, 30_000);
      child.kill('SIGINT');
      const { code } = await stopsWithin(child, 'stdout a pipe');
      assert.equal(code, 0, out);
      assert.match(out, /o365-notify service stopped\./);
      assert.match(out, /"msg":"o365-notify service stopped"/, 'the last log line is written, not lost in a buffer');
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });

  it('stdout a file: serve exits with 0 and every log line is in the file', async () => {
    const file = join(home, 'serve.log');
    const fd = openSync(file, 'w');
    const child = serve(home, fd);
    closeSync(fd);
    try {
      await waitFor(() => /Stop with Ctrl\+C/.test(readFileSync(file, 'utf8')), 'serve started (in the file)', 30_000);
      child.kill('SIGINT');
      const { code } = await stopsWithin(child, 'stdout a file');
      assert.equal(code, 0);
      const text = readFileSync(file, 'utf8');
      assert.match(text, /o365-notify service stopped\./);
      assert.match(text, /"msg":"o365-notify service stopped"/);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });

  it('stdout a terminal (a pty from script(1)), Ctrl-C typed: serve exits with 0', async () => {
    const command = `exec ${process.execPath} --import tsx src/cli/bin.ts --home ${home} serve --port 0`;
    const child = spawn('script', ['-qfec', command, '/dev/null'], { cwd: REPO, env: testEnv(home), stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
    try {
      await waitFor(() => /Stop with Ctrl\+C/.test(out), `serve started on the terminal:\n${out}`, 30_000);
      child.stdin!.write('\x03'); // the terminal turns it into SIGINT for the foreground process
      const { code } = await stopsWithin(child, 'stdout a terminal');
      assert.equal(code, 0, out);
      assert.match(out, /o365-notify service stopped\./);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});

describe('fdLogDestination', () => {
  it('a pipe without a reader (EPIPE) ends logging instead of retrying it', async () => {
    // The reader closes its end of the pipe and says so; it stays alive, so the fd stays ours.
    const reader = spawn('sh', ['-c', 'exec 0<&-; echo closed; exec sleep 30'], { stdio: ['pipe', 'pipe', 'ignore'] });
    let said = '';
    reader.stdout!.on('data', (c: Buffer) => (said += c.toString()));
    await waitFor(() => said.includes('closed'), 'the reader closed its end', 10_000);
    const fd = (reader.stdin as unknown as { _handle: { fd: number } })._handle.fd;
    const destination = fdLogDestination(fd);
    destination.write('{"msg":"nobody reads this"}\n');
    assert.equal(destination.closed, true);
    destination.write('{"msg":"nor this"}\n'); // no throw, no wait
    reader.kill('SIGKILL');
    reader.stdin!.destroy();
  });

  it('writes whole lines to a file at once (nothing left to flush at exit)', async () => {
    const { home: dir, cleanup } = await tempHome();
    try {
      const file = join(dir, 'log');
      const fd = openSync(file, 'w');
      const destination = fdLogDestination(fd);
      destination.write('{"msg":"one"}\n');
      destination.write('{"msg":"zwei ü"}\n');
      assert.equal(readFileSync(file, 'utf8'), '{"msg":"one"}\n{"msg":"zwei ü"}\n');
      closeSync(fd);
      destination.write('{"msg":"after close"}\n');
      assert.equal(destination.closed, true, 'a closed descriptor (EBADF) ends logging');
    } finally {
      await cleanup();
    }
  });
});
