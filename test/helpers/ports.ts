/**
 * A port on 127.0.0.1 that refuses connections, for tests of "nothing listens there".
 *
 * Not a port freed after listen(0): a test running beside the one asking may be handed it
 * next (seen in CI: a webhook meant to be refused got "HTTP 404" from another test's server).
 * Port 3 lies below the ephemeral range listen(0) draws from, nothing in these tests runs it,
 * and fetch does not refuse it as a "bad port" (9, discard, is one). Checked before use.
 */
import net from 'node:net';

export const REFUSING_PORT = 3;

export async function refusingPort(): Promise<number> {
  const refused = await new Promise<boolean>((resolve) => {
    const socket = net.connect(REFUSING_PORT, '127.0.0.1', () => (socket.destroy(), resolve(false)));
    socket.on('error', (e: NodeJS.ErrnoException) => resolve(e.code === 'ECONNREFUSED'));
  });
  if (!refused) throw new Error(`something listens on 127.0.0.1:${REFUSING_PORT}: the test needs a port that refuses connections`);
  return REFUSING_PORT;
}
