import { randomUUID } from 'node:crypto';
import type { HealthNoticeRow } from './domain.js';
import type { DeliveryProblem } from '../delivery/index.js';
import { credentialExpiryNotice, endsWithNewToken, healthEmailView, healthResolvedEmailView, isRefusalNotice, secretExpiryNotice, signInRefusalNotice, type HealthNotice, type HealthNoticeKind } from './health.js';
import type { ServiceCore } from './service-core.js';
import type { NotifyStoreTx } from './store-port.js';

/**
 * Health notices (the sign-in refused, the client secret or certificate expiring) and the one policy that turns
 * what the worker and the token endpoint see into warnings and their "resolved" e-mails.
 */
export class ServiceHealth {
  constructor(private readonly core: ServiceCore) {}

  /**
   * Records a health notice; the first time a (kind, subject, threshold) is seen, the
   * administrators get one warning e-mail (deduplicated in the store, across restarts).
   */
  async record(notice: HealthNotice): Promise<{ emailed: boolean; notificationId: string | null }> {
    const { store, templates } = this.core;
    const now = this.core.clock();
    const rules = this.core.rules();
    const subject = notice.subject ?? '';
    const threshold = notice.threshold ?? '';
    const result = await store.unitOfWork(async (tx) => {
      const isNew = await tx.health.record(
        { kind: notice.kind, subject, threshold, message: notice.message, diagnosis: notice.diagnosis ?? null },
        now,
      );
      if (!isNew || rules.adminRecipients.length === 0) return { emailed: false, notificationId: null };
      const id = randomUUID();
      const email = templates.render(['health'], healthEmailView(notice, id, now, rules.dailyReport.timeZone), 'high');
      await tx.outbox.add({
        id,
        kind: 'health',
        groupKey: `health|${notice.kind}|${subject}|${threshold}`,
        to: rules.adminRecipients,
        cc: [],
        bcc: [],
        ...email,
        createdAt: now,
      });
      await tx.health.attachNotification(notice.kind, subject, threshold, id);
      return { emailed: true, notificationId: id };
    });
    this.core.logger.warn({ kind: notice.kind, threshold, emailed: result.emailed }, notice.message);
    if (result.emailed) {
      this.core.metrics.emailQueued('health');
      this.core.kickDelivery();
    }
    return result;
  }

  resolve(kind: HealthNoticeKind, subject?: string): Promise<number> {
    return this.core.store.health.resolveKind(kind, this.core.clock(), subject);
  }

  /** Checks the client secret's Expires date (YYYY-MM-DD); warns once per threshold (30, 7, 1 days, expired). */
  async checkSecretExpiry(expiresOn: string | undefined): Promise<{ emailed: boolean; notificationId: string | null } | null> {
    await this.endOldSecretDates(expiresOn);
    if (!expiresOn) return null;
    const notice = secretExpiryNotice(expiresOn, this.core.clock());
    return notice && this.record(notice);
  }

  /**
   * Checks the client certificate in use (undefined: none): the notices about a certificate no
   * longer in use end (one "resolved" e-mail if they went out), and the one in use warns once per
   * threshold (30, 7, 1 days, expired) - unless the service's own renewal is still ahead or just
   * renewed it (`renewalAhead`), so a certificate the service renews in time never warns.
   */
  async checkCertificateExpiry(
    certificate: { thumbprint: string; endDateTime: string } | undefined,
    renewalAhead: boolean,
  ): Promise<{ emailed: boolean; notificationId: string | null } | null> {
    const now = this.core.clock();
    const evidence = certificate ? `the client certificate in use now has thumbprint ${certificate.thumbprint}` : 'no client certificate is in use any more';
    await this.endNotices(evidence, now, (n) => n.kind === 'certificate-expiring' && n.subject !== certificate?.thumbprint);
    if (!certificate || renewalAhead) return null;
    const notice = credentialExpiryNotice({ kind: 'certificate', ...certificate }, now);
    return notice && this.record(notice);
  }

  /** The sign-in works again (after `login`): waiting e-mails go out, the refusal notices close. */
  async resumeAfterSignIn(): Promise<number> {
    const now = this.core.clock();
    await this.endRefusals('a new sign-in succeeded', now);
    const resumed = await this.core.worker.resumeAfterSignIn(now);
    this.core.logger.info({ resumed }, 'sign-in healthy; e-mails waiting for it are queued again');
    this.core.kickDelivery();
    return resumed;
  }

