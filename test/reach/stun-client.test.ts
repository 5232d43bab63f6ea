/**
 * The CPE's STUN client (src/cpe/client/stun-client.ts) against the real STUN server on
 * loopback: discovery, a binding change seen by the client (reported once, then BINDING-CHANGE
 * on the next request), and answers it must not believe (another transaction, a forged
 * MESSAGE-INTEGRITY, garbage).
 */
import dgram from 'node:dgram';
import stun from 'stun';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseBindingRequest } from '../../src/cwmp/stun-message.js';
import { StunBindingClient } from '../../src/cpe/client/stun-client.js';
import { StunCredentials } from '../../src/reach/stun-credentials.js';
import { StunServer } from '../../src/reach/stun-server.js';

const creds = new StunCredentials(Buffer.alloc(32, 5));
let server: StunServer;
beforeAll(async () => {
  server = await StunServer.listen({ host: '127.0.0.1', port: 0, credentials: creds });
});
afterAll(async () => {
  await server?.close();
});

const until = async (f: () => boolean, ms = 5000): Promise<void> => {
  const end = Date.now() + ms;
  while (!f()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
};

describe('CPE STUN client', () => {
  it('discovers its binding, reports a change once, and says BINDING-CHANGE next', async () => {
    const id = 'A1B2C3-Box-CLIENT';
    // Two sockets stand for the NAT's mapping before and after it changed.
    const a = dgram.createSocket('udp4');
    const b = dgram.createSocket('udp4');
    await Promise.all([a, b].map((s) => new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()))));
    let via = a;
    const sent: { bindingChange: boolean; signed: boolean }[] = [];
    const bindings: { address: string; changed: boolean }[] = [];
    const client = new StunBindingClient({
      config: () => ({ enabled: true, host: '127.0.0.1', port: server.port, username: id, password: creds.password(id), keepAliveSeconds: 1 }),
      send: (d, port, host) => {
        const p = parseBindingRequest(d);
        if (p.ok) sent.push({ bindingChange: p.request.bindingChange, signed: p.request.integrity !== null });
        via.send(d, port, host);
      },
      localHost: '10.0.0.2',
      onBinding: (bnd, changed) => bindings.push({ address: bnd.address, changed }),
      retryMs: 100,
    });
    a.on('message', (m) => client.handle(m));
    b.on('message', (m) => client.handle(m));
    client.start();
    await until(() => bindings.length === 1);
    expect(bindings[0]).toEqual({ address: `127.0.0.1:${a.address().port}`, changed: false });
    via = b;
    await until(() => bindings.length === 2);
    expect(bindings[1]).toEqual({ address: `127.0.0.1:${b.address().port}`, changed: true });
    await until(() => sent.some((s) => s.bindingChange));
    await until(() => server.counters.bindingChanges >= 1);
    expect(sent.every((s) => s.signed)).toBe(true);
    client.stop();
    a.close();
    b.close();
  });

  it('ignores answers it did not ask for or cannot verify', () => {
    const bindings: string[] = [];
    let last: Buffer | null = null;
    const client = new StunBindingClient({
      config: () => ({ enabled: true, host: '127.0.0.1', port: 9, username: 'u', password: 'right', keepAliveSeconds: 30 }),
      send: (d) => (last = d),
      localHost: '127.0.0.1',
      onBinding: (b) => bindings.push(b.address),
      retryMs: 60_000,
    });
    client.start();
    return until(() => last !== null).then(() => {
      client.stop();
      const req = parseBindingRequest(last!);
      if (!req.ok) throw new Error('the client sent something unreadable');
      const forged = stun.createMessage(0x0101, req.request.transactionId);
      forged.addXorAddress('203.0.113.66', 6666);
      forged.addMessageIntegrity('wrong');
      client.handle(stun.encode(forged));
      const stranger = stun.createMessage(0x0101, Buffer.alloc(12, 1));
      stranger.addXorAddress('203.0.113.66', 6666);
      stranger.addMessageIntegrity('right');
      client.handle(stun.encode(stranger));
      client.handle(Buffer.from('not stun at all'));
      expect(bindings).toEqual([]);
      expect(client.ignored).toBe(3);
      const genuine = stun.createMessage(0x0101, req.request.transactionId);
      genuine.addXorAddress('198.51.100.9', 4444);
      genuine.addMessageIntegrity('right');
      client.handle(stun.encode(genuine));
      expect(bindings).toEqual(['198.51.100.9:4444']);
    });
  });
});
