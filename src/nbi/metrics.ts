/**
 * GET /metrics on the API port: the ACS's own figures in the Prometheus text format
 * (src/metrics). Any valid token may read it (role read-only): the figures name no device.
 * Under --workers the answer covers every worker (src/metrics/cluster.ts).
 */
import type { FastifyInstance } from 'fastify';
import { contentType, metricsText } from '../metrics/cluster.js';
import { enableProcessMetrics } from '../metrics/registry.js';
import { ERRORS } from './schemas.js';

export function registerMetricsRoute(app: FastifyInstance): void {
  enableProcessMetrics();
  app.get(
    '/metrics',
    {
      config: { role: 'read-only' },
      schema: {
        summary: 'The ACS\'s own metrics (Prometheus text format): sessions, RPCs, tasks, connection requests, store latency, webhooks, process',
        tags: ['operations'],
        produces: ['text/plain'],
        response: { 200: { type: 'string', description: 'Prometheus text exposition format 0.0.4' }, 401: ERRORS[401], 403: ERRORS[403] },
      },
    },
    async (_req, reply) => reply.header('cache-control', 'no-store').type(contentType).send(await metricsText()),
  );
}
