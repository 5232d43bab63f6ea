/**
 * Multi-instance objects in policies, end to end (simulated CPEs over loopback, SQLite):
 * instances named by their keys, added when missing, duplicates and unlisted ones deleted,
 * AddObject never repeated for one declaration, bad declarations refused with their position.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Cpe } from '../../src/cpe/client/cpe.js';
import { createCpe } from '../../src/cpe/client/create.js';
import { loadModel } from '../../src/cpe/model/load.js';
import { Api, SimFleet, inPath, startStack, until, type Stack } from '../nbi/helpers.js';

let s: Stack;
let api: Api;
let fleet: SimFleet;
const created: string[] = [];

beforeAll(async () => {
  s = await startStack({ acs: { discoverOnBootstrap: false, policyRetryBaseMs: 1 } });
  api = s.api;
  fleet = new SimFleet(s.acs.cwmpUrl);
});

afterAll(async () => {
  await fleet?.close();
  await s?.close();
});

async function policy(body: Record<string, unknown>): Promise<string> {
  const r = await api.post('/policies', body);
  expect(r.status, r.text).toBe(201);
  created.push(r.body.id);
  return r.body.id as string;
}

async function clear(): Promise<void> {
  for (const id of created.splice(0)) await api.del(`/policies/${id}`);
}

async function session(serial: string, event = '2 PERIODIC'): Promise<void> {
  const before = fleet.sessionsOf(serial).length;
  fleet.cpes.get(serial)!.inform(event);
  await until(() => fleet.sessionsOf(serial).length > before && fleet.sessionsOf(serial).at(-1)!.ok);
}

const PM = 'Device.NAT.PortMapping.';

/** The simulated device's instances of a table, with the values of some of their parameters. */
function instances(cpe: Cpe, table: string, names: string[]): Record<string, string>[] {
  const out: Record<string, string>[] = [];
  for (let n = 1; n < 64; n++) {
    if (cpe.model.get(`${table}${n}.${names[0]}`) === undefined) continue;
    out.push(Object.fromEntries([['#', String(n)], ...names.map((k) => [k, cpe.model.get(`${table}${n}.${k}`)?.value ?? ''])]));
  }
  return out;
}

/** An instance made on the device itself (its web page, another ACS), not by us. */
function localInstance(cpe: Cpe, table: string, values: Record<string, string>): number {
  const added = cpe.model.handle({ method: 'AddObject', objectName: table, parameterKey: '' });
  if (!('response' in added) || added.response.method !== 'AddObjectResponse') throw new Error('the simulator did not add an instance');
  const n = added.response.instanceNumber;
  for (const [k, v] of Object.entries(values)) cpe.model.setInternal(`${table}${n}.${k}`, v);
  return n;
}

const rpcsOf = (serial: string): string[] => fleet.sessionsOf(serial).flatMap((r) => r.rpcs.map((x) => x.method));

const WEB = { object: `${PM}{i}`, key: { ExternalPort: 8080, Protocol: 'TCP' }, values: { InternalClient: '192.168.1.10', InternalPort: 80, Enable: true, Description: 'web' } };

