/**
 * The CPE's HTTP layer: node:http/node:https, nothing else.
 *
 * A CWMP session keeps one keep-alive connection from the Inform to the final empty
 * response, as a real device does: the ACS may tie the session to its connection when the
 * CPE loses cookies. A shared pool would hand CPE B's Inform to the socket CPE A's session
 * is bound to, so each session gets its own single-socket Agent, closed when it ends; the
 * fleet's concurrency limit is what bounds the number of sockets. File transfers, which
 * have no such binding, share one keep-alive Agent with bounded maxSockets.
 */
import http, { type IncomingHttpHeaders } from 'node:http';
import https from 'node:https';
import { parseChallenges, respondTo, type Credentials } from '../../auth/client.js';
import { CookieJar } from './cookies.js';

export type HttpErrorCode = 'CONNECT' | 'TIMEOUT' | 'RESET' | 'TOO_LARGE' | 'PROTOCOL';

/** A transport failure (no HTTP response, or one we could not read). */
export class HttpError extends Error {
  readonly code: HttpErrorCode;
  /** The request went out on a pooled keep-alive socket and failed before any answer. */
  readonly reusedSocket: boolean;
  constructor(code: HttpErrorCode, message: string, reusedSocket = false) {
    super(message);
    this.name = 'HttpError';
    this.code = code;
    this.reusedSocket = reusedSocket;
  }
}

export interface HttpReply {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** Bytes of the body (equals body.length unless the body was discarded). */
  bytes: number;
  /** When the status line arrived and when the body ended (ms since the epoch; diagnostics report them). */
  headersAt: number;
  endAt: number;
}

export interface TlsOptions {
  /** Verify the server's certificate (TR-069 3.3: a CPE must). Off only for test ACSes. */
  rejectUnauthorized?: boolean;
  ca?: string | Buffer;
  /** A client certificate and its key (PEM), presented when the ACS asks for one (mTLS). */
  cert?: string | Buffer;
  key?: string | Buffer;
}

export interface RequestOptions {
  method: string;
  url: URL;
  headers?: Record<string, string>;
  /** Pieces (strings or bytes) are sent one after the other, as one body. */
  body?: string | Buffer | readonly (string | Buffer)[] | null;
  agent: http.Agent;
  /** Quirk: send the body with Transfer-Encoding: chunked, no Content-Length. */
  chunked?: boolean;
  timeoutMs?: number;
  maxBodyBytes?: number;
  /** Count the body without keeping it (large downloads). */
  discardBody?: boolean;
  /** Told the status and headers when they arrive (before any body chunk). */
  onResponse?: (status: number, headers: IncomingHttpHeaders) => void;
  /** Each body chunk as it arrives (hashing a download as it streams); false drops the connection. */
  onChunk?: (chunk: Buffer) => boolean | void;
  tls?: TlsOptions;
}

/**
 * One HTTP exchange. Resolves with any status; rejects only when there is no usable
 * response. A keep-alive socket the server closed just as we reused it fails before any
 * byte of the answer: that one case is retried once on a fresh connection.
 */
export async function request(opts: RequestOptions): Promise<HttpReply> {
  try {
    return await requestOnce(opts);
  } catch (e) {
    if (e instanceof HttpError && e.reusedSocket) return requestOnce(opts);
    throw e;
  }
}

