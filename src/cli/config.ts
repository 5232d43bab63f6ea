/**
 * `--config <file>` for `flotilla serve`, and `flotilla config print`: the effective
 * configuration (flags > FLOTILLA_* environment > file > defaults), secrets masked.
 */
import { Command, CommanderError } from 'commander';
import { stringify } from 'yaml';
import { redactUrl } from '../store/open.js';
import { applyConfigFile, ConfigFileError, effectiveConfig, readConfigFile } from './config-file.js';
import { opt } from './options.js';

const CONFIG_HELP = 'YAML (or JSON) file of options, keys as the long flags without dashes (cwmp-port: 7547); flags and FLOTILLA_* variables win over it';

/** Adds `--config` to a command and applies the file before its action runs. */
export function withConfigFile(cmd: Command): Command {
  cmd.addOption(opt('--config <file>', CONFIG_HELP));
  cmd.hook('preAction', (_self, action) => {
    const path = action.getOptionValue('config') as string | undefined;
    if (path === undefined) return;
    try {
      applyConfigFile(action, readConfigFile(path), path);
    } catch (e) {
      if (e instanceof ConfigFileError) action.error(`flotilla: ${e.message}`, { exitCode: 2, code: 'flotilla.config' });
      throw e;
    }
  });
  return cmd;
}

/**
 * `flotilla config print [serve options…]`: parses them as `serve` would, with the same
 * environment and file, and prints the result instead of starting anything.
 */
export function registerConfigCommand(program: Command, registerServe: (p: Command) => void): void {
  const config = program.command('config').description('configuration files and the effective configuration');
  config
    .command('print')
    .description("print the effective configuration of `flotilla serve` (flags > FLOTILLA_* > --config file > defaults), secrets masked, with each value's source")
    .argument('[serve-options...]', 'the options you would give `flotilla serve`, e.g. --config flotilla.yaml')
    .allowUnknownOption()
    .helpOption('-h, --help')
    .action(async (args: string[]) => {
      const inner = new Command().exitOverride();
      registerServe(inner);
      const serve = inner.commands.find((c) => c.name() === 'serve')!;
      withConfigFile(serve);
      serve.action(() => {
        const rows = effectiveConfig(serve, redactUrl);
        const doc: Record<string, unknown> = {};
        for (const r of rows) doc[r.key] = r.value;
        const width = Math.max(...rows.map((r) => r.key.length));
        // YAML that can be fed back as a --config file, each line annotated with its source.
        const lines = stringify(doc, { lineWidth: 0 })
          .trimEnd()
          .split('\n')
          .map((line) => {
            const key = /^([a-z0-9-]+):/.exec(line)?.[1];
            const row = key === undefined ? undefined : rows.find((r) => r.key === key);
            return row === undefined ? line : `${line.padEnd(width + 24)} # ${row.source}`;
          });
        process.stdout.write(lines.join('\n') + '\n');
      });
      serve.exitOverride();
      try {
        await inner.parseAsync(['serve', ...args], { from: 'user' });
      } catch (e) {
        // Already written to stderr by commander; only the exit code is left to set.
        if (!(e instanceof CommanderError)) throw e;
        process.exitCode = e.exitCode;
      }
    });
}
