/**
 * UDP connection requests end to end (TR-069 Annex G): the API asks for a connection
 * request, the ACS finds HTTP cannot reach the device (no URL, or a NAT in the way) and
 * signs a UDP request to its UDPConnectionRequestAddress; the simulated CPE checks it and
 * opens a session with 6 CONNECTION REQUEST, which runs the task. Real sockets on loopback.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sendUdpConnectionRequest, parseUdpAddress } from '../../src/reach/udp.js';
import type { TemplateCpe } from '../../src/cpe/client/create.js';
import { UdpConnectionRequestListener, type UdpRequestOutcome } from '../../src/cpe/client/udp-connection-request.js';
import { Fleet } from '../../src/cpe/index.js';
import { deviceIdOf } from '../../src/store/device-id.js';
import { CR_PASS, CR_USER, inPath, SimFleet, startStack, until, type Stack } from '../nbi/helpers.js';

let stack: Stack;
let sim: SimFleet;
const listeners: UdpConnectionRequestListener[] = [];

beforeAll(async () => {
  stack = await startStack();
  sim = new SimFleet(stack.acs.cwmpUrl);
});
afterAll(async () => {
  await sim?.close();
  for (const l of listeners) await l.close();
  await stack?.close();
});

/** A simulated CPE behind a "NAT": its HTTP URL goes nowhere, its UDP socket is reachable. */
async function natDevice(serial: string, password = CR_PASS): Promise<{ id: string; cpe: TemplateCpe; outcomes: UdpRequestOutcome[] }> {
  const late: { cpe?: TemplateCpe } = {};
  const outcomes: UdpRequestOutcome[] = [];
  const udp = await UdpConnectionRequestListener.listen(
    { connectionRequest: () => late.cpe?.connectionRequest(), connectionRequestCredentials: () => late.cpe!.connectionRequestCredentials() },
    { rateLimit: { burst: 100, refillSeconds: 0.01 }, onRequest: (o) => outcomes.push(o) },
  );
  listeners.push(udp);
  const added = await sim.add(serial, {
    'Device.ManagementServer.ConnectionRequestURL': 'http://127.0.0.1:1/unreachable',
    'Device.ManagementServer.UDPConnectionRequestAddress': udp.address,
    'Device.ManagementServer.ConnectionRequestPassword': password,
  });
  late.cpe = added.cpe as TemplateCpe;
  return { id: added.id, cpe: late.cpe, outcomes };
}

describe('UDP connection requests', () => {
  it('reach a device HTTP cannot, which comes and runs its task', async () => {
    const { id, outcomes } = await natDevice('NAT-0001');
    const before = sim.sessionsOf('NAT-0001').length;
    const res = await stack.api.post(`/devices/${inPath(id)}/tasks?connectionRequest=true&wait=10`, { type: 'getRPCMethods' });
    expect(res.status).toBe(200);
    expect(res.body.state).toBe('done');
    expect(res.body.connectionRequest).toMatchObject({ outcome: 'udp-sent', detail: expect.stringMatching(/^HTTP ECONNREFUSED; 3 datagrams to 127\.0\.0\.1:\d+$/) });
    const session = sim.sessionsOf('NAT-0001').slice(before).find((s) => s.ok);
    expect(session?.events).toContain('6 CONNECTION REQUEST');
    // The CPE took the first copy and ignored the other two.
    await until(() => outcomes.length >= 3);
    expect(outcomes.slice(0, 3)).toEqual(['accepted', 'duplicate', 'duplicate']);
  });

  it('are ignored by a device whose password is not the one they are signed with', async () => {
    const { id, outcomes } = await natDevice('NAT-0002', 'another-password');
    const before = sim.sessionsOf('NAT-0002').length;
    const res = await stack.api.post(`/devices/${inPath(id)}/tasks?connectionRequest=true&wait=1`, { type: 'getRPCMethods' });
    expect(res.status).toBe(202);
    expect(res.body.state).toBe('queued');
    expect(res.body.connectionRequest.outcome).toBe('udp-sent');
    await until(() => outcomes.length >= 3);
    expect(new Set(outcomes)).toEqual(new Set(['bad-signature']));
    expect(sim.sessionsOf('NAT-0002').length).toBe(before);
  });

  it('reach a simulated fleet with UDP on and no HTTP listeners', async () => {
    const fleet = new Fleet({
      acsUrl: stack.acs.cwmpUrl,
      count: 3,
      model: 'tr181-router',
      serialPrefix: 'UDPFLEET',
      connectionRequests: 'off',
      udpConnectionRequests: true,
      connectionRequestCredentials: { username: CR_USER, password: CR_PASS },
      informInterval: 3600,
    });
    try {
      await fleet.start();
      await until(() => fleet.stats.sessions >= 3);
      for (const cpe of fleet.cpes) {
        const id = deviceIdOf(cpe.model.deviceId());
        // The ACS learnt each device's UDP address from the device itself (bootstrap discovery).
        const stored = await stack.api.get(`/devices/${inPath(id)}?subtree=Device.ManagementServer.UDPConnectionRequestAddress`);
        const address = JSON.stringify(stored.body).match(/"(127\.0\.0\.1:\d+)"/)?.[1];
        expect(address && parseUdpAddress(address)).toBeTruthy();
        expect(address).not.toBe(stack.acs.cwmpUrl);
        const res = await stack.api.post(`/devices/${inPath(id)}/tasks?connectionRequest=true&wait=10`, { type: 'getParameterValues', parameterNames: ['Device.DeviceInfo.UpTime'] });
        expect(res.body).toMatchObject({ state: 'done', connectionRequest: { outcome: 'udp-sent', detail: expect.stringMatching(/3 datagrams to 127\.0\.0\.1:\d+$/) } });
      }
    } finally {
      await fleet.stop();
    }
  });

  it('say so when the address is not host:port, and send nothing', async () => {
    expect(await sendUdpConnectionRequest('not an address', { username: 'u', password: 'p' })).toMatchObject({ outcome: 'no-url' });
    expect(await sendUdpConnectionRequest('127.0.0.1:70000', { username: 'u', password: 'p' })).toMatchObject({ outcome: 'no-url' });
    expect(parseUdpAddress('[2001:db8::1]:3478')).toEqual({ host: '2001:db8::1', port: 3478 });
  });
});
