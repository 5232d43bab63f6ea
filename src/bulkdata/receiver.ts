/**
 * The TR-232 bulk data receiver: `POST /bulkdata/<profile id>` on the transfer port (mounted
 * into src/files/transfer.ts, whose device authentication it uses: the URL the ACS signed
 * for the device and profile, or the device's own credential by Digest, or Basic over TLS).
 *
 * A report is refused whole (nothing stored) when it is unauthenticated (401), signed for
 * another profile or device, or names another device in its identity values (403), too large
 * (413, counted after decompression), malformed or out of time (400), or for a profile that is
 * not a bulk data profile of this device (404/403). Accepted values are those the profile lists
 * (exact paths, or under a listed subtree), never a secret; they land in the KPI series
 * (source `bulk`, counters as rates) in one store call.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createGunzip, createInflate } from 'node:zlib';
import type { Readable } from 'node:stream';
import { isSecretPath } from '../secrets/rules.js';
import { parseDeviceId } from '../store/device-id.js';
import type { NewSample, SamplingProfile, Store } from '../store/types.js';
import { Refusal, type DeviceAuth } from '../files/device-auth.js';
import type { UrlSigner } from '../files/signing.js';
import { parseReport, type ParseLimits, type ReportRow } from './parse.js';

export const BULKDATA_PREFIX = '/bulkdata/';
const DAY_MS = 86_400_000;
/** A signed report URL stays the same for this long, and is renewed (a daily check) well before it expires. */
const URL_PERIOD_MS = 90 * DAY_MS;

export interface BulkDataReceiverOptions {
  store: Pick<Store, 'appendSamples'>;
  /** The enabled sampling profiles (the ACS process's SamplingSource). */
  profiles: () => readonly SamplingProfile[];
  /** Reload them once when a report names an unknown one (a profile made a moment ago). */
  reload?: () => Promise<void>;
  /** Largest body, after decompression (default 256 KiB). */
  maxBytes?: number;
  /** Oldest sample accepted (default 7 days back), and how far ahead of the clock (default 10 min). */
  maxAgeMs?: number;
  maxAheadMs?: number;
  limits?: Partial<ParseLimits>;
  now?: () => number;
  /** Told of every stored report (tests, metrics). */
  onReport?: (r: { deviceId: string; profileId: string; stored: number; ignored: number }) => void;
}

/** The URL a device posts a profile's reports to: the receiver on `baseUrl`, signed for it. */
export function reportUrlFor(signer: UrlSigner, baseUrl: () => string): (deviceId: string, profileId: string, now: number) => string {
  return (deviceId, profileId, now) => {
    const expires = Math.floor(((Math.floor(now / URL_PERIOD_MS) + 2) * URL_PERIOD_MS) / 1000);
    const q = signer.query({ fileId: profileId, deviceId, commandKey: '', expires, action: 'report' });
    return `${baseUrl().replace(/\/+$/, '')}${BULKDATA_PREFIX}${encodeURIComponent(profileId)}?${q}`;
  };
}

/** Identity values a report may carry, and the device id field each must equal. */
const IDENTITY: [RegExp, 'oui' | 'productClass' | 'serialNumber'][] = [
  [/^(Device|InternetGatewayDevice)\.DeviceInfo\.ManufacturerOUI$/, 'oui'],
  [/^(Device|InternetGatewayDevice)\.DeviceInfo\.ProductClass$/, 'productClass'],
  [/^(Device|InternetGatewayDevice)\.DeviceInfo\.SerialNumber$/, 'serialNumber'],
];

