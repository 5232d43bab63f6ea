/**
 * Per-device STUN credentials without a store lookup per Binding Request: the username is
 * the device id, the password an HMAC of it under the ACS's STUN secret. Every process with
 * the same secret checks MESSAGE-INTEGRITY alone, keep-alives cost no store round trip, and
 * the configuration the ACS sends to a device (stun-config.ts) is derived the same way.
 *
 * The secret: FLOTILLA_STUN_SECRET (hex, for several hosts), else `stun-secret` in the data
 * directory, generated once (mode 0600). Rotating it means configuring STUN on devices again.
 */
import { createHmac } from 'node:crypto';

export const STUN_SECRET_ENV = 'FLOTILLA_STUN_SECRET';

export class StunCredentials {
  readonly #secret: Buffer;

  constructor(secret: Buffer) {
    if (secret.length < 16) throw new Error('the STUN secret needs at least 16 bytes');
    this.#secret = secret;
  }

  /** The STUNUsername the ACS gives a device. */
  username(deviceId: string): string {
    return deviceId;
  }

  /** The STUNPassword of the device whose STUNUsername is `username`. */
  password(username: string): string {
    return createHmac('sha256', this.#secret).update(`stun:${username}`, 'utf8').digest('base64url').slice(0, 24);
  }

  /** The device a STUN username names (the id itself). */
  deviceId(username: string): string {
    return username;
  }
}
