/** The header block (without the blank line) and the body of a CRLF message. */
export function splitMessage(raw: Buffer): { header: Buffer; body: Buffer } {
  if (raw.subarray(0, 2).equals(Buffer.from('\r\n'))) return { header: Buffer.alloc(0), body: raw.subarray(2) };
  const end = raw.indexOf('\r\n\r\n');
  if (end === -1) return { header: raw.subarray(0, raw.length - (raw.subarray(-2).toString() === '\r\n' ? 2 : 0)), body: Buffer.alloc(0) };
  return { header: raw.subarray(0, end), body: raw.subarray(end + 4) };
}
