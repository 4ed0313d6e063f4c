import { spawn } from 'node:child_process';

/**
 * Opening a URL in the desktop's browser, keeping it whole (issue 10.11). On Windows `cmd /c start
 * "" URL` lets cmd parse the URL, and it cuts an authorize URL at the first `&` (the rest becomes
 * other commands). `rundll32 url.dll,FileProtocolHandler URL` hands the URL to the default browser
 * without any shell in between; macOS `open` and xdg-open take it as one argument.
 */
export interface OpenCommand {
  command: string;
  args: string[];
}

export function openUrlCommand(url: string, platform: NodeJS.Platform = process.platform): OpenCommand {
  if (platform === 'win32') return { command: 'rundll32', args: ['url.dll,FileProtocolHandler', url] };
  if (platform === 'darwin') return { command: 'open', args: [url] };
  return { command: 'xdg-open', args: [url] };
}

/** Opens a URL with the desktop's browser; where there is none the caller has printed it anyway. */
export function openUrl(url: string, platform: NodeJS.Platform = process.platform): Promise<void> {
  const { command, args } = openUrlCommand(url, platform);
  return new Promise((resolve) => {
    // No shell: the URL is one argument, exactly as given.
    const child = spawn(command, args, { stdio: 'ignore', detached: true, shell: false });
    child.on('error', () => resolve());
    child.unref();
    resolve();
  });
}
