/**
 * The Broadband Forum catalogues the ACS judges devices by: TR-181 (Device:2), TR-098
 * (InternetGatewayDevice:1) and the service models mounted under either root's "Services."
 * (TR-104 VoiceService, TR-135 STBService). One lookup from a concrete path to the standard's
 * entry, whichever model defines it.
 *
 * The catalogues ship as models/bbf-catalogue.json (compact.ts), read once per process on
 * first use; tests may build a set from parsed XML instead.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { genericPath, type Catalogue, type CatalogueObject, type CatalogueParameter } from './catalogue.js';
import { CATALOGUE_FORMAT, expandCatalogue, type CompactCatalogues } from './compact.js';

export interface Located {
  catalogue: Catalogue;
  /** The path as the catalogue spells it ("VoiceService.{i}.…" for a mounted service model). */
  generic: string;
}

export class CatalogueSet {
  readonly #roots = new Map<string, Catalogue>();
  readonly #services = new Map<string, Catalogue>();

  constructor(readonly catalogues: readonly Catalogue[]) {
    for (const c of catalogues) (c.service ? this.#services : this.#roots).set(c.root, c);
  }

  /** The root model a device's tree uses ("Device." or "InternetGatewayDevice."). */
  rootModel(root: string): Catalogue | undefined {
    return this.#roots.get(root);
  }

  /**
   * Which catalogue defines `path` (a concrete or generic parameter or object path), and its
   * generic spelling there; undefined when no catalogue covers the path's root. A service
   * model is found under "<root>Services.<Name>.{i}." (TR-106: services hang off Services.).
   */
  locate(path: string): Located | undefined {
    const generic = genericPath(path);
    const dot = generic.indexOf('.');
    const root = this.#roots.get(generic.slice(0, dot + 1));
    if (root === undefined) return undefined;
    const services = `${root.root}Services.`;
    if (generic.startsWith(services)) {
      const rest = generic.slice(services.length);
      const svc = this.#services.get(rest.slice(0, rest.indexOf('.') + 1));
      if (svc !== undefined) return { catalogue: svc, generic: rest };
    }
    return { catalogue: root, generic };
  }

  /**
   * The standard's entry for a parameter. An enumeration given by reference (a Wi-Fi
   * ModeEnabled ⊆ ModesSupported) takes the referenced parameter's enumeration, plus its
   * "none" value: the device's own list may be narrower, never wider.
   */
  parameter(path: string): (CatalogueParameter & { model: string }) | undefined {
    const at = this.locate(path);
    const p = at?.catalogue.parameters.get(at.generic);
    if (p === undefined || at === undefined) return undefined;
    const out = { ...p, model: at.catalogue.model };
    if (p.enumeration === undefined && p.enumerationRef !== undefined) {
      const target = at.catalogue.parameters.get(p.enumerationRef);
      if (target?.enumeration) out.enumeration = [...target.enumeration, ...(p.enumerationRefNull !== undefined ? [p.enumerationRefNull] : [])];
    }
    return out;
  }

  /** An object's entry; a table's own node ("Device.WiFi.SSID.") answers with its instances' entry. */
  object(path: string): CatalogueObject | undefined {
    const at = this.locate(path.endsWith('.') ? path : `${path}.`);
    if (at === undefined) return undefined;
    return at.catalogue.objects.get(at.generic) ?? at.catalogue.objects.get(`${at.generic}{i}.`);
  }
}

/** The models/ directory of this package (src/datamodel in tests, dist/src/datamodel built). */
function modelsDir(): string | undefined {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'models', 'bbf-catalogue.json'))) return join(dir, 'models');
    dir = dirname(dir);
  }
  return undefined;
}

export function parseCatalogueSet(json: string): CatalogueSet {
  const doc = JSON.parse(json) as CompactCatalogues;
  if (doc.format !== CATALOGUE_FORMAT) throw new Error(`not a ${CATALOGUE_FORMAT} document`);
  return new CatalogueSet(doc.models.map(expandCatalogue));
}

let shipped: CatalogueSet | undefined;

/** The catalogues shipped in models/bbf-catalogue.json, read on first use (an empty set if the file is missing). */
export function shippedCatalogues(): CatalogueSet {
  if (shipped === undefined) {
    const dir = modelsDir();
    shipped = dir === undefined ? new CatalogueSet([]) : parseCatalogueSet(readFileSync(join(dir, 'bbf-catalogue.json'), 'utf8'));
  }
  return shipped;
}
