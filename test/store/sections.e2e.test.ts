/**
 * Tree sections end to end: the ACS on a SQLite store with `treeSections` (what `flotilla serve
 * --tree-sections` opens) and simulated TR-181 CPEs talking real CWMP. Their bootstrap keeps
 * the discovered tree in sections; the device reads whole, filters and projections find values
 * held in sections, and a task that sets a value inside one is applied and read back.
 */
import Database from 'better-sqlite3';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startAcs, type AcsServer } from '../../src/acs/server.js';
import { loadModel } from '../../src/cpe/model/load.js';
import { Fleet } from '../../src/cpe/sim/fleet.js';
import { deviceIdOf } from '../../src/store/device-id.js';
import { createSqliteStore, DATABASE_FILE } from '../../src/store/sqlite/index.js';
import type { Store } from '../../src/store/types.js';
import { taskFromRequest } from '../../src/tasks/rpc.js';

let dir: string;
let store: Store;
let acs: AcsServer;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'flotilla-sections-e2e-'));
  store = await createSqliteStore({ dataDir: dir, treeSections: true });
  acs = await startAcs({ dataDir: dir, host: '127.0.0.1', cwmpPort: 0, allowUnauthenticatedCpes: true, discoverOnBootstrap: true, store });
});

afterEach(async () => {
  await acs.close();
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

describe('tree sections with real CPEs', () => {
  it('a bootstrap is kept in sections and reads, filters and writes as a tree of rows would', async () => {
    const model = loadModel('tr181-router');
    const fleet = new Fleet({ acsUrl: acs.cwmpUrl, count: 2, model, serialPrefix: 'SECT', sessions: 1, connectionRequests: 'off' });
    expect(await fleet.run()).toMatchObject({ sessions: 2, failures: 0 });
    const id = deviceIdOf({ oui: model.deviceId.oui, productClass: model.deviceId.productClass, serialNumber: fleet.serialNumber(0) });

    const raw = new Database(join(dir, DATABASE_FILE), { readonly: true });
    try {
      const sections = raw.prepare('SELECT count(*) AS n FROM tree_docs t, jsonb_each(t.doc) WHERE t.device_id = ?').get(id) as { n: number };
      const rows = raw.prepare('SELECT count(*) AS n FROM parameters WHERE device_id = ?').get(id) as { n: number };
      expect(sections.n).toBeGreaterThan(3);
      // The whole tree is there, most of it in sections.
      const tree = (await store.getDevice(id))!.parameters;
      const stored = new Set(tree.map((p) => p.path));
      expect([...model.index.keys()].filter((p) => !stored.has(p))).toEqual([]);
      expect(rows.n).toBeLessThan(tree.length / 4);
      const ssid = tree.find((p) => p.path === 'Device.WiFi.SSID.1.SSID');
      expect(ssid?.value).toBe(fleet.cpes[0]!.model.get('Device.WiFi.SSID.1.SSID')!.value);
      expect(ssid).toMatchObject({ writable: true, type: 'xsd:string' });

      // A filter and a projection on a path held in a section.
      const page = await store.listDevices({ filters: [{ field: 'parameter', path: 'Device.WiFi.SSID.1.SSID', op: 'eq', value: ssid!.value! }], parameters: ['Device.WiFi.SSID.1.'] });
      expect(page.devices.map((d) => d.id)).toContain(id);
      expect(page.devices.find((d) => d.id === id)?.parameters?.map((p) => p.path)).toContain('Device.WiFi.SSID.1.SSID');

      // A task inside the section: sent, applied by the CPE, stored; the section became rows.
      await store.createTasks([{ deviceId: id, task: taskFromRequest({ method: 'SetParameterValues', parameterList: [{ name: 'Device.WiFi.SSID.1.SSID', value: 'sectioned', type: 'xsd:string' }], parameterKey: 'k' }) }], Date.now());
      // The same serial as device 0, known to the ACS now: no bootstrap, no rediscovery.
      const again = new Fleet({ acsUrl: acs.cwmpUrl, count: 1, model, serialPrefix: 'SECT', sessions: 1, connectionRequests: 'off', bootstrap: false });
      expect(await again.run()).toMatchObject({ sessions: 1, failures: 0 });
      expect(again.cpes[0]!.model.get('Device.WiFi.SSID.1.SSID')!.value).toBe('sectioned');
      const after = (await store.getDevice(id))!.parameters;
      expect(after.find((p) => p.path === 'Device.WiFi.SSID.1.SSID')?.value).toBe('sectioned');
      expect(after.length).toBe(tree.length);
      const wifi = raw.prepare("SELECT count(*) AS n FROM tree_docs t, jsonb_each(t.doc) AS j WHERE t.device_id = ? AND j.key = 'Device.WiFi.SSID.1.'").get(id) as { n: number };
      expect(wifi.n).toBe(0);
    } finally {
      raw.close();
    }
  });
});
