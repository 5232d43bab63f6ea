/**
 * CPE data-model benchmark: what a simulated device costs beyond its shared template, and how
 * fast the model answers the RPCs a bootstrap storm sends.
 *
 *   npx tsc && node --expose-gc dist/bench/cpe-model.js [devices]
 *
 * Without --expose-gc the script re-runs itself with it (heap figures need a settled heap).
 * Prints one line per figure and a JSON summary as the last line.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createDevice } from '../src/cpe/device.js';
import { loadModel, type CpeDevice } from '../src/cpe/model/index.js';
import type { AcsRequest } from '../src/cwmp/types.js';

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) {
  const r = spawnSync(process.execPath, ['--expose-gc', fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: 'inherit' });
  process.exit(r.status ?? 1);
}

function heap(): number {
  for (let i = 0; i < 3; i++) gc!();
  return process.memoryUsage().heapUsed;
}

/** Runs `fn` repeatedly for about `ms` milliseconds; returns calls per second. */
function rate(fn: () => void, ms = 1000): number {
  for (let i = 0; i < 200; i++) fn(); // warm up
  let n = 0;
  const start = process.hrtime.bigint();
  const end = start + BigInt(ms) * 1_000_000n;
  let now = start;
  while (now < end) {
    for (let i = 0; i < 50; i++) fn();
    n += 50;
    now = process.hrtime.bigint();
  }
  return (n * 1e9) / Number(now - start);
}

const count = Number(process.argv[2] ?? 10_000);
const out: Record<string, number> = {};
const print = (key: string, label: string, value: number, unit: string, digits = 0): void => {
  out[key] = Number(value.toFixed(digits));
  console.log(`${label.padEnd(58)} ${value.toLocaleString('en-US', { maximumFractionDigits: digits })} ${unit}`);
};

const h0 = heap();
let t0 = performance.now();
const router = loadModel('tr181-router');
print('templateLoadMs', 'load tr181-router (1,190 parameters)', performance.now() - t0, 'ms', 1);
print('templateKiB', 'template heap', (heap() - h0) / 1024, 'KiB');

// Fresh devices: identity only.
const h1 = heap();
t0 = performance.now();
const devices: CpeDevice[] = [];
for (let i = 0; i < count; i++) {
  devices.push(createDevice(router, { serialNumber: `FL${String(i).padStart(8, '0')}`, overrides: { 'Device.ManagementServer.ConnectionRequestURL': `http://127.0.0.1:${10000 + (i % 50000)}/` } }));
}
print('createMs', `create ${count.toLocaleString('en-US')} devices`, performance.now() - t0, 'ms', 1);
print('bytesPerFreshDevice', 'heap per fresh device (serial + connection request URL)', (heap() - h1) / count, 'bytes');

// After a typical bootstrap provisioning: 10 values, one port mapping, one notification.
const provision: AcsRequest[] = [
  {
    method: 'SetParameterValues',
    parameterKey: 'bootstrap-1',
    parameterList: [
      ['Device.ManagementServer.PeriodicInformInterval', '300', 'xsd:unsignedInt'],
      ['Device.ManagementServer.URL', 'http://acs.example:7547/', 'xsd:string'],
      ['Device.ManagementServer.Username', 'cpe', 'xsd:string'],
      ['Device.ManagementServer.Password', 'secret', 'xsd:string'],
      ['Device.WiFi.SSID.1.SSID', 'Customer-2G', 'xsd:string'],
      ['Device.WiFi.SSID.2.SSID', 'Customer-5G', 'xsd:string'],
      ['Device.WiFi.AccessPoint.1.Security.KeyPassphrase', 'customer-pass', 'xsd:string'],
      ['Device.WiFi.AccessPoint.2.Security.KeyPassphrase', 'customer-pass', 'xsd:string'],
      ['Device.Time.NTPServer1', 'ntp.example', 'xsd:string'],
      ['Device.Time.LocalTimeZone', 'CET-1CEST', 'xsd:string'],
    ].map(([name, value, type]) => ({ name: name!, value: value!, type: type! })),
  },
  { method: 'AddObject', objectName: 'Device.NAT.PortMapping.', parameterKey: 'bootstrap-2' },
  {
    method: 'SetParameterAttributes',
    parameterList: [{ name: 'Device.WiFi.SSID.1.SSID', notificationChange: true, notification: 2, accessListChange: false, accessList: [] }],
  },
];
const h2 = heap();
for (const d of devices) for (const r of provision) d.handle(r);
print('bytesPerProvisionedDevice', 'heap per device added by provisioning (10 SPV, AddObject, SPA)', (heap() - h2) / count, 'bytes');
print('overlayEntries', 'overlay entries per provisioned device', devices[0]!.overlaySize(), 'entries');

// RPC throughput on one provisioned device.
const d = devices[0]!;
const sub = d.handle({ method: 'GetParameterValues', parameterNames: ['Device.ManagementServer.'] }).response;
const subSize = sub.method === 'GetParameterValuesResponse' ? sub.parameterList.length : 0;
print('gpv50PerSec', `GetParameterValues Device.ManagementServer. (${subSize} parameters)`, rate(() => d.handle({ method: 'GetParameterValues', parameterNames: ['Device.ManagementServer.'] })), 'ops/s');
print('gpvInformPerSec', 'informParameters()', rate(() => d.informParameters()), 'ops/s');
print('spv10PerSec', 'SetParameterValues, 10 parameters', rate(() => d.handle(provision[0]!)), 'ops/s');
print('gpnTreePerSec', `GetParameterNames "" (whole tree, ${router.parameterCount + router.objectCount} names)`, rate(() => d.handle({ method: 'GetParameterNames', parameterPath: '', nextLevel: false }), 500), 'ops/s');
print('gpvTreePerSec', 'GetParameterValues "" (whole tree)', rate(() => d.handle({ method: 'GetParameterValues', parameterNames: [''] }), 500), 'ops/s');

// The large model: what a bootstrap storm's full discovery costs per device.
const large = loadModel('tr181-large');
const ld = createDevice(large, { serialNumber: 'LARGE' });
print('largeGpvTreePerSec', `tr181-large GetParameterValues "" (${large.parameterCount} parameters)`, rate(() => ld.handle({ method: 'GetParameterValues', parameterNames: [''] }), 500), 'ops/s', 1);
console.log(JSON.stringify({ bench: 'cpe-model', devices: count, ...out }));
