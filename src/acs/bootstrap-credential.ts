/**
 * The shared bootstrap credential: what a CPE may use until it has its own.
 *
 * From `--cpe-credentials` when given. Otherwise, unless unauthenticated CPEs were
 * explicitly allowed, the first start generates one, keeps only its Digest hash in the
 * data directory (mode 0600) and hands the clear password back once for the CLI to print.
 * `flotilla serve` generates it only once every port is bound (a start that fails leaves
 * nothing behind); `flotilla credentials reset` replaces the file, and a running ACS reads
 * it again when a CPE fails to authenticate (src/acs/cpe-auth.ts), so no restart is needed.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { makeCredential, type Credential } from '../auth/server.js';
import type { AcsConfig } from './config.js';

export const BOOTSTRAP_FILE = 'cpe-bootstrap-credential.json';

export interface BootstrapCredential {
  credential: Credential | null;
  /** Set only on the start that generated it: the clear password, to be shown once. */
  generated: { username: string; password: string } | null;
}

type Where = Pick<AcsConfig, 'dataDir' | 'realm'>;

/** Where the credential comes from: a flag, nobody (unauthenticated CPEs), or the data directory's file. */
export function bootstrapSource(config: Pick<AcsConfig, 'cpeCredentials' | 'allowUnauthenticatedCpes'>): 'flag' | 'none' | 'file' {
  if (config.cpeCredentials !== undefined) return 'flag';
  return config.allowUnauthenticatedCpes ? 'none' : 'file';
}

/** The stored credential of the data directory, or null when there is none (yet). */
export async function readBootstrapFile(where: Where): Promise<Credential | null> {
  try {
    const stored = JSON.parse(await readFile(join(where.dataDir, BOOTSTRAP_FILE), 'utf8')) as Partial<Credential>;
    if (typeof stored.username === 'string' && typeof stored.ha1 === 'string' && stored.realm === where.realm) {
      return { username: stored.username, realm: stored.realm, ha1: stored.ha1 };
    }
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT' && !(e instanceof SyntaxError)) throw e;
  }
  return null;
}

/** A new credential written to the data directory (replacing any); the clear password is returned, never stored. */
export async function writeNewBootstrapCredential(where: Where, username = 'cpe-bootstrap'): Promise<{ credential: Credential; username: string; password: string }> {
  const password = randomBytes(18).toString('base64url');
  const credential = makeCredential(username, password, where.realm);
  await mkdir(where.dataDir, { recursive: true });
  const file = join(where.dataDir, BOOTSTRAP_FILE);
  // Written aside and renamed: a running ACS re-reading it never sees half a file.
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, JSON.stringify(credential, null, 2) + '\n', { mode: 0o600 });
  await rename(tmp, file);
  return { credential, username, password };
}

/** What is known without writing anything: the flag's, the file's, or null. */
export async function readBootstrapCredential(config: AcsConfig): Promise<Credential | null> {
  switch (bootstrapSource(config)) {
    case 'flag':
      return makeCredential(config.cpeCredentials!.username, config.cpeCredentials!.password, config.realm);
    case 'none':
      return null;
    case 'file':
      return readBootstrapFile(config);
  }
}

/** The credential, generating (and storing) one when the data directory has none. */
export async function resolveBootstrapCredential(config: AcsConfig): Promise<BootstrapCredential> {
  const known = await readBootstrapCredential(config);
  if (known !== null || bootstrapSource(config) !== 'file') return { credential: known, generated: null };
  const made = await writeNewBootstrapCredential(config);
  return { credential: made.credential, generated: { username: made.username, password: made.password } };
}