  /**
   * The token endpoint issued a token at `at` (a refresh or client credentials): refusals it
   * answered before then are over. Graph's own refusals wait for a successful send.
   */
  tokenWorks(at: number): Promise<number> {
    return this.endRefusals('Microsoft Entra ID issued a new token', this.core.clock(), (n) => endsWithNewToken(n) && n.lastSeenAt <= at);
  }

  /** The worker's hook: sending was refused until someone signs in (or consents, or fixes the secret). */
  async signInNeeded(failure: DeliveryProblem): Promise<void> {
    const notice = signInRefusalNotice(failure.diagnosis ? { ...failure.diagnosis, code: failure.diagnosis.code || failure.code || '' } : null, true);
    if (notice) await this.record(notice);
  }

  /** The worker's hook: a send went out after sending was refused, so whatever refused it is fixed. */
  async signInHealthy(): Promise<void> {
    await this.endRefusals('an e-mail was accepted by Microsoft 365 again', this.core.clock());
    this.core.kickDelivery();
  }

  /**
   * A new Expires date was recorded (a new secret): the warnings about the old date are over. One
   * "resolved" e-mail tells the administrators; a date being removed (no secret) ends them too.
   */
  private async endOldSecretDates(expiresOn: string | undefined): Promise<void> {
    const evidence = expiresOn ? `the settings now record the client secret's Expires date as ${expiresOn}` : 'the settings no longer record a client secret expiry';
    await this.endNotices(evidence, this.core.clock(), (n) => n.kind === 'secret-expiring' && !isRefusalNotice(n) && n.subject !== expiresOn);
  }

  /**
   * Closes the open refusal notices the evidence covers. A warning still unsent is withdrawn (it is
   * no longer true); for the ones that went out, the administrators get one "resolved" e-mail that
   * names what was fixed. Returns how many notices closed.
   */
  private endRefusals(evidence: string, now: number, covers: (n: HealthNoticeRow) => boolean = () => true): Promise<number> {
    return this.endNotices(evidence, now, (n) => isRefusalNotice(n) && covers(n));
  }

  /** Closes the selected open notices; one "resolved" e-mail for those whose warning went out. */
  private async endNotices(evidence: string, now: number, select: (n: HealthNoticeRow) => boolean): Promise<number> {
    const result = await this.core.store.unitOfWork(async (tx) => {
      const told: HealthNoticeRow[] = [];
      let closed = 0;
      for (const notice of await tx.health.listActive()) {
        if (!select(notice) || !(await tx.health.resolveOne(notice.kind, notice.subject, notice.threshold, now))) continue;
        closed++;
        if (notice.notificationId === null) continue; // nobody was warned (no admin recipients)
        // A warning still unsent is no longer true: it is withdrawn, and the one "resolved" e-mail
        // says what happened instead (sending was refused from then until now).
        await tx.outbox.withdraw(notice.notificationId);
        if (!told.some((t) => t.kind === notice.kind && t.subject === notice.subject)) told.push(notice);
      }
      return { closed, email: told.length > 0 ? await this.queueResolvedEmail(tx, told, evidence, now) : null };
    });
    if (result.closed > 0) this.core.logger.info({ closed: result.closed, emailed: result.email !== null, evidence }, 'health warnings are over');
    if (result.email) {
      this.core.metrics.emailQueued('health');
      this.core.kickDelivery();
    }
    return result.closed;
  }

  /** Queues the one "resolved" e-mail for notices whose warning went out; null without admin recipients. */
  private async queueResolvedEmail(tx: NotifyStoreTx, notices: HealthNoticeRow[], evidence: string, now: number): Promise<string | null> {
    const rules = this.core.rules();
    if (rules.adminRecipients.length === 0) return null;
    const id = randomUUID();
    const email = this.core.templates.render(['health'], healthResolvedEmailView(notices, evidence, id, now, rules.dailyReport.timeZone), 'normal');
    await tx.outbox.add({
      id,
      kind: 'health',
      groupKey: `health-resolved|${notices.map((n) => `${n.kind}|${n.subject}`).join(',')}|${now}`,
      to: rules.adminRecipients,
      cc: [],
      bcc: [],
      ...email,
      createdAt: now,
    });
    return id;
  }
}
