/**
 * The Cpe against a small scripted ACS on loopback (the ACS-role machine behind node:http),
 * for what the real ACS will not do on demand: fail sessions, fault our requests, hold
 * requests, demand Basic or Digest, and show us the raw bytes each quirk produces.
 */
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { AcsSession, type RpcCompletion } from '../../src/cwmp/acs-session.js';
import { buildEnvelope, buildFault, parseEnvelope } from '../../src/cwmp/codec.js';
import type { AcsRequest, Envelope, Inform } from '../../src/cwmp/types.js';
import { DigestVerifier } from '../../src/auth/client.js';
import { createCpe } from '../../src/cpe/client/create.js';
import type { Cpe } from '../../src/cpe/client/cpe.js';
import { closeTransferAgents } from '../../src/cpe/client/http.js';
import type { Quirks } from '../../src/cpe/client/quirks.js';
import { CpeRuntime, type SessionReport } from '../../src/cpe/client/runtime.js';
import { loadModel } from '../../src/cpe/model/load.js';
import { RecordingScheduler } from '../helpers/recording-scheduler.js';

const template = loadModel('tr181-router');

interface Post {
  headers: http.IncomingHttpHeaders;
  body: string;
  at: number;
}

class MiniAcs {
  server!: http.Server;
  url = '';
  posts: Post[] = [];
  informs: { inform: Inform; header: Envelope['header']; at: number }[] = [];
  completions: RpcCompletion[] = [];
  cpeRequests: string[] = [];
  /** Answer the next N Informs with HTTP 500. */
  failInforms = 0;
  /** Fault the next N CPE requests with 8005. */
  faultCpeRequests = 0;
  hold = false;
  queue: AcsRequest[] = [];
  auth: { scheme: 'digest' | 'basic'; username: string; password: string } | null = null;
  challenges = 0;
  readonly #bySocket = new Map<Socket, AcsSession>();
  readonly #byCookie = new Map<string, AcsSession>();
  readonly #verifier = new DigestVerifier('mini');
  #n = 0;

  async start(): Promise<this> {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => this.#handle(req, res, Buffer.concat(chunks).toString()));
    });
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/acs`;
    return this;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((r) => this.server.close(r));
  }

  #authorized(req: http.IncomingMessage): boolean {
    const a = this.auth;
    if (a === null) return true;
    if (a.scheme === 'basic') return req.headers.authorization === `Basic ${Buffer.from(`${a.username}:${a.password}`).toString('base64')}`;
    return this.#verifier.verify(req.headers.authorization, 'POST', a, Date.now()) === 'ok';
  }

  #handle(req: http.IncomingMessage, res: http.ServerResponse, body: string): void {
    this.posts.push({ headers: req.headers, body, at: Date.now() });
    if (!this.#authorized(req)) {
      this.challenges++;
      const challenge = this.auth!.scheme === 'basic' ? 'Basic realm="mini"' : this.#verifier.challenge(Date.now());
      return void res.writeHead(401, { 'www-authenticate': challenge, 'content-length': '0' }).end();
    }
    const cookie = /sid=(\w+)/.exec(req.headers.cookie ?? '')?.[1];
    let session = (cookie !== undefined ? this.#byCookie.get(cookie) : undefined) ?? this.#bySocket.get(req.socket);
    const env = body.trim() === '' ? null : parseEnvelope(body);
    if (env !== null && !env.ok) return void res.writeHead(400).end();
    const message = env === null ? null : env.value;
    const send = (e: Envelope | null, headers: Record<string, string> = {}): void => {
      if (e === null) {
        res.writeHead(204, headers).end();
        return;
      }
      const xml = buildEnvelope(e);
      res.writeHead(200, { 'content-type': 'text/xml', 'content-length': String(Buffer.byteLength(xml)), ...headers }).end(xml);
    };
    if (message?.body.method === 'Inform') {
      this.informs.push({ inform: message.body, header: message.header, at: Date.now() });
      if (this.failInforms > 0) {
        this.failInforms--;
        return void res.writeHead(500, { 'content-length': '0' }).end();
      }
      session = new AcsSession({ idPrefix: 'mini' });
      const sid = `s${++this.#n}`;
      this.#byCookie.set(sid, session);
      this.#bySocket.set(req.socket, session);
      session.receive(message);
      return send(session.acceptInform({ holdRequests: this.hold }), { 'set-cookie': `sid=${sid}; Path=/` });
    }
    if (session === undefined) return void res.writeHead(400).end();
    if (message !== null && session.state !== 'awaitingResponse') {
      this.cpeRequests.push(message.body.method);
      if (this.faultCpeRequests > 0) {
        this.faultCpeRequests--;
        const xml = buildFault(session.namespace, message.header.id, 8005, 'Retry request');
        return void res.writeHead(200, { 'content-type': 'text/xml' }).end(xml);
      }
    }
    const r = session.receive(message);
    switch (r.kind) {
      case 'cpeRequest':
        return send(r.reply);
      case 'acsTurn': {
        if (r.completed !== null) this.completions.push(r.completed);
        const next = this.queue.shift();
        if (next !== undefined) return send(session.sendRequest(next));
        session.finish();
        return send(null);
      }
      case 'ended':
        return send(null);
      default:
        return void res.writeHead(400).end();
    }
  }
}

