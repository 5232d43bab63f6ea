/**
 * The one list of secret parameters. Everything that shows, filters, sorts, logs, audits or
 * sends a parameter asks here, so a path is secret everywhere or nowhere:
 *  - the BBF catalogue's hidden/secured parameters (catalogue.ts);
 *  - any parameter whose name ends in Password, Passphrase, Key, PSK or Secret (any case:
 *    vendors write X_ACME_wpa_key), except the catalogue's identifier "keys" (ParameterKey,
 *    BridgeKey …, unsigned integers or CWMP bookkeeping, never secrets);
 *  - what the operator adds (`--secret-parameters`): a leaf name suffix ("Token"), a generic
 *    path ("Device.X_ACME.Cloud.{i}.Auth") or a subtree ("Device.X_ACME.Vault.").
 *
 * No role reads a secret back through the API (ROLES_SEEING_SECRETS is empty on purpose): an
 * operator who needs a value sets it. The device keeps the secret; the ACS only passes it on.
 */
import { CATALOGUE_SECRETS } from './catalogue.js';

/** The text a secret value is replaced by. Empty and null values stay as they are (nothing to hide). */
export const MASK = '***';

/** Leaf-name endings that make a parameter secret. */
export const SECRET_SUFFIXES: readonly string[] = ['Password', 'Passphrase', 'Key', 'PSK', 'Secret'];

/** Names ending in "Key" that the data models use for identifiers or bookkeeping, not secrets. */
export const NOT_SECRET_NAMES: readonly string[] = ['ParameterKey', 'CommandKey', 'BridgeKey', 'FilterKey', 'MarkingKey', 'AvailableInterfaceKey'];

/**
 * Parameters that hold a URL the ACS signed for one device (a bulk data profile's report URL:
 * src/session/programs/bulkdata.ts). Whoever holds it can post reports as that device, so it is
 * a secret like a password.
 */
export const SIGNED_URL_PARAMETERS: readonly string[] = ['Device.BulkData.Profile.{i}.HTTP.URL', 'InternetGatewayDevice.BulkData.Profile.{i}.HTTP.URL'];

/** Roles that may read secret values through the API: none. Kept as data so the rule is explicit. */
export const ROLES_SEEING_SECRETS: readonly string[] = [];

const INSTANCE = /\.\d+(?=\.|$)/g;
const escapeRe = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export interface SecretRulesOptions {
  /** Extra entries: leaf suffixes (no dot), generic paths, or subtrees (ending in "."). */
  extra?: readonly string[];
}

export class SecretRules {
  readonly #suffix: RegExp;
  readonly #notSecret: ReadonlySet<string>;
  /** Generic paths rooted at Device./InternetGatewayDevice. (exact match). */
  readonly #rooted = new Set<string>();
  /** Generic paths of mountable models (VoiceService …): matched as a path's tail. */
  readonly #mounted: string[] = [];
  readonly #subtrees: string[] = [];
  readonly #cache = new Map<string, boolean>();

  constructor(opts: SecretRulesOptions = {}) {
    const names: string[] = [...SECRET_SUFFIXES];
    const paths: string[] = [...CATALOGUE_SECRETS, ...SIGNED_URL_PARAMETERS];
    for (const raw of opts.extra ?? []) {
      const e = raw.trim();
      if (e === '') continue;
      if (e.endsWith('.')) this.#subtrees.push(e.replace(INSTANCE, '.{i}'));
      else if (e.includes('.')) paths.push(e);
      else names.push(e);
    }
    for (const p of paths) {
      const generic = p.replace(INSTANCE, '.{i}');
      if (generic.startsWith('Device.') || generic.startsWith('InternetGatewayDevice.')) this.#rooted.add(generic);
      else this.#mounted.push(`.${generic}`);
    }
    this.#suffix = new RegExp(`(?:${names.map(escapeRe).join('|')})$`, 'i');
    this.#notSecret = new Set(NOT_SECRET_NAMES);
  }

  /** Whether a parameter path (instance numbers or {i}) holds a secret. */
  isSecret(path: string): boolean {
    let hit = this.#cache.get(path);
    if (hit === undefined) {
      hit = this.#decide(path);
      // Paths repeat across a fleet; a bounded cache keeps the regexes off the hot path.
      if (this.#cache.size >= 50_000) this.#cache.clear();
      this.#cache.set(path, hit);
    }
    return hit;
  }

  #decide(path: string): boolean {
    if (path.endsWith('.')) return false; // an object, not a parameter
    const leaf = path.slice(path.lastIndexOf('.') + 1);
    if (this.#suffix.test(leaf) && !this.#notSecret.has(leaf)) return true;
    const generic = path.replace(INSTANCE, '.{i}');
    if (this.#rooted.has(generic)) return true;
    for (const m of this.#mounted) if (generic.endsWith(m)) return true;
    for (const s of this.#subtrees) if (generic.startsWith(s)) return true;
    return false;
  }

  /** A value as it may be shown for `path`. */
  maskValue<T>(path: string, value: T): T | typeof MASK {
    return value !== null && value !== undefined && value !== '' && this.isSecret(path) ? MASK : value;
  }

  /**
   * A copy of any JSON-like value with secret parameter values masked, wherever they sit:
   * `[path, value, type?]` tuples (SetParameterValues), `{ name|parameterName|path, value }`
   * records (GetParameterValuesResponse, audit diffs), and objects keyed by path (the tree:
   * `{ "<path>": value }` or `{ "<path>": { value } }`). Anything else is copied as it is.
   */
  mask<T>(value: T): T {
    return this.#walk(value, 0) as T;
  }

  #walk(v: unknown, depth: number): unknown {
    if (v === null || typeof v !== 'object' || depth > 64) return v;
    if (Array.isArray(v)) {
      if ((v.length === 2 || v.length === 3) && typeof v[0] === 'string' && isScalar(v[1]) && this.isSecret(v[0])) {
        return [v[0], this.maskValue(v[0], v[1]), ...v.slice(2)];
      }
      return v.map((x) => this.#walk(x, depth + 1));
    }
    const o = v as Record<string, unknown>;
    const name = typeof o.name === 'string' ? o.name : typeof o.parameterName === 'string' ? o.parameterName : typeof o.path === 'string' ? o.path : null;
    const secretRecord = name !== null && this.isSecret(name);
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(o)) {
      if (secretRecord && k === 'value' && isScalar(x)) out[k] = name === null ? x : this.maskValue(name, x);
      else if (k.includes('.') && this.isSecret(k)) {
        if (isScalar(x)) out[k] = this.maskValue(k, x);
        else if (x !== null && typeof x === 'object' && !Array.isArray(x) && 'value' in x) {
          const inner = x as Record<string, unknown>;
          out[k] = { ...inner, value: this.maskValue(k, inner.value) };
        } else out[k] = this.#walk(x, depth + 1);
      } else out[k] = this.#walk(x, depth + 1);
    }
    return out;
  }
}

const isScalar = (x: unknown): boolean => x === null || x === undefined || typeof x === 'string' || typeof x === 'number' || typeof x === 'boolean';

let current = new SecretRules();

/** The process's rules (set once at start by `flotilla serve`, from --secret-parameters). */
export function secretRules(): SecretRules {
  return current;
}

export function configureSecrets(opts: SecretRulesOptions): SecretRules {
  current = new SecretRules(opts);
  return current;
}

export const isSecretPath = (path: string): boolean => current.isSecret(path);
export const maskSecrets = <T>(value: T): T => current.mask(value);
