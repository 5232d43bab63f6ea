/**
 * One CWMP session over HTTP, CPE side: the thin I/O loop around `CpeSession`.
 *
 * It POSTs, parses what the ACS answers, feeds the machine, and asks its host for
 * decisions (the answer to an ACS request, which own request to send). The device's
 * lifecycle (events, retries, effects) stays with the host (cpe.ts), so this loop can be
 * read top to bottom as the session of TR-069 3.7.
 */
import { isBlank } from '../../cwmp/charset.js';
import { buildEnvelopePieces, decodeBody, faultBody, parseEnvelope } from '../../cwmp/codec.js';
import { CpeSession, type CpeOwnRequest } from '../../cwmp/cpe-session.js';
import type { AcsRequest, AcsResponse, Envelope, Inform } from '../../cwmp/types.js';
import type { CpeEffect, RpcOutcome } from '../types.js';
import type { Credentials } from '../../auth/client.js';
import type { CookieJar } from './cookies.js';
import { AcsConnection, HttpError, type ConnectionPool, type HttpReply, type TlsOptions } from './http.js';
import { buildOptions, type Quirks } from './quirks.js';

export interface SessionHost {
  /** Answer one ACS request (pure: the model, plus what the client owns, like queued transfers). */
  answer(request: AcsRequest): RpcOutcome;
  /** The Inform was accepted: its events are delivered. */
  informAccepted(): void;
  /** The ACS acknowledged one of our requests. */
  requestAccepted(request: CpeOwnRequest, response: AcsResponse): void;
}

export interface SessionPlan {
  url: URL;
  credentials: Credentials | null;
  jar: CookieJar | null;
  quirks: Quirks;
  /** CWMP 1.4: the versions announced in SupportedCWMPVersions (absent: no header, as a pre-1.4 CPE). */
  cwmpVersions?: readonly string[];
  inform: Inform;
  /** Our own requests to deliver (TransferComplete …), in order. */
  outbox: readonly CpeOwnRequest[];
  timeoutMs: number;
  tls?: TlsOptions;
  /** Lets the owner abort the session (close the connection) from outside. */
  onConnection?: (conn: AcsConnection | null) => void;
  /** Keep-alive connections shared across sessions (off: a new connection per session, like a real CPE). */
  pool?: ConnectionPool | null;
}

export interface SessionOutcome {
  ok: boolean;
  /** Why it failed: "connect: …", "http 500", "auth", "protocol: …", "acs-fault 8005: …". */
  error?: string;
  /** True once the InformResponse arrived (the events were delivered). */
  informed: boolean;
  /** What the ACS asked for, in order, with the CWMP fault code we answered (0 = success). */
  rpcs: { method: string; faultCode: number }[];
  effects: CpeEffect[];
  /** The jar as it stands after the session (the ACS may have created it). */
  jar: CookieJar | null;
  exchanges: number;
  /** The ACS asked us to come back later (503 with Retry-After, in seconds): not before this many ms. */
  retryAfterMs?: number;
}

/** Retry-After as delta-seconds (the form an ACS sends); an HTTP date or garbage is ignored. */
export function retryAfterMs(header: string | string[] | undefined): number | undefined {
  const v = Array.isArray(header) ? header[0] : header;
  if (v === undefined || !/^\s*\d{1,7}\s*$/.test(v)) return undefined;
  return Number(v) * 1000;
}

/** "acs-fault N: text" for a SOAP Fault body, else null. */
function soapFault(reply: HttpReply): string | null {
  if (isEmpty(reply)) return null;
  const text = decodeBody(reply.body, reply.headers['content-type']);
  const parsed = text.ok ? parseEnvelope(text.value) : null;
  if (parsed === null || !parsed.ok || parsed.value.body.method !== 'Fault') return null;
  const d = parsed.value.body.detail;
  return `acs-fault ${d.faultCode}: ${d.faultString}`;
}

/** The ACS answered with no envelope: 204, or 200 with an empty (or all-whitespace) body. */
function isEmpty(reply: HttpReply): boolean {
  return reply.status === 204 || isBlank(reply.body);
}