let acs: MiniAcs | null = null;
let cpes: Cpe[] = [];
/** Runs synchronously as each session ends (the n-th), before its effects are carried out. */
let onSession: (n: number) => void = () => undefined;

afterEach(async () => {
  for (const c of cpes) c.stop();
  cpes = [];
  onSession = () => undefined;
  await acs?.close();
  acs = null;
  closeTransferAgents();
});

function startCpe(
  url: string,
  opts: { quirks?: Quirks; credentials?: { username: string; password: string }; interval?: number; serial?: string } = {},
): { cpe: Cpe; reports: SessionReport[]; scheduler: RecordingScheduler } {
  const reports: SessionReport[] = [];
  const scheduler = new RecordingScheduler();
  const runtime = new CpeRuntime({
    scheduler,
    quirks: opts.quirks,
    retry: { minimumWait: 0.05, multiplier: 2000 },
    rebootDelayMs: 10,
    observer: {
      sessionEnded: (r) => {
        reports.push(r);
        onSession(reports.length);
      },
    },
  });
  const overrides: Record<string, string> = { 'Device.ManagementServer.URL': url };
  if (opts.credentials) {
    overrides['Device.ManagementServer.Username'] = opts.credentials.username;
    overrides['Device.ManagementServer.Password'] = opts.credentials.password;
  }
  if (opts.interval !== undefined) overrides['Device.ManagementServer.PeriodicInformInterval'] = String(opts.interval);
  const cpe = createCpe({ template, serialNumber: opts.serial ?? 'SN1', overrides, runtime });
  cpes.push(cpe);
  cpe.start();
  return { cpe, reports, scheduler };
}

