/**
 * An object declaration (./objects.ts) against the BBF catalogue, as a literal value is
 * checked (src/datamodel/check.ts): the table exists and is one (multi-instance), the ACS may
 * add instances (a `key` declaration adds one when missing) or delete them (duplicates, an
 * `only` list), and every key and value is a writable parameter of an instance with an
 * acceptable value. Vendor paths (X_…) pass, as for values.
 */
import type { CatalogueSet } from '../datamodel/bbf.js';
import { checkSetParameter, isVendorPath } from '../datamodel/check.js';
import { isSecretPath } from '../secrets/rules.js';
import type { ObjectDeclaration, OnlyDeclaration } from '../store/types.js';
import { tableOf } from './objects.js';

export interface ObjectCheckFailure {
  /** The declaration's member at fault ("object", "key.ExternalPort", "only[1].Protocol"). */
  member: string;
  message: string;
}

export function checkObjectDeclaration(cats: CatalogueSet, d: ObjectDeclaration | OnlyDeclaration): ObjectCheckFailure | null {
  const table = tableOf(d.object);
  if (isVendorPath(table)) return null;
  const located = cats.locate(table);
  if (located === undefined) return null; // a root no catalogue covers: the device speaks for itself
  const entry = cats.object(table);
  if (entry === undefined) return { member: 'object', message: `${d.object} is not an object of ${located.catalogue.model}` };
  if (!entry.multiInstance) return { member: 'object', message: `${table} is not a table in ${located.catalogue.model} (it has no numbered instances)` };
  if (entry.access !== 'readWrite') return { member: 'object', message: `${located.catalogue.model} lets only the device add or delete instances of ${table}` };
  // Checked on a concrete instance path: the catalogue spells every instance alike.
  const instance = `${table}1.`;
  const check = (member: string, name: string, value: string): ObjectCheckFailure | null => {
    const reason = checkSetParameter(cats, { path: `${instance}${name}`, value, secret: isSecretPath(`${instance}${name}`) });
    return reason === null ? null : { member, message: reason.replaceAll(instance, `${table}{i}.`) };
  };
  if ('only' in d) {
    for (const [i, key] of d.only.entries()) {
      // Keys to keep are compared, not written: only their existence matters.
      for (const k of Object.keys(key)) {
        if (cats.parameter(`${instance}${k}`) === undefined && !isVendorPath(k)) return { member: `only[${i}].${k}`, message: `${table}{i}.${k} is not a parameter of ${located.catalogue.model}` };
      }
    }
    return null;
  }
  for (const [k, v] of Object.entries(d.key)) {
    const bad = check(`key.${k}`, k, v);
    if (bad !== null) return bad;
  }
  for (const [k, v] of Object.entries(d.values ?? {})) {
    const bad = check(`values.${k}`, k, v);
    if (bad !== null) return bad;
  }
  return null;
}
