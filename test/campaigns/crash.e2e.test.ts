/**
 * A `flotilla serve` process (from dist/) killed with SIGKILL in the middle of a campaign and
 * started again on the same data directory: the campaign goes on from what the store says.
 * No device is upgraded twice (the simulator counts every install), none is forgotten (every
 * device ends final, and after retrying what the crash failed, every one is on the version).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Fleet } from '../../src/cpe/index.js';
import { ensureBuilt, MAIN } from '../scale/helpers.js';
import { Api, CR_PASS, CR_USER, until, type Json } from '../nbi/helpers.js';

const COUNT = 60;
const TOKEN = 'crash-test-admin-token-0123456789';
const VERSION = '5.0.0';
const SV = 'Device.DeviceInfo.SoftwareVersion';

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

interface Serve {
  child: ChildProcess;
  output: () => string;
  kill(): Promise<void>;
  stop(): Promise<void>;
}

function serve(dataDir: string, ports: { cwmp: number; api: number; files: number }): Promise<Serve> {
  const child = spawn(
    process.execPath,
    [
      MAIN, 'serve', '--host', '127.0.0.1', '--cwmp-port', String(ports.cwmp), '--api-port', String(ports.api), '--files-port', String(ports.files),
      '--data-dir', dataDir, '--allow-unauthenticated-cpes', '--no-stun', '--connection-request-credentials', `${CR_USER}:${CR_PASS}`,
    ],
    { env: { ...process.env, FLOTILLA_ADMIN_TOKEN: TOKEN, FLOTILLA_LOG_LEVEL: 'info' }, stdio: ['ignore', 'pipe', 'pipe'], detached: true },
  );
  let output = '';
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const signal = async (sig: NodeJS.Signals): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      try {
        process.kill(-child.pid!, sig);
      } catch {
        child.kill(sig);
      }
    }
    await exited;
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      void signal('SIGKILL');
      reject(new Error(`serve did not start:\n${output}`));
    }, 60_000);
    const onData = (d: Buffer): void => {
      output += d.toString();
      if (/"console":"http/.test(output)) {
        clearTimeout(timer);
        child.stdout?.off('data', onData);
        resolve({ child, output: () => output, kill: () => signal('SIGKILL'), stop: () => signal('SIGTERM') });
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`serve exited with ${code}:\n${output}`));
    });
  });
}

describe('a campaign across a kill -9 of flotilla serve', () => {
  let dataDir: string;
  let server: Serve | null = null;
  let fleet: Fleet;
  const installs = new Map<string, [number, number]>();

  beforeAll(async () => {
    await ensureBuilt();
  }, 300_000);

  afterAll(async () => {
    await fleet?.stop();
    await server?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('neither repeats nor forgets a device', async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'flotilla-campaign-crash-'));
    const ports = { cwmp: await freePort(), api: await freePort(), files: await freePort() };
    server = await serve(dataDir, ports);
    const api = new Api(`http://127.0.0.1:${ports.api}`, TOKEN);
    fleet = new Fleet({
      acsUrl: `http://127.0.0.1:${ports.cwmp}/`,
      count: COUNT,
      model: 'tr181-router',
      serialPrefix: 'KILL',
      connectionRequests: 'shared',
      connectionRequestCredentials: { username: CR_USER, password: CR_PASS },
      // Devices that miss a connection request (the ACS is down) come at their next Inform.
      informInterval: 5,
      rebootDelayMs: 400,
      retry: { minimumWait: 0.2, multiplier: 2000 },
      observer: {
        transferDone: (r) => {
          if (!r.fileType.startsWith('1 ')) return;
          const n = installs.get(r.serialNumber) ?? [0, 0];
          n[r.faultCode === 0 ? 0 : 1]++;
          installs.set(r.serialNumber, n);
        },
      },
    });
    await fleet.start();
    await until(async () => (await api.get('/devices?limit=1')).body?.total === COUNT, 60_000);

    const up = await fetch(`${api.base}/api/v1/files?${new URLSearchParams({ name: `fw-${VERSION}.bin`, fileType: '1 Firmware Upgrade Image', version: VERSION })}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/octet-stream' },
      body: randomBytes(64 * 1024),
    });
    expect(up.status).toBe(201);
    const fileId = ((await up.json()) as { id: string }).id;
    // A few at a time, so the kill lands with devices in every state.
    const created = await api.post('/campaigns', { name: 'through a crash', fileId, waves: [{ size: 5 }, { percent: 100 }], limits: { maxConcurrent: 6 } });
    expect(created.status).toBe(201);
    const id = created.body.id as string;

    const before = await until(async () => {
      const c = (await api.get(`/campaigns/${id}`)).body;
      return c.counts.succeeded >= 15 ? c : null;
    }, 120_000);
    expect(before.counts.succeeded).toBeLessThan(COUNT);
    await server.kill();
    server = await serve(dataDir, ports);

    const after = await until(async () => {
      const c = (await api.get(`/campaigns/${id}`)).body;
      return c.state === 'done' ? c : null;
    }, 240_000);
    // None forgotten: every device reached a final state.
    expect(after.counts.succeeded + after.counts.failed).toBe(COUNT);
    // What the crash broke (a transfer cut off with the process) failed with the CPE's fault; try those again.
    if (after.counts.failed > 0) {
      expect((await api.post(`/campaigns/${id}/retry-failed`)).body.retried).toBe(after.counts.failed);
      await until(async () => {
        const c = (await api.get(`/campaigns/${id}`)).body;
        return c.state === 'done' ? c : null;
      }, 120_000);
    }
    const final = (await api.get(`/campaigns/${id}`)).body as Json;
    expect(final.counts).toMatchObject({ succeeded: COUNT, failed: 0 });
    for (const cpe of fleet.cpes) expect(cpe.model.get(SV)?.value, cpe.serialNumber).toBe(VERSION);
    // No device upgraded twice.
    for (const cpe of fleet.cpes) expect(installs.get(cpe.serialNumber)?.[0], cpe.serialNumber).toBe(1);
    const rows = (await api.get(`/campaigns/${id}/devices?limit=1000`)).body.devices as Json[];
    expect(rows).toHaveLength(COUNT);
  }, 600_000);
});
