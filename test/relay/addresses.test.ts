import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import libmime from 'libmime';
import addressparser from 'nodemailer/lib/addressparser';
import { parseAddressList } from '../../src/relay/addresses.js';

/** What parseAddressList gave before its fast path: addressparser for every header. */
function throughParser(text: string) {
  if (text.trim() === '') return [];
  return addressparser(text, { flatten: true })
    .filter((a) => typeof a.address === 'string' && a.address.includes('@'))
    .map((a) => ({ name: libmime.decodeWords(a.name ?? '').trim(), address: a.address.trim() }));
}

describe('relay: address headers', () => {
  it('reads the common forms without the full parser, exactly as the parser does', () => {
    const samples = [
      'alerts@contoso.com',
      '  alerts@contoso.com  ',
      'a.b+c_d-e%f@mail.contoso.co.uk',
      'ImageManager <im@contoso.com>',
      'ImageManager<im@contoso.com>',
      'Image Manager 8 <IM@Contoso.COM>',
      'Name <a@b.com>',
      // Not the fast path's forms: the parser reads them.
      '"Smith, John" <j@contoso.com>',
      'J  S <a@b.com>',
      'John Q. Public <a@b.com>',
      '=?UTF-8?B?w4lyaWM=?= <e@contoso.com>',
      'undisclosed-recipients:;',
      'a@b.com, c@d.com',
      'a@b.com (comment)',
      'a@-b.com',
      'a@b.com.',
      '.a@b.com',
      'no-at-sign',
      '<a@b.com>',
      '',
    ];
    for (const text of samples) assert.deepEqual(parseAddressList(text), throughParser(text), text);
  });
});
