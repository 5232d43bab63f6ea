/**
 * Scoped principals (issue 10: tenants, regions): a user or token may see only the devices
 * that match a filter (the NBI filter language) and/or carry a tag. Enforced here, once, for
 * every route, right after authentication (before the body is read or validated):
 *
 * - GET /devices: the scope's filters are added to the request's (they all hold);
 * - /devices/{id} and everything under it: the device must be in scope, else 404 (as if it
 *   did not exist: a scoped principal does not learn which ids exist elsewhere);
 * - /tasks/{id} (read, delete, retry), DELETE /faults/{id}, /alarms/{id} (read, acknowledge):
 *   the task's or alarm's device must be in scope, else 404;
 * - NARROWED routes answer a narrowed view: the route reads `scopeOf(req)` (the scope's
 *   filters, or undefined for an unscoped principal) and gives it to the store: fleet lists
 *   (GET /tasks, /faults, /alarms) hold only rows of devices in scope, aggregates
 *   (/alarms/counts, /conformance/models, /series/aggregate) are computed over the devices in
 *   scope, a bulk task by filter (POST /tasks) reaches only devices in scope (filters ANDed);
 * - GET /events: only events of devices in scope (src/nbi/sse.ts `allow`);
 * - OWN routes keep to records that carry the principal's own scope, and check it themselves
 *   (`sameScope`): webhooks (GET/POST /webhooks, DELETE /webhooks/{id},
 *   GET /webhooks/{id}/deliveries). A webhook a scoped principal creates is given its scope
 *   (a body naming another scope is refused, 403: it cannot widen, nor pick, what it hears);
 *   it lists, deletes and reads the deliveries of only the webhooks whose scope equals its own
 *   (404 for the others, unscoped ones included, as if they did not exist). The dispatcher
 *   (src/events/webhooks.ts) sends a scoped webhook only events of devices in its scope, and
 *   no event of no device. An unscoped admin may give any webhook a scope in the body. Scopes
 *   compare as written: a principal whose scope is later changed no longer sees the webhooks
 *   it made under the old one (an unscoped admin still does);
 * - /session: one's own sign-in; GET /sampling-profiles: what the fleet samples (no device's
 *   data; the console's charts need it);
 * - every other route is refused (403): deny by default, so a route added later is closed to
 *   scoped principals until it is made scope-aware here. That includes fleet-wide
 *   configuration, where a narrowed view means nothing (files, policies, virtual parameters,
 *   quirk profiles, alarm rules, service templates, campaigns, subscribers, users, tokens,
 *   audit, credential imports).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { DeviceFilter, PrincipalScope, Store } from '../store/types.js';
import { ApiError, notFound } from './errors.js';
import { parseFilter } from './query.js';

/** Route patterns (without /api/v1) a scoped principal may use, and how each is checked. */
const DEVICE_ROUTE = /^\/devices\/:id(\/|$)/;
const TASK_ROUTE = /^\/tasks\/:id(\/retry)?$/;
const FAULT_ROUTE = /^\/faults\/:id$/;
const ALARM_ROUTE = /^\/alarms\/:id(\/acknowledge)?$/;
/** Routes that narrow their answer to the scope themselves (`scopeOf`). */
const NARROWED_ROUTES = new Set([
  'GET /tasks',
  'POST /tasks',
  'GET /faults',
  'GET /alarms',
  'GET /alarms/counts',
  'GET /conformance/models',
  'GET /series/aggregate',
]);
/** Routes that keep to the records of the principal's own scope themselves (`sameScope`). */
const OWN_ROUTES = new Set(['GET /webhooks', 'POST /webhooks', 'DELETE /webhooks/:id', 'GET /webhooks/:id/deliveries']);
const OPEN_ROUTES = new Set(['GET /sampling-profiles', 'GET /session', 'DELETE /session', 'POST /session/password', 'POST /session/totp', 'POST /session/totp/confirm', 'POST /session/totp/disable']);

