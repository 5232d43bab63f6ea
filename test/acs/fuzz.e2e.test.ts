/**
 * Bounded fuzzing of the real ACS in CI (issue 10): a few thousand generated requests from a
 * fixed seed against the CWMP endpoint over loopback, with a real SQLite store. Each request
 * gets a 4xx or a SOAP fault — or, when the mutation left a valid Inform, the InformResponse —
 * never a 5xx; the server keeps serving; and nothing is half-written: every stored device came
 * from an Inform that parses, its record agrees with its newest logged session, and no task is
 * left `running` once its session is over. The unbounded fuzzers and corpus are
 * test/cwmp/hostile.test.ts (the codec alone) and test/acs/hostile.e2e.test.ts.
 *
 * The seed is fixed so a failure reproduces; FLOTILLA_FUZZ_SEED and FLOTILLA_FUZZ_RUNS explore
 * further by hand.
 */
import fc from 'fast-check';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAcs, type AcsServer } from '../../src/acs/server.js';
import { buildEnvelope, parseEnvelope } from '../../src/cwmp/codec.js';
import type { Envelope } from '../../src/cwmp/types.js';
import { deviceIdOf } from '../../src/store/device-id.js';
import { DEVICE, informBody, ScriptedCpe, type Reply } from '../helpers/scripted-cpe.js';
import { queueRpc } from '../helpers/queue.js';

const SEED = Number(process.env.FLOTILLA_FUZZ_SEED ?? 20261203);
const SCALE = Number(process.env.FLOTILLA_FUZZ_RUNS ?? 1);
const runs = (n: number) => Math.max(1, Math.round(n * SCALE));
const SOAP = 'http://schemas.xmlsoap.org/soap/envelope/';

const INFORM_XML = buildEnvelope({ namespace: 'urn:dslforum-org:cwmp-1-0', header: { id: '1' }, body: informBody({ serial: 'FUZZ1' }) });

/** A random edit of a string: delete, insert, duplicate or overwrite a span. */
const mutation = fc.tuple(fc.constantFrom('delete', 'insert', 'duplicate', 'replace'), fc.nat(), fc.nat({ max: 40 }), fc.string({ unit: 'binary', maxLength: 12 }));
function mutate(s: string, edits: [string, number, number, string][]): string {
  for (const [kind, at, len, str] of edits) {
    const i = at % (s.length + 1);
    if (kind === 'delete') s = s.slice(0, i) + s.slice(i + len);
    else if (kind === 'insert') s = s.slice(0, i) + str + s.slice(i);
    else if (kind === 'duplicate') s = s.slice(0, i + len) + s.slice(i, i + len) + s.slice(i + len);
    else s = s.slice(0, i) + str + s.slice(i + str.length);
  }
  return s;
}

const token = fc.constantFrom('<', '>', '/', '</', '/>', '<!--', '-->', '<![CDATA[', ']]>', '<?xml version="1.0"?>', '&', ';', '#', 'x', '=', '"', ' ', 'e:Envelope', 'e:Body', 'e:Header', `xmlns:e="${SOAP}"`, 'xmlns:c="urn:dslforum-org:cwmp-1-0"', 'c:Inform', 'DeviceId', 'OUI', 'SerialNumber', 'Event', 'EventStruct', 'EventCode', 'ParameterList', 'ParameterValueStruct', 'Name', 'Value', 'c:ID', '&amp;', '&#', '<!DOCTYPE', '<!ENTITY', 'Device.', '..', 'A1B2C3');

/** What the ACS should make of a body: the Inform it carries, if it parses as one. */
function informOf(xml: string): Envelope | null {
  const r = parseEnvelope(xml);
  return r.ok && r.value.body.method === 'Inform' ? r.value : null;
}

