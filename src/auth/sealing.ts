/**
 * Secrets the ACS must read back (a device's connection-request password: it answers the
 * CPE's Digest challenge with it) are kept sealed: AES-256-GCM under a key the store never
 * sees, bound to the device id (additional data), so a sealed value copied to another device's
 * row does not open.
 *
 * Format: `v1.<key id>.<iv>.<ciphertext+tag>` (base64url). The key id is the first 8 hex
 * digits of SHA-256(key), so several keys can be loaded at once: the first seals, every one
 * opens. Rotating the key: put a new key first, keep the old one after it, re-seal
 * (`flotilla credentials reseal`), then drop the old key (docs in README "Per-device credentials").
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

const VERSION = 'v1';

export class Sealer {
  readonly #keys: Map<string, Buffer>;
  readonly #current: string;

  /** `keys[0]` seals; all open. Each key is 32 bytes. */
  constructor(keys: readonly Buffer[]) {
    if (keys.length === 0) throw new Error('at least one sealing key is needed');
    this.#keys = new Map();
    for (const key of keys) {
      if (key.length !== 32) throw new Error('a sealing key is 32 bytes');
      this.#keys.set(keyId(key), key);
    }
    this.#current = keyId(keys[0]!);
  }

  /** The id of the key that seals now. */
  get currentKeyId(): string {
    return this.#current;
  }

  seal(plain: string, boundTo: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.#keys.get(this.#current)!, iv);
    cipher.setAAD(Buffer.from(boundTo, 'utf8'));
    const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final(), cipher.getAuthTag()]);
    return `${VERSION}.${this.#current}.${iv.toString('base64url')}.${body.toString('base64url')}`;
  }

  /** The clear text, or null when the value is malformed, tampered with, bound elsewhere or under an unknown key. */
  open(sealed: string, boundTo: string): string | null {
    const parts = sealed.split('.');
    if (parts.length !== 4 || parts[0] !== VERSION) return null;
    const key = this.#keys.get(parts[1]!);
    if (key === undefined) return null;
    const iv = Buffer.from(parts[2]!, 'base64url');
    const body = Buffer.from(parts[3]!, 'base64url');
    if (iv.length !== 12 || body.length < 16) return null;
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, iv);
      decipher.setAAD(Buffer.from(boundTo, 'utf8'));
      decipher.setAuthTag(body.subarray(body.length - 16));
      return Buffer.concat([decipher.update(body.subarray(0, body.length - 16)), decipher.final()]).toString('utf8');
    } catch {
      return null;
    }
  }

  /** Sealed under another key than the current one (re-sealing rewrites it). */
  isStale(sealed: string): boolean {
    return sealed.split('.')[1] !== this.#current;
  }
}

export function keyId(key: Buffer): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 8);
}
