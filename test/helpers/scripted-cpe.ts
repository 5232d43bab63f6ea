/**
 * A hand-driven CPE for end-to-end tests of the ACS: real HTTP on loopback, one keep-alive
 * connection, Digest/Basic answered from the 401, cookies kept unless told to drop them.
 * Tests decide every message it sends, so they can also send what a broken CPE would.
 */
import { Agent, request } from 'node:http';
import { buildEnvelope, parseEnvelope } from '../../src/cwmp/codec.js';
import type { CwmpBody, CwmpNamespace, Envelope, EventStruct, Inform, ParameterValue } from '../../src/cwmp/types.js';
import { basicAuthorization, parseChallenges, respondTo } from '../../src/auth/client.js';

export interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  envelope: Envelope | null;
}

export interface ScriptedCpeOptions {
  username?: string;
  password?: string;
  /** Use Basic from the start instead of answering a Digest challenge. */
  basic?: boolean;
  dropCookies?: boolean;
  namespace?: CwmpNamespace;
  /** Send from this local address (e.g. 127.0.0.2: another host on loopback). */
  localAddress?: string;
  /** Send exactly this Authorization header on every request (a captured or forged one). */
  authorization?: string;
}

export class ScriptedCpe {
  readonly url: URL;
  agent: Agent;
  cookie: string | undefined;
  #authorize: ((method: string, uri: string) => string) | null = null;
  readonly #opts: ScriptedCpeOptions;
  #id = 0;

  constructor(url: string, opts: ScriptedCpeOptions = {}) {
    this.url = new URL(url);
    this.#opts = opts;
    this.agent = this.#newAgent();
    if (opts.authorization !== undefined) {
      const header = opts.authorization;
      this.#authorize = () => header;
    }
    if (opts.basic && opts.username !== undefined) {
      const header = basicAuthorization({ username: opts.username, password: opts.password ?? '' });
      this.#authorize = () => header;
    }
  }

  /** A new TCP connection from now on (the cookie, if any, is kept). */
  reconnect(): void {
    this.agent.destroy();
    this.agent = this.#newAgent();
  }

  #newAgent(): Agent {
    return new Agent({ keepAlive: true, maxSockets: 1, ...(this.#opts?.localAddress !== undefined ? { localAddress: this.#opts.localAddress } : {}) });
  }

  /** The Authorization header the last request carried (to replay it elsewhere). */
  lastAuthorization: string | undefined;

  close(): void {
    this.agent.destroy();
  }

  /** POST raw bytes; answers a 401 once with the configured credentials. */
  async postRaw(body: string | Buffer, headers: Record<string, string> = {}): Promise<Reply> {
    const first = await this.#send(body, headers);
    if (first.status !== 401 || this.#opts.username === undefined || this.#opts.basic || this.#opts.authorization !== undefined) return first;
    this.#authorize = respondTo(parseChallenges(first.headers['www-authenticate']), {
      username: this.#opts.username,
      password: this.#opts.password ?? '',
    });
    if (this.#authorize === null) return first;
    return this.#send(body, headers);
  }

  async post(body: CwmpBody | null, header: Envelope['header'] = {}): Promise<Reply> {
    if (body === null) return this.postRaw('');
    const env: Envelope = {
      namespace: this.#opts.namespace ?? 'urn:dslforum-org:cwmp-1-0',
      header: { id: header.id ?? `cpe-${++this.#id}`, ...header },
      body,
    };
    return this.postRaw(buildEnvelope(env));
  }

  /** Answer the ACS request in `reply` with `body` (same header ID). */
  async answer(reply: Reply, body: CwmpBody): Promise<Reply> {
    return this.post(body, { id: reply.envelope?.header.id ?? 'x' });
  }

  #send(body: string | Buffer, headers: Record<string, string>): Promise<Reply> {
    return new Promise((resolve, reject) => {
      const h: Record<string, string> = { 'Content-Type': 'text/xml; charset=utf-8', SOAPAction: '', ...headers };
      if (this.cookie !== undefined && !this.#opts.dropCookies) h.Cookie = this.cookie;
      if (this.#authorize !== null) h.Authorization = this.#authorize('POST', this.url.pathname);
      this.lastAuthorization = h.Authorization;
      const req = request(this.url, { method: 'POST', agent: this.agent, headers: h }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const setCookie = res.headers['set-cookie'];
          if (setCookie !== undefined && setCookie[0] !== undefined) this.cookie = setCookie[0].split(';')[0];
          const text = Buffer.concat(chunks).toString('utf8');
          const parsed = text.trim() === '' ? null : parseEnvelope(text);
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            text,
            envelope: parsed !== null && parsed.ok ? parsed.value : null,
          });
        });
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(body);
    });
  }
}

export const DEVICE = { manufacturer: 'Acme', oui: 'A1B2C3', productClass: 'Gateway', serialNumber: 'SN0001' };

export function informBody(opts: {
  events?: (string | EventStruct)[];
  params?: ParameterValue[];
  serial?: string;
} = {}): Inform {
  return {
    method: 'Inform',
    deviceId: { ...DEVICE, serialNumber: opts.serial ?? DEVICE.serialNumber },
    event: (opts.events ?? ['2 PERIODIC']).map((e) => (typeof e === 'string' ? { eventCode: e, commandKey: '' } : e)),
    maxEnvelopes: 1,
    currentTime: '2026-11-21T10:00:00Z',
    retryCount: 0,
    parameterList: opts.params ?? [
      { name: 'Device.DeviceInfo.SoftwareVersion', value: '1.0.0', type: 'xsd:string' },
      { name: 'Device.ManagementServer.ConnectionRequestURL', value: 'http://127.0.0.1:1/cr', type: 'xsd:string' },
    ],
  };
}
