/**
 * `flotilla demo`: the first thing to run. A whole ACS on a temporary data directory (SQLite),
 * with a simulated fleet of mixed TR-181 and TR-098 devices informing to it, and the console
 * URL and an admin token printed. Everything is deleted when it stops (Ctrl-C, or --duration).
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { pino, type Level } from 'pino';
import { startAcs } from '../acs/server.js';
import { ensureAdminToken } from '../auth/tokens.js';
import { Fleet } from '../cpe/sim/fleet.js';
import { EventBus } from '../events/bus.js';
import { startNbi } from '../nbi/server.js';
import { webhookScopeCheck } from '../nbi/scope.js';
import { createServices } from '../services/index.js';
import { startJobs } from '../services/jobs.js';
import { openStore } from '../store/open.js';
import { opt, parsePort, parsePositive } from './options.js';

interface DemoFlags {
  devices: number;
  apiPort: number;
  cwmpPort: number;
  host: string;
  informInterval: number;
  duration?: number;
  logLevel: Level;
}

function parseDevices(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 10_000) throw new InvalidArgumentError('1 to 10000');
  return n;
}

export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description('try Flotilla: an ACS on a temporary data directory with a simulated fleet of TR-181 and TR-098 devices; prints the console URL and a token')
    .addOption(opt('--devices <n>', 'simulated devices, half TR-181 routers (SIM…), half TR-098 gateways (IGD…)').argParser(parseDevices).default(20))
    .addOption(opt('--api-port <port>', 'console and REST API port (0: any free one)').argParser(parsePort).default(7557))
    .addOption(opt('--cwmp-port <port>', 'CWMP port (0: any free one)').argParser(parsePort).default(0))
    .addOption(opt('--host <address>', 'address to listen on').default('127.0.0.1'))
    .addOption(opt('--inform-interval <seconds>', 'periodic inform interval of the simulated devices').argParser(parsePositive).default(60))
    .addOption(opt('--duration <seconds>', 'stop after this long (default: until Ctrl-C)').argParser(parsePositive))
    .addOption(opt('--log-level <level>', 'fatal, error, warn, info, debug').default('warn'))
    .action(async (f: DemoFlags) => {
      const logger = pino({ level: f.logLevel, redact: ['password', '*.password', 'authorization', '*.authorization'] }, process.stderr);
      const dataDir = await mkdtemp(join(tmpdir(), 'flotilla-demo-'));
      const store = await openStore({ dataDir });
      const bus = new EventBus();
      // The simulated devices and the ACS share these; nothing outside this process knows them.
      const cpe = { username: 'demo-cpe', password: randomBytes(12).toString('base64url') };
      const cr = { username: 'demo-cr', password: randomBytes(12).toString('base64url') };
      const acs = await startAcs({ store, events: bus, dataDir, host: f.host, cwmpPort: f.cwmpPort, cpeCredentials: cpe, logger });
      const services = createServices({ store, bus, connectionRequests: { defaultCredentials: cr } });
      const jobs = startJobs({ store, bus, logger, webhooks: { inScope: webhookScopeCheck(store) } });
      const nbi = await startNbi({ store, bus, services, host: f.host, port: f.apiPort, open: false, adminToken: undefined, logger, generateAdminToken: false });
      const { generated } = await ensureAdminToken(store, undefined);
      const kinds = [
        { count: Math.ceil(f.devices / 2), model: 'tr181-router', serialPrefix: 'SIM' },
        { count: Math.floor(f.devices / 2), model: 'tr098-gateway', serialPrefix: 'IGD' },
      ].filter((k) => k.count > 0);
      const fleets = kinds.map(
        (k) => new Fleet({ ...k, acsUrl: acs.cwmpUrl, credentials: cpe, connectionRequestCredentials: cr, informInterval: f.informInterval, rampSeconds: 2 }),
      );
      const runs = fleets.map((fl) => fl.run());
      process.stderr.write(
        `\nFlotilla demo: ${f.devices} simulated devices (TR-181 SIM…, TR-098 IGD…) on a temporary store.\n` +
          `  console   ${nbi.url}/\n` +
          `  API       ${nbi.url}/api/v1  (docs: ${nbi.url}/api/docs)\n` +
          `  CWMP      ${acs.cwmpUrl}\n` +
          `  data      ${dataDir} (deleted on exit)\n` +
          `Sign in to the console with this admin token (shown only now):\n`,
      );
      process.stdout.write(`${generated ?? '(none: the store already had tokens)'}\n`);
      process.stderr.write('Ctrl-C stops the demo.\n');
      let stopping = false;
      const stop = async (): Promise<void> => {
        if (stopping) return;
        stopping = true;
        for (const fl of fleets) fl.requestStop();
        await Promise.allSettled(runs);
        await nbi.close();
        await jobs.close();
        await acs.close();
        await bus.close();
        await store.close();
        await rm(dataDir, { recursive: true, force: true });
      };
      const onSignal = (): void => {
        void stop().then(() => process.exit(0));
      };
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      if (f.duration !== undefined) {
        await new Promise((r) => setTimeout(r, f.duration! * 1000));
        await stop();
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
    });
}
