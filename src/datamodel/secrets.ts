/**
 * Parameters whose value a CPE never reads back: TR-069 A.3.2.1 says a GetParameterValues of a
 * password returns an empty string. A read that answers "" therefore says nothing about the
 * value, and must not replace one the ACS set (the connection-request password above all:
 * overwritten with "", every connection request after it fails Digest).
 *
 * Which ones: every name ending in "Password", and the other names the BBF catalogue marks
 * hidden or secured (TR-181 2.17, TR-098 1.8, TR-104 2.0: `<syntax hidden="true">` /
 * `secured="true"`), by their last path segment. Hidden parameters that are not secrets
 * (command flags such as TemperatureSensor.Reset, which also read back as false) are left out.
 */

/** Last path segments that end every secret's name (checked with endsWith). */
export const SECRET_NAME_SUFFIXES: readonly string[] = [
  'Password',
  'Passphrase', // KeyPassphrase, SAEPassphrase
  'PreSharedKey',
  'WEPKey',
  'Secret', // RadiusSecret, SharedSecret, Accounting.Secret …
  'EncryptionKey',
  'PrivateKey', // CertPrivateKey
  '.PIN', // Cellular USIM PIN
];

/** A parameter (not an object: no trailing dot) whose reads answer "". */
export function isSecretParameter(path: string): boolean {
  if (path.endsWith('.')) return false;
  for (const suffix of SECRET_NAME_SUFFIXES) if (path.endsWith(suffix)) return true;
  return false;
}
