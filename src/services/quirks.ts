/**
 * Quirk profiles under the API: the profiles in force (shipped, learnt, operators'), an
 * operator's create / replace / delete (a put on a shipped or learnt id overrides it; deleting
 * the override brings the shipped one back), and the settings a device gets. Every change is
 * announced (`quirks.changed`) so the ACS processes reload.
 */
import { randomUUID } from 'node:crypto';
import type { EventBus } from '../events/bus.js';
import { SHIPPED_QUIRKS, effectiveProfiles, parseQuirkInput, QuirkInputError, resolveQuirks, type QuirkProfile, type QuirkSettings } from '../datamodel/quirks.js';
import type { Store } from '../store/types.js';
import { invalidArgument, notFound } from './errors.js';

const VERSION_PATHS = ['Device.DeviceInfo.SoftwareVersion', 'InternetGatewayDevice.DeviceInfo.SoftwareVersion'];
/** Stored profiles at most (operators' and learnt together). */
const MAX_PROFILES = 10_000;

export class QuirkService {
  constructor(readonly opts: { store: Store; bus: EventBus; now?: () => number }) {}

  #now(): number {
    return (this.opts.now ?? Date.now)();
  }

  async list(): Promise<QuirkProfile[]> {
    return effectiveProfiles(SHIPPED_QUIRKS, await this.opts.store.listQuirkProfiles());
  }

  async get(id: string): Promise<QuirkProfile> {
    const p = (await this.list()).find((x) => x.id === id);
    if (p === undefined) throw notFound(`quirk profile ${id}`);
    return p;
  }

  #parse(input: unknown): ReturnType<typeof parseQuirkInput> {
    try {
      return parseQuirkInput(input);
    } catch (e) {
      if (e instanceof QuirkInputError) throw invalidArgument(e.message);
      throw e;
    }
  }

  async create(input: unknown): Promise<QuirkProfile> {
    const def = this.#parse(input);
    const stored = await this.opts.store.listQuirkProfiles();
    if (stored.length >= MAX_PROFILES) throw invalidArgument(`at most ${MAX_PROFILES} stored quirk profiles`);
    const now = this.#now();
    const p: QuirkProfile = { id: randomUUID(), source: 'operator', evidence: [], createdAt: now, updatedAt: now, ...def };
    await this.opts.store.putQuirkProfile(p);
    this.#changed(p.id);
    return p;
  }

  /** Replace a profile (any id in force: an operator's, a learnt one, a shipped one) with an operator's. */
  async replace(id: string, input: unknown): Promise<QuirkProfile> {
    const before = await this.get(id);
    const def = this.#parse(input);
    const p: QuirkProfile = { id, source: 'operator', evidence: before.evidence, createdAt: before.createdAt, updatedAt: this.#now(), ...def };
    await this.opts.store.putQuirkProfile(p);
    this.#changed(id);
    return p;
  }

  /** Delete a stored profile; a shipped one cannot be deleted (disable it with a put). */
  async delete(id: string): Promise<void> {
    if (!(await this.opts.store.deleteQuirkProfile(id))) {
      if (SHIPPED_QUIRKS.some((p) => p.id === id)) throw invalidArgument(`${id} is shipped with Flotilla: disable it with PUT (enabled: false) instead`);
      throw notFound(`quirk profile ${id}`);
    }
    this.#changed(id);
  }

  /** What a device's sessions apply, and the profiles that gave it. */
  async forDevice(deviceId: string): Promise<{ deviceId: string; oui: string; productClass: string; softwareVersion: string | null; settings: QuirkSettings; profiles: string[] }> {
    const page = await this.opts.store.listDevices({ filters: [{ field: 'id', op: 'eq', value: deviceId }], parameters: VERSION_PATHS, limit: 1 });
    const d = page.devices[0];
    if (d === undefined) throw notFound(`device ${deviceId}`);
    const softwareVersion = d.parameters?.find((p) => VERSION_PATHS.includes(p.path))?.value ?? null;
    const id = { oui: d.deviceId.oui, productClass: d.deviceId.productClass, softwareVersion };
    return { deviceId, ...id, ...resolveQuirks(await this.list(), id) };
  }

  #changed(profileId: string): void {
    this.opts.bus.publish({ type: 'quirks.changed', at: this.#now(), deviceId: '', data: { profileId, source: 'operator' } });
  }
}
