/**
 * How long the codec takes to refuse hostile input, next to a well-formed Inform: the
 * figures behind "refused fast" (test/cwmp/hostile.test.ts asserts only that each is
 * refused with the right code). Median of several runs per case, in milliseconds.
 *
 *   npx tsc && node dist/bench/hostile.js [runs]
 */
import { buildEnvelope, parseEnvelope } from '../src/cwmp/codec.js';

const SOAP = 'http://schemas.xmlsoap.org/soap/envelope/';
const wrap = (body: string): string => `<e:Envelope xmlns:e="${SOAP}" xmlns:c="urn:dslforum-org:cwmp-1-0"><e:Body>${body}</e:Body></e:Envelope>`;

let dtd = '<!ENTITY lol "lol">';
for (let i = 1; i <= 9; i++) dtd += `<!ENTITY lol${i} "${`&lol${i === 1 ? '' : i - 1};`.repeat(10)}">`;

const inform = buildEnvelope({
  namespace: 'urn:dslforum-org:cwmp-1-0',
  header: { id: '1' },
  body: {
    method: 'Inform',
    deviceId: { manufacturer: 'ACME', oui: '00147F', productClass: 'Box', serialNumber: 'SN1' },
    event: [{ eventCode: '2 PERIODIC', commandKey: '' }],
    maxEnvelopes: 1,
    currentTime: '2024-01-01T00:00:00Z',
    retryCount: 0,
    parameterList: Array.from({ length: 12 }, (_, i) => ({ name: `Device.X.${i}`, value: `v${i}`, type: 'xsd:string' })),
  },
});

const cases: [string, string][] = [
  ['well-formed Inform (12 parameters)', inform],
  ['billion laughs (DOCTYPE)', `<?xml version="1.0"?><!DOCTYPE lolz [${dtd}]><lolz>&lol9;</lolz>`],
  ['external entity (XXE)', `<?xml version="1.0"?><!DOCTYPE foo [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>${wrap('<c:Reboot><CommandKey>&xxe;</CommandKey></c:Reboot>')}`],
  ['10,000 levels of nesting', wrap('<a>'.repeat(10_000) + '</a>'.repeat(10_000))],
  ['1,000,000 elements', wrap(`<c:X>${'<a/>'.repeat(1_000_000)}</c:X>`)],
  ['body over maxBytes (4 MiB)', wrap(`<c:Reboot><CommandKey>${'x'.repeat(4 * 1024 * 1024)}</CommandKey></c:Reboot>`)],
];

const runs = Math.max(1, Number(process.argv[2] ?? 7));
const rows: string[] = [];
for (const [name, xml] of cases) {
  const times: number[] = [];
  let outcome = '';
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    const r = parseEnvelope(xml);
    times.push(performance.now() - t0);
    outcome = r.ok ? 'ok' : r.error.code;
  }
  times.sort((a, b) => a - b);
  rows.push(`| ${name} | ${(xml.length / 1024).toFixed(0)} KiB | ${outcome} | ${times[Math.floor(times.length / 2)]!.toFixed(2)} | ${times[times.length - 1]!.toFixed(2)} |`);
}
console.log(`Hostile input, ${runs} runs each (ms):\n`);
console.log('| input | size | outcome | median ms | max ms |');
console.log('|---|---|---|---|---|');
for (const r of rows) console.log(r);
