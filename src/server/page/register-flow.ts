import { readSettings, readSettingsFile } from '../../config/index.js';
import { registerAndSave, RegistrationError, type RegistrationRequest } from '../../registration/index.js';
import { openSecretStore } from '../../secrets/index.js';

/**
 * The page's "Register for me": the same flow as `o365-notify register` (src/registration), run by
 * the service for the administrator. One at a time; the page shows the device code, then polls the
 * progress lines - what was created or changed, in the portal's words. Nothing here holds a secret:
 * the new client secret goes from Graph straight into the encrypted store.
 */
export type RegistrationView =
  | { state: 'idle' }
  | { state: 'starting'; lines: string[] }
  | { state: 'waiting'; userCode: string; verificationUri: string; lines: string[] }
  | { state: 'working'; lines: string[] }
  | { state: 'done'; clientId: string; lines: string[] }
  | { state: 'failed'; error: string; lines: string[] };

export class PageRegistration {
  private view: RegistrationView = { state: 'idle' };

  constructor(
    private readonly home: string,
    private readonly env: NodeJS.ProcessEnv,
    /** After the settings were written: the service re-reads them. */
    private readonly saved: () => Promise<void>,
  ) {}

  status(): RegistrationView {
    return this.view;
  }

  busy(): boolean {
    return this.view.state === 'starting' || this.view.state === 'waiting' || this.view.state === 'working';
  }

  /** Starts the flow; resolves once the device code is known (or the start failed). */
  async start(request: RegistrationRequest): Promise<RegistrationView> {
    const lines: string[] = [];
    this.view = { state: 'starting', lines };
    let shown!: () => void;
    const codeShown = new Promise<void>((resolve) => (shown = resolve));
    const run = (async () => {
      const file = await readSettingsFile(this.home, this.env);
      const effective = await readSettings(this.home, this.env);
      const secrets = await openSecretStore(this.home, this.env);
      const { result } = await registerAndSave({
        home: this.home,
        env: this.env,
        fileSettings: file.settings,
        endpoints: effective.settings.endpoints,
        secrets,
        request,
        onCode: (_message, info) => {
          if (info) this.view = { state: 'waiting', userCode: info.userCode, verificationUri: info.verificationUri, lines };
          shown();
        },
        onProgress: (line) => {
          lines.push(line);
          if (this.view.state === 'waiting') this.view = { state: 'working', lines };
        },
      });
      await this.saved();
      this.view = { state: 'done', clientId: result.appId, lines };
    })().catch((err: unknown) => {
      const error = err instanceof RegistrationError ? err.message : `Registering failed: ${err instanceof Error ? err.message : String(err)}`;
      this.view = { state: 'failed', error, lines };
    });
    await Promise.race([codeShown, run]);
    return this.view;
  }
}
