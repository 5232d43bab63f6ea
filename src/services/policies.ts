/**
 * The policy service: create, change, roll back and delete provisioning policies (each change
 * a new revision with its author), their compliance counts, and dry runs from stored state —
 * which devices a policy (or a draft) matches, what each would receive, and the conflicts —
 * without touching a device. The evaluation is the engine's (src/policies/engine.ts), the
 * same a session runs. Every change is announced (`policy.changed`) so the ACS processes
 * reload their policy set.
 */
import { randomUUID } from 'node:crypto';
import type { EventBus } from '../events/bus.js';
import { PolicySet } from '../policies/engine.js';
import { planFor, type DevicePlan } from '../policies/plan.js';
import { parsePolicyDefinition, PolicyInputError, type FilterParser } from '../policies/validate.js';
import { loadSandbox, sandboxHost, type ScriptLimits } from '../policies/sandbox.js';
import type { ComplianceRecord, PolicyDefinition, PolicyRecord, PolicyRevision, Store } from '../store/types.js';
import { conflict, notFound, ServiceError } from './errors.js';
import { shippedCatalogues, type CatalogueSet } from '../datamodel/bbf.js';
import { checkSetParameter } from '../datamodel/check.js';
import { checkObjectDeclaration } from '../policies/catalogue-objects.js';
import { isSecretPath } from '../secrets/rules.js';

export interface PolicyServiceOptions {
  store: Store;
  bus: EventBus;
  now?: () => number;
  /** Literal declared values are checked against these (default: the shipped catalogue; null: not checked). */
  catalogues?: CatalogueSet | null;
  /** Limits of scripts run by dry runs (default: the sandbox's). */
  scriptLimits?: Partial<ScriptLimits>;
}

export interface ComplianceSummary {
  compliant: number;
  pending: number;
  faulted: number;
  notApplicable: number;
}

export interface PlanAnswer {
  devices: DevicePlan[];
  /** Matching devices, whatever the limit. */
  total: number;
  truncated: boolean;
}

/** Most devices a dry run evaluates in one call. */
const PLAN_LIMIT = 1000;
const DRAFT_ID = 'draft';

export class PolicyService {
  readonly #o: PolicyServiceOptions;
  readonly #now: () => number;
  readonly #parseFilter: FilterParser;

  constructor(opts: PolicyServiceOptions & { parseFilter: FilterParser }) {
    this.#o = opts;
    this.#now = opts.now ?? Date.now;
    this.#parseFilter = opts.parseFilter;
  }

