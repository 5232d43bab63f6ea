/**
 * An operator's template, checked before it is stored: the shape, the names it uses, the
 * patterns it matches with. Every problem is reported with where it is, and nothing of a
 * refused template is kept.
 */
import { TEMPLATE_ID, type InputType, type Mapping, type ServiceTemplate } from './template.js';

const INPUT_TYPES: readonly InputType[] = ['string', 'secret', 'integer', 'boolean', 'enum', 'host'];
const ROOTS = ['Device.', 'InternetGatewayDevice.'] as const;
const NAME = /^[A-Za-z][A-Za-z0-9_]{0,62}$/;
const PATH_CHARS = /^[A-Za-z0-9_.{}$\-:]+$/;

export function checkTemplate(t: unknown): { ok: true; template: ServiceTemplate } | { ok: false; errors: string[] } {
  const errors: string[] = [];
  const err = (where: string, msg: string): void => void errors.push(`${where}: ${msg}`);
  if (t === null || typeof t !== 'object' || Array.isArray(t)) return { ok: false, errors: ['template: must be an object'] };
  const o = t as Record<string, unknown>;
  if (typeof o.id !== 'string' || !TEMPLATE_ID.test(o.id)) err('id', 'lower-case letters, digits and "-", starting with a letter, at most 63');
  if (typeof o.name !== 'string' || o.name.length === 0 || o.name.length > 128) err('name', '1 to 128 characters');
  if (o.description !== undefined && (typeof o.description !== 'string' || o.description.length > 1024)) err('description', 'at most 1024 characters');
  const inputs = Array.isArray(o.inputs) ? (o.inputs as unknown[]) : (err('inputs', 'must be an array'), []);
  if (inputs.length > 64) err('inputs', 'at most 64');
  const names = new Set<string>();
  inputs.forEach((i, n) => {
    const where = `inputs[${n}]`;
    if (i === null || typeof i !== 'object') return err(where, 'must be an object');
    const inp = i as Record<string, unknown>;
    if (typeof inp.name !== 'string' || !NAME.test(inp.name)) err(`${where}.name`, 'a name of letters, digits and _');
    else if (names.has(inp.name)) err(`${where}.name`, `"${inp.name}" twice`);
    else names.add(inp.name);
    if (!INPUT_TYPES.includes(inp.type as InputType)) err(`${where}.type`, `one of ${INPUT_TYPES.join(', ')}`);
    if (inp.type === 'enum' && (!Array.isArray(inp.values) || inp.values.length === 0 || inp.values.some((v) => typeof v !== 'string'))) err(`${where}.values`, 'an enum needs a list of strings');
    if (inp.default !== undefined && typeof inp.default !== 'string') err(`${where}.default`, 'a string');
  });
  const mappings = o.mappings;
  if (mappings === null || typeof mappings !== 'object' || Array.isArray(mappings)) err('mappings', 'must be an object keyed by root');
  else {
    const keys = Object.keys(mappings);
    if (keys.length === 0) err('mappings', 'at least one root');
    for (const k of keys) {
      if (!(ROOTS as readonly string[]).includes(k)) err(`mappings["${k}"]`, `roots are ${ROOTS.join(' and ')}`);
      else checkMapping((mappings as Record<string, unknown>)[k], `mappings["${k}"]`, k, names, err);
    }
  }
  return errors.length > 0 ? { ok: false, errors } : { ok: true, template: { ...(o as unknown as ServiceTemplate), builtin: false } };
}

function checkMapping(m: unknown, where: string, root: string, inputs: ReadonlySet<string>, err: (w: string, m: string) => void): void {
  if (m === null || typeof m !== 'object') return err(where, 'must be an object');
  const map = m as Partial<Mapping>;
  const values = new Set(inputs);
  for (const [name, d] of Object.entries(map.derive ?? {})) {
    if (!NAME.test(name)) err(`${where}.derive`, `bad name "${name}"`);
    if (typeof d?.from !== 'string' || !inputs.has(d.from)) err(`${where}.derive.${name}.from`, 'must name an input');
    values.add(name);
  }
  const vars = new Set<string>();
  const refs = (s: string, w: string): void => {
    for (const r of s.matchAll(/\$\{([^}]*)\}/g)) if (!values.has(r[1]!)) err(w, `\${${r[1]}} is not an input`);
    for (const r of s.matchAll(/\{\{([^}]*)\}\}/g)) if (!vars.has(r[1]!)) err(w, `{{${r[1]}}} is not an earlier selection`);
  };
  for (const [name, sel] of Object.entries(map.select ?? {})) {
    const w = `${where}.select.${name}`;
    if (!NAME.test(name)) err(w, 'bad selection name');
    if (typeof sel?.table !== 'string' || !sel.table.endsWith('.{i}.') || !PATH_CHARS.test(sel.table)) err(`${w}.table`, 'an instance path ending in ".{i}."');
    else {
      if (!sel.table.startsWith(root) && !sel.table.startsWith('{{')) err(`${w}.table`, `must start with ${root}`);
      refs(sel.table, `${w}.table`);
    }
    for (const [param, want] of Object.entries(sel?.where ?? {})) {
      if (typeof want !== 'string') err(`${w}.where.${param}`, 'a string');
      else {
        refs(want, `${w}.where.${param}`);
        if (want.startsWith('~')) {
          try {
            new RegExp(want.slice(1));
          } catch (e) {
            err(`${w}.where.${param}`, `not a regular expression: ${(e as Error).message}`);
          }
        }
      }
    }
    vars.add(name);
  }
  if (!Array.isArray(map.set) || map.set.length === 0) return err(`${where}.set`, 'a non-empty array');
  map.set.forEach((e, n) => {
    const w = `${where}.set[${n}]`;
    const paths = Array.isArray(e?.path) ? e.path : [e?.path];
    for (const p of paths) {
      if (typeof p !== 'string' || !PATH_CHARS.test(p) || p.endsWith('.')) err(`${w}.path`, 'a parameter path');
      else {
        if (!p.startsWith(root) && !p.startsWith('{{')) err(`${w}.path`, `must start with ${root}`);
        refs(p, `${w}.path`);
      }
    }
    if (typeof e?.value !== 'string') err(`${w}.value`, 'a string');
    else refs(e.value, `${w}.value`);
    if (e?.when !== undefined && !values.has(e.when)) err(`${w}.when`, 'must name an input');
  });
}
