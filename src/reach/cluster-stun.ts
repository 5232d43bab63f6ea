/**
 * The STUN server with `--workers`: one UDP socket, in the cluster primary. (Workers sharing
 * a UDP port through node:cluster made the primary hold the handle and announce it as a
 * listening worker; one socket in one place is simpler.) A worker's UDP connection requests
 * must still leave from that socket (NATs filter by address and port), so the worker hands
 * the datagram to the primary over IPC, which sends it.
 */
import cluster from 'node:cluster';
import type { StunServer } from './stun-server.js';

interface StunSendMessage {
  type: 'flotilla:stun-send';
  datagram: string;
  port: number;
  host: string;
}

function isStunSend(m: unknown): m is StunSendMessage {
  const x = m as Partial<StunSendMessage> | null;
  return x !== null && typeof x === 'object' && x.type === 'flotilla:stun-send' && typeof x.datagram === 'string' && typeof x.port === 'number' && typeof x.host === 'string';
}

/** In a worker: send from the primary's STUN socket (fire and forget, as UDP is). */
export function sendViaPrimary(datagram: Buffer, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    if (process.send === undefined) return reject(new Error('not a cluster worker'));
    const m: StunSendMessage = { type: 'flotilla:stun-send', datagram: datagram.toString('base64'), port, host };
    process.send(m, undefined, {}, (err: Error | null) => (err ? reject(err) : resolve()));
  });
}

/** In the primary: send what workers hand over. Returns the unsubscribe. */
export function sendForWorkers(stun: StunServer): () => void {
  const on = (_w: unknown, m: unknown): void => {
    if (!isStunSend(m) || m.datagram.length > 4096) return;
    stun.sendFrom(Buffer.from(m.datagram, 'base64'), m.port, m.host).catch(() => undefined);
  };
  cluster.on('message', on);
  return () => {
    cluster.off('message', on);
  };
}
