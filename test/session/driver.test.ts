/**
 * The session driver in memory, without HTTP: scripted CPE messages go straight into the
 * driver, and a small in-memory store port (the driver's contract, src/session/port.ts)
 * records every call, so each case asserts what was sent, what was committed and how many
 * round trips it took.
 */
import { describe, expect, it } from 'vitest';
import type { RpcOutcome } from '../../src/cwmp/acs-session.js';
import type { AcsRequest, CwmpBody, Envelope, Inform } from '../../src/cwmp/types.js';
import { SessionDriver, type Reply } from '../../src/session/driver.js';
import type { SessionStorePort } from '../../src/session/port.js';
import type { Program, ProgramContext, ProgramFactory, ProgramRpc } from '../../src/session/program.js';
import { defaultPrograms } from '../../src/session/programs/default.js';
import { rootOf } from '../../src/session/programs/discovery.js';
import type { DeviceSummary, SessionCommit, SessionOpenInput, SessionOpenResult, StoredParameter, TaskRecord } from '../../src/store/types.js';
import type { Task } from '../../src/tasks/types.js';

const ID = 'A1B2C3-Gateway-SN1';
const NS = 'urn:dslforum-org:cwmp-1-0' as const;

class MemoryPort implements SessionStorePort {
  readonly calls: string[] = [];
  readonly commits: SessionCommit[] = [];
  readonly storedAsked: (readonly string[])[] = [];
  constructor(
    public device: DeviceSummary | null,
    public queue: TaskRecord[] = [],
    public stored: StoredParameter[] = [],
  ) {}
  readonly opens: SessionOpenInput[] = [];
  async openSession(input: SessionOpenInput): Promise<SessionOpenResult> {
    this.calls.push('openSession');
    this.opens.push(input);
    const queue = input.takeTasks === false ? [] : this.queue;
    return { lock: 'acquired', device: this.device, credential: null, credentials: null, queue, policyMemo: null };
  }
  async commitSession(commit: SessionCommit): Promise<void> {
    this.calls.push('commitSession');
    this.commits.push(commit);
  }
  async extendLock(): Promise<boolean> {
    this.calls.push('extendLock');
    return true;
  }
  async releaseLock(): Promise<void> {
    this.calls.push('releaseLock');
  }
  async readStoredParameters(_deviceId: string, paths: readonly string[]): Promise<StoredParameter[]> {
    this.calls.push('readStoredParameters');
    this.storedAsked.push(paths);
    return this.stored.filter((p) => paths.some((q) => q === p.path || (q.endsWith('.') && p.path.startsWith(q))));
  }
}

const KNOWN: DeviceSummary = {
  id: ID,
  deviceId: { manufacturer: 'Acme', oui: 'A1B2C3', productClass: 'Gateway', serialNumber: 'SN1' },
  firstInform: 1,
  lastInform: 1,
  lastBoot: null,
  lastBootstrap: null,
  lastEvents: [],
  tags: [],
};

function inform(events: string[] = ['2 PERIODIC'], commandKey = ''): Inform {
  return {
    method: 'Inform',
    deviceId: KNOWN.deviceId,
    event: events.map((eventCode) => ({ eventCode, commandKey })),
    maxEnvelopes: 1,
    currentTime: '2026-12-03T10:00:00Z',
    retryCount: 0,
    parameterList: [
      { name: 'Device.DeviceInfo.SoftwareVersion', value: '1.0', type: 'xsd:string' },
      { name: 'Device.WiFi.SSID.1.SSID', value: 'cpe-side', type: 'xsd:string' },
    ],
  };
}

let n = 0;
function task(t: Task): TaskRecord {
  n++;
  return {
    id: `t${n}`,
    deviceId: ID,
    task: t,
    seq: n,
    createdAt: 0,
    expiresAt: null,
    state: 'running',
    commandKey: 'commandKey' in t ? (t.commandKey ?? null) : null,
    response: null,
    fault: null,
    updatedAt: 0,
    attempts: 1,
    connectionRequest: null,
  };
}

