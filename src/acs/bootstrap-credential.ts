/**
 * The shared bootstrap credential: what a CPE may use until it has its own.
 *
 * From `--cpe-credentials` when given. Otherwise, unless unauthenticated CPEs were
 * explicitly allowed, the first start generates one, keeps only its Digest hash in the
 * data directory (mode 0600) and hands the clear password back once for the CLI to print.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { makeCredential, type Credential } from '../auth/server.js';
import type { AcsConfig } from './config.js';

export const BOOTSTRAP_FILE = 'cpe-bootstrap-credential.json';

export interface BootstrapCredential {
  credential: Credential | null;
  /** Set only on the start that generated it: the clear password, to be shown once. */
  generated: { username: string; password: string } | null;
}

export async function resolveBootstrapCredential(config: AcsConfig): Promise<BootstrapCredential> {
  if (config.cpeCredentials !== undefined) {
    const { username, password } = config.cpeCredentials;
    return { credential: makeCredential(username, password, config.realm), generated: null };
  }
  if (config.allowUnauthenticatedCpes) return { credential: null, generated: null };
  const file = join(config.dataDir, BOOTSTRAP_FILE);
  try {
    const stored = JSON.parse(await readFile(file, 'utf8')) as Partial<Credential>;
    if (typeof stored.username === 'string' && typeof stored.ha1 === 'string' && stored.realm === config.realm) {
      return { credential: { username: stored.username, realm: stored.realm, ha1: stored.ha1 }, generated: null };
    }
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  const username = 'cpe-bootstrap';
  const password = randomBytes(18).toString('base64url');
  const credential = makeCredential(username, password, config.realm);
  await mkdir(config.dataDir, { recursive: true });
  await writeFile(file, JSON.stringify(credential, null, 2) + '\n', { mode: 0o600 });
  return { credential, generated: { username, password } };
}
