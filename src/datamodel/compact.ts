/**
 * The shipped form of the BBF catalogue (models/bbf-catalogue.json): what the ACS needs to
 * check a SetParameterValues and to judge a device's tree, without the 6 MB of XML (which
 * stays in ../shared/datamodels; scripts/generate-catalogue.ts writes this file from it and
 * test/datamodel/bbf.test.ts fails when the two drift apart).
 *
 * One short key per field so the file stays small: per parameter its type without "xsd:",
 * `w` when readWrite, and the facets the value checks use; per object [readWrite, table].
 */
import type { Catalogue, CatalogueObject, CatalogueParameter, CatalogueProfile } from './catalogue.js';
import { normalizeType } from './values.js';

export const CATALOGUE_FORMAT = 'flotilla-catalogue/1';

interface CompactParameter {
  t: string;
  w?: 1;
  e?: string[];
  l?: 1;
  min?: string;
  max?: string;
  n?: number;
  ro?: string[];
  h?: 1;
  er?: string;
  ern?: string;
}

interface CompactModel {
  model: string;
  root: string;
  service: boolean;
  /** Generic path → [readWrite 0|1, table 0|1]. */
  objects: Record<string, [number, number]>;
  parameters: Record<string, CompactParameter>;
  /** name → [includes, {object: requirement}, {parameter: requirement}] */
  profiles: Record<string, [string[], Record<string, string>, Record<string, string>]>;
}

export interface CompactCatalogues {
  format: typeof CATALOGUE_FORMAT;
  notice: string;
  models: CompactModel[];
}

export function compactCatalogue(cat: Catalogue): CompactModel {
  const objects: CompactModel['objects'] = {};
  for (const [p, o] of cat.objects) objects[p] = [o.access === 'readWrite' ? 1 : 0, o.multiInstance ? 1 : 0];
  const parameters: CompactModel['parameters'] = {};
  for (const [p, v] of cat.parameters) {
    const c: CompactParameter = { t: v.type.slice(4) };
    if (v.access === 'readWrite') c.w = 1;
    if (v.enumeration) c.e = [...v.enumeration];
    if (v.list) c.l = 1;
    if (v.min !== undefined) c.min = v.min;
    if (v.max !== undefined) c.max = v.max;
    if (v.maxLength !== undefined) c.n = v.maxLength;
    if (v.readOnlyValues) c.ro = [...v.readOnlyValues];
    if (v.hidden) c.h = 1;
    if (v.enumerationRef !== undefined) c.er = v.enumerationRef;
    if (v.enumerationRefNull !== undefined) c.ern = v.enumerationRefNull;
    parameters[p] = c;
  }
  const profiles: CompactModel['profiles'] = {};
  for (const [name, pr] of cat.profiles) profiles[name] = [pr.includes, Object.fromEntries(pr.objects), Object.fromEntries(pr.parameters)];
  return { model: cat.model, root: cat.root, service: cat.service, objects, parameters, profiles };
}

export function expandCatalogue(m: CompactModel): Catalogue {
  const objects = new Map<string, CatalogueObject>();
  for (const [p, [w, table]] of Object.entries(m.objects)) {
    objects.set(p, { access: w === 1 ? 'readWrite' : 'readOnly', multiInstance: table === 1, minEntries: 0 });
  }
  const parameters = new Map<string, CatalogueParameter>();
  for (const [p, c] of Object.entries(m.parameters)) {
    const v: CatalogueParameter = { type: normalizeType(c.t), access: c.w === 1 ? 'readWrite' : 'readOnly' };
    if (c.e) v.enumeration = c.e;
    if (c.l) v.list = true;
    if (c.min !== undefined) v.min = c.min;
    if (c.max !== undefined) v.max = c.max;
    if (c.n !== undefined) v.maxLength = c.n;
    if (c.ro) v.readOnlyValues = c.ro;
    if (c.h) v.hidden = true;
    if (c.er !== undefined) v.enumerationRef = c.er;
    if (c.ern !== undefined) v.enumerationRefNull = c.ern;
    parameters.set(p, v);
  }
  const profiles = new Map<string, CatalogueProfile>();
  for (const [name, [includes, o, p]] of Object.entries(m.profiles)) {
    profiles.set(name, { includes, objects: new Map(Object.entries(o)), parameters: new Map(Object.entries(p)) });
  }
  return { model: m.model, root: m.root, service: m.service, objects, parameters, profiles };
}
