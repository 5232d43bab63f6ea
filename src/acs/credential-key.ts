/**
 * The key that seals devices' connection-request passwords (src/auth/sealing.ts).
 *
 * FLOTILLA_CREDENTIAL_KEYS (base64 or hex keys of 32 bytes, comma-separated: the first seals,
 * all open) for several hosts sharing one database; else `credential-keys` in the data
 * directory, one key per line (the first seals), generated once with mode 0600. Rotation: put
 * a new key first and keep the old ones after it, restart, run `flotilla credentials reseal`,
 * then remove the old keys.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Sealer } from '../auth/sealing.js';

export const CREDENTIAL_KEYS_ENV = 'FLOTILLA_CREDENTIAL_KEYS';
export const CREDENTIAL_KEYS_FILE = 'credential-keys';

function parseKey(text: string, where: string): Buffer {
  const t = text.trim();
  const key = /^[0-9a-fA-F]{64}$/.test(t) ? Buffer.from(t, 'hex') : Buffer.from(t, 'base64');
  if (key.length !== 32) throw new Error(`${where}: a credential key is 32 bytes (64 hex digits or base64)`);
  return key;
}

function parseKeys(text: string, sep: RegExp, where: string): Buffer[] {
  return text
    .split(sep)
    .map((s) => s.trim())
    .filter((s) => s !== '' && !s.startsWith('#'))
    .map((s) => parseKey(s, where));
}

export async function loadSealer(dataDir: string, env: NodeJS.ProcessEnv = process.env): Promise<Sealer> {
  const raw = env[CREDENTIAL_KEYS_ENV];
  if (raw !== undefined && raw.trim() !== '') return new Sealer(parseKeys(raw, /,/, CREDENTIAL_KEYS_ENV));
  const file = join(dataDir, CREDENTIAL_KEYS_FILE);
  try {
    return new Sealer(parseKeys(await readFile(file, 'utf8'), /\r?\n/, file));
  } catch (e) {
    if ((e as { code?: string }).code !== 'ENOENT') throw e;
  }
  await mkdir(dataDir, { recursive: true });
  // 'wx': a second process starting at the same moment reads the first one's.
  try {
    await writeFile(file, `${randomBytes(32).toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
  } catch (e) {
    if ((e as { code?: string }).code !== 'EEXIST') throw e;
  }
  return new Sealer(parseKeys(await readFile(file, 'utf8'), /\r?\n/, file));
}
