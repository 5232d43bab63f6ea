/**
 * The generator side of a UDP echo test (TR-143 UDPEcho, with the UDPEcho plus header so an
 * Echo Plus responder can fill in its sequence numbers and timestamps): `count` datagrams to
 * host:port, one at a time, each timed from send to echo with the monotonic clock.
 */
import dgram from 'node:dgram';
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';

export interface UdpEchoOptions {
  host: string;
  port: number;
  count: number;
  /** How long to wait for each echo. */
  timeoutMs: number;
  /** Datagram size (at least the 20-byte Echo Plus header). */
  size: number;
  /** Pause between one datagram's outcome and the next. */
  intervalMs: number;
}

export interface UdpEchoResult {
  sent: number;
  /** Round trips of the echoes that came back, in microseconds. */
  rttUs: number[];
  localAddress: string;
}

/** TestGenSN, TestRespSN, TestRespRecvTimeStamp, TestRespReplyTimeStamp, TestRespReplyFailureCount. */
export const ECHO_PLUS_HEADER = 20;

/** Rejects when the host does not resolve. */
export async function udpEcho(o: UdpEchoOptions): Promise<UdpEchoResult> {
  const address = isIP(o.host) !== 0 ? o.host : (await lookup(o.host)).address;
  const socket = dgram.createSocket(isIP(address) === 6 ? 'udp6' : 'udp4');
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.connect(o.port, address, () => resolve());
  });
  const rttUs: number[] = [];
  try {
    for (let sn = 1; sn <= o.count; sn++) {
      const packet = Buffer.alloc(Math.max(ECHO_PLUS_HEADER, o.size));
      packet.writeUInt32BE(sn, 0);
      const rtt = await new Promise<number | null>((resolve) => {
        const start = process.hrtime.bigint();
        const timer = setTimeout(() => done(null), o.timeoutMs);
        const onMessage = (msg: Buffer): void => {
          // An echo of an earlier, timed-out datagram is not this one's.
          if (msg.length >= 4 && msg.readUInt32BE(0) === sn) done(Number((process.hrtime.bigint() - start) / 1000n));
        };
        const done = (v: number | null): void => {
          clearTimeout(timer);
          socket.off('message', onMessage);
          resolve(v);
        };
        socket.on('message', onMessage);
        socket.send(packet, (err) => {
          if (err) done(null);
        });
      });
      if (rtt !== null) rttUs.push(Math.max(1, rtt));
      if (sn < o.count && o.intervalMs > 0) await new Promise((r) => setTimeout(r, o.intervalMs));
    }
    return { sent: o.count, rttUs, localAddress: socket.address().address };
  } finally {
    socket.close();
  }
}