/** The scope's filter strings, as `GET /devices?filter=` takes them. */
export function scopeFilterTexts(scope: PrincipalScope): string[] {
  return [...(scope.filter !== undefined ? [scope.filter] : []), ...(scope.tag !== undefined ? [`tag = ${JSON.stringify(scope.tag)}`] : [])];
}

export function scopeFilters(scope: PrincipalScope, now: number): DeviceFilter[] {
  return scopeFilterTexts(scope).map((f) => parseFilter(f, now));
}

/** A scope with its fields in one order and nothing else, so equal scopes compare (and cache) equal. */
export function normalScope(scope: PrincipalScope): PrincipalScope {
  return { ...(scope.filter !== undefined ? { filter: scope.filter } : {}), ...(scope.tag !== undefined ? { tag: scope.tag } : {}) };
}

/** The same part of the fleet, as written (no two filters are compared for meaning). Null and empty: the whole fleet. */
export function sameScope(a: PrincipalScope | null | undefined, b: PrincipalScope | null | undefined): boolean {
  const x = hasScope(a) ? normalScope(a) : null;
  const y = hasScope(b) ? normalScope(b) : null;
  return x === null || y === null ? x === y : x.filter === y.filter && x.tag === y.tag;
}

export const hasScope = (s: PrincipalScope | null | undefined): s is PrincipalScope => s != null && (s.filter !== undefined || s.tag !== undefined);

/**
 * The device filters a request's answer is narrowed to (its principal's scope), or undefined
 * for an unscoped principal (the whole fleet). Only NARROWED routes call it.
 */
export function scopeOf(req: FastifyRequest, now: number): DeviceFilter[] | undefined {
  const scope = req.principal?.scope;
  return hasScope(scope) ? scopeFilters(scope, now) : undefined;
}

/** A question waiting for its batch's answer. */
interface Waiter {
  resolve: (ok: boolean) => void;
  reject: (e: unknown) => void;
}

/**
 * Is a device in a scope? Store queries, remembered briefly (an SSE stream and the webhook
 * dispatcher ask per event). The questions of one turn of the event loop that are neither
 * remembered nor already being answered go out together: one query per scope for all their
 * devices (`id in [...]`), so a session storm's events from hundreds of new devices cost a
 * query per scope, not one per device and scope. A question asked while the same one is being
 * answered shares its answer.
 */
export class ScopeGuard {
  /** Devices per query at most (a bound on the statement's bound list). */
  static readonly BATCH = 500;
  readonly #store: Store;
  readonly #now: () => number;
  readonly #cache = new Map<string, { ok: boolean; until: number }>();
  readonly #asking = new Map<string, Promise<boolean>>();
  /** Questions waiting for this turn's queries, by scope key. */
  readonly #batches = new Map<string, { scope: PrincipalScope; waiting: Map<string, Waiter[]> }>();
  #flushing = false;

  constructor(store: Store, now: () => number) {
    this.#store = store;
    this.#now = now;
  }

