/**
 * The CWMP endpoint: node:http(s) around the session machine. One POST in, one reply out;
 * everything protocol-shaped happens in src/cwmp, everything durable in the store.
 *
 * A session is found by its cookie or, for CPEs that drop cookies, by its keep-alive
 * connection; a CPE that reconnects mid-session with its cookie carries on. Idle sessions
 * end after `sessionTimeoutMs` and free their device.
 */
import { randomBytes } from 'node:crypto';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer, type ServerOptions as HttpsServerOptions } from 'node:https';
import type { TLSSocket } from 'node:tls';
import { MODERN_TLS } from '../auth/tls-settings.js';
import { certificateNamesDevice, subjectCn, type CertSubject } from '../auth/client-cert.js';
import { readFileSync } from 'node:fs';
import type { AddressInfo, Socket } from 'node:net';
import type { Logger } from 'pino';
import { AnswerMemo, buildEnvelope, buildFault } from '../cwmp/codec.js';
import type { Envelope, Inform } from '../cwmp/types.js';
import { deviceIdOf } from '../store/device-id.js';
import { EventBus, type EventSink } from '../events/bus.js';
import { PolicySource } from '../policies/source.js';
import { loadSandbox, sandboxHost } from '../policies/sandbox.js';
import type { Store } from '../store/types.js';
import { openStore } from '../store/open.js';
import { basicChallenge, digestChallenge, digestUriMatches, NonceCounter, NonceIssuer, parseAuthorization, type ParsedAuthorization } from '../auth/server.js';
import { formatIp, parseIp, SESSION_SOURCE_PATH } from '../cwmp/address.js';
import {
  bootstrapSource,
  readBootstrapCredential,
  readBootstrapFile,
  resolveBootstrapCredential,
  writeNewBootstrapCredential,
  type BootstrapCredential,
} from './bootstrap-credential.js';
import { isBlank } from '../cwmp/charset.js';
import { readBody } from './body.js';
import { DEFAULT_ACS_CONFIG, type AcsConfig } from './config.js';
import { SessionDriver, type Reply } from '../session/driver.js';
import { cpeAuthenticator, CredentialCache, type CpeAuthentication } from './cpe-auth.js';
import { loadSealer } from './credential-key.js';
import type { Sealer } from '../auth/sealing.js';
import { QuirkSource } from './quirks.js';
import { withQuirks } from '../session/quirks.js';
import { claimsFor, programsFor, sessionStorePort } from './session.js';
import { SamplingSource } from '../session/sampling-source.js';
import type { BulkDataProgramOptions } from '../session/programs/bulkdata.js';
import { recordSessionEnd } from './metrics.js';
import { activeSessions, cwmpRequests, listingsRecalled } from '../metrics/registry.js';
import { admitSession, fullEvenForConnectionRequests, reserveFor, retryAfterSeconds, type AdmissionLimits } from './admission.js';

const COOKIE = 'flotilla_session';

export interface AcsServerOptions {
  config?: Partial<AcsConfig>;
  store: Store;
  logger?: Logger;
  /** Injected clock for tests; Date.now by default. */
  now?: () => number;
  /** Share between processes so every ACS accepts every nonce. */
  nonceSecret?: Buffer;
  /** Where sessions publish what happened (device registered/booted/inform, task outcomes). */
  events?: EventSink;
  /** Seals devices' connection-request passwords; default: the key in the data directory (credential-key.ts). */
  sealer?: Sealer;
  /**
   * The policy set sessions run (src/policies/source.ts). Default: one loaded from the store,
   * reloaded on `policy.changed` when `events` is an EventBus, and every minute.
   */
  policies?: PolicySource;
  /** The sampling profiles sessions use; default: loaded from the store, reloaded on `sampling.changed` and every minute. */
  sampling?: SamplingSource;
  /**
   * TR-232 bulk data: where devices post the reports of a profile (a URL signed for the device,
   * src/bulkdata/receiver.ts). Absent: bulk data profiles are not configured on devices.
   */
  bulkData?: BulkDataProgramOptions;
  /**
   * This process's id in the store's process registry (src/acs/process-registry.ts): the
   * prefix of its session locks' owner, so a successor can free them if it dies. Default: random.
   */
  processId?: string;
}

