/**
 * The cookie jar of one CPE (TR-069 3.4.2: the CPE returns the ACS's cookies for the rest of
 * the session). Deliberately tiny: one ACS, so no domain matching; Path is honoured only as
 * a prefix; a cookie with Max-Age/Expires outlives the session, a session cookie does not.
 * A CPE that never gets a cookie never allocates a jar.
 */
interface Cookie {
  name: string;
  value: string;
  path: string;
  /** Milliseconds since the epoch; Infinity for a session cookie. */
  expires: number;
  persistent: boolean;
}

export class CookieJar {
  #cookies: Cookie[] = [];

  get size(): number {
    return this.#cookies.length;
  }

  /** Take the Set-Cookie headers of one response. */
  store(setCookie: string[] | undefined, now: number): void {
    if (setCookie === undefined) return;
    for (const line of setCookie) this.#storeOne(line, now);
  }

  #storeOne(line: string, now: number): void {
    const parts = line.split(';');
    const first = parts[0] ?? '';
    const eq = first.indexOf('=');
    if (eq <= 0) return;
    const name = first.slice(0, eq).trim();
    const value = first.slice(eq + 1).trim();
    let path = '/';
    let expires = Infinity;
    let persistent = false;
    for (const attr of parts.slice(1)) {
      const i = attr.indexOf('=');
      const key = (i < 0 ? attr : attr.slice(0, i)).trim().toLowerCase();
      const v = i < 0 ? '' : attr.slice(i + 1).trim();
      if (key === 'path' && v.startsWith('/')) path = v;
      else if (key === 'max-age') {
        const s = Number(v);
        if (Number.isFinite(s)) {
          expires = now + s * 1000;
          persistent = true;
        }
      } else if (key === 'expires' && !persistent) {
        const t = Date.parse(v);
        if (Number.isFinite(t)) {
          expires = t;
          persistent = true;
        }
      }
    }
    this.#cookies = this.#cookies.filter((c) => !(c.name === name && c.path === path));
    if (expires > now) this.#cookies.push({ name, value, path, expires, persistent });
  }

  /** The Cookie header for a request to `path`, or undefined when there is none. */
  header(path: string, now: number): string | undefined {
    let out: string | undefined;
    for (const c of this.#cookies) {
      if (c.expires <= now || !path.startsWith(c.path)) continue;
      out = out === undefined ? `${c.name}=${c.value}` : `${out}; ${c.name}=${c.value}`;
    }
    return out;
  }

  /** Drop session cookies (end of session, reboot) and expired ones. */
  endSession(now: number): void {
    this.#cookies = this.#cookies.filter((c) => c.persistent && c.expires > now);
  }

  clear(): void {
    this.#cookies = [];
  }
}