function stored(path: string, value: string): StoredParameter {
  return { path, object: false, value, type: 'xsd:string', writable: true, notification: null, accessList: null, valueAt: 1, namesAt: 1, attributesAt: null };
}

const DEFAULTS = { discoverOnBootstrap: true, discoveryBatchSize: 2, taskBatchSize: 256 };

/** A session: Inform in, then the CPE's empty POST; returns the driver and the ACS's first turn. */
async function begin(
  port: MemoryPort,
  programs: ProgramFactory,
  body: Inform = inform(),
  errors: string[] = [],
): Promise<{ driver: SessionDriver; informReply: Reply; turn: Reply }> {
  let clock = 1_000;
  const driver = new SessionDriver(
    {
      store: port,
      sessionTimeoutMs: 30_000,
      programs,
      now: () => clock++,
      lockOwner: 'test',
      onEnded: () => undefined,
      onProgramError: (name) => errors.push(name),
    },
    'test',
  );
  driver.machine.receive({ namespace: NS, header: { id: 'i1' }, body });
  const opened = await driver.open(body, ID);
  expect(opened.lock).toBe('acquired');
  const informReply = driver.accept();
  const turn = await driver.handle(null);
  return { driver, informReply, turn };
}

function sent(reply: Reply): AcsRequest {
  if (reply.status !== 200) throw new Error(`expected a request, got ${reply.status}`);
  return reply.envelope.body as AcsRequest;
}

function answer(driver: SessionDriver, reply: Reply, body: CwmpBody): Promise<Reply> {
  const id = reply.status === 200 ? reply.envelope.header.id : undefined;
  const env: Envelope = { namespace: NS, header: id === undefined ? {} : { id }, body };
  return driver.handle(env);
}

const fault = (code: number): CwmpBody => ({
  method: 'Fault',
  faultcode: 'Client',
  faultstring: 'CWMP fault',
  detail: { faultCode: code, faultString: `fault ${code}`, setParameterValuesFault: [] },
});

