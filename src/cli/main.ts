#!/usr/bin/env node
/** The `flotilla` command. */
import { Command } from 'commander';
import { registerAgentCommand } from './agent.js';
import { registerConfigCommand, withConfigFile } from './config.js';
import { registerDemoCommand } from './demo.js';
import { registerImportGenieacsCommand } from './import-genieacs.js';
import { registerSecretCommands } from './secrets.js';
import { registerBackupCommand, registerMigrateCommand } from './migrate.js';
import { registerServeCommand } from './serve.js';
import { registerSimCommand } from './sim.js';
import { registerUserCommands } from './users.js';

const program = new Command();
program.name('flotilla').description('TR-069 (CWMP) device management: ACS, CPE client and simulator').version('0.1.0');
registerServeCommand(program);
withConfigFile(program.commands.find((c) => c.name() === 'serve')!);
registerSimCommand(program);
registerMigrateCommand(program);
registerBackupCommand(program);
registerAgentCommand(program);
registerDemoCommand(program);
registerSecretCommands(program);
registerUserCommands(program);
registerConfigCommand(program, registerServeCommand);
registerImportGenieacsCommand(program);

program.parseAsync(process.argv).catch((e: unknown) => {
  process.stderr.write(`flotilla: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
