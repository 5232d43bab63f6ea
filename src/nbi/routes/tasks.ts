/**
 * /tasks and /faults: the fleet-wide view of the task queue — bulk creation on a filter,
 * listing, one task, retry, delete — and faults (faulted tasks) with clearing.
 */
import type { FastifyInstance } from 'fastify';
import type { TaskState } from '../../tasks/types.js';
import { notFound } from '../errors.js';
import { presentTask } from '../present.js';
import { parseFilters } from '../query.js';
import { DEVICE_ID, ERRORS, ID_PARAMS, PAGING } from '../schemas.js';
import type { NbiContext } from '../context.js';
import type { TaskBody } from '../../services/tasks.js';
import { fromGenieTaskBody } from '../genieacs.js';
import { scopeOf } from '../scope.js';

const STATES = ['queued', 'running', 'done', 'fault', 'expired'];

export function registerTaskRoutes(api: FastifyInstance, ctx: NbiContext): void {
  const { store } = ctx;

  api.post<{ Body: { filter: string[]; task: TaskBody; connectionRequest?: boolean; expiry?: number } }>(
    '/tasks',
    {
      config: { role: 'operator' },
      preValidation: async (req) => {
        const body = req.body as { task?: unknown } | null;
        if (body !== null && typeof body === 'object' && 'task' in body) body.task = fromGenieTaskBody(body.task);
      },
      schema: {
        summary: 'Queue a task on every device a filter matches',
        description:
          'One task per matching device (filters as in GET /devices; at least one). Nothing is queued if the task is invalid for any of them. ' +
          'With connectionRequest, the devices are asked to connect, paced by the global rate limit.',
        tags: ['tasks'],
        body: {
          type: 'object',
          properties: {
            filter: { type: 'array', minItems: 1, maxItems: 32, items: { type: 'string', maxLength: 2048 } },
            task: { $ref: 'Task#' },
            connectionRequest: { type: 'boolean' },
            expiry: { type: 'integer', minimum: 0 },
          },
          required: ['filter', 'task'],
          additionalProperties: false,
        },
        response: {
          201: {
            type: 'object',
            properties: {
              count: { type: 'integer' },
              tasks: { type: 'array', items: { type: 'object', properties: { id: { type: 'string' }, deviceId: { type: 'string' } } } },
              truncated: { type: 'boolean', description: 'tasks lists the first 10,000 only' },
            },
          },
          ...ERRORS,
        },
      },
    },
    async (req, reply) => {
      // A scoped principal reaches only its devices: the scope's filters hold too.
      const filters = [...parseFilters(req.body.filter, ctx.now()), ...(scopeOf(req, ctx.now()) ?? [])];
      const result = await ctx.services.tasks.createForFilter(filters, req.body.task, {
        connectionRequest: req.body.connectionRequest === true,
        ...(req.body.expiry !== undefined ? { expirySeconds: req.body.expiry } : {}),
      });
      return reply.code(201).send(result);
    },
  );

  api.get<{ Querystring: { deviceId?: string; state?: string[]; limit?: number; offset?: number; order?: 'oldest' | 'newest' } }>(
    '/tasks',
    {
      schema: {
        summary: 'List tasks',
        tags: ['tasks'],
        querystring: {
          type: 'object',
          properties: {
            deviceId: DEVICE_ID,
            state: { type: 'array', items: { type: 'string', enum: STATES } },
            order: { type: 'string', enum: ['oldest', 'newest'] },
            ...PAGING,
          },
          additionalProperties: false,
        },
        response: { 200: { $ref: 'TaskPage#' }, ...ERRORS },
      },
    },
    async (req) => {
      const q = req.query;
      const devices = scopeOf(req, ctx.now());
      const page = await store.listTasks({
        ...(devices !== undefined ? { devices } : {}),
        ...(q.deviceId !== undefined ? { deviceId: q.deviceId } : {}),
        ...(q.state !== undefined ? { states: q.state as TaskState[] } : {}),
        newestFirst: q.order === 'newest',
        limit: q.limit ?? 100,
        offset: q.offset ?? 0,
      });
      return { total: page.total, tasks: page.tasks.map(presentTask) };
    },
  );

  api.get<{ Params: { id: string } }>(
    '/tasks/:id',
    { schema: { summary: 'One task', tags: ['tasks'], params: ID_PARAMS, response: { 200: { $ref: 'TaskRecord#' }, ...ERRORS } } },
    async (req) => {
      const t = await store.getTask(req.params.id);
      if (t === null) throw notFound(`task ${req.params.id}`);
      return presentTask(t);
    },
  );

  api.delete<{ Params: { id: string } }>(
    '/tasks/:id',
    {
      config: { role: 'operator' },
      schema: { summary: 'Delete a task (any state)', tags: ['tasks'], params: ID_PARAMS, response: { 204: { type: 'null' }, ...ERRORS } },
    },
    async (req, reply) => {
      const before = await store.getTask(req.params.id);
      if (before !== null) req.audit = { before: presentTask(before) };
      if (!(await store.deleteTask(req.params.id))) throw notFound(`task ${req.params.id}`);
      return reply.code(204).send();
    },
  );

  api.post<{ Params: { id: string } }>(
    '/tasks/:id/retry',
    {
      config: { role: 'operator' },
      schema: {
        summary: 'Queue a faulted or expired task again (it keeps its place in the device order)',
        tags: ['tasks'],
        params: ID_PARAMS,
        response: { 200: { $ref: 'TaskRecord#' }, 409: { $ref: 'Error#' }, ...ERRORS },
      },
    },
    async (req) => presentTask(await ctx.services.tasks.retry(req.params.id)),
  );

  api.get<{ Querystring: { deviceId?: string; limit?: number; offset?: number } }>(
    '/faults',
    {
      schema: {
        summary: 'Faulted tasks, newest first, with the CPE fault (code, string, per-parameter detail)',
        tags: ['faults'],
        querystring: { type: 'object', properties: { deviceId: DEVICE_ID, ...PAGING }, additionalProperties: false },
        response: { 200: { $ref: 'TaskPage#' }, ...ERRORS },
      },
    },
    async (req) => {
      const q = req.query;
      const devices = scopeOf(req, ctx.now());
      const page = await store.listTasks({
        ...(devices !== undefined ? { devices } : {}),
        ...(q.deviceId !== undefined ? { deviceId: q.deviceId } : {}),
        states: ['fault'],
        newestFirst: true,
        limit: q.limit ?? 100,
        offset: q.offset ?? 0,
      });
      return { total: page.total, tasks: page.tasks.map(presentTask) };
    },
  );

  api.delete<{ Params: { id: string } }>(
    '/faults/:id',
    {
      config: { role: 'operator' },
      schema: {
        summary: 'Clear a fault: delete the faulted task (retry it instead with POST /tasks/{id}/retry)',
        tags: ['faults'],
        params: ID_PARAMS,
        response: { 204: { type: 'null' }, ...ERRORS },
      },
    },
    async (req, reply) => {
      const t = await store.getTask(req.params.id);
      if (t === null || t.state !== 'fault') throw notFound(`fault ${req.params.id}`);
      await store.deleteTask(t.id);
      return reply.code(204).send();
    },
  );
}
