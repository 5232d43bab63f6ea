/**
 * Micro-benchmark of the CWMP codec's hot paths: an Inform (12 parameters, what every session
 * starts with) and a 1,000-parameter GetParameterValuesResponse, parsed and built. The
 * "xml only" rows time the saxes adapter alone, to show what the parser costs versus our
 * tree walking. The bootstrap rows parse 5,000-entry GetParameterValuesResponse and
 * GetParameterNamesResponse both ways in the same run: parseEnvelope (the scanner's fast path,
 * src/cwmp/scan.ts) and parseEnvelopeFull (saxes and the tree readers), with µs per entry and
 * the ratio.
 *
 *   npx tsc && node dist/bench/codec.js [seconds-per-case]
 */
import { buildEnvelope, parseEnvelope, parseEnvelopeFull } from '../src/cwmp/codec.js';
import type { Envelope, ParameterValue } from '../src/cwmp/types.js';
import { parseXml } from '../src/cwmp/xml.js';

const NS = 'urn:dslforum-org:cwmp-1-0' as const;

function params(n: number): ParameterValue[] {
  const types = ['xsd:string', 'xsd:unsignedInt', 'xsd:boolean', 'xsd:dateTime'];
  return Array.from({ length: n }, (_, i) => {
    const type = types[i % types.length]!;
    const value = type === 'xsd:boolean' ? 'true' : type === 'xsd:unsignedInt' ? String(i * 7) : type === 'xsd:dateTime' ? '2024-05-01T12:00:00Z' : `value-${i} & more`;
    return { name: `InternetGatewayDevice.LANDevice.1.WLANConfiguration.${i}.SSID`, value, type };
  });
}

const inform: Envelope = {
  namespace: NS,
  header: { id: '0_THOM_TR69_ID' },
  body: {
    method: 'Inform',
    deviceId: { manufacturer: 'THOMSON', oui: '00147F', productClass: 'SpeedTouch 780', serialNumber: 'CP0644JTHJ4' },
    event: [
      { eventCode: '1 BOOT', commandKey: '' },
      { eventCode: '2 PERIODIC', commandKey: '' },
    ],
    maxEnvelopes: 1,
    currentTime: '2024-05-01T12:00:00Z',
    retryCount: 0,
    parameterList: params(12),
  },
};
const gpvr: Envelope = { namespace: NS, header: { id: '7' }, body: { method: 'GetParameterValuesResponse', parameterList: params(1000) } };
const BIG = 5000;
const gpvr5k: Envelope = { namespace: NS, header: { id: '8' }, body: { method: 'GetParameterValuesResponse', parameterList: params(BIG) } };
const gpnr5k: Envelope = {
  namespace: NS,
  header: { id: '9' },
  body: { method: 'GetParameterNamesResponse', parameterList: params(BIG).map((p, i) => ({ name: p.name, writable: i % 3 === 0 })) },
};

interface Row {
  name: string;
  ops: number;
  usPerOp: number;
  mbPerS: number;
}

function measure(name: string, bytes: number, fn: () => unknown, seconds: number): Row {
  for (let i = 0; i < 200; i++) fn(); // warm up the JIT
  let n = 0;
  const start = process.hrtime.bigint();
  const budget = BigInt(Math.round(seconds * 1e9));
  let elapsed = 0n;
  while (elapsed < budget) {
    for (let i = 0; i < 20; i++) fn();
    n += 20;
    elapsed = process.hrtime.bigint() - start;
  }
  const s = Number(elapsed) / 1e9;
  return { name, ops: n / s, usPerOp: (s / n) * 1e6, mbPerS: (bytes * n) / s / 1e6 };
}

function main(): void {
  const seconds = Number(process.argv[2] ?? '1');
  const informXml = buildEnvelope(inform);
  const gpvrXml = buildEnvelope(gpvr);
  for (const [xml, label] of [
    [informXml, 'Inform'],
    [gpvrXml, 'GPVResponse'],
  ] as const) {
    const r = parseEnvelope(xml);
    if (!r.ok) throw new Error(`${label} does not parse: ${r.error.message}`);
  }
  const rows = [
    measure('parse Inform (12 params)', informXml.length, () => parseEnvelope(informXml), seconds),
    measure('build Inform (12 params)', informXml.length, () => buildEnvelope(inform), seconds),
    measure('parse GPVResponse (1,000)', gpvrXml.length, () => parseEnvelope(gpvrXml), seconds),
    measure('build GPVResponse (1,000)', gpvrXml.length, () => buildEnvelope(gpvr), seconds),
    measure('xml only: Inform', informXml.length, () => parseXml(informXml), seconds),
    measure('xml only: GPVResponse (1,000)', gpvrXml.length, () => parseXml(gpvrXml), seconds),
  ];
  const gpvr5kXml = buildEnvelope(gpvr5k);
  const gpnr5kXml = buildEnvelope(gpnr5k);
  const pairs: [string, string][] = [
    ['GPVResponse (5,000)', gpvr5kXml],
    ['GPNResponse (5,000)', gpnr5kXml],
  ];
  const ratios: string[] = [];
  for (const [label, xml] of pairs) {
    const a = parseEnvelope(xml);
    const b = parseEnvelopeFull(xml);
    if (!a.ok || !b.ok || JSON.stringify(a.value) !== JSON.stringify(b.value)) throw new Error(`${label}: the two paths disagree`);
    const fast = measure(`parse ${label} scanner`, xml.length, () => parseEnvelope(xml), seconds);
    const full = measure(`parse ${label} saxes`, xml.length, () => parseEnvelopeFull(xml), seconds);
    rows.push(fast, full);
    ratios.push(
      `${label}: ${(full.usPerOp / BIG).toFixed(3)} µs/entry with saxes, ${(fast.usPerOp / BIG).toFixed(3)} µs/entry scanned, ` +
        `${(full.usPerOp / fast.usPerOp).toFixed(1)}× faster`,
    );
  }
  console.log(`node ${process.version}; Inform ${informXml.length} B, GPVResponse ${gpvrXml.length} B`);
  console.log('case'.padEnd(32) + 'ops/s'.padStart(12) + 'µs/op'.padStart(12) + 'MB/s'.padStart(10));
  for (const r of rows) {
    console.log(
      r.name.padEnd(32) +
        Math.round(r.ops).toLocaleString('en-US').padStart(12) +
        r.usPerOp.toFixed(1).padStart(12) +
        r.mbPerS.toFixed(1).padStart(10),
    );
  }
  for (const r of ratios) console.log(r);
}

main();
