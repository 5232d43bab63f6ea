/**
 * `flotilla token …` and `flotilla credentials reset`: the secrets an operator needs, made
 * on the store or data directory directly, with `flotilla serve` stopped or running (a
 * running server looks tokens up in the store and re-reads the bootstrap credential file
 * when a CPE fails with it, so both take effect at once).
 *
 * The secret itself goes to stdout (one line, for `TOKEN=$(flotilla token create …)`);
 * everything said about it goes to stderr.
 */
import { InvalidArgumentError, Option, type Command } from 'commander';
import { BOOTSTRAP_FILE, writeNewBootstrapCredential } from '../acs/bootstrap-credential.js';
import { DEFAULT_ACS_CONFIG } from '../acs/config.js';
import { CAPABILITIES, checkCapabilities, issueToken, ROLES } from '../auth/tokens.js';
import { openStore, redactUrl } from '../store/open.js';
import { readFileSync } from 'node:fs';
import { loadSealer } from '../acs/credential-key.js';
import { deviceIdOf } from '../store/device-id.js';
import { CredentialService, parseCredentialCsv } from '../services/credentials.js';
import { UserService } from '../services/users.js';
import { AuditService } from '../services/audit.js';
import { ServiceError } from '../services/errors.js';
import type { ApiRole, Capability, PrincipalScope, Store } from '../store/types.js';
import { parseFilter } from '../nbi/query.js';
import { opt } from './options.js';

export interface StoreFlags {
  dataDir: string;
  db?: string;
}