export function bulkDataReceiver(opts: BulkDataReceiverOptions): { prefix: string; handle: (req: IncomingMessage, res: ServerResponse, auth: DeviceAuth) => Promise<void> } {
  const now = opts.now ?? Date.now;
  const maxBytes = opts.maxBytes ?? 256 * 1024;
  const maxAge = opts.maxAgeMs ?? 7 * DAY_MS;
  const maxAhead = opts.maxAheadMs ?? 10 * 60_000;
  let lastReload = 0;
  // Group commit: reports arriving while a store call runs go together in the next one, so a
  // burst costs a few transactions, not one each (a store call is one transaction). Each
  // request still answers only once its samples are written.
  let queued: { samples: NewSample[]; done: (n: number) => void; fail: (e: unknown) => void }[] = [];
  let writing = false;
  const write = (samples: NewSample[]): Promise<number> =>
    new Promise((done, fail) => {
      queued.push({ samples, done, fail });
      if (!writing) void flush();
    });
  async function flush(): Promise<void> {
    writing = true;
    while (queued.length > 0) {
      const batch = queued;
      queued = [];
      try {
        const stored = await opts.store.appendSamples(batch.flatMap((b) => b.samples));
        // Per report: what it brought (the total is known only for the batch; duplicates are rare).
        for (const b of batch) b.done(batch.length === 1 ? stored : b.samples.length);
      } catch (e) {
        for (const b of batch) b.fail(e);
      }
    }
    writing = false;
  }

  async function profileById(id: string): Promise<SamplingProfile | undefined> {
    let p = opts.profiles().find((x) => x.id === id);
    // At most one reload a second, whatever unknown ids are thrown at it.
    if (p === undefined && opts.reload !== undefined && now() - lastReload > 1000) {
      lastReload = now();
      await opts.reload();
      p = opts.profiles().find((x) => x.id === id);
    }
    return p;
  }

  async function handle(req: IncomingMessage, res: ServerResponse, auth: DeviceAuth): Promise<void> {
    try {
      const url = new URL(req.url ?? '/', 'http://x');
      const m = /^\/bulkdata\/([A-Za-z0-9_-]{1,64})$/.exec(url.pathname);
      if (m === null) throw new Refusal(404, 'no such path (POST /bulkdata/<profile id>)');
      if (req.method !== 'POST' && req.method !== 'PUT') throw new Refusal(405, 'POST or PUT', { allow: 'POST, PUT' });
      const profileId = m[1]!;
      const caller = await auth.identify(req, profileId, 'report', url.searchParams);
      // A URL naming one device, presented with another's credential.
      const named = url.searchParams.get('d');
      if (named !== null && named !== caller.deviceId) throw new Refusal(403, 'the URL names another device');
      const profile = await profileById(profileId);
      if (profile === undefined || profile.bulkData === undefined) throw new Refusal(404, 'no such bulk data profile');
      const id = parseDeviceId(caller.deviceId);
      if (id === null) throw new Refusal(403, 'unknown device');
      if ((profile.match.oui !== undefined && profile.match.oui !== id.oui) || (profile.match.productClass !== undefined && profile.match.productClass !== id.productClass)) {
        throw new Refusal(403, 'this profile is not for this device');
      }
      const declared = req.headers['content-length'];
      if (declared !== undefined && /^\d{1,15}$/.test(declared) && Number(declared) > maxBytes) throw new Refusal(413, `larger than ${maxBytes} bytes`, { connection: 'close' });
      const body = await readBody(req, maxBytes);
      const receivedAt = now();
      const parsed = parseReport(body, {
        receivedAt,
        ...(req.headers['content-type'] !== undefined ? { contentType: req.headers['content-type'] } : {}),
        ...(typeof req.headers['bbf-report-format'] === 'string' ? { format: req.headers['bbf-report-format'] } : {}),
        ...(opts.limits !== undefined ? { limits: opts.limits } : {}),
      });
      if (!parsed.ok) throw new Refusal(400, `malformed report: ${parsed.reason}`);
      for (const row of parsed.rows) {
        for (const [re, field] of IDENTITY) {
          if (re.test(row.path) && row.value !== id[field]) throw new Refusal(403, `the report names another device (${row.path})`);
        }
        if (row.at < receivedAt - maxAge || row.at > receivedAt + maxAhead) throw new Refusal(400, `collection time ${new Date(row.at).toISOString()} is out of range`);
      }
      const { samples, ignored } = samplesOf(profile, caller.deviceId, parsed.rows);
      const stored = samples.length > 0 ? await write(samples) : 0;
      opts.onReport?.({ deviceId: caller.deviceId, profileId, stored, ignored });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ stored, ignored }));
    } catch (e) {
      if (!(e instanceof Refusal)) throw e;
      if (!res.headersSent) {
        res.writeHead(e.status, { 'content-type': 'text/plain; charset=utf-8', ...e.headers });
        res.end(`${e.message}\n`);
      } else res.destroy();
      req.resume();
    }
  }

  return { prefix: BULKDATA_PREFIX, handle };
}

/** The rows a profile asks for, as samples (counters flagged); the rest is counted, not kept. */
export function samplesOf(profile: SamplingProfile, deviceId: string, rows: readonly ReportRow[]): { samples: NewSample[]; ignored: number } {
  const samples: NewSample[] = [];
  let ignored = 0;
  for (const row of rows) {
    const param = profile.parameters.find((p) => (p.path.endsWith('.') ? row.path.startsWith(p.path) : row.path === p.path));
    if (param === undefined || isSecretPath(row.path)) {
      ignored++;
      continue;
    }
    samples.push({ deviceId, path: row.path, at: row.at, value: row.value, source: 'bulk', ...(param.counter === true ? { counter: true } : {}) });
  }
  return { samples, ignored };
}

/** The body as text, at most `max` bytes after gzip/deflate; more is a 413. */
async function readBody(req: IncomingMessage, max: number): Promise<string> {
  const encoding = (req.headers['content-encoding'] ?? 'identity').toLowerCase().trim();
  let source: Readable = req;
  if (encoding === 'gzip' || encoding === 'x-gzip') source = req.pipe(createGunzip());
  else if (encoding === 'deflate') source = req.pipe(createInflate());
  else if (encoding !== 'identity' && encoding !== '') throw new Refusal(415, `Content-Encoding ${encoding.slice(0, 20)} is not supported (gzip, deflate)`);
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of source) {
      size += (chunk as Buffer).length;
      if (size > max) {
        source.destroy();
        throw new Refusal(413, `larger than ${max} bytes`, { connection: 'close' });
      }
      chunks.push(chunk as Buffer);
    }
  } catch (e) {
    if (e instanceof Refusal) throw e;
    throw new Refusal(400, 'unreadable body (bad compression, or the connection broke)');
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.includes('\uFFFD')) throw new Refusal(400, 'the body is not UTF-8');
  return text;
}
