/**
 * Operators' side of per-device credentials (the session side is src/session/programs and
 * the store concern credentials): what a device holds (never a secret), a rotation at its next
 * session, a bounded window in which a factory-reset device may come back with the shared
 * bootstrap credential, procurement imports of factory credentials, and re-sealing the stored
 * connection-request passwords under a new key.
 */
import { importedSet } from '../auth/device-credentials.js';
import type { Sealer } from '../auth/sealing.js';
import { parseDeviceId } from '../store/device-id.js';
import type { DeviceCredentials, ImportedCredentials, SealedCredential, Store } from '../store/types.js';
import { invalidArgument, notFound, ServiceError } from './errors.js';

/** What the API shows of a device's credentials: names and times, no secret, no hash. */
export interface CredentialStatus {
  own: boolean;
  username: string | null;
  connectionRequestUsername: string | null;
  pendingUsername: string | null;
  factoryUsername: string | null;
  bootstrapAcceptedUntil: number | null;
  rotateRequested: boolean;
  issuedAt: number | null;
}

/** One procurement row, clear values as the vendor delivers them. */
export interface CredentialRow {
  deviceId: string;
  username: string;
  password: string;
  connectionRequestUsername?: string;
  connectionRequestPassword?: string;
}

export const MAX_IMPORT_ROWS = 200_000;
/** A factory-reset window longer than a month is a standing hole, not a window. */
export const MAX_RESET_WINDOW_HOURS = 720;
const FIELD = /^[\x21-\x7e]{1,256}$/;

export class CredentialService {
  readonly #store: Store;
  readonly #sealer: Sealer;
  readonly #realm: string;
  readonly #now: () => number;

  constructor(o: { store: Store; sealer: Sealer; realm: string; now?: () => number }) {
    this.#store = o.store;
    this.#sealer = o.sealer;
    this.#realm = o.realm;
    this.#now = o.now ?? Date.now;
  }

  async status(deviceId: string): Promise<CredentialStatus> {
    await this.#device(deviceId);
    const c = await this.#store.getDeviceCredentials(deviceId);
    if (c === null) {
      return { own: false, username: null, connectionRequestUsername: null, pendingUsername: null, factoryUsername: null, bootstrapAcceptedUntil: null, rotateRequested: false, issuedAt: null };
    }
    return {
      own: true,
      username: c.current.cpe.username,
      connectionRequestUsername: c.current.connectionRequest?.username ?? null,
      pendingUsername: c.pending?.cpe.username ?? null,
      factoryUsername: c.factory?.cpe.username ?? null,
      bootstrapAcceptedUntil: c.bootstrapUntil,
      rotateRequested: c.rotateRequested,
      issuedAt: c.issuedAt,
    };
  }