function requestOnce(opts: RequestOptions): Promise<HttpReply> {
  const lib = opts.url.protocol === 'https:' ? https : http;
  // Encoded once: measuring a string's UTF-8 length and then letting the socket encode it
  // walks it twice. A big answer comes in pieces (buildEnvelopePieces), each encoded on its own.
  const parts = opts.body === undefined || opts.body === null ? null : (Array.isArray(opts.body) ? opts.body : [opts.body]) as readonly (string | Buffer)[];
  const pieces = parts === null ? null : parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'utf8') : p));
  let length = 0;
  for (const p of pieces ?? []) length += p.length;
  const headers: Record<string, string> = { ...opts.headers };
  // Chunked quirk: node switches to chunked encoding when no length is given and the body
  // is written in parts. A GET carries no length at all.
  if (pieces !== null ? opts.chunked !== true : opts.method !== 'GET') {
    headers['content-length'] = String(length);
  }
  const maxBody = opts.maxBodyBytes ?? 16 * 1024 * 1024;
  return new Promise((resolve, reject) => {
    let settled = false;
    const fail = (e: HttpError): void => {
      if (settled) return;
      settled = true;
      req.destroy();
      reject(e);
    };
    const req = lib.request(
      {
        method: opts.method,
        host: opts.url.hostname.replace(/^\[|\]$/g, ''),
        port: opts.url.port === '' ? undefined : Number(opts.url.port),
        path: `${opts.url.pathname}${opts.url.search}`,
        headers,
        agent: opts.agent,
        rejectUnauthorized: opts.tls?.rejectUnauthorized ?? true,
        ca: opts.tls?.ca,
        cert: opts.tls?.cert,
        key: opts.tls?.key,
      },
      (res) => {
        const headersAt = Date.now();
        const chunks: Buffer[] = [];
        let bytes = 0;
        opts.onResponse?.(res.statusCode ?? 0, res.headers);
        res.on('data', (chunk: Buffer) => {
          bytes += chunk.length;
          if (bytes > maxBody) {
            fail(new HttpError('TOO_LARGE', `response body over ${maxBody} bytes`));
            return;
          }
          if (opts.onChunk?.(chunk) === false) {
            fail(new HttpError('RESET', `connection dropped after ${bytes} bytes`));
            return;
          }
          if (opts.discardBody !== true) chunks.push(chunk);
        });
        res.on('end', () => {
          if (settled) return;
          settled = true;
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks), bytes, headersAt, endAt: Date.now() });
        });
        res.on('aborted', () => fail(new HttpError('RESET', 'connection closed during the response')));
        res.on('error', (e) => fail(new HttpError('RESET', e.message)));
      },
    );
    req.setTimeout(opts.timeoutMs ?? 30_000, () => fail(new HttpError('TIMEOUT', `no answer within ${opts.timeoutMs ?? 30_000} ms`)));
    let answered = false;
    req.on('response', () => (answered = true));
    req.on('error', (e: NodeJS.ErrnoException) => {
      const code = e.code ?? '';
      const connect = ['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL'].includes(code);
      const stale = req.reusedSocket && !answered && (code === 'ECONNRESET' || code === 'EPIPE');
      fail(new HttpError(connect ? 'CONNECT' : code === 'HPE_INVALID_CONSTANT' ? 'PROTOCOL' : 'RESET', `${code} ${e.message}`.trim(), stale));
    });
    if (pieces === null) req.end();
    else if (opts.chunked === true) {
      // Two chunks, the halves of the body, however it was built.
      const body = pieces.length === 1 ? pieces[0]! : Buffer.concat(pieces, length);
      const half = Math.max(1, body.length >> 1);
      req.write(body.subarray(0, half));
      req.end(body.subarray(half));
    } else {
      for (let i = 0; i < pieces.length - 1; i++) req.write(pieces[i]!);
      req.end(pieces[pieces.length - 1]);
    }
  });
}

/** Basic/Digest retry around `request`: answer one 401 challenge, then reuse the answer. */
export class AuthenticatingClient {
  readonly #creds: Credentials | null;
  #authorize: ((method: string, uri: string) => string) | null = null;

  constructor(creds: Credentials | null) {
    this.#creds = creds;
  }

  /** True once a challenge has been answered; a second 401 then means wrong credentials. */
  get authenticated(): boolean {
    return this.#authorize !== null;
  }