describe('session driver', () => {
  it('an idle periodic session: openSession and commitSession, nothing else', async () => {
    const port = new MemoryPort(KNOWN);
    const { informReply, turn } = await begin(port, defaultPrograms(DEFAULTS));
    expect(informReply.status === 200 && informReply.envelope.header.holdRequests).toBeFalsy();
    expect(turn.status).toBe(204);
    expect(port.calls).toEqual(['openSession', 'commitSession']);
    const [commit] = port.commits;
    expect(commit?.log.rpcs).toEqual([]);
    expect(commit?.log.outcome).toBe('ok');
    expect(commit?.parameterOps).toEqual([{ op: 'setValues', at: 1_000, touch: false, params: inform().parameterList }]);
  });

  it('the tasks program: the planner with its own batch size, outcomes and log as recorded today', async () => {
    const gpv = task({ type: 'getParameterValues', parameterNames: ['Device.A', 'Device.B', 'Device.C'] });
    const reboot = task({ type: 'reboot', commandKey: 'r1' });
    const port = new MemoryPort(KNOWN, [gpv, reboot]);
    // Discovery's batch size is 2; the planner's own (3) decides the GetParameterValues.
    const { driver, informReply, turn } = await begin(port, defaultPrograms({ ...DEFAULTS, taskBatchSize: 3 }));
    // Queued tasks do not make the ACS hold the CPE's requests (it buys them nothing; issue 11).
    expect(informReply.status === 200 && informReply.envelope.header.holdRequests).toBeFalsy();
    expect(sent(turn)).toEqual({ method: 'GetParameterValues', parameterNames: ['Device.A', 'Device.B', 'Device.C'] });
    const params = ['A', 'B', 'C'].map((x) => ({ name: `Device.${x}`, value: x, type: 'xsd:string' }));
    const second = await answer(driver, turn, { method: 'GetParameterValuesResponse', parameterList: params });
    expect(sent(second)).toEqual({ method: 'Reboot', commandKey: 'r1' });
    expect((await answer(driver, second, fault(9001))).status).toBe(204);
    expect(port.calls).toEqual(['openSession', 'commitSession']);
    const [commit] = port.commits;
    expect(commit?.requestOutcomes.map((o) => [o.requestId, o.state])).toEqual([
      [gpv.id, 'done'],
      [reboot.id, 'fault'],
    ]);
    expect(commit?.log.rpcs).toEqual([
      { method: 'GetParameterValues', requestId: gpv.id, outcome: 'done' },
      { method: 'Reboot', requestId: reboot.id, outcome: 'fault', faultCode: 9001 },
    ]);
    expect(commit?.parameterOps.at(-1)).toMatchObject({ op: 'setValues', touch: true, params });
  });

  it('queued setParameterValues go as one request; each task is settled by its answer and every value is recorded', async () => {
    const a = task({ type: 'setParameterValues', parameterValues: [['Device.A', '1', 'xsd:string']], parameterKey: 'k1' });
    const b = task({ type: 'setParameterValues', parameterValues: [['Device.B', '2', 'xsd:string'], ['Device.C', '3', 'xsd:string']], parameterKey: 'k2' });
    const port = new MemoryPort(KNOWN, [a, b]);
    const { driver, turn } = await begin(port, defaultPrograms(DEFAULTS));
    const values = [
      { name: 'Device.A', value: '1', type: 'xsd:string' },
      { name: 'Device.B', value: '2', type: 'xsd:string' },
      { name: 'Device.C', value: '3', type: 'xsd:string' },
    ];
    expect(sent(turn)).toEqual({ method: 'SetParameterValues', parameterList: values, parameterKey: 'k2' });
    expect((await answer(driver, turn, { method: 'SetParameterValuesResponse', status: 1 })).status).toBe(204);
    const [commit] = port.commits;
    expect(commit?.requestOutcomes.map((o) => [o.requestId, o.state, o.state === 'done' ? o.response : null])).toEqual([
      [a.id, 'done', { method: 'SetParameterValuesResponse', status: 1 }],
      [b.id, 'done', { method: 'SetParameterValuesResponse', status: 1 }],
    ]);
    expect(commit?.log.rpcs).toEqual([{ method: 'SetParameterValues', requestId: `${a.id},${b.id}`, outcome: 'done' }]);
    expect(commit?.parameterOps.at(-1)).toMatchObject({ op: 'setValues', touch: true, params: values });
  });

  it('links an M Reboot event to its queued task instead of sending it', async () => {
    const reboot = task({ type: 'reboot', commandKey: 'k1' });
    const port = new MemoryPort(KNOWN, [reboot]);
    const { informReply, turn } = await begin(port, defaultPrograms(DEFAULTS), inform(['M Reboot', '1 BOOT'], 'k1'));
    expect(informReply.status === 200 && informReply.envelope.header.holdRequests).toBeFalsy();
    expect(turn.status).toBe(204);
    const [commit] = port.commits;
    expect(commit?.log.linkedRequests).toEqual([reboot.id]);
    expect(commit?.requestOutcomes).toEqual([{ requestId: reboot.id, state: 'done', response: { method: 'RebootResponse' }, at: 1_000 }]);
  });

  it('discovery of a new device is a refresh of its root through the planner; a faulted batch is skipped', async () => {
    const port = new MemoryPort(null);
    const { driver, turn } = await begin(port, defaultPrograms(DEFAULTS));
    expect(sent(turn)).toEqual({ method: 'GetParameterNames', parameterPath: rootOf(inform().parameterList.map((p) => p.name)), nextLevel: false });
    const names = ['Device.A', 'Device.B', 'Device.C', 'Device.D', 'Device.E'];
    const b1 = await answer(driver, turn, {
      method: 'GetParameterNamesResponse',
      parameterList: [{ name: 'Device.', writable: false }, ...names.map((name) => ({ name, writable: false }))],
    });
    expect(sent(b1)).toEqual({ method: 'GetParameterValues', parameterNames: ['Device.A', 'Device.B'] });
    const b2 = await answer(driver, b1, fault(9005));
    expect(sent(b2)).toEqual({ method: 'GetParameterValues', parameterNames: ['Device.C', 'Device.D'] });
    const b3 = await answer(driver, b2, {
      method: 'GetParameterValuesResponse',
      parameterList: [
        { name: 'Device.C', value: 'c', type: 'xsd:string' },
        { name: 'Device.D', value: 'd', type: 'xsd:string' },
      ],
    });
    expect(sent(b3)).toEqual({ method: 'GetParameterValues', parameterNames: ['Device.E'] });
    expect((await answer(driver, b3, { method: 'GetParameterValuesResponse', parameterList: [{ name: 'Device.E', value: 'e', type: 'xsd:string' }] })).status).toBe(204);
    const [commit] = port.commits;
    // Discovery is the ACS's own work: no task id in the log, no task outcome.
    expect(commit?.log.rpcs.map((r) => [r.method, r.requestId, r.outcome])).toEqual([
      ['GetParameterNames', null, 'done'],
      ['GetParameterValues', null, 'fault'],
      ['GetParameterValues', null, 'done'],
      ['GetParameterValues', null, 'done'],
    ]);
    expect(commit?.requestOutcomes).toEqual([]);
    expect(commit?.parameterOps.map((o) => o.op)).toEqual(['setValues', 'setNames', 'setValues', 'setValues']);
    expect(port.calls).toEqual(['openSession', 'commitSession']);
  });

  it('a faulted GetParameterNames ends discovery', async () => {
    const port = new MemoryPort(KNOWN);
    const { driver, turn } = await begin(port, defaultPrograms(DEFAULTS), inform(['0 BOOTSTRAP']));
    expect(sent(turn).method).toBe('GetParameterNames');
    expect((await answer(driver, turn, fault(9002))).status).toBe(204);
    expect(port.commits[0]?.log.rpcs).toEqual([{ method: 'GetParameterNames', requestId: null, outcome: 'fault', faultCode: 9002 }]);
    expect(port.commits[0]?.parameterOps[0]).toEqual({ op: 'clearTree' });
  });
});