async function until(what: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!what()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('Cpe sessions against a scripted ACS', () => {
  it('bootstraps with 0 BOOTSTRAP + 1 BOOT, forced-inform parameters, and an empty POST', async () => {
    acs = await new MiniAcs().start();
    const { reports } = startCpe(acs.url);
    await until(() => reports.length === 1);
    expect(reports[0]).toMatchObject({ ok: true, events: ['0 BOOTSTRAP', '1 BOOT'], exchanges: 2 });
    const inf = acs.informs[0]!.inform;
    expect(inf.deviceId).toEqual({ manufacturer: 'Flotilla', oui: 'F2F107', productClass: 'HGW-181', serialNumber: 'SN1' });
    expect(inf.retryCount).toBe(0);
    expect(inf.parameterList.map((p) => p.name)).toContain('Device.DeviceInfo.SoftwareVersion');
    expect(acs.posts[1]!.body).toBe('');
    expect(acs.posts[1]!.headers['content-length']).toBe('0');
  });

  it('retries a failed session with back-off, counting RetryCount and keeping its events', async () => {
    acs = await new MiniAcs().start();
    acs.failInforms = 3;
    const { reports, scheduler } = startCpe(acs.url);
    await until(() => reports.filter((r) => r.ok).length === 1);
    expect(acs.informs.map((i) => i.inform.retryCount)).toEqual([0, 1, 2, 3]);
    for (const i of acs.informs) expect(i.inform.event.map((e) => e.eventCode)).toEqual(['0 BOOTSTRAP', '1 BOOT']);
    // minimumWait 0.05 s, multiplier 2: the back-offs asked for are in [50,100], [100,200],
    // [200,400] ms (a few ms of slack: the delay is read after the CPE computed it).
    const waits = scheduler.delays('retry');
    expect(waits).toHaveLength(3);
    [50, 100, 200].forEach((lo, i) => {
      expect(waits[i]!).toBeGreaterThan(lo - 5);
      expect(waits[i]!).toBeLessThanOrEqual(lo * 2);
    });
    expect(reports.map((r) => r.error ?? 'ok')).toEqual(['http 500', 'http 500', 'http 500', 'ok']);
  });

  it('returns the session cookie, or drops it with the drop-cookies quirk', async () => {
    acs = await new MiniAcs().start();
    const a = startCpe(acs.url, { serial: 'A' });
    await until(() => a.reports.length === 1);
    expect(acs.posts[1]!.headers.cookie).toBe('sid=s1');
    acs.posts = [];
    const b = startCpe(acs.url, { serial: 'B', quirks: { dropCookies: true } });
    await until(() => b.reports.length === 1);
    expect(b.reports[0]!.ok).toBe(true);
    expect(acs.posts.every((p) => p.headers.cookie === undefined)).toBe(true);
  });

  it('answers a Digest challenge once per session, then reuses it (nc counts up)', async () => {
    acs = await new MiniAcs().start();
    acs.auth = { scheme: 'digest', username: 'cpe', password: 'pw' };
    acs.queue = [{ method: 'GetRPCMethods' }];
    const { reports } = startCpe(acs.url, { credentials: { username: 'cpe', password: 'pw' } });
    await until(() => reports.length === 1);
    expect(reports[0]!.ok).toBe(true);
    expect(acs.challenges).toBe(1);
    const ncs = acs.posts.map((p) => /nc=(\w+)/.exec(p.headers.authorization ?? '')?.[1]);
    expect(ncs).toEqual([undefined, '00000001', '00000002', '00000003']);
  });

  it('uses Basic when the ACS asks for it, and fails the session on wrong credentials', async () => {
    acs = await new MiniAcs().start();
    acs.auth = { scheme: 'basic', username: 'cpe', password: 'pw' };
    const ok = startCpe(acs.url, { serial: 'A', credentials: { username: 'cpe', password: 'pw' } });
    await until(() => ok.reports.length === 1);
    expect(ok.reports[0]!.ok).toBe(true);
    const bad = startCpe(acs.url, { serial: 'B', credentials: { username: 'cpe', password: 'nope' } });
    await until(() => bad.reports.length === 1);
    expect(bad.reports[0]).toMatchObject({ ok: false, error: 'auth' });
  });

  it('keeps a faulted TransferComplete (and its events) for the next session', async () => {
    acs = await new MiniAcs().start();
    const { cpe, reports } = startCpe(acs.url);
    await until(() => reports.length === 1);
    // A download from nowhere: TransferComplete with 9015.
    acs.queue = [
      {
        method: 'Download',
        commandKey: 'dl1',
        fileType: '3 Vendor Configuration File',
        url: 'http://127.0.0.1:9/none',
        username: '',
        password: '',
        fileSize: 0,
        targetFileName: '',
        delaySeconds: 0,
        successURL: '',
        failureURL: '',
      },
    ];
    acs.faultCpeRequests = 1;
    cpe.connectionRequest();
    await until(() => reports.length === 3);
    expect(reports[2]!.events).toEqual(['7 TRANSFER COMPLETE', 'M Download dl1']);
    expect(acs.cpeRequests).toEqual(['TransferComplete']);
    expect(cpe.pendingRequests).toHaveLength(1);
    cpe.connectionRequest();
    await until(() => reports.length === 4);
    expect(reports[3]!.events).toEqual(['7 TRANSFER COMPLETE', 'M Download dl1', '6 CONNECTION REQUEST']);
    expect(acs.cpeRequests).toEqual(['TransferComplete', 'TransferComplete']);
    expect(cpe.pendingRequests).toHaveLength(0);
    expect(cpe.pendingEvents).toEqual([]);
    const tcs = acs.posts.filter((p) => p.body.includes('TransferComplete>')).map((p) => /<FaultCode>(\d+)</.exec(p.body)?.[1]);
    expect(tcs).toEqual(['9015', '9015']);
  });

  it('with HoldRequests, answers the ACS first and delivers its TransferComplete after', async () => {
    acs = await new MiniAcs().start();
    const { cpe, reports } = startCpe(acs.url);
    await until(() => reports.length === 1);
    acs.queue = [{ method: 'Upload', commandKey: 'ul', fileType: '2 Vendor Log File', url: 'http://127.0.0.1:9/', username: '', password: '', delaySeconds: 0 }];
    // Set up the next session as soon as this one ends (before the upload even starts).
    onSession = (n) => {
      if (n !== 2) return;
      acs!.hold = true;
      acs!.queue = [{ method: 'GetRPCMethods' }];
    };
    cpe.connectionRequest();
    await until(() => reports.length === 3);
    const methods = acs.posts.map((p) => /Body><cwmp:(\w+)/.exec(p.body)?.[1] ?? 'empty');
    expect(methods.slice(methods.lastIndexOf('Inform'))).toEqual(['Inform', 'empty', 'GetRPCMethodsResponse', 'TransferComplete', 'empty']);
    expect(reports[2]!.ok).toBe(true);
  });

  it('sends periodic informs at PeriodicInformInterval', async () => {
    acs = await new MiniAcs().start();
    const { reports, scheduler } = startCpe(acs.url, { interval: 1 });
    await until(() => reports.length === 3, 5000);
    expect(reports.slice(1).map((r) => r.events)).toEqual([['2 PERIODIC'], ['2 PERIODIC']]);
    // Each periodic inform is asked for one interval ahead (no jitter by default here).
    const periods = scheduler.delays('periodic');
    expect(periods.length).toBeGreaterThanOrEqual(2);
    for (const d of periods) {
      expect(d).toBeGreaterThan(1000 - 5);
      expect(d).toBeLessThanOrEqual(1000);
    }
  });

  it('puts each wire quirk on the wire', async () => {
    acs = await new MiniAcs().start();
    const { reports } = startCpe(acs.url, {
      quirks: { chunked: true, omitXsiType: true, arraySize: 'none', noMoreRequests: true, prefixes: { soapenv: 'SOAP-ENV', cwmp: 'cwmp' }, namespace: 'urn:dslforum-org:cwmp-1-2' },
    });
    acs.queue = [{ method: 'GetParameterValues', parameterNames: ['Device.DeviceInfo.SoftwareVersion'] }];
    await until(() => reports.length === 1);
    const inform = acs.posts[0]!;
    expect(inform.headers['transfer-encoding']).toBe('chunked');
    expect(inform.headers['content-length']).toBeUndefined();
    expect(inform.body).toContain('<SOAP-ENV:Envelope');
    expect(inform.body).toContain('xmlns:cwmp="urn:dslforum-org:cwmp-1-2"');
    expect(inform.body).toContain('<cwmp:NoMoreRequests');
    expect(inform.body).not.toContain('xsi:type');
    expect(inform.body).not.toContain('arrayType');
    expect(acs.completions[0]!.outcome.ok).toBe(true);
    acs.posts = [];
    const b = startCpe(acs.url, { serial: 'B', quirks: { arraySize: 'padded' } });
    await until(() => b.reports.length === 1);
    expect(acs.posts[0]!.body).toMatch(/arrayType="cwmp:EventStruct\[0002\]"/);
  });
});

describe('a hostile or broken ACS', () => {
  /** An "ACS" that answers every POST with `reply`. */
  async function rawAcs(reply: (res: http.ServerResponse) => void): Promise<{ url: string; close: () => Promise<void> }> {
    const server = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => reply(res));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    return {
      url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
      close: async () => {
        server.closeAllConnections();
        await new Promise((r) => server.close(r));
      },
    };
  }

  const cases: { name: string; reply: (res: http.ServerResponse) => void; error: RegExp }[] = [
    { name: 'garbage instead of XML', reply: (res) => res.writeHead(200, { 'content-type': 'text/xml' }).end('<<<not xml'), error: /^protocol/ },
    {
      name: 'an entity-expansion bomb',
      reply: (res) =>
        res
          .writeHead(200, { 'content-type': 'text/xml' })
          .end('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">]><x>&b;</x>'),
      error: /^protocol/,
    },
    {
      name: 'a request where the InformResponse belongs',
      reply: (res) =>
        res
          .writeHead(200, { 'content-type': 'text/xml' })
          .end(buildEnvelope({ namespace: 'urn:dslforum-org:cwmp-1-0', header: { id: '1' }, body: { method: 'Reboot', commandKey: 'x' } })),
      error: /^protocol/,
    },
    { name: 'a 204 to the Inform', reply: (res) => res.writeHead(204).end(), error: /^protocol/ },
    { name: 'HTTP 503', reply: (res) => res.writeHead(503).end(), error: /^http 503/ },
    {
      name: 'an 8005 fault to the Inform',
      reply: (res) => res.writeHead(200, { 'content-type': 'text/xml' }).end(buildFault('urn:dslforum-org:cwmp-1-0', '1', 8005)),
      error: /^acs-fault 8005/,
    },
    { name: 'a connection dropped mid-answer', reply: (res) => res.socket?.destroy(), error: /^reset/ },
  ];

  for (const c of cases) {
    it(`${c.name}: the session fails, the CPE backs off and keeps its events`, async () => {
      const bad = await rawAcs(c.reply);
      try {
        const { cpe, reports } = startCpe(bad.url);
        await until(() => reports.length === 2);
        expect(reports[0]!.ok).toBe(false);
        expect(reports[0]!.error).toMatch(c.error);
        expect(cpe.retryCount).toBe(2);
        expect(cpe.pendingEvents.map((e) => e.eventCode)).toEqual(['0 BOOTSTRAP', '1 BOOT']);
      } finally {
        for (const x of cpes) x.stop();
        await bad.close();
      }
    });
  }
});
