/**
 * A process secret shared by every ACS process of a deployment (URL signing, STUN
 * credentials): from its environment variable (hex, set the same on every host), else from a
 * file in the data directory, generated once (0600). Two processes starting together end up
 * with the same one: the file is created with 'wx', and the loser reads the winner's.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export async function loadSharedSecret(o: { dataDir: string; file: string; envName: string; env?: NodeJS.ProcessEnv }): Promise<Buffer> {
  const raw = (o.env ?? process.env)[o.envName];
  if (raw !== undefined && raw !== '') {
    if (!/^(?:[0-9a-fA-F]{2}){16,}$/.test(raw)) throw new Error(`${o.envName} must be at least 32 hex digits`);
    return Buffer.from(raw, 'hex');
  }
  const path = join(o.dataDir, o.file);
  const read = async (): Promise<Buffer> => Buffer.from((await readFile(path, 'utf8')).trim(), 'hex');
  try {
    return await read();
  } catch (e) {
    if ((e as { code?: string }).code !== 'ENOENT') throw e;
  }
  const secret = randomBytes(32);
  await mkdir(o.dataDir, { recursive: true });
  try {
    await writeFile(path, `${secret.toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
    return secret;
  } catch {
    return read();
  }
}
