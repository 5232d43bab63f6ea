/**
 * The reach services of one `flotilla serve` process: the reach store (bindings, last path),
 * the STUN server (Annex G) and the XMPP account (Annex K), handed to the connection
 * requester. One function so the CLI stays a list of flags.
 */
import type { Logger } from 'pino';
import { openReachStore, type ReachStore } from '../store/reach.js';
import type { Store } from '../store/types.js';
import { natDetectedFromStore } from '../reach/nat-detect.js';
import { STUN_SECRET_ENV, StunCredentials } from '../reach/stun-credentials.js';
import { loadSharedSecret } from './secret-file.js';
import { StunServer } from '../reach/stun-server.js';
import { XmppConnectionRequester } from '../reach/xmpp.js';

export interface ReachOptions {
  store: Store;
  db?: string | undefined;
  dataDir: string;
  host: string;
  /** null: no STUN server. */
  stunPort: number | null;
  /** The port is the default, not asked for: when it is taken (another ACS on this host), run without STUN and say so. */
  stunPortIsDefault?: boolean;
  xmpp?: { service: string; jid: string; password: string } | undefined;
  logger?: Logger;
}

export interface ReachServices {
  reach: ReachStore;
  stunCredentials: StunCredentials;
  stun: StunServer | null;
  xmpp: XmppConnectionRequester | null;
  close(): Promise<void>;
}

export async function startReach(o: ReachOptions): Promise<ReachServices> {
  const reach = await openReachStore({ db: o.db, dataDir: o.dataDir });
  const stunCredentials = new StunCredentials(await loadSharedSecret({ dataDir: o.dataDir, file: 'stun-secret', envName: STUN_SECRET_ENV }));
  let stun: StunServer | null = null;
  let xmpp: XmppConnectionRequester | null = null;
  try {
    if (o.stunPort !== null) {
      stun = await StunServer.listen({
        host: o.host,
        port: o.stunPort,
        credentials: stunCredentials,
        reach,
        natDetected: natDetectedFromStore(o.store),
        onError: (err) => o.logger?.warn({ err: err.message }, 'could not store a STUN binding'),
        onBinding: (deviceId, b, reported) => o.logger?.debug({ deviceId, host: b.host, port: b.port, natDetected: b.natDetected, reported }, 'STUN binding'),
      }).catch((e: unknown) => {
        if (o.stunPortIsDefault !== true || (e as { code?: string }).code !== 'EADDRINUSE') throw e;
        o.logger?.warn({ port: o.stunPort }, 'the default STUN port is taken: running without the STUN server (give --stun-port)');
        return null;
      });
    }
    if (o.xmpp !== undefined) {
      xmpp = await XmppConnectionRequester.connect({
        ...o.xmpp,
        // The library reconnects; a line per failure, never the password.
        onError: (err) => o.logger?.warn({ err: err.message }, 'XMPP connection error'),
      });
    }
  } catch (e) {
    await stun?.close();
    await reach.close();
    throw e;
  }
  return {
    reach,
    stunCredentials,
    stun,
    xmpp,
    close: async () => {
      await xmpp?.close();
      await stun?.close();
      await reach.close();
    },
  };
}
