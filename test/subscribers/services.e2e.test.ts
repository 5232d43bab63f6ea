/**
 * Subscribers end to end, over loopback with the simulator: a subscriber created before its
 * device exists, the device claimed by its serial and configured in its first session, a
 * factory reset that brings the services back, a swap to a device of the other data model,
 * a service the model cannot carry, and the self-service token's limits.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConnectionRequestServer } from '../../src/cpe/client/connection-request.js';
import { createCpe } from '../../src/cpe/client/create.js';
import type { Cpe } from '../../src/cpe/client/cpe.js';
import { CpeRuntime, type SessionReport } from '../../src/cpe/client/runtime.js';
import type { Template } from '../../src/cpe/model/template.js';
import { deviceIdOf } from '../../src/store/device-id.js';
import { CR_PASS, CR_USER, inPath, startStack, until, type Json, type Stack } from '../nbi/helpers.js';
import { tr098ServiceModel, tr181ServiceModel } from '../helpers/service-models.js';
import { loadModel } from '../../src/cpe/model/load.js';

const WIFI = { template: 'wifi', inputs: { ssid: 'Keller-Home', passphrase: 'correct horse battery' } };
const PPPOE = { template: 'internet-pppoe', inputs: { username: 'keller@isp.example', password: 'ppp-secret-1', vlan: 7 } };
const VOIP = { template: 'voip-sip', inputs: { registrar: 'sip.isp.example', user: '+41441234567', password: 'sip-secret-1', number: '0441234567' } };

class Fleet {
  readonly sessions: SessionReport[] = [];
  readonly runtime = new CpeRuntime({
    retry: { minimumWait: 0.05, multiplier: 2000 },
    rebootDelayMs: 30,
    observer: { sessionEnded: (r) => this.sessions.push(r) },
  });
  readonly cpes: Cpe[] = [];
  cr!: ConnectionRequestServer;

  constructor(readonly acsUrl: string) {}

  async add(template: Template, serial: string): Promise<{ cpe: Cpe; id: string }> {
    this.cr ??= await ConnectionRequestServer.listen({ rateLimit: { burst: 100, refillSeconds: 0.01 } });
    const ms = `${template.root}ManagementServer.`;
    const cpe = createCpe({
      template,
      serialNumber: serial,
      overrides: {
        [`${ms}URL`]: this.acsUrl,
        [`${ms}ConnectionRequestURL`]: this.cr.url(serial),
        [`${ms}ConnectionRequestUsername`]: CR_USER,
        [`${ms}ConnectionRequestPassword`]: CR_PASS,
        [`${ms}PeriodicInformEnable`]: 'false',
      },
      runtime: this.runtime,
    });
    this.cr.register(serial, cpe);
    this.cpes.push(cpe);
    const before = this.sessions.length;
    cpe.start();
    await until(() => this.sessions.slice(before).some((s) => s.serialNumber === serial && s.ok)).catch((e: unknown) => {
      throw new Error(`${serial} never had a good session: ${JSON.stringify(this.sessions.slice(before).filter((s) => s.serialNumber === serial).slice(0, 3))}`, { cause: e });
    });
    return { cpe, id: deviceIdOf(cpe.model.deviceId()) };
  }

  async close(): Promise<void> {
    this.runtime.stopping = true;
    for (const c of this.cpes) c.stop();
    await this.cr?.close();
  }
}

const value = (cpe: Cpe, path: string): string | undefined => cpe.model.get(path)?.value;

describe('subscribers and their services, end to end', () => {
  let stack: Stack;
  let fleet: Fleet;

  beforeAll(async () => {
    stack = await startStack();
    fleet = new Fleet(stack.acs.cwmpUrl);
  });
  afterAll(async () => {
    await fleet.close();
    await stack.close();
  });

  const applied = async (subscriberId: string, deviceId: string, count = 1): Promise<Json> =>
    until(async () => {
      const h = (await stack.api.get(`/subscribers/${subscriberId}/history?limit=100`)).body.history as Json[];
      return h.filter((e) => e.action === 'services-applied' && e.deviceId === deviceId).length >= count ? h : null;
    });

  it('lists the shipped templates; wifi takes ssid and passphrase', async () => {
    const r = await stack.api.get('/service-templates');
    expect(r.status).toBe(200);
    const ids = (r.body.templates as Json[]).map((t) => t.id);
    expect(ids).toEqual(expect.arrayContaining(['wifi', 'internet-pppoe', 'internet-dhcp', 'voip-sip', 'iptv', 'management-server']));
    const wifi = (r.body.templates as Json[]).find((t) => t.id === 'wifi');
    expect(wifi.inputs.map((i: Json) => i.name)).toEqual(expect.arrayContaining(['ssid', 'passphrase']));
  });

  it('configures a TR-181 device claimed by its serial in its first session, restores it after a factory reset, and follows a swap to TR-098', async () => {
    const created = await stack.api.post('/subscribers', { externalId: 'CRM-1001', name: 'Anna Keller', contact: { phone: '+41 44 123 45 67' }, services: [WIFI, PPPOE, VOIP] });
    expect(created.status).toBe(201);
    const sid = created.body.id as string;
    // Secrets are write-only.
    expect(created.text).not.toContain('correct horse battery');
    expect(created.text).not.toContain('ppp-secret-1');
    expect(created.body.services[0].inputs).toMatchObject({ ssid: 'Keller-Home', passphrase: '***' });

    const bind = await stack.api.post(`/subscribers/${sid}/devices`, { serialNumber: 'KEL-181-1' });
    expect(bind.status).toBe(201);
    expect(bind.body.deviceId).toBeNull();

    const { cpe, id } = await fleet.add(tr181ServiceModel(), 'KEL-181-1');
    await applied(sid, id);
    // In its very first session: the one that bootstrapped it.
    const first = fleet.sessions.find((s) => s.serialNumber === 'KEL-181-1' && s.ok)!;
    expect(first.events).toContain('0 BOOTSTRAP');
    expect(first.rpcs.filter((r) => r.method === 'SetParameterValues').length).toBeGreaterThanOrEqual(3);
    expect(value(cpe, 'Device.WiFi.SSID.1.SSID')).toBe('Keller-Home');
    expect(value(cpe, 'Device.WiFi.AccessPoint.1.Security.KeyPassphrase')).toBe('correct horse battery');
    expect(value(cpe, 'Device.PPP.Interface.1.Username')).toBe('keller@isp.example');
    expect(value(cpe, 'Device.PPP.Interface.1.Password')).toBe('ppp-secret-1');
    expect(value(cpe, 'Device.Ethernet.VLANTermination.1.VLANID')).toBe('7');
    expect(value(cpe, 'Device.Services.VoiceService.1.SIP.Client.1.AuthUserName')).toBe('+41441234567');
    expect(value(cpe, 'Device.Services.VoiceService.1.SIP.Network.1.RegistrarServer')).toBe('sip.isp.example');
    // The 5 GHz SSID is not the subscriber's 2.4 GHz service.
    expect(value(cpe, 'Device.WiFi.SSID.2.SSID')).not.toBe('Keller-Home');

    const devices = (await stack.api.get(`/subscribers/${sid}/devices`)).body.devices as Json[];
    expect(devices).toHaveLength(1);
    expect(devices[0].deviceId).toBe(id);
    expect(devices[0].services.map((s: Json) => `${s.template}:${s.state}`)).toEqual(['wifi:applied', 'internet-pppoe:applied', 'voip-sip:applied']);
    expect(devices[0].device).toMatchObject({ id, serialNumber: 'KEL-181-1', online: true });

    // Found by the help desk by serial, name or phone.
    for (const q of ['KEL-181-1', 'keller', '+41 44 123']) {
      expect((await stack.api.get(`/subscribers?search=${encodeURIComponent(q)}`)).body.subscribers.map((s: Json) => s.id)).toEqual([sid]);
    }

    // A periodic session of a device that has its services sends nothing more.
    const countBefore = fleet.sessions.filter((s) => s.serialNumber === 'KEL-181-1').length;
    cpe.inform('2 PERIODIC');
    await until(() => fleet.sessions.filter((s) => s.serialNumber === 'KEL-181-1').length > countBefore);
    const hist1 = (await stack.api.get(`/subscribers/${sid}/history`)).body.history as Json[];
    expect(hist1.filter((e: Json) => e.action === 'services-applied')).toHaveLength(1);

    // Factory reset: the device comes back with its defaults and 0 BOOTSTRAP, and gets the services again.
    const reset = await stack.api.post(`/devices/${inPath(id)}/tasks?connectionRequest=true`, { type: 'factoryReset' });
    expect(reset.status).toBeLessThan(300);
    await applied(sid, id, 2);
    expect(value(cpe, 'Device.WiFi.SSID.1.SSID')).toBe('Keller-Home');
    expect(value(cpe, 'Device.PPP.Interface.1.Username')).toBe('keller@isp.example');

    // Swap: a TR-098 gateway replaces it; the same services land in TR-098 paths.
    const swap = await stack.api.post(`/subscribers/${sid}/devices`, { serialNumber: 'KEL-098-2', replaces: id });
    expect(swap.status).toBe(201);
    const next = await fleet.add(tr098ServiceModel(), 'KEL-098-2');
    await applied(sid, next.id);
    const igd = 'InternetGatewayDevice.';
    expect(value(next.cpe, `${igd}LANDevice.1.WLANConfiguration.1.SSID`)).toBe('Keller-Home');
    expect(value(next.cpe, `${igd}LANDevice.1.WLANConfiguration.1.PreSharedKey.1.KeyPassphrase`)).toBe('correct horse battery');
    expect(value(next.cpe, `${igd}LANDevice.1.WLANConfiguration.2.SSID`)).not.toBe('Keller-Home');
    expect(value(next.cpe, `${igd}WANDevice.1.WANConnectionDevice.1.WANPPPConnection.1.Username`)).toBe('keller@isp.example');
    expect(value(next.cpe, `${igd}WANDevice.1.WANConnectionDevice.1.WANPPPConnection.1.X_FLOTILLA_VLANID`)).toBe('7');
    expect(value(next.cpe, `${igd}Services.VoiceService.1.VoiceProfile.1.Line.1.SIP.AuthUserName`)).toBe('+41441234567');
    expect(value(next.cpe, `${igd}Services.VoiceService.1.VoiceProfile.1.SIP.RegistrarServer`)).toBe('sip.isp.example');
    const after = (await stack.api.get(`/subscribers/${sid}/devices`)).body.devices as Json[];
    expect(after.map((d) => d.deviceId)).toEqual([next.id]);
    const history = (await stack.api.get(`/subscribers/${sid}/history`)).body.history as Json[];
    expect(history).toEqual(expect.arrayContaining([expect.objectContaining({ action: 'unbound', deviceId: id, detail: `replaced by ${next.id}` })]));
    // The replacement inherits nothing of its predecessor's connection-request credentials.
    expect(value(next.cpe, `${igd}ManagementServer.ConnectionRequestPassword`)).toBe(CR_PASS);
  });

  it('reports a service the model cannot carry as not supported, and sends none of it', async () => {
    const s = await stack.api.post('/subscribers', { externalId: 'CRM-2002', name: 'Ben Roth', services: [{ template: 'iptv', inputs: { vlan: 300 } }, { template: 'management-server', inputs: { periodicInterval: 600 } }] });
    expect(s.status).toBe(201);
    // The plain router model has no IPTV VLAN termination nor IGMP proxy switch.
    const plain = loadModel('tr181-router');
    const { cpe, id } = await fleet.add(plain, 'ROTH-1');
    const bound = await stack.api.post(`/subscribers/${s.body.id}/devices?connectionRequest=true`, { deviceId: id });
    expect(bound.status).toBe(201);
    await applied(s.body.id, id);
    const d = ((await stack.api.get(`/subscribers/${s.body.id}/devices`)).body.devices as Json[])[0];
    const iptv = d.services.find((x: Json) => x.template === 'iptv');
    expect(iptv.state).toBe('not-supported');
    expect(iptv.reason).toMatch(/not supported on this model/);
    expect(d.services.find((x: Json) => x.template === 'management-server').state).toBe('applied');
    expect(value(cpe, 'Device.ManagementServer.PeriodicInformInterval')).toBe('600');
  });

  it('refuses bad input and saves nothing', async () => {
    const before = (await stack.api.get('/subscribers')).body.total as number;
    const cases: [unknown, RegExp][] = [
      [{ externalId: 'X1', name: 'n', services: [{ template: 'nope' }] }, /no template "nope"/],
      [{ externalId: 'X2', name: 'n', services: [{ template: 'wifi', inputs: { ssid: 'a', passphrase: 'short' } }] }, /passphrase must be at least 8/],
      [{ externalId: 'X3', name: 'n', services: [{ template: 'wifi', inputs: { ssid: 'a', passphrase: '12345678', colour: 'red' } }] }, /colour unknown input/],
      [{ externalId: 'X4', name: 'n', services: [{ template: 'internet-pppoe', inputs: { username: 'u', password: 'p', vlan: 5000 } }] }, /vlan must be at most 4094/],
      [{ externalId: 'X5', name: 'n', extra: 1 }, /unknown field "extra"/],
      [{ externalId: 'X6', name: 'x'.repeat(300) }, /name/],
      [{ externalId: 'X7', name: 'n', services: [{ template: 'wifi', inputs: { ssid: 'evil\u0000', passphrase: '12345678' } }] }, /control characters/],
    ];
    for (const [body, why] of cases) {
      const r = await stack.api.post('/subscribers', body);
      expect(r.status, JSON.stringify(body).slice(0, 80)).toBe(400);
      expect(r.body.message).toMatch(why);
    }
    expect((await stack.api.post('/subscribers', { externalId: 'CRM-1001', name: 'dup' })).status).toBe(409);
    const huge = await stack.api.req('POST', '/subscribers', undefined, { raw: `{"externalId":"H","name":"${'x'.repeat(2_000_000)}"}` });
    expect(huge.status).toBe(413);
    expect((await stack.api.req('POST', '/subscribers', undefined, { raw: '{"externalId":' })).status).toBe(400);
    expect((await stack.api.get('/subscribers')).body.total).toBe(before);
    // Operator templates are checked: a bad pattern, an unknown input, a built-in id.
    const t = (over: Json) => ({ id: 'acme-wifi', name: 'Acme', inputs: [{ name: 'ssid', type: 'string' }], mappings: { 'Device.': { set: [{ path: 'Device.WiFi.SSID.1.SSID', value: '${ssid}' }] } }, ...over });
    expect((await stack.api.post('/service-templates', t({ mappings: { 'Device.': { select: { x: { table: 'Device.WiFi.SSID.{i}.', where: { Name: '~(' } } }, set: [{ path: '{{x}}.SSID', value: '1' }] } } }))).body.message).toMatch(/not a regular expression/);
    expect((await stack.api.post('/service-templates', t({ mappings: { 'Device.': { set: [{ path: 'Device.WiFi.SSID.1.SSID', value: '${nope}' }] } } }))).body.message).toMatch(/\$\{nope\} is not an input/);
    expect((await stack.api.post('/service-templates', t({ id: 'wifi' }))).status).toBe(409);
    expect((await stack.api.get('/service-templates')).body.templates.some((x: Json) => x.id === 'acme-wifi')).toBe(false);
    const ok = await stack.api.post('/service-templates', t({}));
    expect(ok.status).toBe(201);
    expect((await stack.api.del('/service-templates/acme-wifi')).status).toBe(204);
  });

  it('binds a device with an activation code once; a used or wrong code binds nothing', async () => {
    const s = await stack.api.post('/subscribers', { externalId: 'CRM-3003', name: 'Cleo Frei', services: [WIFI] });
    const code = await stack.api.post(`/subscribers/${s.body.id}/activation-codes`);
    expect(code.status).toBe(201);
    const anon = stack.api.as(null);
    expect((await anon.post('/activate', { code: 'WRONG-CODE', serialNumber: 'FREI-1' })).status).toBe(404);
    const ok = await anon.post('/activate', { code: code.body.code, serialNumber: 'FREI-1' });
    expect(ok.status).toBe(201);
    expect((await anon.post('/activate', { code: code.body.code, serialNumber: 'FREI-2' })).status).toBe(404);
    const { cpe, id } = await fleet.add(tr181ServiceModel(), 'FREI-1');
    await applied(s.body.id, id);
    expect(value(cpe, 'Device.WiFi.SSID.1.SSID')).toBe('Keller-Home');
  });

  it('gives a subscriber token its own devices and Wi-Fi and nothing else', async () => {
    const a = await stack.api.post('/subscribers', { externalId: 'CRM-4004', name: 'Dora Aebi', services: [{ template: 'wifi', inputs: { ssid: 'Aebi', passphrase: 'aebi-pass-1' } }] });
    const b = await stack.api.post('/subscribers', { externalId: 'CRM-4005', name: 'Emil Bär' });
    const devA = await fleet.add(tr181ServiceModel(), 'AEBI-1');
    const devB = await fleet.add(tr181ServiceModel(), 'BAER-1');
    await stack.api.post(`/subscribers/${a.body.id}/devices?connectionRequest=true`, { deviceId: devA.id });
    await stack.api.post(`/subscribers/${b.body.id}/devices`, { deviceId: devB.id });
    await applied(a.body.id, devA.id);
    const tok = await stack.api.post(`/subscribers/${a.body.id}/tokens`, { name: 'app' });
    expect(tok.status).toBe(201);
    const me = stack.api.as(tok.body.token);

    const self = await me.get('/self');
    expect(self.status).toBe(200);
    expect(self.body.devices.map((d: Json) => d.id)).toEqual([devA.id]);
    expect(self.text).not.toContain('aebi-pass-1');
    expect((await me.post(`/self/devices/${inPath(devB.id)}/reboot`)).status).toBe(404);

    const wifi = await me.post('/self/wifi', { ssid: 'Aebi-New', passphrase: 'aebi-pass-2' });
    expect(wifi.status).toBe(200);
    await until(() => value(devA.cpe, 'Device.WiFi.SSID.1.SSID') === 'Aebi-New');
    expect(value(devA.cpe, 'Device.WiFi.AccessPoint.1.Security.KeyPassphrase')).toBe('aebi-pass-2');
    expect((await me.post('/self/wifi', { colour: 'red' })).status).toBe(400);

    // Every other route of the API answers 403 to the subscriber's token.
    const doc = (await stack.api.get('/openapi.json')).body as Json;
    let checked = 0;
    for (const [path, ops] of Object.entries(doc.paths as Record<string, Json>)) {
      // Operational paths outside the API (/healthz, /readyz) answer anyone.
      if (!path.startsWith('/api/v1/')) continue;
      const rel = path.replace(/^\/api\/v1/, '');
      if (rel.startsWith('/self') || rel === '/activate' || rel === '/openapi.json') continue;
      for (const [method, op] of Object.entries(ops as Record<string, Json>)) {
        if (!['get', 'post', 'put', 'patch', 'delete'].includes(method)) continue;
        // Public operations (signing in as a user: `security: []`) answer anyone, as documented.
        if (Array.isArray(op.security) && op.security.length === 0) continue;
        const url = rel.replace(/\{[^}]+\}/g, 'x');
        const r = await me.req(method.toUpperCase(), url, ['post', 'put', 'patch'].includes(method) ? {} : undefined);
        expect(r.status, `${method} ${rel}`).toBe(403);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(30);
  });
});