describe('objects matched by key', () => {
  it('a new device gets exactly one port mapping with these keys and values in its first session; the next session has no RPC', async () => {
    const id = await policy({ name: 'web', filter: ['serialNumber = POLO001'], declarations: [WEB] });
    const { cpe, id: deviceId } = await fleet.add('POLO001');
    expect(instances(cpe, PM, ['ExternalPort', 'Protocol', 'InternalClient', 'InternalPort', 'Enable', 'Description'])).toEqual([
      { '#': expect.any(String), ExternalPort: '8080', Protocol: 'TCP', InternalClient: '192.168.1.10', InternalPort: '80', Enable: 'true', Description: 'web' },
    ]);
    const first = fleet.sessionsOf('POLO001');
    expect(first).toHaveLength(1);
    expect(first[0]!.rpcs.filter((r) => r.method === 'AddObject')).toHaveLength(1);
    expect((await api.get(`/devices/${inPath(deviceId)}/policies`)).body.compliance).toEqual([expect.objectContaining({ policyId: id, state: 'compliant' })]);
    await session('POLO001');
    expect(fleet.sessionsOf('POLO001').at(-1)!.rpcs).toEqual([]);
    const plan = (await api.get(`/devices/${inPath(deviceId)}/plan`)).body;
    expect(plan).toMatchObject({ set: [], add: [], remove: [] });
    await clear();
  });

  it('duplicates are deleted (the lowest number kept), an `only` list deletes the rest, and the next session is quiet', async () => {
    await policy({ name: 'web', filter: ['serialNumber = POLO002'], declarations: [WEB] });
    const { cpe } = await fleet.add('POLO002');
    const [mine] = instances(cpe, PM, ['ExternalPort']);
    // Made on the device itself: a duplicate of ours, one the list keeps, one it does not.
    const dup = localInstance(cpe, PM, { ExternalPort: '8080', Protocol: 'TCP', InternalClient: '192.168.1.99' });
    localInstance(cpe, PM, { ExternalPort: '22', Protocol: 'TCP', InternalClient: '192.168.1.2' });
    localInstance(cpe, PM, { ExternalPort: '5000', Protocol: 'UDP', InternalClient: '192.168.1.3' });
    const before = rpcsOf('POLO002').length;
    await policy({
      name: 'only these',
      filter: ['serialNumber = POLO002'],
      declarations: [
        { object: `${PM}{i}`, only: [{ ExternalPort: '8080', Protocol: 'TCP' }, { ExternalPort: '22' }] },
        // The ACS's copy of the table is not trusted for deletions: re-read it every evaluation.
        { path: PM, maxAge: 0 },
      ],
    });
    await session('POLO002');
    const methods = rpcsOf('POLO002').slice(before);
    expect(methods.filter((m) => m === 'DeleteObject')).toHaveLength(2);
    expect(methods).not.toContain('AddObject');
    const left = instances(cpe, PM, ['ExternalPort', 'Protocol', 'InternalClient']);
    expect(left.map((i) => [i['#'], i.ExternalPort, i.InternalClient])).toEqual([
      [mine!['#'], '8080', '192.168.1.10'],
      [expect.any(String), '22', '192.168.1.2'],
    ]);
    expect(left.some((i) => i['#'] === String(dup))).toBe(false);
    await session('POLO002');
    expect(fleet.sessionsOf('POLO002').at(-1)!.rpcs).toEqual([]);
    await clear();
  });

  it('an `only` list never deletes what another policy keeps by key: reported as a conflict, no add/delete loop', async () => {
    const keeper = await policy({ name: 'web', filter: ['serialNumber = POLO003'], declarations: [WEB] });
    const lister = await policy({ name: 'nothing', filter: ['serialNumber = POLO003'], declarations: [{ object: `${PM}{i}`, only: [{ ExternalPort: '1' }] }] });
    const { cpe, id } = await fleet.add('POLO003');
    expect(instances(cpe, PM, ['ExternalPort'])).toHaveLength(1);
    expect(rpcsOf('POLO003').filter((m) => m === 'DeleteObject')).toEqual([]);
    const plan = (await api.get(`/devices/${inPath(id)}/plan`)).body;
    expect(plan.conflicts).toEqual([{ path: expect.stringMatching(/^Device\.NAT\.PortMapping\.\d+\.$/), winner: { policyId: keeper, value: '(kept)' }, overruled: [{ policyId: lister, value: '(deleted)' }] }]);
    await clear();
  });

  it('an instance whose set-up the device refused is set up again, not added again (remembered across sessions)', async () => {
    // A key this CPE refuses (the standard allows WEP-64; its ModesSupported lacks it): the
    // instance never gets its keys, so only the memory of having made it keeps it ours.
    const AP = 'Device.WiFi.AccessPoint.';
    const id = await policy({ name: 'guest', filter: ['serialNumber = POLO004'], declarations: [{ object: `${AP}{i}`, key: { Alias: 'ap-guest', 'Security.ModeEnabled': 'WEP-64' } }] });
    const { cpe, id: deviceId } = await fleet.add('POLO004');
    const before = instances(cpe, AP, ['Alias']).length;
    const rows = (await api.get(`/devices/${inPath(deviceId)}/policies`)).body.compliance;
    expect(rows).toEqual([expect.objectContaining({ policyId: id, state: 'faulted', fault: expect.objectContaining({ path: expect.stringMatching(/AccessPoint\.\d+\.Security\.ModeEnabled$/) }) })]);
    // Back-off of 1 ms: every later session evaluates again, and sets up the same instance.
    for (let i = 0; i < 3; i++) await session('POLO004');
    expect(rpcsOf('POLO004').filter((m) => m === 'AddObject')).toHaveLength(1);
    expect(instances(cpe, AP, ['Alias'])).toHaveLength(before);
    expect(instances(cpe, AP, ['Alias']).filter((i) => i.Alias === 'ap-guest')).toHaveLength(1);
    await clear();
  });

  it('a key with an Alias (CWMP 1.4): a device resolving aliases gets AddObject "Table.[alias]."; one that does not gets "Table." and the Alias set', async () => {
    const decl = { object: `${PM}{i}`, key: { Alias: 'web' }, values: { ExternalPort: 8080, Protocol: 'TCP', InternalClient: '192.168.1.10', InternalPort: 80 } };
    /** The AddObject names a device is sent (its own answers are unchanged). */
    const adds = (cpe: Cpe): string[] => {
      const seen: string[] = [];
      const handle = cpe.model.handle.bind(cpe.model);
      cpe.model.handle = (r) => {
        if (r.method === 'AddObject') seen.push(r.objectName);
        return handle(r);
      };
      return seen;
    };
    const native = await fleet.add('POLO005');
    const plain = await fleet.add('POLO006', { 'Device.ManagementServer.AliasBasedAddressing': 'false' });
    const nativeAdds = adds(native.cpe);
    const plainAdds = adds(plain.cpe);
    await policy({ name: 'alias-native', filter: ['serialNumber = POLO005'], declarations: [decl] });
    await policy({ name: 'alias-plain', filter: ['serialNumber = POLO006'], declarations: [decl] });
    await session('POLO005');
    await session('POLO006');
    expect(nativeAdds).toEqual([`${PM}[web].`]);
    expect(plainAdds).toEqual([PM]);
    for (const cpe of [native.cpe, plain.cpe]) {
      expect(instances(cpe, PM, ['Alias', 'ExternalPort', 'InternalClient']).map((i) => [i.Alias, i.ExternalPort, i.InternalClient])).toEqual([['web', '8080', '192.168.1.10']]);
    }
    // Converged: the next sessions add nothing.
    await session('POLO005');
    await session('POLO006');
    expect([nativeAdds.length, plainAdds.length]).toEqual([1, 1]);
    expect(fleet.sessionsOf('POLO005').at(-1)!.rpcs).toEqual([]);
    await clear();
  });

  it('TR-098: exactly one WANPPPConnection whose Username is X, with these values', async () => {
    const ppp = 'InternetGatewayDevice.WANDevice.1.WANConnectionDevice.1.WANPPPConnection.';
    await policy({
      name: 'ppp',
      filter: ['serialNumber = POLO098'],
      declarations: [{ object: `${ppp}{i}`, key: { Username: 'sub-42@isp.test' }, values: { Enable: 'true', ConnectionType: 'IP_Routed', Name: 'internet' } }],
    });
    const serial = 'POLO098';
    const cpe = createCpe({
      template: loadModel('tr098-gateway'),
      serialNumber: serial,
      overrides: { 'InternetGatewayDevice.ManagementServer.URL': s.acs.cwmpUrl, 'InternetGatewayDevice.ManagementServer.PeriodicInformEnable': 'false' },
      runtime: fleet.runtime,
    });
    fleet.cpes.set(serial, cpe);
    cpe.start();
    await until(() => fleet.sessionsOf(serial).some((r) => r.ok));
    const found = instances(cpe, ppp, ['Username', 'Enable', 'ConnectionType', 'Name']).filter((i) => i.Username === 'sub-42@isp.test');
    expect(found).toEqual([{ '#': expect.any(String), Username: 'sub-42@isp.test', Enable: 'true', ConnectionType: 'IP_Routed', Name: 'internet' }]);
    await session(serial);
    expect(fleet.sessionsOf(serial).at(-1)!.rpcs).toEqual([]);
    await clear();
  });
});

