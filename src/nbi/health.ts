/**
 * Probes for load balancers and orchestrators, at the root of the API port and without a
 * token (they say nothing about devices):
 *
 *   GET /healthz  200 {"status":"ok"} while the process serves HTTP (liveness).
 *   GET /readyz   200 when the store answers (its migrations ran when it was opened) and every
 *                 extra check passes; 503 with the failing check otherwise (readiness).
 *
 * A probe must not hang: the store gets READY_TIMEOUT_MS to answer.
 */
import type { FastifyInstance } from 'fastify';
import type { Store } from '../store/types.js';

/** Extra readiness: null when ready, else what is not. */
export type ReadinessCheck = () => Promise<string | null>;

export const READY_TIMEOUT_MS = 2_000;

/** Paths at the root of the API port that are never console pages (console.ts leaves them to the NBI). */
export const OPERATIONAL_PATHS: readonly string[] = ['/healthz', '/readyz', '/livez', '/health', '/metrics'];

const STATUS = {
  type: 'object',
  properties: { status: { type: 'string', enum: ['ok', 'unavailable'] }, checks: { type: 'object', additionalProperties: { type: 'string' } } },
  required: ['status'],
} as const;

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

export function registerHealthRoutes(app: FastifyInstance, opts: { store: Store; ready?: ReadinessCheck }): void {
  const { store } = opts;
  app.get(
    '/healthz',
    { config: { public: true }, schema: { summary: 'Liveness: the process serves HTTP', tags: ['operations'], security: [], response: { 200: STATUS } } },
    async (_req, reply) => reply.header('cache-control', 'no-store').send({ status: 'ok' }),
  );
  app.get(
    '/readyz',
    {
      config: { public: true },
      schema: { summary: 'Readiness: the store answers (migrations done) and the ACS is listening', tags: ['operations'], security: [], response: { 200: STATUS, 503: STATUS } },
    },
    async (_req, reply) => {
      const checks: Record<string, string> = {};
      try {
        // One indexed read of a key that cannot exist: a round trip, no data.
        await withTimeout(store.findApiToken('readyz-probe'), READY_TIMEOUT_MS);
        checks.store = 'ok';
      } catch (e) {
        checks.store = e instanceof Error ? e.message : String(e);
      }
      if (opts.ready !== undefined) {
        try {
          checks.acs = (await withTimeout(opts.ready(), READY_TIMEOUT_MS)) ?? 'ok';
        } catch (e) {
          checks.acs = e instanceof Error ? e.message : String(e);
        }
      }
      const ok = Object.values(checks).every((c) => c === 'ok');
      return reply
        .code(ok ? 200 : 503)
        .header('cache-control', 'no-store')
        .send({ status: ok ? 'ok' : 'unavailable', checks });
    },
  );
}