  /** New credentials at the device's next session (the old ones work until the new are used). */
  async rotate(deviceId: string): Promise<CredentialStatus> {
    await this.#device(deviceId);
    if (!(await this.#store.requestCredentialRotation(deviceId))) throw new ServiceError('CONFLICT', `device ${deviceId} has no credentials of its own yet (it gets them at its next session)`);
    return this.status(deviceId);
  }

  /** Accept the shared bootstrap credential for this device for `hours` (it is about to be reset or swapped). */
  async expectReset(deviceId: string, hours: number): Promise<CredentialStatus> {
    if (!(hours > 0 && hours <= MAX_RESET_WINDOW_HOURS)) throw invalidArgument(`hours must be more than 0 and at most ${MAX_RESET_WINDOW_HOURS}`);
    await this.#device(deviceId);
    if (!(await this.#store.setBootstrapWindow(deviceId, this.#now() + hours * 3_600_000))) {
      throw new ServiceError('CONFLICT', `device ${deviceId} has no credentials of its own: the bootstrap credential already works for it`);
    }
    return this.status(deviceId);
  }

  /** Closes the window early. */
  async cancelExpectReset(deviceId: string): Promise<CredentialStatus> {
    await this.#device(deviceId);
    await this.#store.setBootstrapWindow(deviceId, null);
    return this.status(deviceId);
  }

  /**
   * Factory credentials from procurement, all or nothing: every row is checked first (device
   * id, printable fields, no username twice), then one store transaction. The devices need
   * not have informed yet.
   */
  async importRows(rows: readonly CredentialRow[]): Promise<{ imported: number }> {
    if (rows.length === 0) throw invalidArgument('no rows');
    if (rows.length > MAX_IMPORT_ROWS) throw invalidArgument(`at most ${MAX_IMPORT_ROWS} rows at once`);
    const usernames = new Set<string>();
    const devices = new Set<string>();
    const items: ImportedCredentials[] = [];
    for (const [i, r] of rows.entries()) {
      const where = `row ${i + 1}`;
      if (parseDeviceId(r.deviceId) === null) throw invalidArgument(`${where}: ${JSON.stringify(r.deviceId.slice(0, 80))} is not a device id`);
      if (devices.has(r.deviceId)) throw invalidArgument(`${where}: device ${r.deviceId} appears twice`);
      devices.add(r.deviceId);
      for (const [name, v] of [['username', r.username], ['password', r.password]] as const) {
        if (!FIELD.test(v)) throw invalidArgument(`${where}: ${name} must be 1 to 256 printable characters without spaces`);
      }
      const crUser = r.connectionRequestUsername ?? '';
      const crPass = r.connectionRequestPassword ?? '';
      if ((crUser === '') !== (crPass === '')) throw invalidArgument(`${where}: connectionRequestUsername and connectionRequestPassword go together`);
      if (crUser !== '' && (!FIELD.test(crUser) || !FIELD.test(crPass))) throw invalidArgument(`${where}: connection-request credentials must be printable, without spaces`);
      if (usernames.has(r.username)) throw invalidArgument(`${where}: username ${r.username} appears twice`);
      usernames.add(r.username);
      items.push({ deviceId: r.deviceId, set: importedSet(r.deviceId, this.#realm, this.#sealer, r) });
    }
    try {
      await this.#store.importCredentials(items);
    } catch (e) {
      throw new ServiceError('CONFLICT', `nothing imported: ${(e as Error).message}`);
    }
    return { imported: items.length };
  }

  /** Re-seal every stored connection-request password under the current key; counts. */
  async reseal(): Promise<{ devices: number; resealed: number; unreadable: number }> {
    let after: string | null = null;
    let devices = 0;
    let resealed = 0;
    let unreadable = 0;
    for (;;) {
      const ids = await this.#store.listCredentialDevices(after, 500);
      if (ids.length === 0) break;
      for (const id of ids) {
        devices++;
        const c = await this.#store.getDeviceCredentials(id);
        if (c === null) continue;
        let changed = false;
        let lost = false;
        const again = (s: SealedCredential | null): SealedCredential | null => {
          if (s === null || !this.#sealer.isStale(s.sealed)) return s;
          const plain = this.#sealer.open(s.sealed, id);
          if (plain === null) {
            lost = true;
            return s;
          }
          changed = true;
          return { username: s.username, sealed: this.#sealer.seal(plain, id) };
        };
        const set = (x: DeviceCredentials['current'] | null) => (x === null ? null : { cpe: x.cpe, connectionRequest: again(x.connectionRequest) });
        const next = { current: set(c.current)!, pending: set(c.pending), factory: set(c.factory) };
        if (lost) unreadable++;
        if (changed && (await this.#store.resealCredentials(id, next))) resealed++;
      }
      after = ids[ids.length - 1]!;
    }
    return { devices, resealed, unreadable };
  }

  async #device(deviceId: string): Promise<void> {
    const page = await this.#store.listDevices({ filters: [{ field: 'id', op: 'eq', value: deviceId }], limit: 1 });
    if (page.total === 0) throw notFound(`device ${deviceId}`);
  }
}

/**
 * Procurement CSV: a header naming the columns, then one row per device. Columns: `deviceId`
 * (or `oui`, `productClass`, `serialNumber`), `username`, `password`, and optionally
 * `connectionRequestUsername`, `connectionRequestPassword`. Fields may be quoted ("" escapes).
 */
export function parseCredentialCsv(text: string, deviceIdOf: (p: { oui: string; productClass: string; serialNumber: string }) => string): CredentialRow[] {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/).filter((l) => l.trim() !== '');
  if (lines.length < 2) throw invalidArgument('CSV: a header line and at least one row');
  const header = splitCsvLine(lines[0]!, 1).map((h) => h.trim());
  const col = (name: string): number => header.indexOf(name);
  for (const need of ['username', 'password']) if (col(need) < 0) throw invalidArgument(`CSV: no "${need}" column`);
  const byId = col('deviceId') >= 0;
  if (!byId && (col('oui') < 0 || col('serialNumber') < 0)) throw invalidArgument('CSV: a "deviceId" column, or "oui", "productClass" and "serialNumber"');
  return lines.slice(1).map((line, i) => {
    const f = splitCsvLine(line, i + 2);
    if (f.length !== header.length) throw invalidArgument(`CSV line ${i + 2}: ${f.length} fields, the header has ${header.length}`);
    const get = (name: string): string => (col(name) >= 0 ? f[col(name)]! : '');
    const row: CredentialRow = {
      deviceId: byId ? get('deviceId') : deviceIdOf({ oui: get('oui'), productClass: get('productClass'), serialNumber: get('serialNumber') }),
      username: get('username'),
      password: get('password'),
    };
    if (get('connectionRequestUsername') !== '') row.connectionRequestUsername = get('connectionRequestUsername');
    if (get('connectionRequestPassword') !== '') row.connectionRequestPassword = get('connectionRequestPassword');
    return row;
  });
}

function splitCsvLine(line: string, n: number): string[] {
  const out: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"' && field === '') quoted = true;
    else if (c === ',') {
      out.push(field);
      field = '';
    } else field += c;
  }
  if (quoted) throw invalidArgument(`CSV line ${n}: an unclosed quote`);
  out.push(field);
  return out;
}