  /**
   * A definition from JSON input, or INVALID_POLICY with the position of the error. Literal
   * values are checked against the BBF catalogue as a setParameterValues task is (the path,
   * type, range, length, enumeration, writability: src/datamodel/check.ts), with no device to
   * speak for itself: vendor paths (X_…) pass, a non-standard name elsewhere does not.
   */
  parse(input: unknown): PolicyDefinition {
    let def: PolicyDefinition;
    // Scripts are compiled (never run) to find syntax errors: the sandbox is loaded by then
    // (every caller below awaits loadSandbox first).
    const host = sandboxHost(this.#o.scriptLimits);
    try {
      def = parsePolicyDefinition(input, this.#parseFilter, host === null ? {} : { checkScript: (src) => host.check(src) });
    } catch (e) {
      if (e instanceof PolicyInputError) throw new ServiceError('INVALID_POLICY', e.message, undefined, e.position);
      throw e;
    }
    const cats = this.#o.catalogues === null ? undefined : (this.#o.catalogues ?? shippedCatalogues());
    if (cats !== undefined) {
      def.declarations.forEach((d, i) => {
        if ('object' in d) {
          const reason = checkObjectDeclaration(cats, d);
          if (reason !== null) throw new ServiceError('INVALID_POLICY', `declarations[${i}]: ${reason.message}`, undefined, { field: `declarations[${i}].${reason.member}` });
          return;
        }
        // A virtual parameter is no catalogue's: its write script says what it becomes.
        if (!('value' in d) || d.path.startsWith('VirtualParameters.')) return;
        const reason = checkSetParameter(cats, { path: d.path, value: d.value, secret: isSecretPath(d.path) });
        if (reason !== null) throw new ServiceError('INVALID_POLICY', `declarations[${i}]: ${reason}`, undefined, { field: `declarations[${i}].value` });
      });
    }
    return def;
  }

  list(): Promise<PolicyRecord[]> {
    return this.#o.store.listPolicies();
  }

  async get(id: string): Promise<PolicyRecord> {
    const p = await this.#o.store.getPolicy(id);
    if (p === null) throw notFound(`policy ${id}`);
    return p;
  }

  async create(input: unknown, author: string): Promise<PolicyRecord> {
    await loadSandbox();
    const def = this.parse(input);
    const now = this.#now();
    const record: PolicyRecord = { ...def, id: randomUUID(), revision: 1, createdAt: now, updatedAt: now, author };
    await this.#o.store.createPolicy(record);
    this.#changed(record);
    return record;
  }

  /** A new revision with this definition. `expectedRevision`, when given, must be the current one. */
  async update(id: string, input: unknown, author: string, expectedRevision?: number): Promise<PolicyRecord> {
    await loadSandbox();
    const def = this.parse(input);
    return this.#revise(id, def, author, expectedRevision);
  }

  /** A new revision with the definition of an earlier one. */
  async rollback(id: string, revision: number, author: string): Promise<PolicyRecord> {
    const old = (await this.#o.store.listPolicyRevisions(id)).find((r) => r.revision === revision);
    if (old === undefined) throw notFound(`revision ${revision} of policy ${id}`);
    return this.#revise(id, old.definition, author);
  }

  async #revise(id: string, def: PolicyDefinition, author: string, expectedRevision?: number): Promise<PolicyRecord> {
    const current = await this.get(id);
    if (expectedRevision !== undefined && expectedRevision !== current.revision) {
      throw conflict(`policy ${id} is at revision ${current.revision}, not ${expectedRevision}`);
    }
    const record: PolicyRecord = { ...def, id, revision: current.revision + 1, createdAt: current.createdAt, updatedAt: this.#now(), author };
    if (!(await this.#o.store.updatePolicy(record))) throw conflict(`policy ${id} changed meanwhile; read it again`);
    this.#changed(record);
    return record;
  }

  async delete(id: string): Promise<void> {
    if (!(await this.#o.store.deletePolicy(id))) throw notFound(`policy ${id}`);
    this.#o.bus.publish({ type: 'policy.changed', at: this.#now(), deviceId: '', data: { policyId: id, deleted: true } });
  }

  async revisions(id: string): Promise<PolicyRevision[]> {
    await this.get(id);
    return this.#o.store.listPolicyRevisions(id);
  }

  /**
   * Compliant and faulted: devices evaluated against the current revision. Pending: devices
   * the filter matches (from stored values) that are neither. Not applicable: the others.
   */
  async compliance(id: string): Promise<ComplianceSummary> {
    const p = await this.get(id);
    const counts = await this.#o.store.policyCompliance(id, p.revision);
    const [matching, all] = await Promise.all([
      this.#o.store.listDevices({ filters: p.filters, limit: 0 }),
      p.filters.length === 0 ? null : this.#o.store.listDevices({ limit: 0 }),
    ]);
    const total = all?.total ?? matching.total;
    const pending = Math.max(0, matching.total - counts.compliant - counts.faulted);
    return { compliant: counts.compliant, pending, faulted: counts.faulted, notApplicable: Math.max(0, total - matching.total) };
  }

  deviceCompliance(deviceId: string): Promise<ComplianceRecord[]> {
    return this.#o.store.deviceCompliance(deviceId);
  }

  /**
   * Dry run of a stored policy (`draft` undefined) or of a draft (replacing the stored one
   * when `id` is given, else added as "draft"), against every device it matches.
   */
  async plan(id: string | null, draft?: unknown): Promise<PlanAnswer> {
    await loadSandbox();
    const stored = await this.#o.store.listPolicies();
    let subject: PolicyRecord;
    if (draft !== undefined) {
      const def = this.parse(draft);
      const now = this.#now();
      const base = id === null ? undefined : stored.find((p) => p.id === id);
      if (id !== null && base === undefined) throw notFound(`policy ${id}`);
      subject = { ...def, id: id ?? DRAFT_ID, revision: (base?.revision ?? 0) + 1, createdAt: base?.createdAt ?? now, updatedAt: now, author: 'draft' };
    } else {
      const found = id === null ? undefined : stored.find((p) => p.id === id);
      if (found === undefined) throw notFound(`policy ${id ?? ''}`);
      subject = found;
    }
    // A draft is planned as if enabled: the point is to see what it would do.
    const virtual = await this.#o.store.listVirtualParameters();
    const set = new PolicySet([...stored.filter((p) => p.id !== subject.id), { ...subject, enabled: true }], { scripts: sandboxHost(this.#o.scriptLimits), virtual });
    const page = await this.#o.store.listDevices({ filters: subject.filters, limit: PLAN_LIMIT, parameters: [...set.paths] });
    const devices = page.devices.map((d) => planFor(set, d, d.parameters ?? [], this.#now())).filter((d) => d.policies.includes(subject.id));
    return { devices, total: page.total, truncated: page.total > page.devices.length };
  }

  /** What every policy would do to one device now, from stored state. */
  async devicePlan(deviceId: string): Promise<DevicePlan> {
    const [device] = (await this.#o.store.listDevices({ filters: [{ field: 'id', op: 'eq', value: deviceId }], limit: 1 })).devices;
    if (device === undefined) throw notFound(`device ${deviceId}`);
    await loadSandbox();
    const set = new PolicySet(await this.#o.store.listPolicies(), { scripts: sandboxHost(this.#o.scriptLimits), virtual: await this.#o.store.listVirtualParameters() });
    const params = set.paths.length === 0 ? [] : await this.#o.store.readParameters(deviceId, set.paths);
    return planFor(set, device, params, this.#now());
  }

  #changed(p: PolicyRecord): void {
    this.#o.bus.publish({ type: 'policy.changed', at: this.#now(), deviceId: '', data: { policyId: p.id, revision: p.revision } });
  }
}
