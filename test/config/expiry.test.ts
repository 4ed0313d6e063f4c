import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { calendarDaysUntil, checkSettings, defaultSettings, EXPIRY_WARNING_DAYS, rotateDays } from '../../src/config/index.js';

describe('credential expiry: one default, one day count (review mend)', () => {
  it('rotateDays is account.secretRotateDays, else the 30-day default', () => {
    const settings = defaultSettings();
    assert.equal(EXPIRY_WARNING_DAYS, 30);
    assert.equal(rotateDays(settings), 30);
    settings.account.secretRotateDays = 45;
    assert.equal(rotateDays(settings), 45);
  });

  it('counts UTC calendar days, whatever the time of day', () => {
    assert.equal(calendarDaysUntil('2027-01-31', new Date('2027-01-01T23:59:00Z')), 30);
    assert.equal(calendarDaysUntil('2027-01-31T00:10:00Z', new Date('2027-01-01T00:00:00Z')), 30);
    assert.equal(calendarDaysUntil('2027-01-01', new Date('2027-01-01T12:00:00Z')), 0);
    assert.equal(calendarDaysUntil('2026-12-31', new Date('2027-01-01T00:00:00Z')), -1);
  });

  it('config check warns about a client secret from 30 days before its Expires date, not 31', () => {
    const settings = defaultSettings();
    Object.assign(settings.account, { type: 'single-tenant', clientId: '6731de76-14a6-49ae-97bc-6eba6914391e', tenantId: '72f988bf-86f1-41af-91ab-2d7cd011db47' });
    const warned = (expires: string) => {
      settings.account.secretExpires = expires;
      return checkSettings(settings, { clientSecret: 'abc~defghijklmnopqrstuvwxyz0123456789AB', now: new Date('2027-01-01T08:00:00Z') })
        .some((p) => p.field === 'account.secretExpires' && /in 30 days|in 31 days/.test(p.message));
    };
    assert.equal(warned('2027-01-31'), true);
    assert.equal(warned('2027-02-01'), false);
  });
});
