/**
 * An address as logs show it: enough to answer "did the mail to X go out?" (first letter of the
 * local part, the whole domain) without putting whole addresses in log files: it@contoso.com ->
 * i***@contoso.com.
 */
export function maskAddress(address: string): string {
  const at = address.lastIndexOf('@');
  if (at <= 0) return '***';
  return `${address[0]}***${address.slice(at)}`;
}
