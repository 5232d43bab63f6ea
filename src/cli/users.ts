/**
 * `flotilla user …`: people's console accounts, made on the store or data directory directly
 * (server stopped or running), like `flotilla token create`. The password is never an
 * argument (it would sit in the shell history and in `ps`): it comes from --password-file,
 * FLOTILLA_USER_PASSWORD, or standard input.
 */
import { readFileSync } from 'node:fs';
import { InvalidArgumentError, type Command } from 'commander';
import { ROLES } from '../auth/tokens.js';
import { AuditService } from '../services/audit.js';
import { ServiceError } from '../services/errors.js';
import { UserService } from '../services/users.js';
import type { ApiRole, Capability } from '../store/types.js';
import { opt } from './options.js';
import { capabilityOption, cliScope, parseRole, storeOptions, where, withStore, type StoreFlags } from './secrets.js';

const CLI_ACTOR = { kind: 'system' as const, id: '', name: 'flotilla user (CLI)' };

async function readPassword(file: string | undefined): Promise<string> {
  if (file !== undefined) return readFileSync(file, 'utf8').replace(/\r?\n$/, '');
  const env = process.env.FLOTILLA_USER_PASSWORD;
  if (env !== undefined && env !== '') return env;
  if (process.stdin.isTTY) throw new InvalidArgumentError('give the password with --password-file, FLOTILLA_USER_PASSWORD or on standard input');
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

function report(e: unknown): void {
  if (!(e instanceof ServiceError)) throw e;
  process.stderr.write(`flotilla: ${e.message}\n`);
  process.exitCode = 1;
}

export function registerUserCommands(program: Command): void {
  const user = program.command('user').description("people's console accounts: create, list, change (server stopped or running)");

  storeOptions(
    user
      .command('create')
      .description('make a user who signs in to the console with a password (read from --password-file, FLOTILLA_USER_PASSWORD or stdin)')
      .requiredOption('--name <name>', 'sign-in name')
      .addOption(opt('--role <role>', ROLES.join(', ')).argParser(parseRole).default('read-only'))
      .addOption(opt('--password-file <file>', 'a file holding the password (one line)'))
      .option('--scope-filter <filter>', 'only devices matching this NBI filter')
      .option('--scope-tag <tag>', 'only devices with this tag')
      .addOption(capabilityOption('a right beside the role: provision lets an operator change policies')),
  ).action(async (f: StoreFlags & { name: string; role: ApiRole; passwordFile?: string; scopeFilter?: string; scopeTag?: string; capability?: Capability[] }) => {
    const password = await readPassword(f.passwordFile);
    try {
      const made = await withStore(f, async (store) => {
        const audit = new AuditService({ store });
        const u = await new UserService({ store, audit }).create({ name: f.name, role: f.role, password, scope: cliScope(f), capabilities: f.capability ?? [] });
        await audit.record({ at: Date.now(), actor: CLI_ACTOR, source: 'cli', action: 'user-created', target: u.id, status: 0, before: null, after: { name: u.name, role: u.role, scope: u.scope, capabilities: u.capabilities } });
        return u;
      });
      process.stderr.write(`Created ${made.role} user "${made.name}" in ${where(f)}\n`);
      process.stdout.write(`${made.id}\n`);
    } catch (e) {
      report(e);
    }
  });

  storeOptions(user.command('list').description('users (never their passwords)')).action(async (f: StoreFlags) => {
    const users = await withStore(f, (store) => new UserService({ store, audit: new AuditService({ store }) }).list());
    for (const u of users) {
      const flags = [u.source, u.disabled ? 'disabled' : '', u.totp ? 'totp' : '', u.locked ? 'locked' : ''].filter((x) => x !== '').join(',');
      const caps = u.capabilities.length > 0 ? ` [${u.capabilities.join(',')}]` : '';
      process.stdout.write(`${u.id}  ${u.role.padEnd(9)}  ${flags.padEnd(18)}  ${u.name}${caps}\n`);
    }
  });

  storeOptions(
    user
      .command('set')
      .description("change a user's role or capabilities, disable or enable them, set a new password (--password-file/FLOTILLA_USER_PASSWORD/stdin with --password), remove their TOTP")
      .argument('<name>')
      .addOption(opt('--role <role>', ROLES.join(', ')).argParser(parseRole))
      .option('--disable', 'refuse their sign-in and end their sessions')
      .option('--enable', 'let them sign in again')
      .option('--password', 'set a new password')
      .addOption(opt('--password-file <file>', 'a file holding the new password'))
      .option('--reset-totp', 'remove their TOTP (a lost phone)')
      .addOption(capabilityOption('their capabilities from now on, replacing the ones they had'))
      .option('--clear-capabilities', 'take every capability away'),
  ).action(async (name: string, f: StoreFlags & { role?: ApiRole; disable?: boolean; enable?: boolean; password?: boolean; passwordFile?: string; resetTotp?: boolean; capability?: Capability[]; clearCapabilities?: boolean }) => {
    if (f.disable === true && f.enable === true) throw new InvalidArgumentError('--disable or --enable, not both');
    if (f.capability !== undefined && f.clearCapabilities === true) throw new InvalidArgumentError('--capability or --clear-capabilities, not both');
    const capabilities = f.clearCapabilities === true ? [] : f.capability;
    const password = f.password === true || f.passwordFile !== undefined ? await readPassword(f.passwordFile) : undefined;
    try {
      await withStore(f, async (store) => {
        const audit = new AuditService({ store });
        const found = await store.findUserByName(name);
        if (found === null) throw new ServiceError('NOT_FOUND', `no user ${name}`);
        const { before, after } = await new UserService({ store, audit }).update(found.id, {
          ...(f.role !== undefined ? { role: f.role } : {}),
          ...(capabilities !== undefined ? { capabilities } : {}),
          ...(f.disable === true ? { disabled: true } : f.enable === true ? { disabled: false } : {}),
          ...(password !== undefined ? { password } : {}),
          ...(f.resetTotp === true ? { resetTotp: true } : {}),
        });
        await audit.record({ at: Date.now(), actor: CLI_ACTOR, source: 'cli', action: 'user-changed', target: found.id, status: 0, before, after: { ...after, ...(password !== undefined ? { password: 'changed' } : {}) } });
      });
      process.stderr.write(`Changed user "${name}" in ${where(f)}\n`);
    } catch (e) {
      report(e);
    }
  });
}
