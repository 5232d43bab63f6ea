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
 * - /session: one's own sign-in; GET /sampling-profiles: what the fleet samples (no device's
 *   data; the console's charts need it);
 * - every other route is refused (403): deny by default, so a route added later is closed to
 *   scoped principals until it is made scope-aware here. That includes fleet-wide
 *   configuration, where a narrowed view means nothing (files, policies, virtual parameters,
 *   quirk profiles, alarm rules, service templates, campaigns, subscribers, users, tokens,
 *   audit, credential imports) and webhooks (a webhook would hear every device).
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
const OPEN_ROUTES = new Set(['GET /sampling-profiles', 'GET /session', 'DELETE /session', 'POST /session/password', 'POST /session/totp', 'POST /session/totp/confirm', 'POST /session/totp/disable']);

/** The scope's filter strings, as `GET /devices?filter=` takes them. */
export function scopeFilterTexts(scope: PrincipalScope): string[] {
  return [...(scope.filter !== undefined ? [scope.filter] : []), ...(scope.tag !== undefined ? [`tag = ${JSON.stringify(scope.tag)}`] : [])];
}

export function scopeFilters(scope: PrincipalScope, now: number): DeviceFilter[] {
  return scopeFilterTexts(scope).map((f) => parseFilter(f, now));
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

/** Is a device in a scope? One store query, remembered briefly (an SSE stream asks per event). */
export class ScopeGuard {
  readonly #store: Store;
  readonly #now: () => number;
  readonly #cache = new Map<string, { ok: boolean; until: number }>();

  constructor(store: Store, now: () => number) {
    this.#store = store;
    this.#now = now;
  }

  async deviceInScope(scope: PrincipalScope, deviceId: string): Promise<boolean> {
    const key = `${JSON.stringify(scope)}\u0000${deviceId}`;
    const at = this.#now();
    const hit = this.#cache.get(key);
    if (hit !== undefined && hit.until > at) return hit.ok;
    const page = await this.#store.listDevices({ filters: [{ field: 'id', op: 'eq', value: deviceId }, ...scopeFilters(scope, at)], limit: 0 });
    const ok = page.total > 0;
    if (this.#cache.size > 10_000) this.#cache.clear();
    // Short: a device re-tagged out of a region leaves its scope within seconds.
    this.#cache.set(key, { ok, until: at + 2_000 });
    return ok;
  }
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
    if (OPEN_ROUTES.has(key) || NARROWED_ROUTES.has(key) || key === 'GET /events') return;
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