  deviceInScope(scope: PrincipalScope, deviceId: string): Promise<boolean> {
    const normal = normalScope(scope);
    const scopeKey = JSON.stringify(normal);
    const key = `${scopeKey}\u0000${deviceId}`;
    const hit = this.#cache.get(key);
    if (hit !== undefined && hit.until > this.#now()) return Promise.resolve(hit.ok);
    const asking = this.#asking.get(key);
    if (asking !== undefined) return asking;
    let batch = this.#batches.get(scopeKey);
    if (batch === undefined) {
      batch = { scope: normal, waiting: new Map() };
      this.#batches.set(scopeKey, batch);
    }
    const b = batch;
    const answer = new Promise<boolean>((resolve, reject) => {
      const list = b.waiting.get(deviceId);
      if (list === undefined) b.waiting.set(deviceId, [{ resolve, reject }]);
      else list.push({ resolve, reject });
    }).finally(() => this.#asking.delete(key));
    this.#asking.set(key, answer);
    if (!this.#flushing) {
      this.#flushing = true;
      setImmediate(() => void this.#flush());
    }
    return answer;
  }

  /** This turn's questions: one query per scope and BATCH devices. */
  async #flush(): Promise<void> {
    this.#flushing = false;
    const batches = [...this.#batches.entries()];
    this.#batches.clear();
    await Promise.all(
      batches.map(async ([scopeKey, { scope, waiting }]) => {
        const at = this.#now();
        try {
          const filters = scopeFilters(scope, at);
          const ids = [...waiting.keys()];
          const inside = new Set<string>();
          for (let from = 0; from < ids.length; from += ScopeGuard.BATCH) {
            const part = ids.slice(from, from + ScopeGuard.BATCH);
            const page = await this.#store.listDevices({ filters: [{ field: 'id', op: 'in', values: part }, ...filters], limit: part.length });
            for (const d of page.devices) inside.add(d.id);
          }
          if (this.#cache.size > 10_000) this.#cache.clear();
          for (const [deviceId, waiters] of waiting) {
            const ok = inside.has(deviceId);
            // Short: a device re-tagged out of a region leaves its scope within seconds.
            this.#cache.set(`${scopeKey}\u0000${deviceId}`, { ok, until: at + 2_000 });
            for (const w of waiters) w.resolve(ok);
          }
        } catch (e) {
          // Every question of the batch fails: the caller decides (a webhook drops the
          // delivery, a route answers 500) rather than anything being let through.
          for (const waiters of waiting.values()) for (const w of waiters) w.reject(e);
        }
      }),
    );
  }
}

/**
 * What the webhook dispatcher asks of a scoped webhook's events (src/events/webhooks.ts
 * `inScope`; wired by `flotilla serve`, which may import both): a guard of its own, off the
 * API's and the sessions' paths.
 */
export function webhookScopeCheck(store: Store, now: () => number = Date.now): (scope: PrincipalScope, deviceId: string) => Promise<boolean> {
  const guard = new ScopeGuard(store, now);
  return (scope, deviceId) => guard.deviceInScope(scope, deviceId);
}

/** The hook (server.ts adds it to the API's routes). */
export function registerScopeHook(api: FastifyInstance, guard: ScopeGuard, store: Store, prefix: string): void {
  // onRequest, right after authentication: before the body is read or validated, so a route
  // out of scope answers the same whatever is sent to it.
  api.addHook('onRequest', async (req: FastifyRequest) => {
    const scope = req.principal?.scope;
    if (!hasScope(scope)) return;
    const route = (req.routeOptions.url ?? '').slice(prefix.length);
    const key = `${req.method} ${route}`;
    if (OPEN_ROUTES.has(key) || NARROWED_ROUTES.has(key) || OWN_ROUTES.has(key) || key === 'GET /events') return;
    if (req.method === 'GET' && route === '/devices') {
      const q = req.query as { filter?: string | string[] };
      q.filter = [...(q.filter === undefined ? [] : ([] as string[]).concat(q.filter)), ...scopeFilterTexts(scope)];
      return;
    }
    const params = (req.params ?? {}) as { id?: string };
    if (DEVICE_ROUTE.test(route) && typeof params.id === 'string') {
      if (!(await guard.deviceInScope(scope, params.id))) throw notFound(`device ${params.id}`);
      return;
    }
    if ((TASK_ROUTE.test(route) || FAULT_ROUTE.test(route)) && typeof params.id === 'string') {
      const task = await store.getTask(params.id);
      const what = FAULT_ROUTE.test(route) ? 'fault' : 'task';
      if (task === null || !(await guard.deviceInScope(scope, task.deviceId))) throw notFound(`${what} ${params.id}`);
      return;
    }
    if (ALARM_ROUTE.test(route) && typeof params.id === 'string') {
      const alarm = await store.getAlarm(params.id);
      if (alarm === null || !(await guard.deviceInScope(scope, alarm.deviceId))) throw notFound(`alarm ${params.id}`);
      return;
    }
    throw new ApiError(403, 'FORBIDDEN', 'this route is not open to a principal scoped to part of the fleet');
  });
}