export interface AcsServer {
  readonly config: AcsConfig;
  readonly store: Store;
  /** e.g. "http://127.0.0.1:7547/" */
  readonly cwmpUrl: string;
  /** The bootstrap credential as the start found (or generated) it. */
  readonly bootstrap: BootstrapCredential;
  /**
   * With `generateBootstrapAtStart: false`: generate the bootstrap credential now if the data
   * directory has none, and use it. The clear password is returned once (null: nothing made).
   */
  ensureBootstrap(): Promise<{ username: string; password: string } | null>;
  /**
   * Device credentials known to this process. Tell it when this process changes or deletes
   * one (`forget`); changes made elsewhere are caught without it (src/acs/cpe-auth.ts).
   */
  readonly credentials: CredentialCache;
  /** Seals the connection-request passwords handed out (null when none are: per-device credentials off). */
  readonly sealer: Sealer | null;
  /** The sampling profiles this process's sessions use (the bulk data receiver reads them too). */
  readonly sampling: SamplingSource;
  /** Sessions in progress in this process. */
  activeSessions(): number;
  /** The CWMP socket is listening (readiness). */
  listening(): boolean;
  close(): Promise<void>;
}

export async function startCwmpServer(opts: AcsServerOptions): Promise<AcsServer> {
  let unsubscribePolicies: (() => void) | undefined;
  const config: AcsConfig = { ...DEFAULT_ACS_CONFIG, ...opts.config };
  const store = opts.store;
  const now = opts.now ?? Date.now;
  const log = opts.logger;
  const bootstrap: BootstrapCredential = config.generateBootstrapAtStart
    ? await resolveBootstrapCredential(config)
    : { credential: await readBootstrapCredential(config), generated: null };
  const nonces = new NonceIssuer(opts.nonceSecret === undefined ? {} : { secret: opts.nonceSecret });
  const nonceCounts = new NonceCounter();
  const tls = config.tlsCert !== undefined && config.tlsKey !== undefined;
  const processTag = opts.processId ?? randomBytes(4).toString('hex');
  const port = sessionStorePort(store);
  const handsOut = config.perDeviceCredentials && !config.allowUnauthenticatedCpes;
  const sealer = opts.sealer ?? (handsOut ? await loadSealer(config.dataDir) : null);
  const ownPolicies = opts.policies === undefined;
  // Policy scripts run in QuickJS (WebAssembly), loaded once per process before any session.
  await loadSandbox();
  const policies =
    opts.policies ??
    new PolicySource(store, {
      onError: (err) => log?.error({ err }, 'loading policies failed'),
      scripts: sandboxHost({ timeoutMs: config.policyScriptTimeoutMs, memoryBytes: config.policyScriptMemoryBytes }),
    });
  if (ownPolicies) {
    await policies.start();
    const events = opts.events;
    if (events instanceof EventBus) unsubscribePolicies = events.subscribe((e) => void (e.type === 'policy.changed' && policies.refresh()));
  }
  const ownSampling = opts.sampling === undefined;
  const sampling = opts.sampling ?? new SamplingSource(store, { onError: (err) => log?.error({ err }, 'loading sampling profiles failed') });
  let unsubscribeSampling: (() => void) | undefined;
  if (ownSampling) {
    await sampling.start();
    const events = opts.events;
    if (events instanceof EventBus) unsubscribeSampling = events.subscribe((e) => void (e.type === 'sampling.changed' && sampling.refresh()));
  }
  // Quirk profiles: shipped, learnt and the operators', applied to every program of a session.
  const quirks = new QuirkSource(store, { ...(opts.events !== undefined ? { events: opts.events } : {}), now, onError: (err) => log?.error({ err }, 'quirk profiles') });
  await quirks.start();
  const unsubscribeQuirks = opts.events instanceof EventBus ? opts.events.subscribe((e) => void (e.type === 'quirks.changed' && quirks.refresh())) : undefined;
  const programs = withQuirks(programsFor(config, sealer, { store, log }, policies, sampling, opts.bulkData ?? null), (view) => quirks.forSession(view.inform, view.deviceId));
  const claims = claimsFor(config);
  const credentials = new CredentialCache(store, { max: config.credentialCacheSize, ttlMs: config.credentialCacheTtlMs });
  const authenticator = cpeAuthenticator({
    allowAnyone: config.allowUnauthenticatedCpes,
    bootstrap: bootstrap.credential,
    bootstrapScope: config.bootstrapCredentialScope,
    cache: credentials,
    ...(bootstrapSource(config) === 'file' ? { reloadBootstrap: () => readBootstrapFile(config) } : {}),
  });

  const byToken = new Map<string, SessionDriver>();
  /** This process's live session of each device: a new Inform from the device ends it. */
  const byDevice = new Map<string, SessionDriver>();
  const bySocket = new WeakMap<Socket, SessionDriver>();
  const tokens = new WeakMap<SessionDriver, string>();
  const timers = new Map<SessionDriver, NodeJS.Timeout>();
  const busy = new WeakSet<SessionDriver>();
  /** Where each session's Inform came from: a cookie from elsewhere does not reach it. */
  const sources = new WeakMap<SessionDriver, string>();
  /** Informs admitted and not yet in byToken (authenticating, opening): counted against the cap. */
  let opening = 0;
  /**
   * Devices of one model send the same discovery answers but for a few structs: a listing is
   * parsed once, a values answer but for the structs that differ (src/cwmp/answer-memo.ts).
   */
  const answers = new AnswerMemo({ onRecall: () => listingsRecalled.inc() });
  const parseLimits = { maxBytes: config.maxBodyBytes };
  const limits: AdmissionLimits = { maxSessions: config.maxSessions, reserve: reserveFor(config.maxSessions) };
  const inFlight = (): number => byToken.size + opening;
  /** Refusals since the last log line: a storm is one line every 10 s, not one per CPE. */
  let refusedSinceLog = 0;
  let lastOverloadLog = 0;

  const forget = (session: SessionDriver): void => {
    // Its commit changed the device's credentials: the next check reads them again.
    if (session.changedCredentials && session.deviceId !== null) credentials.forget(session.deviceId);
    const token = tokens.get(session);
    if (token !== undefined && byToken.delete(token)) activeSessions.dec();
    recordSessionEnd(session.summary);
    const timer = timers.get(session);
    if (timer !== undefined) clearTimeout(timer);
    timers.delete(session);
    if (session.deviceId !== null && byDevice.get(session.deviceId) === session) byDevice.delete(session.deviceId);
  };

  const touch = (session: SessionDriver): void => {
    const old = timers.get(session);
    if (old !== undefined) clearTimeout(old);
    const timer = setTimeout(() => {
      // Released (held requests were let go and none came): the session was complete.
      if (session.machine.state === 'released') {
        endQuietly(session, 'ok');
        return;
      }
      const outcome = session.protocolError === null ? 'timeout' : `timeout after ${session.protocolError}`;
      log?.info({ deviceId: session.deviceId, state: session.machine.state, idleMs: config.sessionTimeoutMs, outcome }, 'session timed out');
      endQuietly(session, outcome);
    }, config.sessionTimeoutMs);
    timer.unref();
    timers.set(session, timer);
  };

  const endLogged = (session: SessionDriver, outcome: string): Promise<void> =>
    session.end(outcome).catch((e: unknown) => {
      log?.error({ err: e, deviceId: session.deviceId }, 'session commit failed');
    });

  const endQuietly = (session: SessionDriver, outcome: string): void => {
    void endLogged(session, outcome);
  };

  /** A nonce bound to the device the Inform named: a header made for one device opens no other. */
  const challenge = (res: ServerResponse, deviceId: string, stale = false): void => {
    cwmpRequests.inc({ result: 'challenge' });
    const headers: string[] = [digestChallenge(config.realm, nonces.issue(now(), deviceId), stale)];
    if (tls || config.allowBasicOverHttp) headers.push(basicChallenge(config.realm));
    res.writeHead(401, { 'WWW-Authenticate': headers, 'Content-Length': '0' });
    res.end();
  };

  const send = (res: ServerResponse, reply: Reply, cookie?: string): void => {
    if (reply.status === 204) {
      res.writeHead(204, cookie === undefined ? {} : { 'Set-Cookie': cookie });
      res.end();
      return;
    }
    const body = reply.envelope === null ? '' : buildEnvelope(reply.envelope);
    const headers: Record<string, string> = {
      'Content-Type': 'text/xml; charset="utf-8"',
      'Content-Length': String(Buffer.byteLength(body)),
    };
    if (cookie !== undefined) headers['Set-Cookie'] = cookie;
    res.writeHead(reply.status, headers);
    res.end(body);
  };

  const plainFault = (res: ServerResponse, status: number, faultCode: number, message: string): void => {
    cwmpRequests.inc({ result: `fault ${faultCode}` });
    const body = buildFault('urn:dslforum-org:cwmp-1-0', undefined, faultCode, message);
    const headers: Record<string, string> = {
      'Content-Type': 'text/xml; charset="utf-8"',
      'Content-Length': String(Buffer.byteLength(body)),
    };
    // The rest of a refused body is not worth reading: close the connection after answering.
    if (status === 408 || status === 413) headers.Connection = 'close';
    res.writeHead(status, headers);
    res.end(body);
  };

  /** Beyond the cap: 503 and Retry-After, so the CPE backs off; nothing is read from the store. */
  const overloaded = (req: IncomingMessage, res: ServerResponse): void => {
    cwmpRequests.inc({ result: 'overloaded' });
    refusedSinceLog++;
    const t = now();
    if (t - lastOverloadLog >= 10_000) {
      log?.warn({ refused: refusedSinceLog, sessions: byToken.size, maxSessions: config.maxSessions }, 'CWMP sessions at the cap: new sessions answered 503 with Retry-After');
      lastOverloadLog = t;
      refusedSinceLog = 0;
    }
    res.writeHead(503, { 'Retry-After': String(retryAfterSeconds(config.overloadRetryAfterSeconds, Math.random())), 'Content-Length': '0', Connection: 'close' });
    res.end();
    req.resume();
  };

  /** A refused CPE: a log line (never the password), and an event when it was the bootstrap credential. */
  const refused = (req: IncomingMessage, deviceId: string, auth: ParsedAuthorization | null, why: Extract<CpeAuthentication, { ok: false }>): void => {
    const address = req.socket.remoteAddress ?? null;
    if (!why.bootstrapRefused) {
      log?.warn({ deviceId, username: auth?.username, reason: why.reason }, 'CPE authentication failed');
      return;
    }
    log?.warn(
      { deviceId, username: auth?.username, address, scope: config.bootstrapCredentialScope },
      'bootstrap credential refused: this device has its own credentials (a reset device, or someone posing as it); mark it expecting a reset to let it bootstrap again',
    );
    opts.events?.publish({ type: 'device.bootstrap-refused', at: now(), deviceId, data: { address, scope: config.bootstrapCredentialScope } });
  };

  /**
   * An Inform: authenticate, then (only then) end the session it replaces, then open. `previous`
   * is the session this request's cookie or connection was in; it ends only if the new session
   * is authenticated and is the same device's or on the same connection: a cookie alone ends
   * nothing.
   */
  const beginSession = async (
    req: IncomingMessage,
    res: ServerResponse,
    message: Envelope<Inform>,
    previous: { session: SessionDriver; viaSocket: boolean } | undefined,
  ): Promise<void> => {
    const inform = message.body;
    // A new Inform on a connection or cookie whose session is live replaces it: no new slot.
    const replacing = previous !== undefined && !previous.session.ended;
    if (!replacing && !admitSession(inFlight(), limits, inform.event.map((e) => e.eventCode))) {
      overloaded(req, res);
      return;
    }
    opening++;
    try {
      await authenticateAndOpen(req, res, message, previous);
    } finally {
      opening--;
    }
  };

  const authenticateAndOpen = async (
    req: IncomingMessage,
    res: ServerResponse,
    message: Envelope<Inform>,
    previous: { session: SessionDriver; viaSocket: boolean } | undefined,
  ): Promise<void> => {
    const inform = message.body;
    const deviceId = deviceIdOf(inform.deviceId);
    let auth: ParsedAuthorization | null = null;
    // A client certificate, when the CPE presented one (--tls-client-ca), decides alone: a
    // valid one naming this device opens the session (a factory-reset device too: no shared
    // credential needed); an invalid, revoked or other device's one is refused, never
    // retried with a password.
    const cert = clientCertificate(req);
    if (cert !== null) {
      const why = !cert.authorized ? `certificate not accepted: ${cert.error}` : !certificateNamesDevice(cert.subject, inform.deviceId) ? 'certificate names another device' : null;
      if (why !== null) {
        log?.warn({ deviceId, subject: subjectCn(cert.subject), reason: why, address: req.socket.remoteAddress ?? null }, 'CPE client certificate refused');
        cwmpRequests.inc({ result: 'certificate refused' });
        res.writeHead(403, { 'Content-Type': 'text/plain', 'Content-Length': String(Buffer.byteLength(why)), Connection: 'close' });
        res.end(why);
        return;
      }
    }
    if (!config.allowUnauthenticatedCpes && cert === null) {
      auth = parseAuthorization(req.headers.authorization);
      if (auth === null || (auth.scheme === 'Basic' && !tls && !config.allowBasicOverHttp)) {
        challenge(res, deviceId);
        return;
      }
      if (auth.scheme === 'Digest') {
        const nonce = nonces.check(auth.nonce, now(), deviceId);
        if (nonce !== 'ok') {
          if (nonce === 'invalid') log?.warn({ deviceId, username: auth.username }, 'Digest nonce not issued for this device (or forged)');
          challenge(res, deviceId, nonce === 'stale');
          return;
        }
        if (!digestUriMatches(auth.uri, req.url ?? '/')) {
          log?.warn({ deviceId, username: auth.username }, 'Digest uri does not name this request');
          challenge(res, deviceId);
          return;
        }
      }
    }
    const method = req.method ?? 'POST';
    // Before the store's session: a wrong password must cost no lock and no task attempt.
    const decided: CpeAuthentication = cert !== null ? { ok: true, via: 'certificate' } : await authenticator.check(auth, deviceId, method, now());
    if (!decided.ok) {
      refused(req, deviceId, auth, decided);
      challenge(res, deviceId);
      return;
    }
    // A header seen before (same nonce, same or lower nc) is a replay: counted only once it verified.
    if (auth?.scheme === 'Digest' && !nonceCounts.accept(auth.nonce, auth.nc ?? '')) {
      log?.warn({ deviceId, username: auth.username }, 'Digest nonce count not increasing (replayed header)');
      challenge(res, deviceId);
      return;
    }
    if (previous !== undefined && !previous.session.ended && (previous.viaSocket || previous.session.deviceId === deviceId)) {
      // A new Inform opens a new session; the one this CPE was in is over.
      await previous.session.end('superseded');
    }
    const source = peerAddress(req);
    const session = new SessionDriver(
      {
        store: port,
        sessionTimeoutMs: config.sessionTimeoutMs,
        programs,
        claims,
        now,
        lockOwner: `${processTag}:${randomBytes(6).toString('hex')}`,
        onEnded: forget,
        onProgramError: (program, err) => log?.error({ err, deviceId, program }, 'session program failed; the session goes on without it'),
        ...(opts.events ? { events: opts.events } : {}),
        ...(source !== null ? { source: { path: SESSION_SOURCE_PATH, address: source } } : {}),
        cwmpVersions: config.cwmpVersions,
      },
      `${processTag}-${randomBytes(3).toString('hex')}`,
    );
    session.machine.receive(message);
    if (session.machine.negotiated.kind === 'incompatible') {
      // No version in common (A.2.1): 8006, and the store never hears of it.
      log?.info({ deviceId, offered: session.machine.negotiated.offered.slice(0, 10) }, 'CPE speaks no CWMP version of ours');
      cwmpRequests.inc({ result: 'fault 8006' });
      send(res, await session.refuseVersion());
      return;
    }
    // The device is authenticated and starts again: whatever session it had here died with its
    // connection (a crash, a reset). End that one now — its unanswered tasks go back to the
    // queue, as at a timeout — instead of refusing the device with 8005 until it times out.
    const stale = byDevice.get(deviceId);
    if (stale !== undefined && !stale.ended) {
      log?.info({ deviceId, state: stale.machine.state }, 'a new Inform from the device ends its stale session');
      await stale.end(stale.protocolError === null ? 'superseded' : `superseded after ${stale.protocolError}`);
    }
    const opened = await session.open(inform, deviceId, decided.via);
    // The credentials changed in another process since we checked (rare): the store decides.
    const confirmed = authenticator.confirm(decided, auth, deviceId, opened.credentials, method, now());
    if (!confirmed.ok) {
      await session.abandon();
      refused(req, deviceId, auth, confirmed);
      challenge(res, deviceId);
      return;
    }
    if (opened.lock === 'busy') {
      log?.info({ deviceId }, 'device already in a session; asking the CPE to retry');
      send(res, await session.reject(8005, 'Device is in another session; retry later'));
      return;
    }
    const token = randomBytes(16).toString('base64url');
    tokens.set(session, token);
    byToken.set(token, session);
    activeSessions.inc();
    byDevice.set(deviceId, session);
    bySocket.set(req.socket, session);
    if (source !== null) sources.set(session, source);
    touch(session);
    log?.debug({ deviceId, events: inform.event.map((e) => e.eventCode) }, 'session started');
    const cookie = `${COOKIE}=${token}; Path=/; HttpOnly${tls ? '; Secure' : ''}`;
    send(res, session.accept(), cookie);
  };

  const onRequest = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (req.method !== 'POST') {
      res.writeHead(405, { Allow: 'POST', 'Content-Length': '0' });
      res.end();
      req.resume();
      return;
    }
    if (certificateRequired && refuseWithoutCertificate(req, res)) return;
    const token = cookieValue(req.headers.cookie, COOKIE);
    let session = token === undefined ? undefined : byToken.get(token);
    // A cookie is a bearer token: from another address it reaches nothing (a stolen one does not take a session over).
    if (session !== undefined && sources.get(session) !== (peerAddress(req) ?? undefined)) session = undefined;
    let viaSocket = false;
    const bound = bySocket.get(req.socket);
    if (bound !== undefined && !bound.ended && (session === undefined || session === bound)) {
      session = bound;
      viaSocket = true;
    }
    // Not in a session and no room even for a connection request: refused before the body is read.
    if (session === undefined && fullEvenForConnectionRequests(inFlight(), limits)) {
      overloaded(req, res);
      return;
    }
    if (session !== undefined && busy.has(session)) {
      // A CPE does not pipeline; two POSTs at once for one session is an abuse of it.
      session.noteProtocolError('protocol-error: two messages at once');
      plainFault(res, 409, 8001, 'a message of this session is already being processed');
      req.resume();
      return;
    }
    if (session !== undefined) {
      busy.add(session);
      touch(session);
    }
    try {
      // Decoded and parsed as the body ends (body.ts lends the joined bytes only for that long).
      const contentType = req.headers['content-type'];
      const body = await readBody(req, config.maxBodyBytes, config.bodyTimeoutMs, (bytes) => (isBlank(bytes) ? null : answers.read(bytes, contentType, parseLimits)));
      if (!body.ok) {
        log?.warn({ deviceId: session?.deviceId, reason: body.reason }, 'request body refused');
        // Freed before we answer, so the CPE's next Inform finds the device free.
        if (session !== undefined) await endLogged(session, `protocol-error: ${body.reason}`);
        if (!res.headersSent && !res.destroyed) plainFault(res, body.status, body.status === 413 ? 8004 : 8003, body.reason);
        return;
      }
      let message: Envelope | null = null;
      if (body.value !== null) {
        const parsed = body.value;
        if (!parsed.ok) {
          log?.warn({ deviceId: session?.deviceId, code: parsed.error.code, reason: parsed.error.message }, 'malformed CWMP message');
          if (session !== undefined) await endLogged(session, `protocol-error: ${parsed.error.code}`);
          plainFault(res, parsed.error.httpStatus, parsed.error.cwmpFault, parsed.error.message);
          return;
        }
        message = parsed.value;
      }
      if (message !== null && message.body.method === 'Inform') {
        if (session !== undefined) busy.delete(session);
        await beginSession(req, res, message as Envelope<Inform>, session === undefined ? undefined : { session, viaSocket });
        return;
      }
      if (session === undefined) {
        plainFault(res, 400, 8003, 'no session: a CWMP session begins with an Inform');
        return;
      }
      // This connection now carries the session (for CPEs that drop the cookie later).
      bySocket.set(req.socket, session);
      const reply = await session.handle(message);
      if (reply.status === 400 || reply.status === 500) {
        log?.warn({ deviceId: session.deviceId, reason: reply.reason }, 'CWMP protocol error in session');
        // The session cannot go on: write what it learnt and free the device now, not at the timeout.
        await session.end(`protocol-error: ${reply.reason}`);
      }
      send(res, reply);
    } catch (e) {
      log?.error({ err: e, deviceId: session?.deviceId }, 'session failed');
      if (session !== undefined) await session.abandon().catch(() => undefined);
      // The CPE sees a failed session and retries later with its events kept.
      if (!res.headersSent) plainFault(res, 500, 8002, 'internal error');
      else res.destroy();
    } finally {
      if (session !== undefined) busy.delete(session);
    }
  };

  // --tls-client-cert required: the TLS layer asks for a certificate but lets the handshake
  // finish (so the refusal can say why, in the log and the answer); no request of a connection
  // without a valid one goes further, whatever it carries.
  const certificateRequired = tls && config.tlsClientCa !== undefined && config.tlsClientCert === 'required';
  const refuseWithoutCertificate = (req: IncomingMessage, res: ServerResponse): boolean => {
    const cert = clientCertificate(req);
    if (cert !== null && cert.authorized) return false;
    const why = cert === null ? 'a client certificate is required' : `certificate not accepted: ${cert.error}`;
    log?.warn({ subject: cert === null ? null : subjectCn(cert.subject), reason: why, address: req.socket.remoteAddress ?? null }, 'CPE refused: no valid client certificate (--tls-client-cert required)');
    cwmpRequests.inc({ result: 'certificate refused' });
    res.writeHead(403, { 'Content-Type': 'text/plain', 'Content-Length': String(Buffer.byteLength(why)), Connection: 'close' });
    res.end(why);
    req.resume();
    return true;
  };

  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    onRequest(req, res).catch((e: unknown) => {
      log?.error({ err: e }, 'unhandled request failure');
      if (!res.headersSent) {
        res.writeHead(500);
        res.end();
      }
    });
  };

  const server: Server = tls ? createHttpsServer(httpsOptions(config), handler) : createHttpServer(handler);
  // Slow clients: headers and the whole request must arrive in bounded time.
  server.headersTimeout = Math.min(config.bodyTimeoutMs, 60_000);
  server.requestTimeout = config.bodyTimeoutMs + 1_000;
  server.keepAliveTimeout = config.sessionTimeoutMs;
  server.on('connection', (socket: Socket) => {
    socket.on('close', () => {
      const session = bySocket.get(socket);
      // After the ACS released held requests the CPE may simply hang up: that ends it.
      if (session !== undefined && !session.ended && session.machine.state === 'released') endQuietly(session, 'ok');
    });
  });
  server.on('clientError', (_err, socket: Socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n');
    else socket.destroy();
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.cwmpPort, config.host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address === '0.0.0.0' ? '127.0.0.1' : address.address;
  const cwmpUrl = `${tls ? 'https' : 'http'}://${host}:${address.port}/`;

  return {
    config,
    store,
    cwmpUrl,
    bootstrap,
    ensureBootstrap: async () => {
      if (bootstrapSource(config) !== 'file' || (await readBootstrapFile(config)) !== null) return null;
      const made = await writeNewBootstrapCredential(config);
      authenticator.setBootstrap(made.credential);
      return { username: made.username, password: made.password };
    },
    credentials,
    sealer,
    sampling,
    activeSessions: () => byToken.size,
    listening: () => server.listening,
    close: async () => {
      unsubscribePolicies?.();
      unsubscribeQuirks?.();
      quirks.close();
      if (ownPolicies) policies.close();
      unsubscribeSampling?.();
      if (ownSampling) sampling.close();
      const closing = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await Promise.all([...byToken.values()].map((s) => s.end('shutdown').catch(() => undefined)));
      await closing;
    },
  };
}

/** TLS of the CWMP endpoint: modern suites only, and client certificates when a CA is given. */
function httpsOptions(config: AcsConfig): HttpsServerOptions {
  const options: HttpsServerOptions = { cert: readFileSync(config.tlsCert as string), key: readFileSync(config.tlsKey as string), ...MODERN_TLS };
  if (config.tlsClientCa !== undefined) {
    // Requested, not required: a device without a certificate still authenticates with
    // credentials; one that presents an invalid certificate is refused per request (403).
    options.ca = readFileSync(config.tlsClientCa);
    options.requestCert = true;
    options.rejectUnauthorized = false;
    if (config.tlsCrl !== undefined) options.crl = readFileSync(config.tlsCrl);
  }
  return options;
}

/** The client certificate the CPE presented on this connection, if any. */
function clientCertificate(req: IncomingMessage): { authorized: boolean; error: string; subject: CertSubject } | null {
  const socket = req.socket as Partial<TLSSocket>;
  if (typeof socket.getPeerCertificate !== 'function') return null;
  const peer = socket.getPeerCertificate();
  if (peer === null || peer === undefined || Object.keys(peer).length === 0) return null;
  return { authorized: socket.authorized === true, error: String(socket.authorizationError ?? ''), subject: peer.subject as CertSubject };
}

/** The peer's address, canonical (an IPv4 peer of a dual-stack socket is plain IPv4). */
function peerAddress(req: IncomingMessage): string | null {
  const raw = req.socket.remoteAddress;
  const ip = raw === undefined ? null : parseIp(raw);
  return ip === null ? null : formatIp(ip);
}

function cookieValue(header: string | undefined, name: string): string | undefined {
  if (header === undefined) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/**
 * Start the CWMP endpoint with its own store (SQLite in `dataDir` unless one is given).
 * The store is closed with the server when this function created it.
 */
export async function startAcs(
  config: Partial<AcsConfig> & {
    store?: Store;
    logger?: Logger;
    now?: () => number;
    events?: EventSink;
    nonceSecret?: Buffer;
    sealer?: Sealer;
    policies?: PolicySource;
    bulkData?: BulkDataProgramOptions;
    processId?: string;
  },
): Promise<AcsServer> {
  const { store: given, logger, now, events, nonceSecret, sealer, policies, bulkData, processId, ...rest } = config;
  const store = given ?? (await openStore({ dataDir: rest.dataDir ?? DEFAULT_ACS_CONFIG.dataDir }));
  try {
    const server = await startCwmpServer({
      config: rest,
      store,
      ...(logger ? { logger } : {}),
      ...(now ? { now } : {}),
      ...(events ? { events } : {}),
      ...(nonceSecret ? { nonceSecret } : {}),
      ...(sealer ? { sealer } : {}),
      ...(policies ? { policies } : {}),
      ...(bulkData ? { bulkData } : {}),
      ...(processId !== undefined ? { processId } : {}),
    });
    if (given !== undefined) return server;
    return {
      ...server,
      activeSessions: server.activeSessions,
      close: async () => {
        await server.close();
        await store.close();
      },
    };
  } catch (e) {
    if (given === undefined) await store.close();
    throw e;
  }
}