export async function runSession(plan: SessionPlan, host: SessionHost): Promise<SessionOutcome> {
  const quirks = plan.quirks;
  const build = buildOptions(quirks);
  const session = new CpeSession({
    ...(quirks.namespace !== undefined ? { namespace: quirks.namespace } : {}),
    noMoreRequests: quirks.noMoreRequests,
    ...(plan.cwmpVersions !== undefined && plan.cwmpVersions.length > 0 ? { supportedCwmpVersions: plan.cwmpVersions.join(',') } : {}),
  });
  const conn = new AcsConnection({
    url: plan.url,
    credentials: plan.credentials,
    jar: plan.jar,
    dropCookies: quirks.dropCookies,
    chunked: quirks.chunked,
    timeoutMs: plan.timeoutMs,
    tls: plan.tls,
    pool: plan.pool,
  });
  plan.onConnection?.(conn);
  let clean = false;
  const out: SessionOutcome = { ok: false, informed: false, rpcs: [], effects: [], jar: plan.jar, exchanges: 0 };
  // Own requests the ACS faulted this session: not offered again until the next one.
  const skipped = new Set<CpeOwnRequest>();
  const delivered = new Set<CpeOwnRequest>();
  const nextOwn = (): CpeOwnRequest | undefined => plan.outbox.find((r) => !skipped.has(r) && !delivered.has(r));

  /** On our turn: one of our requests, or the empty POST that hands the floor to the ACS. */
  const cpeTurn = (): Envelope | null | string => {
    const own = session.holdRequests ? undefined : nextOwn();
    if (own !== undefined) {
      const sent = session.sendRequest(own);
      return sent.ok ? sent.value : `protocol: ${sent.error.message}`;
    }
    const empty = session.sendEmpty();
    return empty.ok ? null : `protocol: ${empty.error.message}`;
  };

  try {
    const first = session.inform(plan.inform);
    if (!first.ok) return { ...out, error: `protocol: ${first.error.message}` };
    let message: Envelope | null = first.value;
    while (true) {
      const reply = await conn.post(message === null ? null : buildEnvelopePieces(message, build));
      out.exchanges++;
      out.jar = conn.jar;
      if (reply.status === 401) return { ...out, error: 'auth' };
      if (reply.status === 503) {
        const wait = retryAfterMs(reply.headers['retry-after']);
        return { ...out, error: 'http 503', ...(wait !== undefined ? { retryAfterMs: wait } : {}) };
      }
      if (reply.status !== 200 && reply.status !== 204) {
        // SOAP 1.1 carries a fault with HTTP 500 (8005 busy, 8006 no version in common): say which.
        const fault = reply.status === 500 ? soapFault(reply) : null;
        return { ...out, error: fault ?? `http ${reply.status}` };
      }
      let envelope: Envelope | null = null;
      if (!isEmpty(reply)) {
        const text = decodeBody(reply.body, reply.headers['content-type']);
        if (!text.ok) return { ...out, error: `protocol: ${text.error.message}` };
        const parsed = parseEnvelope(text.value);
        if (!parsed.ok) return { ...out, error: `protocol: ${parsed.error.message}` };
        envelope = parsed.value;
      }
      const received = session.receive(envelope);
      if (!received.ok) {
        const fault = envelope?.body.method === 'Fault' ? envelope.body.detail : null;
        return { ...out, error: fault !== null ? `acs-fault ${fault.faultCode}: ${fault.faultString}` : `protocol: ${received.error.message}` };
      }
      const r = received.value;
      let next: Envelope | null | string;
      switch (r.kind) {
        case 'informAccepted':
          out.informed = true;
          host.informAccepted();
          next = cpeTurn();
          break;
        case 'requestAccepted':
          delivered.add(r.request);
          host.requestAccepted(r.request, r.response);
          next = cpeTurn();
          break;
        case 'requestFaulted':
          skipped.add(r.request);
          next = cpeTurn();
          break;
        case 'acsRequest': {
          let outcome: RpcOutcome;
          try {
            outcome = host.answer(r.request);
          } catch (e) {
            // A bug in a model must not kill the session: the ACS gets 9002 and carries on.
            outcome = { response: faultBody(9002, e instanceof Error ? e.message : String(e)), effects: [] };
          }
          out.rpcs.push({ method: r.request.method, faultCode: outcome.response.method === 'Fault' ? outcome.response.detail.faultCode : 0 });
          out.effects.push(...outcome.effects);
          let answered = session.respond(outcome.response);
          if (!answered.ok) answered = session.respond(faultBody(9002, answered.error.message));
          next = answered.ok ? answered.value : `protocol: ${answered.error.message}`;
          break;
        }
        case 'unsupported':
          out.rpcs.push({ method: r.name, faultCode: 9000 });
          next = r.reply;
          break;
        case 'acsDone': {
          // 3.7.1.4: the session ends when neither side has anything left to send.
          const own = nextOwn();
          if (own === undefined) {
            session.finish();
            clean = true;
            return { ...out, ok: true };
          }
          const sent = session.sendRequest(own);
          next = sent.ok ? sent.value : `protocol: ${sent.error.message}`;
          break;
        }
      }
      if (typeof next === 'string') return { ...out, error: next };
      message = next;
    }
  } catch (e) {
    session.fail();
    if (e instanceof HttpError) return { ...out, error: `${e.code.toLowerCase()}: ${e.message}` };
    return { ...out, error: `internal: ${e instanceof Error ? e.message : String(e)}` };
  } finally {
    conn.close(clean);
    plan.onConnection?.(null);
  }
}
