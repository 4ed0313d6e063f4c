import { writeSync } from 'node:fs';
import type { DestinationStream } from 'pino';

/** How long one line may wait for a full, non-blocking pipe before it is dropped. */
const FULL_PIPE_WAIT_MS = 1000;
const FULL_PIPE_RETRY_MS = 5;
const pause = new Int32Array(new SharedArrayBuffer(4));

/**
 * Log lines written synchronously to a file descriptor (stdout by default).
 *
 * Why not pino's default (sonic-boom on fd 1): at exit it flushes with a loop that retries every
 * error every 100 ms, so when the reader of the pipe is gone (`serve | tee log`, then Ctrl-C, which
 * ends tee too) the write fails with EPIPE forever and the stopped service never exits (issue 10.12).
 * Here a reader that went away (EPIPE, or a closed descriptor) ends logging for good; a full pipe
 * (EAGAIN) is waited for at most FULL_PIPE_WAIT_MS per line, then the line is dropped. Lines are
 * written whole before `write` returns, so nothing is left to flush at exit, whether the
 * descriptor is a file, a pipe or a terminal.
 */
export function fdLogDestination(fd = 1): DestinationStream & { readonly closed: boolean } {
  let closed = false;
  return {
    get closed() {
      return closed;
    },
    write(line: string): void {
      if (closed) return;
      let rest = Buffer.from(line, 'utf8');
      let waited = 0;
      while (rest.length > 0) {
        try {
          rest = rest.subarray(writeSync(fd, rest));
        } catch (err) {
          const code = (err as NodeJS.ErrnoException).code;
          if ((code === 'EAGAIN' || code === 'EBUSY') && waited < FULL_PIPE_WAIT_MS) {
            Atomics.wait(pause, 0, 0, FULL_PIPE_RETRY_MS);
            waited += FULL_PIPE_RETRY_MS;
            continue;
          }
          // EPIPE, EBADF, ...: nobody reads the log any more, or the pipe stays full.
          if (code !== 'EAGAIN' && code !== 'EBUSY') closed = true;
          return;
        }
      }
    },
  };
}

/**
 * The CLI's own output to stdout/stderr after their reader went away (`o365-notify serve | tee log`
 * stopped with Ctrl-C, `o365-notify status | head -1`): EPIPE is ignored instead of becoming an
 * uncaught exception that kills a service still finishing its work; other errors stay errors.
 */
export function ignoreBrokenPipes(streams: NodeJS.WritableStream[] = [process.stdout, process.stderr]): void {
  for (const stream of streams) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE') return;
      throw err;
    });
  }
}