  async send(opts: RequestOptions): Promise<HttpReply> {
    const uri = `${opts.url.pathname}${opts.url.search}`;
    const withAuth = (): RequestOptions =>
      this.#authorize === null ? opts : { ...opts, headers: { ...opts.headers, Authorization: this.#authorize(opts.method, uri) } };
    const first = await request(withAuth());
    if (first.status !== 401 || this.#creds === null) return first;
    const answer = respondTo(parseChallenges(first.headers['www-authenticate']), this.#creds);
    if (answer === null) return first;
    this.#authorize = answer;
    return request(withAuth());
  }
}

/**
 * Keep-alive connections passed from one session to the next. Each is a single-socket
 * Agent, checked out by one session at a time, so a session still owns its connection from
 * Inform to 204 (what the ACS may bind it to); the pool only saves the TCP set-up between
 * sessions. Off by default: a real CPE opens a new connection for every session.
 */
export class ConnectionPool {
  readonly max: number;
  readonly #idle = new Map<string, http.Agent[]>();
  #size = 0;

  constructor(max: number) {
    this.max = max;
  }

  take(url: URL, tls: TlsOptions | undefined): http.Agent {
    const agent = this.#idle.get(url.origin)?.pop();
    if (agent !== undefined) {
      this.#size--;
      return agent;
    }
    return newSessionAgent(url, tls);
  }

  /** Return a connection after a clean session; anything else is closed. */
  give(url: URL, agent: http.Agent, clean: boolean): void {
    if (!clean || this.#size >= this.max) {
      agent.destroy();
      return;
    }
    const list = this.#idle.get(url.origin) ?? [];
    list.push(agent);
    this.#idle.set(url.origin, list);
    this.#size++;
  }

  close(): void {
    for (const list of this.#idle.values()) for (const a of list) a.destroy();
    this.#idle.clear();
    this.#size = 0;
  }
}

function newSessionAgent(url: URL, tls: TlsOptions | undefined): http.Agent {
  const agentOpts = { keepAlive: true, maxSockets: 1 };
  return url.protocol === 'https:' ? new https.Agent({ ...agentOpts, ...tls }) : new http.Agent(agentOpts);
}

export interface AcsConnectionOptions {
  url: URL;
  credentials: Credentials | null;
  /** The CPE's jar, or null (one is created if the ACS sets a cookie). */
  jar: CookieJar | null;
  /** Quirk: never send cookies back. */
  dropCookies?: boolean;
  chunked?: boolean;
  timeoutMs?: number;
  tls?: TlsOptions;
  now?: () => number;
  /** Reuse connections across sessions (see ConnectionPool). */
  pool?: ConnectionPool | null;
}

/** The HTTP side of one CWMP session: POSTs on a single pinned keep-alive connection. */
export class AcsConnection {
  readonly #opts: AcsConnectionOptions;
  readonly #agent: http.Agent;
  readonly #auth: AuthenticatingClient;
  #jar: CookieJar | null;

  constructor(opts: AcsConnectionOptions) {
    this.#opts = opts;
    this.#jar = opts.jar;
    this.#agent = opts.pool ? opts.pool.take(opts.url, opts.tls) : newSessionAgent(opts.url, opts.tls);
    this.#auth = new AuthenticatingClient(opts.credentials);
  }

  /** The jar after the session (created here if the ACS set the first cookie). */
  get jar(): CookieJar | null {
    return this.#jar;
  }

  /** POST an envelope (or an empty POST for null) and return the ACS's answer. */
  async post(xml: string | readonly (string | Buffer)[] | null): Promise<HttpReply> {
    const now = this.#opts.now ?? Date.now;
    const headers: Record<string, string> = {};
    if (xml !== null) {
      headers['content-type'] = 'text/xml; charset="utf-8"';
      headers.soapaction = '';
    }
    if (this.#opts.dropCookies !== true && this.#jar !== null) {
      const cookie = this.#jar.header(this.#opts.url.pathname, now());
      if (cookie !== undefined) headers.cookie = cookie;
    }
    const reply = await this.#auth.send({
      method: 'POST',
      url: this.#opts.url,
      headers,
      body: xml,
      agent: this.#agent,
      chunked: this.#opts.chunked === true && xml !== null,
      timeoutMs: this.#opts.timeoutMs,
      tls: this.#opts.tls,
    });
    const setCookie = reply.headers['set-cookie'];
    if (setCookie !== undefined && this.#opts.dropCookies !== true) {
      this.#jar ??= new CookieJar();
      this.#jar.store(setCookie, now());
    }
    return reply;
  }

  /** End of session; `clean` when it ended as the protocol says (the connection may be reused). */
  close(clean = false): void {
    if (this.#opts.pool) this.#opts.pool.give(this.#opts.url, this.#agent, clean);
    else this.#agent.destroy();
  }
}

let sharedAgents: { http: http.Agent; https: https.Agent } | null = null;

/** The keep-alive pool file transfers share (bounded, so a fleet's downloads queue instead of opening thousands of sockets). */
export function transferAgent(url: URL, maxSockets = 64): http.Agent {
  sharedAgents ??= {
    http: new http.Agent({ keepAlive: true, maxSockets }),
    https: new https.Agent({ keepAlive: true, maxSockets }),
  };
  return url.protocol === 'https:' ? sharedAgents.https : sharedAgents.http;
}

/** Close the shared transfer pool (end of a simulator run, end of tests). */
export function closeTransferAgents(): void {
  sharedAgents?.http.destroy();
  sharedAgents?.https.destroy();
  sharedAgents = null;
}
