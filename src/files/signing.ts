/**
 * Signed transfer URLs: a Download's URL names the file, the device it is for, the task's
 * CommandKey and an expiry, with an HMAC over all four under the ACS's files secret. Any
 * process with the secret checks one without a store read, and a URL taken from one device
 * opens nothing for another (the device is in the signature, and the transfer endpoint
 * checks the file belongs to it).
 *
 * The secret: FLOTILLA_FILES_SECRET (hex, the same on every host), else `files-secret` in the
 * data directory, generated once (mode 0600).
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const FILES_SECRET_ENV = 'FLOTILLA_FILES_SECRET';

export interface Grant {
  fileId: string;
  deviceId: string;
  /** The task's CommandKey ("" when none). */
  commandKey: string;
  /** Seconds since the epoch. */
  expires: number;
  /**
   * What the holder may do: fetch a file, send one (an Upload), or post TR-232 bulk data
   * reports (`fileId` is then the sampling profile's id: src/bulkdata/receiver.ts).
   */
  action: 'get' | 'put' | 'report';
  /** An upload's FileType (what the stored file will be); "" for a fetch. */
  fileType?: string;
}

export class UrlSigner {
  readonly #secret: Buffer;

  constructor(secret: Buffer) {
    if (secret.length < 16) throw new Error('the files secret needs at least 16 bytes');
    this.#secret = secret;
  }

  static random(): UrlSigner {
    return new UrlSigner(randomBytes(32));
  }

  #mac(g: Grant): Buffer {
    // Fields joined with a separator none of them may contain unescaped.
    const text = [g.action, g.fileId, encodeURIComponent(g.deviceId), encodeURIComponent(g.commandKey), String(g.expires), encodeURIComponent(g.fileType ?? '')].join('\n');
    return createHmac('sha256', this.#secret).update(text, 'utf8').digest();
  }

  /** The query string (without "?") that grants `g`. */
  query(g: Grant): string {
    // Short names and a 128-bit tag: a Download URL is at most 256 characters (TR-069 A.3.2.8).
    const q = new URLSearchParams({
      d: g.deviceId,
      k: g.commandKey,
      e: String(g.expires),
      ...(g.fileType !== undefined && g.fileType !== '' ? { t: g.fileType } : {}),
      s: this.#mac(g).subarray(0, 16).toString('base64url'),
    });
    return q.toString();
  }

  /** The grant a query carries, or why not (null fields: absent or malformed). */
  check(fileId: string, action: Grant['action'], query: URLSearchParams, nowMs: number): { ok: true; grant: Grant } | { ok: false; reason: string } {
    const deviceId = query.get('d');
    const commandKey = query.get('k') ?? '';
    const expiresText = query.get('e');
    const sig = query.get('s');
    if (deviceId === null || expiresText === null || sig === null) return { ok: false, reason: 'not signed' };
    if (!/^\d{1,12}$/.test(expiresText)) return { ok: false, reason: 'malformed expiry' };
    const grant: Grant = { fileId, deviceId, commandKey, expires: Number(expiresText), action, fileType: query.get('t') ?? '' };
    const given = Buffer.from(sig, 'base64url');
    const want = this.#mac(grant).subarray(0, 16);
    if (given.length !== want.length || !timingSafeEqual(given, want)) return { ok: false, reason: 'bad signature' };
    if (grant.expires * 1000 < nowMs) return { ok: false, reason: 'expired' };
    return { ok: true, grant };
  }
}