/** A policy-like program: wants the SSID stored and, when the CPE's differs from it, sets it back. */
class SsidKeeper implements Program {
  readonly name = 'ssid-keeper';
  readonly storedPaths = ['Device.WiFi.'];
  readonly answers: RpcOutcome[] = [];
  #sent = false;
  constructor(readonly ctx: ProgramContext) {}
  next(): ProgramRpc | null {
    if (this.#sent) return null;
    const want = this.ctx.view.stored('Device.WiFi.SSID.1.SSID');
    const have = this.ctx.view.learnt('Device.WiFi.SSID.1.SSID');
    if (want === undefined || want.value === have?.value) return null;
    this.#sent = true;
    return {
      request: { method: 'SetParameterValues', parameterList: [{ name: want.path, value: want.value ?? '', type: 'xsd:string' }], parameterKey: 'keeper' },
      requestId: null,
    };
  }
  learn(answer: RpcOutcome): void {
    this.answers.push(answer);
  }
}

/** Reads what the session learnt before it: records it and asks for nothing. */
class Reader implements Program {
  readonly name = 'reader';
  seen: string | undefined;
  readonly storedPaths: string[];
  constructor(
    readonly ctx: ProgramContext,
    paths: string[] = [],
  ) {
    this.storedPaths = paths;
  }
  next(): ProgramRpc | null {
    this.seen = this.ctx.view.learnt('Device.WiFi.SSID.1.SSID')?.value;
    return null;
  }
  learn(): void {}
}

describe('programs plugged into the driver', () => {
  it('runs a custom program after the tasks, with stored values in ONE extra round trip for all programs', async () => {
    const t = task({ type: 'getParameterValues', parameterNames: ['Device.DeviceInfo.UpTime'] });
    const port = new MemoryPort(KNOWN, [t], [stored('Device.WiFi.SSID.1.SSID', 'desired'), stored('Device.X', 'x')]);
    let keeper: SsidKeeper | null = null;
    let reader: Reader | null = null;
    const { driver, turn } = await begin(port, (ctx) => {
      keeper = new SsidKeeper(ctx);
      reader = new Reader(ctx, ['Device.X', 'Device.WiFi.']);
      return [...defaultPrograms(DEFAULTS)(ctx), keeper, reader];
    });
    expect(sent(turn).method).toBe('GetParameterValues');
    const spv = await answer(driver, turn, { method: 'GetParameterValuesResponse', parameterList: [{ name: 'Device.DeviceInfo.UpTime', value: '5', type: 'xsd:unsignedInt' }] });
    expect(sent(spv)).toEqual({
      method: 'SetParameterValues',
      parameterList: [{ name: 'Device.WiFi.SSID.1.SSID', value: 'desired', type: 'xsd:string' }],
      parameterKey: 'keeper',
    });
    expect((await answer(driver, spv, { method: 'SetParameterValuesResponse', status: 0 })).status).toBe(204);
    expect(keeper!.answers).toEqual([{ ok: true, response: { method: 'SetParameterValuesResponse', status: 0 } }]);
    // A later program sees what an earlier one set.
    expect(reader!.seen).toBe('desired');
    expect(port.calls).toEqual(['openSession', 'readStoredParameters', 'commitSession']);
    expect(port.storedAsked).toEqual([['Device.WiFi.', 'Device.X']]);
    expect(port.commits[0]?.log.rpcs.map((r) => [r.method, r.requestId])).toEqual([
      ['GetParameterValues', t.id],
      ['SetParameterValues', null],
    ]);
  });

  it('reads stored values only when a program asks for them', async () => {
    const port = new MemoryPort(KNOWN, [], [stored('Device.WiFi.SSID.1.SSID', 'desired')]);
    let reader: Reader | null = null;
    const { turn } = await begin(port, (ctx) => [(reader = new Reader(ctx))]);
    expect(turn.status).toBe(204);
    expect(reader!.seen).toBe('cpe-side');
    expect(port.calls).toEqual(['openSession', 'commitSession']);
  });

  it('records a CPE fault to a program, and hands the fault to that program', async () => {
    const port = new MemoryPort(KNOWN, [], [stored('Device.WiFi.SSID.1.SSID', 'desired')]);
    let keeper: SsidKeeper | null = null;
    const { driver, turn } = await begin(port, (ctx) => [(keeper = new SsidKeeper(ctx))]);
    expect((await answer(driver, turn, fault(9007))).status).toBe(204);
    expect(keeper!.answers).toMatchObject([{ ok: false, fault: { faultCode: 9007 } }]);
    expect(port.commits[0]?.log.rpcs).toEqual([{ method: 'SetParameterValues', requestId: null, outcome: 'fault', faultCode: 9007 }]);
    expect(port.commits[0]?.requestOutcomes).toEqual([]);
  });

  it('a program that throws is dropped; the session goes on and commits', async () => {
    const port = new MemoryPort(KNOWN);
    const errors: string[] = [];
    let reader: Reader | null = null;
    const broken: Program = {
      name: 'broken',
      next: () => {
        throw new Error('bug');
      },
      learn: () => undefined,
    };
    const { turn } = await begin(port, (ctx) => [broken, (reader = new Reader(ctx))], inform(), errors);
    expect(turn.status).toBe(204);
    expect(errors).toEqual(['broken']);
    expect(reader!.seen).toBe('cpe-side');
    expect(port.calls).toEqual(['openSession', 'commitSession']);
  });

  it('a HEARTBEAT session (Annex O) runs no programs, takes no tasks and costs two round trips', async () => {
    const port = new MemoryPort(KNOWN, [task({ type: 'reboot', commandKey: 'rb' })], [stored('Device.WiFi.SSID.1.SSID', 'desired')]);
    let built = 0;
    const { driver, informReply, turn } = await begin(
      port,
      (ctx) => {
        built++;
        return defaultPrograms(DEFAULTS)(ctx);
      },
      inform(['14 HEARTBEAT']),
    );
    expect(driver.heartbeat).toBe(true);
    expect(informReply.status === 200 && informReply.envelope.header.holdRequests).toBeFalsy();
    expect(turn.status).toBe(204);
    expect(built).toBe(0);
    expect(port.opens[0]?.takeTasks).toBe(false);
    expect(port.calls).toEqual(['openSession', 'commitSession']);
    expect(port.commits[0]?.log.rpcs).toEqual([]);
    expect(port.commits[0]?.events).toEqual([{ eventCode: '14 HEARTBEAT', commandKey: '' }]);
  });

  it('HEARTBEAT beside other events is an ordinary session; 13 WAKEUP too', async () => {
    for (const events of [['14 HEARTBEAT', '4 VALUE CHANGE'], ['13 WAKEUP']]) {
      const port = new MemoryPort(KNOWN, [task({ type: 'reboot', commandKey: 'rb' })]);
      const { driver, turn } = await begin(port, defaultPrograms(DEFAULTS), inform(events));
      expect(driver.heartbeat).toBe(false);
      expect(port.opens[0]?.takeTasks).toBeUndefined();
      expect(sent(turn)).toEqual({ method: 'Reboot', commandKey: 'rb' });
    }
  });
});

/** Sets one password, reads the table back, then records what the session learnt under it. */
class SecretsReader implements Program {
  readonly name = 'secrets-reader';
  #step = 0;
  under: string[] = [];
  setValue: string | undefined;
  constructor(readonly ctx: ProgramContext) {}
  next(): ProgramRpc | null {
    this.#step++;
    if (this.#step === 1) {
      return { request: { method: 'SetParameterValues', parameterList: [{ name: 'Device.Users.User.3.Password', value: 'set-by-acs', type: 'xsd:string' }], parameterKey: 'p' }, requestId: null };
    }
    if (this.#step === 2) return { request: { method: 'GetParameterValues', parameterNames: ['Device.Users.User.'] }, requestId: null };
    this.under = this.ctx.view.learntUnder('Device.Users.User.');
    this.setValue = this.ctx.view.learnt('Device.Users.User.3.Password')?.value;
    return null;
  }
  learn(): void {}
}

describe('secrets read back blank', () => {
  it('are listed as learnt once each, past the walks of the learnt values, and never replace a value the ACS set', async () => {
    const port = new MemoryPort(KNOWN);
    let reader: SecretsReader | null = null;
    const { driver, turn } = await begin(port, (ctx) => {
      reader = new SecretsReader(ctx);
      return [reader];
    });
    expect(sent(turn).method).toBe('SetParameterValues');
    const gpv = await answer(driver, turn, { method: 'SetParameterValuesResponse', status: 0 });
    expect(sent(gpv)).toEqual({ method: 'GetParameterValues', parameterNames: ['Device.Users.User.'] });
    // 40 users (more blank secrets than the learnt values walk before indexing), each password "".
    const users = Array.from({ length: 40 }, (_, i) => [
      { name: `Device.Users.User.${i + 1}.Username`, value: `u${i + 1}`, type: 'xsd:string' },
      { name: `Device.Users.User.${i + 1}.Password`, value: '', type: 'xsd:string' },
    ]).flat();
    expect((await answer(driver, gpv, { method: 'GetParameterValuesResponse', parameterList: users })).status).toBe(204);
    const under = reader!.under;
    expect(new Set(under).size).toBe(under.length);
    expect([...under].sort()).toEqual(users.map((u) => u.name).sort());
    expect(reader!.setValue).toBe('set-by-acs');
    // The blank reads are not written over the stored secrets.
    const written = port.commits[0]!.parameterOps.filter((op) => op.op === 'setValues').flatMap((op) => op.params.map((p) => `${p.name}=${p.value}`));
    expect(written.filter((w) => w.includes('Password'))).toEqual(['Device.Users.User.3.Password=set-by-acs']);
  });
});