describe('bounded fuzz of the CWMP endpoint (fixed seed)', () => {
  let dir: string;
  let acs: AcsServer;
  /** Device ids of every Inform that parsed (the only devices allowed to exist). */
  const accepted = new Set<string>();
  const counts = { requests: 0, status: new Map<number, number>() };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'flotilla-fuzz-'));
    acs = await startAcs({ dataDir: dir, host: '127.0.0.1', cwmpPort: 0, allowUnauthenticatedCpes: true, discoverOnBootstrap: false, maxBodyBytes: 64 * 1024, bodyTimeoutMs: 2_000 });
  });
  afterAll(async () => {
    await acs?.close();
    await rm(dir, { recursive: true, force: true });
    if (process.env.FLOTILLA_TEST_VERBOSE) console.log(`fuzz: ${counts.requests} requests, statuses ${JSON.stringify([...counts.status])}`);
  });

  /** The contract of one answer; ends a session the answer opened. */
  async function check(c: ScriptedCpe, r: Reply, sent: string | Buffer): Promise<void> {
    counts.requests++;
    counts.status.set(r.status, (counts.status.get(r.status) ?? 0) + 1);
    expect(r.status, `5xx for ${JSON.stringify(String(sent).slice(0, 200))}`).toBeLessThan(500);
    if (r.status === 400) expect(r.text).toContain('Fault');
    if (r.status === 200) {
      const inform = typeof sent === 'string' ? informOf(sent) : null;
      if (r.envelope?.body.method === 'InformResponse') {
        expect(inform, 'an InformResponse only for a body that parses as an Inform').not.toBeNull();
        if (inform?.body.method === 'Inform') accepted.add(deviceIdOf(inform.body.deviceId));
        expect((await c.post(null)).status).toBeLessThan(500);
      } else {
        expect(r.envelope?.body.method).toBe('Fault');
      }
    }
  }

  async function one(body: string | Buffer, headers: Record<string, string> = {}): Promise<void> {
    const c = new ScriptedCpe(acs.cwmpUrl);
    try {
      await check(c, await c.postRaw(body, { 'Content-Type': 'text/xml; charset="utf-8"', ...headers }), body);
    } finally {
      c.close();
    }
  }

  it('mutated Informs', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(mutation, { minLength: 1, maxLength: 6 }), (edits) => one(mutate(INFORM_XML, edits))),
      { seed: SEED, numRuns: runs(1500) },
    );
  }, 300_000);

  it('XML-ish token soup and random text', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.array(token, { maxLength: 80 }).map((t) => t.join('')), fc.string({ unit: 'binary', maxLength: 400 })), (body) => one(body)),
      { seed: SEED + 1, numRuns: runs(700) },
    );
  }, 300_000);

  it('hostile headers: charsets, gzip of garbage, truncated gzip', async () => {
    const charset = fc.constantFrom('utf-8', 'iso-8859-1', 'utf-16', 'x-unknown', '', '"', 'utf-8; charset=latin1');
    const body = fc.oneof(
      fc.constant(INFORM_XML),
      fc.array(mutation, { minLength: 1, maxLength: 3 }).map((e) => mutate(INFORM_XML, e)),
      fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b).toString('latin1')),
    );
    await fc.assert(
      fc.asyncProperty(body, charset, fc.constantFrom('none', 'gzip', 'truncated-gzip', 'bogus'), async (text, cs, encoding) => {
        const headers: Record<string, string> = { 'Content-Type': `text/xml; charset=${cs}` };
        let bytes: string | Buffer = text;
        if (encoding !== 'none') {
          headers['Content-Encoding'] = encoding === 'bogus' ? 'br, x-nope' : 'gzip';
          const z = gzipSync(Buffer.from(text, 'utf8'));
          bytes = encoding === 'truncated-gzip' ? z.subarray(0, Math.max(1, z.length >> 1)) : encoding === 'gzip' ? z : Buffer.from(text, 'utf8');
        }
        const c = new ScriptedCpe(acs.cwmpUrl);
        try {
          const r = await c.postRaw(bytes, headers);
          // What the ACS decoded is not known here: the contract is the status and the fault.
          counts.requests++;
          expect(r.status).toBeLessThan(500);
          if (r.status === 400) expect(r.text).toContain('Fault');
          if (r.envelope?.body.method === 'InformResponse') {
            const inform = informOf(text);
            if (inform?.body.method === 'Inform') accepted.add(deviceIdOf(inform.body.deviceId));
            else accepted.add(deviceIdOf({ ...DEVICE, serialNumber: 'FUZZ1' }));
            await c.post(null);
          }
        } finally {
          c.close();
        }
      }),
      { seed: SEED + 2, numRuns: runs(500) },
    );
  }, 300_000);

  it('mutated answers mid-session (a GetParameterValuesResponse): the session ends, the task goes back or completes', async () => {
    const serial = 'FUZZMID';
    const id = deviceIdOf({ ...DEVICE, serialNumber: serial });
    const answer = (requestId: string) =>
      buildEnvelope({
        namespace: 'urn:dslforum-org:cwmp-1-0',
        header: { id: requestId },
        body: {
          method: 'GetParameterValuesResponse',
          parameterList: [
            { name: 'Device.DeviceInfo.SoftwareVersion', value: '2.0', type: 'xsd:string' },
            { name: 'Device.DeviceInfo.UpTime', value: '77', type: 'xsd:unsignedInt' },
          ],
        },
      });
    await fc.assert(
      fc.asyncProperty(fc.array(mutation, { minLength: 1, maxLength: 4 }), async (edits) => {
        const task = await queueRpc(acs.store, id, { method: 'GetParameterValues', parameterNames: ['Device.DeviceInfo.'] });
        const c = new ScriptedCpe(acs.cwmpUrl);
        try {
          const opened = await c.post(informBody({ serial }));
          expect(opened.envelope?.body.method).toBe('InformResponse');
          accepted.add(id);
          const asked = await c.post(null);
          expect(asked.envelope?.body.method).toBe('GetParameterValues');
          const body = mutate(answer(asked.envelope?.header.id ?? '1'), edits);
          const r = await c.postRaw(body, { 'Content-Type': 'text/xml; charset="utf-8"' });
          counts.requests++;
          expect(r.status).toBeLessThan(500);
          if (r.status === 400) expect(r.text).toContain('Fault');
          // Whatever came back, the CPE hangs up; the session is over once its end is answered.
          if (r.status === 200 || r.status === 204) await c.post(null).catch(() => undefined);
        } finally {
          c.close();
        }
        // Ended (by the answer, the fault, or the closing POST): the task is never left running.
        for (let i = 0; i < 100 && acs.activeSessions() > 0; i++) await new Promise((r) => setTimeout(r, 10));
        const after = await acs.store.getTask(task.id);
        expect(['queued', 'done', 'fault']).toContain(after?.state);
        // The next case starts with one task again.
        await acs.store.deleteTask(task.id);
      }),
      { seed: SEED + 3, numRuns: runs(300) },
    );
  }, 300_000);

  it('afterwards: still serving, and nothing half-written', async () => {
    const c = new ScriptedCpe(acs.cwmpUrl);
    expect((await c.post(informBody({ serial: 'HEALTHY' }))).status).toBe(200);
    expect((await c.post(null)).status).toBe(204);
    c.close();
    accepted.add(deviceIdOf({ ...DEVICE, serialNumber: 'HEALTHY' }));
    for (let i = 0; i < 200 && acs.activeSessions() > 0; i++) await new Promise((r) => setTimeout(r, 10));

    const page = await acs.store.listDevices({ limit: 10_000 });
    expect(page.total).toBeGreaterThan(0);
    for (const d of page.devices) {
      expect(accepted.has(d.id), `${d.id} was stored without an Inform that parses`).toBe(true);
      const [newest] = await acs.store.listSessions(d.id, 1);
      expect(newest, `${d.id} has a logged session`).toBeDefined();
      expect(d.lastInform, `${d.id}'s record agrees with its newest session`).toBe(newest!.startedAt);
    }
    const running = (await acs.store.listTasks({})).tasks.filter((t) => t.state === 'running');
    expect(running).toEqual([]);
  });
});
