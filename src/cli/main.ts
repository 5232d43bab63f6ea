#!/usr/bin/env node
/**
 * The `flotilla` command. Each command's module is imported only when that command runs:
 * `serve`'s import graph (the API, the sandbox, every store) costs more CPU than `flotilla
 * token create` itself, and scripts call the small commands often. Help, --version and an
 * unknown command load them all, so commander lists every command and suggests the right one.
 */
import { Command } from 'commander';

type Loader = (program: Command) => Promise<void>;

const serve: Loader = async (p) => {
  const [{ registerServeCommand }, { withConfigFile }] = await Promise.all([import('./serve.js'), import('./config.js')]);
  registerServeCommand(p);
  withConfigFile(p.commands.find((c) => c.name() === 'serve')!);
};
const migrate: Loader = async (p) => {
  const { registerMigrateCommand, registerBackupCommand } = await import('./migrate.js');
  registerMigrateCommand(p);
  registerBackupCommand(p);
};
const secrets: Loader = async (p) => (await import('./secrets.js')).registerSecretCommands(p);

/** Command name → what registers it (in the order `flotilla --help` lists them). */
const COMMANDS: [string, Loader][] = [
  ['serve', serve],
  ['sim', async (p) => (await import('./sim.js')).registerSimCommand(p)],
  ['migrate', migrate],
  ['backup', migrate],
  ['agent', async (p) => (await import('./agent.js')).registerAgentCommand(p)],
  ['demo', async (p) => (await import('./demo.js')).registerDemoCommand(p)],
  ['token', secrets],
  ['credentials', secrets],
  ['user', async (p) => (await import('./users.js')).registerUserCommands(p)],
  [
    'config',
    async (p) => {
      const [{ registerConfigCommand }, { registerServeCommand }] = await Promise.all([import('./config.js'), import('./serve.js')]);
      registerConfigCommand(p, registerServeCommand);
    },
  ],
  ['import-genieacs', async (p) => (await import('./import-genieacs.js')).registerImportGenieacsCommand(p)],
];

async function main(): Promise<void> {
  const program = new Command();
  program.name('flotilla').description('TR-069 (CWMP) device management: ACS, CPE client and simulator').version('0.1.0');
  const named = COMMANDS.find(([name]) => name === process.argv[2]);
  const loaders = named !== undefined ? [named[1]] : [...new Set(COMMANDS.map(([, load]) => load))];
  for (const load of loaders) await load(program);
  await program.parseAsync(process.argv);
}

main().catch((e: unknown) => {
  process.stderr.write(`flotilla: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
