/**
 * /devices/{id}/diagnostics: a device's diagnostic runs, newest first, each with its type,
 * state (queued → requested → complete | failed | expired) and structured result. A run is
 * started like any task: POST /devices/{id}/tasks with type ipPing, traceRoute, … .
 */
import type { FastifyInstance } from 'fastify';
import type { DiagnosticRun } from '../../tasks/diagnostics.js';
import { DIAGNOSTIC_TYPES, type DiagnosticType } from '../../tasks/types.js';
import { iso } from '../present.js';
import { DEVICE_ID_PARAMS, ERRORS, PAGING } from '../schemas.js';
import type { NbiContext } from '../context.js';

const RUN = {
  type: 'object',
  properties: {
    id: { type: 'string', description: 'the task id' },
    deviceId: { type: 'string' },
    type: { type: 'string', enum: [...DIAGNOSTIC_TYPES] },
    state: { type: 'string', enum: ['queued', 'requested', 'complete', 'failed', 'expired'] },
    input: { type: 'object', additionalProperties: true },
    createdAt: { type: 'string' },
    requestedAt: { type: ['string', 'null'] },
    finishedAt: { type: ['string', 'null'] },
    expiresAt: { type: ['string', 'null'] },
    error: { type: ['string', 'null'], description: "the device's DiagnosticsState (Error_…) or the reason the run failed or expired" },
    result: {
      type: ['object', 'null'],
      additionalProperties: true,
      description: 'by kind: ping (rtt min/avg/max ms, loss), trace (hops), transfer (bytes, duration, throughputBps, TR-143 timings), nslookup, serverSelection, capacity',
    },
  },
};

export function presentRun(r: DiagnosticRun): Record<string, unknown> {
  return {
    ...r,
    createdAt: iso(r.createdAt),
    requestedAt: iso(r.requestedAt),
    finishedAt: iso(r.finishedAt),
    expiresAt: iso(r.expiresAt),
  };
}

export function registerDiagnosticRoutes(api: FastifyInstance, ctx: NbiContext): void {
  api.get<{ Params: { id: string }; Querystring: { type?: DiagnosticType[]; limit?: number; offset?: number } }>(
    '/devices/:id/diagnostics',
    {
      schema: {
        summary: "A device's diagnostic runs, newest first",
        description: 'Each run is a diagnostic task: POST /devices/{id}/tasks with type ipPing, traceRoute, downloadDiagnostics, uploadDiagnostics, udpEcho, nsLookup, serverSelection or ipLayerCapacity.',
        tags: ['diagnostics'],
        params: DEVICE_ID_PARAMS,
        querystring: {
          type: 'object',
          properties: { type: { type: 'array', maxItems: 8, items: { type: 'string', enum: [...DIAGNOSTIC_TYPES] } }, ...PAGING },
          additionalProperties: false,
        },
        response: {
          200: { type: 'object', properties: { total: { type: 'integer' }, runs: { type: 'array', items: RUN } } },
          ...ERRORS,
        },
      },
    },
    async (req) => {
      const { total, runs } = await ctx.services.diagnostics.list(req.params.id, {
        ...(req.query.type !== undefined ? { types: req.query.type } : {}),
        ...(req.query.limit !== undefined ? { limit: req.query.limit } : {}),
        ...(req.query.offset !== undefined ? { offset: req.query.offset } : {}),
      });
      return { total, runs: runs.map(presentRun) };
    },
  );
}