describe('object declarations: bad input is a 400 with the position, nothing saved', () => {
  const bad: [string, unknown, string][] = [
    ['no {i}', { object: 'Device.NAT.PortMapping', key: { ExternalPort: '1' } }, 'declarations[0].object'],
    ['two {i}', { object: 'Device.IP.Interface.{i}.IPv4Address.{i}', key: { IPAddress: '1.2.3.4' } }, 'declarations[0].object'],
    ['no key nor only', { object: `${PM}{i}`, values: { Enable: 'true' } }, 'declarations[0]'],
    ['empty key', { object: `${PM}{i}`, key: {} }, 'declarations[0].key'],
    ['key not an object', { object: `${PM}{i}`, key: 'ExternalPort=1' }, 'declarations[0].key'],
    ['absolute name in key', { object: `${PM}{i}`, key: { 'Device.X': '1' } }, 'declarations[0].key.Device.X'],
    ['hostile name', { object: `${PM}{i}`, key: { '<script>': '1' } }, 'declarations[0].key.<script>'],
    ['value also a key', { object: `${PM}{i}`, key: { ExternalPort: '1' }, values: { ExternalPort: '2' } }, 'declarations[0].values.ExternalPort'],
    ['unknown member', { object: `${PM}{i}`, key: { ExternalPort: '1' }, extra: 1 }, 'declarations[0].extra'],
    ['only not a list', { object: `${PM}{i}`, only: { ExternalPort: '1' } }, 'declarations[0].only'],
    ['object value', { object: `${PM}{i}`, key: { ExternalPort: { $gt: 1 } } }, 'declarations[0].key.ExternalPort'],
    // Against the catalogue:
    ['not a table', { object: 'Device.Time.{i}', key: { NTPServer1: 'x' } }, 'declarations[0].object'],
    ['not in the model', { object: 'Device.NoSuch.{i}', key: { A: 'x' } }, 'declarations[0].object'],
    ['bad key value', { object: `${PM}{i}`, key: { ExternalPort: '70000' } }, 'declarations[0].key.ExternalPort'],
    ['unknown parameter', { object: `${PM}{i}`, key: { ExternalPort: '1' }, values: { Bogus: '1' } }, 'declarations[0].values.Bogus'],
    ['unknown key in only', { object: `${PM}{i}`, only: [{ ExternalPort: '1' }, { Bogus: '2' }] }, 'declarations[0].only[1].Bogus'],
    ['device-managed table', { object: 'Device.Ethernet.Interface.{i}', key: { Name: 'eth9' } }, 'declarations[0].object'],
  ];
  for (const [what, decl, field] of bad) {
    it(what, async () => {
      const before = (await api.get('/policies')).body.policies?.length ?? (await api.get('/policies')).body.length;
      const r = await api.post('/policies', { name: what, declarations: [decl] });
      expect(r.status, r.text).toBe(400);
      expect(JSON.stringify(r.body)).toContain(field);
      const after = (await api.get('/policies')).body.policies?.length ?? (await api.get('/policies')).body.length;
      expect(after).toBe(before);
    });
  }

  it('the same keys declared twice; an oversized key list', async () => {
    const twice = await api.post('/policies', { name: 'x', declarations: [WEB, { ...WEB, values: {} }] });
    expect(twice.status).toBe(400);
    expect(JSON.stringify(twice.body)).toContain('declarations[1].key');
    const many = Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`X_A_${i}`, '1']));
    const big = await api.post('/policies', { name: 'x', declarations: [{ object: `${PM}{i}`, key: many }] });
    expect(big.status).toBe(400);
    expect(JSON.stringify(big.body)).toContain('declarations[0].key');
  });

  it('a "__proto__" member is refused before the parser sees it', async () => {
    const r = await api.req('POST', '/policies', undefined, { raw: `{"name":"p","declarations":[{"object":"${PM}{i}","key":{"__proto__":"1"}}]}` });
    expect(r.status).toBe(400);
  });
});
