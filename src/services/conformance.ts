/**
 * Conformance under the API: a device's report (src/datamodel/conformance.ts) from its stored
 * tree, and a summary per model and firmware (OUI, ProductClass, SoftwareVersion). Devices of
 * one model and firmware report the same tree, so the summary judges one of them — the one
 * that informed last — and counts the others; that keeps it one tree read per model, not one
 * per device.
 */
import { shippedCatalogues, type CatalogueSet } from '../datamodel/bbf.js';
import { conformanceReport, type ConformanceReport } from '../datamodel/conformance.js';
import { isSecretPath } from '../secrets/rules.js';
import type { DeviceFilter, Store } from '../store/types.js';
import { notFound } from './errors.js';

export interface ConformanceServiceOptions {
  store: Store;
  /** Default: the shipped catalogue (models/bbf-catalogue.json). */
  catalogues?: CatalogueSet;
}

export interface DeviceConformance extends ConformanceReport {
  deviceId: string;
  manufacturer: string;
  oui: string;
  productClass: string;
  softwareVersion: string | null;
}

export interface ModelConformance {
  oui: string;
  productClass: string;
  softwareVersion: string | null;
  manufacturer: string;
  devices: number;
  /** The device whose tree was judged (the last to inform). */
  sampleDeviceId: string;
  catalogue: string | null;
  claimed: ConformanceReport['claimed'];
  unknownProfiles: string[];
  counts: ConformanceReport['counts'];
}

const VERSION_PATHS = ['Device.DeviceInfo.SoftwareVersion', 'InternetGatewayDevice.DeviceInfo.SoftwareVersion'];
/** Devices one summary reads identities of (pages of a thousand). */
const SCAN_LIMIT = 200_000;
const PAGE = 1000;

export class ConformanceService {
  readonly #store: Store;
  readonly #cats: CatalogueSet | undefined;

  constructor(opts: ConformanceServiceOptions) {
    this.#store = opts.store;
    this.#cats = opts.catalogues;
  }

  get #catalogues(): CatalogueSet {
    return this.#cats ?? shippedCatalogues();
  }

  async device(deviceId: string): Promise<DeviceConformance> {
    const d = await this.#store.getDevice(deviceId);
    if (d === null) throw notFound(`device ${deviceId}`);
    const report = conformanceReport(this.#catalogues, d.parameters);
    // Findings quote reported values; a secret's never leaves (src/secrets).
    report.findings.invalidValues = report.findings.invalidValues.map((f) => (isSecretPath(f.path) ? { ...f, reported: '***' } : f));
    const version = d.parameters.find((p) => VERSION_PATHS.includes(p.path))?.value ?? null;
    return {
      deviceId: d.id,
      manufacturer: d.deviceId.manufacturer,
      oui: d.deviceId.oui,
      productClass: d.deviceId.productClass,
      softwareVersion: version,
      ...report,
    };
  }

  /** One row per model and firmware, most devices first; `limit` rows judged. */
  /** `devices`: only the devices these filters match (a scoped principal's view). */
  async models(opts: { limit?: number; devices?: readonly DeviceFilter[] } = {}): Promise<{ models: ModelConformance[]; total: number; truncated: boolean }> {
    const groups = new Map<string, { oui: string; productClass: string; softwareVersion: string | null; manufacturer: string; devices: number; sample: string; at: number }>();
    let after: { key: string | number; id: string } | undefined;
    let scanned = 0;
    while (scanned < SCAN_LIMIT) {
      const page = await this.#store.listDevices({ parameters: VERSION_PATHS, limit: PAGE, ...(opts.devices !== undefined ? { filters: [...opts.devices] } : {}), ...(after ? { after } : {}) });
      for (const d of page.devices) {
        const version = d.parameters?.find((p) => VERSION_PATHS.includes(p.path))?.value ?? null;
        const key = JSON.stringify([d.deviceId.oui, d.deviceId.productClass, version]);
        const g = groups.get(key);
        if (g === undefined) {
          groups.set(key, { oui: d.deviceId.oui, productClass: d.deviceId.productClass, softwareVersion: version, manufacturer: d.deviceId.manufacturer, devices: 1, sample: d.id, at: d.lastInform });
        } else {
          g.devices++;
          if (d.lastInform > g.at) Object.assign(g, { sample: d.id, at: d.lastInform });
        }
      }
      scanned += page.devices.length;
      if (page.next === null) break;
      after = page.next;
    }
    const sorted = [...groups.values()].sort((a, b) => b.devices - a.devices || a.sample.localeCompare(b.sample));
    const limit = opts.limit ?? 50;
    const models: ModelConformance[] = [];
    for (const g of sorted.slice(0, limit)) {
      const d = await this.#store.getDevice(g.sample);
      if (d === null) continue; // deleted meanwhile
      const r = conformanceReport(this.#catalogues, d.parameters);
      models.push({
        oui: g.oui,
        productClass: g.productClass,
        softwareVersion: g.softwareVersion,
        manufacturer: g.manufacturer,
        devices: g.devices,
        sampleDeviceId: g.sample,
        catalogue: r.catalogue,
        claimed: r.claimed,
        unknownProfiles: r.unknownProfiles,
        counts: r.counts,
      });
    }
    return { models, total: groups.size, truncated: sorted.length > limit || scanned >= SCAN_LIMIT };
  }
}
