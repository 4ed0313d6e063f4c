/** Issue 10.11: the authorize URL reaches the browser whole on every platform (no shell parses it). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { openUrlCommand } from '../../src/cli/open-url.js';

const URL_WITH_AMPERSANDS =
  'https://login.microsoftonline.com/contoso/oauth2/v2.0/authorize?client_id=11111111-2222-3333-4444-555555555555&response_type=code&redirect_uri=http%3A%2F%2Flocalhost%3A53100&scope=Mail.Send%20offline_access&state=a%5Eb%25c&code_challenge=x_y-z';

test('Windows: rundll32 url.dll,FileProtocolHandler with the URL as one argument (cmd /c start cut it at the first &)', () => {
  assert.deepEqual(openUrlCommand(URL_WITH_AMPERSANDS, 'win32'), { command: 'rundll32', args: ['url.dll,FileProtocolHandler', URL_WITH_AMPERSANDS] });
});

test('macOS: open URL', () => {
  assert.deepEqual(openUrlCommand(URL_WITH_AMPERSANDS, 'darwin'), { command: 'open', args: [URL_WITH_AMPERSANDS] });
});

test('Linux and others: xdg-open URL', () => {
  assert.deepEqual(openUrlCommand(URL_WITH_AMPERSANDS, 'linux'), { command: 'xdg-open', args: [URL_WITH_AMPERSANDS] });
  assert.deepEqual(openUrlCommand(URL_WITH_AMPERSANDS, 'freebsd'), { command: 'xdg-open', args: [URL_WITH_AMPERSANDS] });
});