/** --scope-filter / --scope-tag as a scope (the filter checked), or null. */
export function cliScope(f: { scopeFilter?: string; scopeTag?: string }): PrincipalScope | null {
  if (f.scopeFilter === undefined && f.scopeTag === undefined) return null;
  if (f.scopeFilter !== undefined) {
    try {
      parseFilter(f.scopeFilter);
    } catch (e) {
      throw new InvalidArgumentError(`--scope-filter: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  return { ...(f.scopeFilter !== undefined ? { filter: f.scopeFilter } : {}), ...(f.scopeTag !== undefined ? { tag: f.scopeTag } : {}) };
}

export function parseRole(value: string): ApiRole {
  if ((ROLES as readonly string[]).includes(value)) return value as ApiRole;
  throw new InvalidArgumentError(`expected one of ${ROLES.join(', ')}`);
}

/** `--capability <name>`, repeatable: the capabilities granted beside the role (auth/tokens.ts). */
export function capabilityOption(description: string): Option {
  return new Option('--capability <name>', `${description} (${CAPABILITIES.join(', ')}; repeat for more)`).argParser((value: string, previous: Capability[] | undefined) => {
    if (!(CAPABILITIES as readonly string[]).includes(value)) throw new InvalidArgumentError(`expected one of ${CAPABILITIES.join(', ')}`);
    return [...(previous ?? []), value as Capability];
  });
}

export function storeOptions(cmd: Command): Command {
  return cmd
    .addOption(opt('--data-dir <dir>', 'data directory of the SQLite store and the bootstrap credential').default('./flotilla-data'))
    .addOption(opt('--db <url>', 'store URL (postgres://… selects PostgreSQL)'));
}

export async function withStore<T>(f: StoreFlags, fn: (store: Store) => Promise<T>): Promise<T> {
  const store = await openStore({ db: f.db, dataDir: f.dataDir, poolSize: 1 });
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

export const where = (f: StoreFlags): string => (f.db !== undefined ? redactUrl(f.db) : `${f.dataDir} (SQLite)`);

export function registerSecretCommands(program: Command): void {
  const token = program.command('token').description('REST API bearer tokens: create, list, revoke (server stopped or running)');

  storeOptions(
    token
      .command('create')
      .description('make a token and print it (once) on stdout')
      .addOption(opt('--role <role>', `${ROLES.join(', ')}`).argParser(parseRole).default('read-only'))
      .addOption(opt('--name <name>', 'what the token is for (shown in the token list)'))
      .option('--scope-filter <filter>', 'it sees only devices matching this NBI filter')
      .option('--scope-tag <tag>', 'it sees only devices with this tag')
      .addOption(capabilityOption('a right beside the role: provision lets an operator token change policies')),
  ).action(async (f: StoreFlags & { role: ApiRole; name?: string; scopeFilter?: string; scopeTag?: string; capability?: Capability[] }) => {
    const name = f.name ?? `cli ${new Date().toISOString().slice(0, 19).replace('T', ' ')}`;
    if (name.length === 0 || name.length > 128) throw new InvalidArgumentError('--name: 1 to 128 characters');
    const scope = cliScope(f);
    const caps = checkCapabilities(f.role, f.capability ?? []);
    if (!caps.ok) throw new InvalidArgumentError(`--capability: ${caps.message}`);
    const { token: secret, record } = await withStore(f, (store) => issueToken(store, name, f.role, Date.now(), scope, caps.capabilities));
    const granted = caps.capabilities.length > 0 ? ` with ${caps.capabilities.join(', ')}` : '';
    process.stderr.write(`Created ${record.role} token${granted} "${record.name}" (id ${record.id}) in ${where(f)}; it is shown only now:\n`);
    process.stdout.write(`${secret}\n`);
  });

  storeOptions(token.command('list').description('tokens (never the tokens themselves)')).action(async (f: StoreFlags) => {
    const tokens = await withStore(f, (store) => store.listApiTokens());
    for (const t of tokens) {
      const caps = (t.capabilities ?? []).length > 0 ? ` [${t.capabilities!.join(',')}]` : '';
      process.stdout.write(`${t.id}  ${t.role.padEnd(9)}  ${new Date(t.createdAt).toISOString()}  ${t.name}${caps}\n`);
    }
  });

  storeOptions(token.command('revoke').description('delete a token by id').argument('<id>')).action(async (id: string, f: StoreFlags) => {
    const ok = await withStore(f, (store) => store.deleteApiToken(id));
    if (!ok) {
      process.stderr.write(`flotilla: no token ${id}\n`);
      process.exitCode = 1;
      return;
    }
    // A running server forgets a cached token within seconds (src/auth/tokens.ts, Authenticator).
    process.stderr.write(`Revoked token ${id}\n`);
  });

  const credentials = program.command('credentials').description('the CPE bootstrap credential, factory credentials, re-sealing (server stopped or running)');

  /** The service on the store and the data directory's sealing keys (or FLOTILLA_CREDENTIAL_KEYS). */
  const withCredentials = <T>(f: StoreFlags, fn: (s: CredentialService) => Promise<T>): Promise<T> =>
    withStore(f, async (store) => fn(new CredentialService({ store, sealer: await loadSealer(f.dataDir), realm: DEFAULT_ACS_CONFIG.realm })));
  const reportServiceError = (e: unknown): void => {
    if (!(e instanceof ServiceError)) throw e;
    process.stderr.write(`flotilla: ${e.message}\n`);
    process.exitCode = 1;
  };

  storeOptions(
    credentials
      .command('import')
      .description("factory credentials from procurement, all rows or none: CSV with a header (deviceId or oui,productClass,serialNumber; username; password; optional connectionRequestUsername, connectionRequestPassword)")
      .argument('<file.csv>'),
  ).action(async (file: string, f: StoreFlags) => {
    try {
      const rows = parseCredentialCsv(readFileSync(file, 'utf8'), deviceIdOf);
      const r = await withCredentials(f, (s) => s.importRows(rows));
      process.stdout.write(`${JSON.stringify(r)}\n`);
      process.stderr.write(`Imported factory credentials of ${r.imported} devices into ${where(f)}\n`);
    } catch (e) {
      reportServiceError(e);
    }
  });

  storeOptions(
    credentials.command('reseal').description('re-encrypt every stored connection-request password under the first key of FLOTILLA_CREDENTIAL_KEYS (or credential-keys in --data-dir)'),
  ).action(async (f: StoreFlags) => {
    const r = await withCredentials(f, (s) => s.reseal());
    // Users' TOTP secrets are sealed under the same keys: re-sealed (or sealed, if still in clear) too.
    const totp = await withStore(f, async (store) => new UserService({ store, audit: new AuditService({ store }), sealer: await loadSealer(f.dataDir) }).sealStoredTotp());
    process.stdout.write(`${JSON.stringify({ ...r, totp })}\n`);
    if (totp.unreadable > 0) {
      process.stderr.write(`flotilla: ${totp.unreadable} TOTP secrets are sealed under a key that is not listed; those users need their TOTP removed (flotilla user update --reset-totp)\n`);
      process.exitCode = 1;
    }
    if (r.unreadable > 0) {
      process.stderr.write(`flotilla: ${r.unreadable} devices have secrets sealed under a key that is not listed; they keep them (rotate their credentials)\n`);
      process.exitCode = 1;
    }
  });
  credentials
    .command('reset')
    .description('generate a new CPE bootstrap credential in the data directory and print it once')
    .addOption(opt('--data-dir <dir>', 'data directory of the credential').default('./flotilla-data'))
    .addOption(opt('--username <name>', 'its username').default('cpe-bootstrap'))
    .action(async (f: { dataDir: string; username: string }) => {
      const made = await writeNewBootstrapCredential({ dataDir: f.dataDir, realm: DEFAULT_ACS_CONFIG.realm }, f.username);
      process.stderr.write(
        `New CPE bootstrap credential in ${f.dataDir}/${BOOTSTRAP_FILE} (only its hash is kept; shown only now).\n` +
          `A running ACS picks it up at the next CPE that fails with the old one. Configure it in your CPEs:\n`,
      );
      process.stdout.write(`username: ${made.username}\npassword: ${made.password}\n`);
    });
}
