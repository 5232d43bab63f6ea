/**
 * The quirk profiles this ACS process applies (src/datamodel/quirks.ts, src/session/quirks.ts):
 * shipped ones plus the store's, held in memory so a session resolves its device's settings
 * with no store call (an idle periodic session still costs two round trips). Reloaded on
 * `quirks.changed` (relayed between processes like every event) and every minute.
 *
 * What a session learns (a smaller GetParameterValues batch after a 9002) is written here, off
 * the session's path: one profile per model and firmware, `learnt:<OUI>:<ProductClass>:<firmware>`,
 * its evidence appended (the last 20 kept), an operator's edit of it respected.
 */
import type { Inform } from '../cwmp/types.js';
import type { EventSink } from '../events/bus.js';
import {
  SHIPPED_QUIRKS,
  effectiveProfiles,
  learntId,
  resolveQuirks,
  type QuirkIdentity,
  type QuirkProfile,
  type QuirkSettings,
} from '../datamodel/quirks.js';
import type { QuirkHooks } from '../session/quirks.js';
import { Reloading } from '../session/reloading.js';
import type { Store } from '../store/types.js';

const EVIDENCE_KEPT = 20;

/** Who the Inform says the device is (SoftwareVersion is a forced Inform parameter of both roots). */
export function quirkIdentity(inform: Inform): QuirkIdentity {
  const v = inform.parameterList.find((p) => p.name === 'Device.DeviceInfo.SoftwareVersion' || p.name === 'InternetGatewayDevice.DeviceInfo.SoftwareVersion');
  return { oui: inform.deviceId.oui, productClass: inform.deviceId.productClass, softwareVersion: v?.value ?? null };
}

export class QuirkSource {
  #profiles: QuirkProfile[] = [...SHIPPED_QUIRKS];
  readonly #reloading: Reloading;

  constructor(
    readonly store: Pick<Store, 'listQuirkProfiles' | 'putQuirkProfile'>,
    readonly opts: { events?: EventSink; now?: () => number; onError?: (e: unknown) => void; refreshMs?: number } = {},
  ) {
    this.#reloading = new Reloading(async () => {
      this.#profiles = effectiveProfiles(SHIPPED_QUIRKS, await this.store.listQuirkProfiles());
    }, opts);
  }

  profiles(): readonly QuirkProfile[] {
    return this.#profiles;
  }

  refresh(): Promise<void> {
    return this.#reloading.refresh();
  }

  start(): Promise<void> {
    return this.#reloading.start();
  }

  close(): void {
    this.#reloading.close();
  }

  /** The settings and hooks of one session (null never: learning applies to every device). */
  forSession(inform: Inform, deviceId: string): { settings: QuirkSettings; hooks: QuirkHooks } {
    const id = quirkIdentity(inform);
    const { settings } = resolveQuirks(this.#profiles, id);
    return {
      settings,
      hooks: { learnt: (learnt, what) => void this.learn(id, deviceId, learnt, what).catch((e: unknown) => this.opts.onError?.(e)) },
    };
  }

  /** Record a learnt setting for the device's model and firmware, and tell every process. */
  async learn(id: QuirkIdentity, deviceId: string, learnt: QuirkSettings, what: string): Promise<void> {
    const now = (this.opts.now ?? Date.now)();
    const key = learntId(id);
    const existing = (await this.store.listQuirkProfiles()).find((p) => p.id === key);
    // An operator who took this profile over (source operator) or disabled it keeps it as it is.
    if (existing !== undefined && (existing.source !== 'learnt' || !existing.enabled)) return;
    const settings: QuirkSettings = { ...existing?.settings };
    if (learnt.maxGetNames !== undefined) settings.maxGetNames = Math.min(settings.maxGetNames ?? Infinity, learnt.maxGetNames);
    const match = { oui: id.oui, productClass: id.productClass, ...(id.softwareVersion !== null ? { firmwareMin: id.softwareVersion, firmwareMax: id.softwareVersion } : {}) };
    const profile: QuirkProfile = {
      id: key,
      name: `learnt: ${id.productClass || id.oui}${id.softwareVersion !== null ? ` ${id.softwareVersion}` : ''}`,
      source: 'learnt',
      match,
      settings,
      evidence: [...(existing?.evidence ?? []), { at: now, what, deviceId }].slice(-EVIDENCE_KEPT),
      enabled: true,
      createdAt: existing?.createdAt ?? now,
      updatedAt: now,
    };
    await this.store.putQuirkProfile(profile);
    this.#profiles = effectiveProfiles(SHIPPED_QUIRKS, [...this.#profiles.filter((p) => p.source !== 'shipped' && p.id !== key), profile]);
    this.opts.events?.publish({ type: 'quirks.changed', at: now, deviceId, data: { profileId: key, source: 'learnt' } });
  }
}
