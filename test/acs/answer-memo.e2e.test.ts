/**
 * The ACS parses a model's discovery answers once (src/cwmp/answer-memo.ts): simulated CPEs of
 * one model bootstrap against the real server, the later ones' listings and values answers are
 * read from the memo (the metric says how many), and every device still gets its own tree: the
 * same names, its own values.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { startAcs, type AcsServer } from '../../src/acs/server.js';
import { Fleet } from '../../src/cpe/sim/fleet.js';
import { listingsRecalled } from '../../src/metrics/registry.js';
import { deviceIdOf } from '../../src/store/device-id.js';

let dir: string;
let acs: AcsServer | null = null;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'flotilla-answer-memo-'));
});

afterEach(async () => {
  await acs?.close();
  acs = null;
  await rm(dir, { recursive: true, force: true });
});

async function recalled(): Promise<number> {
  return (await listingsRecalled.get()).values[0]?.value ?? 0;
}

it('bootstraps CPEs of one model parsing their discovery answers once, each device with its own tree', async () => {
  acs = await startAcs({ dataDir: dir, host: '127.0.0.1', cwmpPort: 0, allowUnauthenticatedCpes: true });
  const before = await recalled();
  // One session at a time: the first answers are seen, the second remembered, the rest recalled
  // (the listing whole, the values but for each device's own).
  const fleet = new Fleet({ acsUrl: acs.cwmpUrl, count: 4, model: 'tr181-router', sessions: 4, maxConcurrentSessions: 1, connectionRequests: 'off' });
  expect(await fleet.run()).toMatchObject({ sessions: 4, failures: 0 });
  expect((await recalled()) - before).toBe(4);

  const trees = await Promise.all(
    fleet.cpes.map(async (cpe) => {
      const dev = await acs!.store.getDevice(deviceIdOf({ oui: 'F2F107', productClass: 'HGW-181', serialNumber: cpe.serialNumber }));
      if (dev === null) throw new Error(`${cpe.serialNumber} not stored`);
      return { cpe, params: new Map(dev.parameters.map((p) => [p.path, p])) };
    }),
  );
  const names = (t: (typeof trees)[number]): string => [...t.params.values()].map((p) => `${p.path}:${p.writable}`).sort().join('\n');
  expect(trees[0]!.params.size).toBeGreaterThan(1000);
  for (const t of trees) {
    expect(names(t)).toBe(names(trees[0]!));
    // Its own values, as the CPE holds them.
    expect(t.params.get('Device.DeviceInfo.SerialNumber')?.value).toBe(t.cpe.serialNumber);
    expect(t.params.get('Device.ManagementServer.ConnectionRequestURL')?.value).toBe(t.cpe.model.get('Device.ManagementServer.ConnectionRequestURL')!.value);
  }
});
