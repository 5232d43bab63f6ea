/**
 * Child process of crash.test.ts: commits big sessions in a loop until it is killed.
 * Run with vite-node (ships with vitest), so it exercises the TypeScript sources as they
 * are, with no build step:  node <vite-node.mjs> crash-child.ts <file> <devices> <params> <base>
 *
 * Session s writes value String(s) to every one of the device's parameters and sets
 * last_inform = s; every third session also starts with clearTree, as a bootstrap would.
 * After all devices have committed session s it prints "s", so the parent knows which
 * sessions must have survived the kill.
 */
import { deviceIdOf } from '../../src/store/device-id.js';
import { createSqliteStore } from '../../src/store/sqlite/index.js';

const [file, devicesArg, paramsArg, baseArg] = process.argv.slice(2);
const devices = Number(devicesArg);
const params = Number(paramsArg);
const base = Number(baseArg);

const crashDeviceId = (d: number): string => deviceIdOf({ oui: '00D09E', productClass: 'Crash', serialNumber: `D${d}` });

const store = await createSqliteStore({ file: file! });
const names = Array.from({ length: params }, (_, i) => `Device.Crash.${Math.floor(i / 50)}.P${i % 50}`);
process.stdout.write('ready\n');

for (let s = base + 1; ; s++) {
  const value = String(s);
  for (let d = 0; d < devices; d++) {
    const deviceId = crashDeviceId(d);
    await store.openSession({ deviceId, lockOwner: 'crash-child', lockTtlMs: 60_000, now: s });
    const setValues = { op: 'setValues' as const, at: s, touch: false, params: names.map((name) => ({ name, value, type: 'xsd:string' })) };
    await store.commitSession({
      deviceId,
      lockOwner: 'crash-child',
      identity: { manufacturer: 'Crash', oui: '00D09E', productClass: 'Crash', serialNumber: `D${d}` },
      informAt: s,
      events: [{ eventCode: s % 3 === 0 ? '0 BOOTSTRAP' : '2 PERIODIC', commandKey: '' }],
      parameterOps: s % 3 === 0 ? [{ op: 'clearTree' }, setValues] : [setValues],
      requestOutcomes: [],
      cpeMessages: [],
      log: { deviceId, startedAt: s, endedAt: s, events: [], rpcs: [], cpeRequests: [], outcome: 'ok', linkedRequests: [] },
      releaseLock: true,
    });
  }
  process.stdout.write(`${s}\n`);
}
