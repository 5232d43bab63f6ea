/**
 * /devices: search (filters, sort, cursor or offset paging, total, field projection), one
 * device with its tree or a subtree, deletion, tags, its tasks, faults, session history,
 * CPE messages, and a bare connection request.
 */
import type { FastifyInstance } from 'fastify';
import { maskSecrets } from '../../secrets/rules.js';
import type { DeviceQuery } from '../../store/types.js';
import { badRequest, notFound } from '../errors.js';
import { presentListItem, presentParameters, presentSession, presentSummary, presentTask } from '../present.js';
import { decodeCursor, encodeCursor, parseFields, parseFilters, parseSort } from '../query.js';
import { DEVICE_ID, DEVICE_ID_PARAMS, ERRORS, PAGING } from '../schemas.js';
import type { NbiContext } from '../context.js';
import type { TaskBody } from '../../services/tasks.js';
import { fromGenieQuery, fromGenieTaskBody, fromGenieTaskQuery } from '../genieacs.js';

/** GenieACS projections name `_id`, `_tags`, `_lastInform` … and parameter paths. */
function genieProjection(projection: string): string {
  const names: Record<string, string> = { _id: 'id', _tags: 'tags', _lastInform: 'lastInform', _registered: 'firstInform', _lastBoot: 'lastBoot', _lastBootstrap: 'lastBootstrap', _deviceId: 'deviceId' };
  return projection
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '')
    .map((p) => names[p] ?? p.replace(/\._value$/, ''))
    .join(',');
}

interface ListQuery {
  filter?: string[];
  query?: string;
  projection?: string;
  sort?: string;
  limit?: number;
  offset?: number;
  cursor?: string;
  fields?: string;
}

const FILTER_DOC =
  'Repeatable; all must hold. `<field> <op> <value>` with ops = != < <= > >= ^= (starts with) ~= (glob * ?), or `exists(<path>)` / `!exists(<path>)`. ' +
  'Fields: id, manufacturer, oui, productClass, serialNumber, tag, firstInform, lastInform, lastBoot, lastBootstrap (ISO 8601, epoch ms, or -15m/-2h/-7d), or a parameter path.';

export function registerDeviceRoutes(api: FastifyInstance, ctx: NbiContext): void {
  const { store } = ctx;

  const mustExist = async (id: string): Promise<void> => {
    const page = await store.listDevices({ filters: [{ field: 'id', op: 'eq', value: id }], limit: 0 });
    if (page.total === 0) throw notFound(`device ${id}`);
  };

  api.get<{ Querystring: ListQuery }>(
    '/devices',
    {
      schema: {
        summary: 'Search devices',
        tags: ['devices'],
        querystring: {
          type: 'object',
          properties: {
            filter: { type: 'array', items: { type: 'string', maxLength: 2048 }, maxItems: 32, description: FILTER_DOC },
            sort: { type: 'string', description: 'a field or parameter path; "-" in front for descending (default id)' },
            ...PAGING,
            cursor: { type: 'string', maxLength: 4096, description: 'the `next` of the previous page (keyset paging; same filter and sort)' },
            fields: { type: 'string', maxLength: 8192, description: 'comma-separated: summary fields and/or parameter paths or subtrees ("X.Y.")' },
            query: { type: 'string', maxLength: 8192, description: 'GenieACS-style MongoDB JSON ($eq $ne $gt $gte $lt $lte $regex $exists, $and), ANDed with filter (docs/from-genieacs.md)' },
            projection: { type: 'string', maxLength: 8192, description: 'GenieACS name of fields (parameter paths, comma-separated)' },
          },
          additionalProperties: false,
        },
        response: { 200: { $ref: 'DevicePage#' }, ...ERRORS },
      },
    },
    async (req) => {
      const q = req.query;
      const sortText = q.sort ?? 'id';
      const sort = parseSort(q.sort);
      const { summary, parameters } = parseFields(q.fields ?? (q.projection !== undefined ? genieProjection(q.projection) : undefined));
      const query: DeviceQuery = {
        filters: [...parseFilters(q.filter, ctx.now()), ...(q.query !== undefined ? fromGenieQuery(q.query) : [])],
        sort: { key: sort.key, descending: sort.descending },
        limit: q.limit ?? 100,
        ...(q.offset !== undefined ? { offset: q.offset } : {}),
        ...(q.cursor !== undefined ? { after: decodeCursor(q.cursor, sortText) } : {}),
        ...(parameters !== undefined ? { parameters } : {}),
      };
      const page = await store.listDevices(query);
      return {
        total: page.total,
        devices: page.devices.map((d) => presentListItem(d, summary)),
        next: page.next === null ? null : encodeCursor(sortText, page.next),
      };
    },
  );

  api.get<{ Params: { id: string }; Querystring: { subtree?: string } }>(
    '/devices/:id',
    {
      schema: {
        summary: 'One device with its parameter tree (or a subtree)',
        tags: ['devices'],
        params: DEVICE_ID_PARAMS,
        querystring: {
          type: 'object',
          properties: { subtree: { type: 'string', maxLength: 256, description: 'an object path ("X.Y.") or one parameter' } },
          additionalProperties: false,
        },
        response: { 200: { $ref: 'Device#' }, ...ERRORS },
      },
    },
    async (req) => {
      const d = await store.getDevice(req.params.id, req.query.subtree === undefined ? undefined : { subtree: req.query.subtree });
      if (d === null) throw notFound(`device ${req.params.id}`);
      return { ...presentSummary(d), parameters: presentParameters(d.parameters) };
    },
  );

  api.delete<{ Params: { id: string } }>(
    '/devices/:id',
    {
      config: { role: 'admin' },
      schema: { summary: 'Forget a device and everything about it', tags: ['devices'], params: DEVICE_ID_PARAMS, response: { 204: { type: 'null' }, ...ERRORS } },
    },
    async (req, reply) => {
      const before = await store.listDevices({ filters: [{ field: 'id', op: 'eq', value: req.params.id }], limit: 1 });
      if (before.devices[0] !== undefined) req.audit = { before: presentSummary(before.devices[0]) };
      if (!(await store.deleteDevice(req.params.id))) throw notFound(`device ${req.params.id}`);
      await ctx.reach?.forget(req.params.id);
      return reply.code(204).send();
    },
  );

  const TAG = { type: 'string', minLength: 1, maxLength: 128, pattern: '^[^\\s,]+$' };
  api.post<{ Params: { id: string }; Body: { add?: string[]; remove?: string[] } }>(
    '/devices/:id/tags',
    {
      config: { role: 'operator' },
      schema: {
        summary: 'Add and remove tags',
        tags: ['devices'],
        params: DEVICE_ID_PARAMS,
        body: {
          type: 'object',
          properties: { add: { type: 'array', maxItems: 100, items: TAG }, remove: { type: 'array', maxItems: 100, items: TAG } },
          additionalProperties: false,
        },
        response: { 200: { type: 'object', properties: { tags: { type: 'array', items: { type: 'string' } } } }, ...ERRORS },
      },
    },
    async (req) => {
      const one = { filters: [{ field: 'id' as const, op: 'eq' as const, value: req.params.id }], limit: 1 };
      const before = (await store.listDevices(one)).devices[0]?.tags ?? [];
      const ok = await store.setTags(req.params.id, req.body.add ?? [], req.body.remove ?? []);
      if (!ok) throw notFound(`device ${req.params.id}`);
      const tags = (await store.listDevices(one)).devices[0]?.tags ?? [];
      req.audit = { before: { tags: before }, after: { tags } };
      return { tags };
    },
  );

  api.put<{ Params: { id: string; tag: string } }>(
    '/devices/:id/tags/:tag',
    {
      config: { role: 'operator' },
      schema: {
        summary: 'Add one tag',
        tags: ['devices'],
        params: { type: 'object', properties: { id: DEVICE_ID, tag: TAG }, required: ['id', 'tag'] },
        response: { 204: { type: 'null' }, ...ERRORS },
      },
    },
    async (req, reply) => {
      if (!(await store.setTags(req.params.id, [req.params.tag], []))) throw notFound(`device ${req.params.id}`);
      return reply.code(204).send();
    },
  );

  api.delete<{ Params: { id: string; tag: string } }>(
    '/devices/:id/tags/:tag',
    {
      config: { role: 'operator' },
      schema: {
        summary: 'Remove one tag',
        tags: ['devices'],
        params: { type: 'object', properties: { id: DEVICE_ID, tag: TAG }, required: ['id', 'tag'] },
        response: { 204: { type: 'null' }, ...ERRORS },
      },
    },
    async (req, reply) => {
      if (!(await store.setTags(req.params.id, [], [req.params.tag]))) throw notFound(`device ${req.params.id}`);
      return reply.code(204).send();
    },
  );

  api.post<{
    Params: { id: string };
    Querystring: { connectionRequest?: boolean; wait?: number; expiry?: number; connection_request?: boolean; timeout?: number };
    Body: TaskBody;
  }>(
    '/devices/:id/tasks',
    {
      config: { role: 'operator' },
      // GenieACS bodies ({"name": "reboot"}) become native ones before the schema sees them.
      preValidation: async (req) => {
        req.body = fromGenieTaskBody(req.body) as TaskBody;
      },
      schema: {
        summary: 'Queue a task for the device',
        description:
          'With connectionRequest=true the device is asked to connect now; with wait=S the answer waits up to S seconds for the task to finish ' +
          '(200 when it did, 202 when it is still queued or running). It waits after a connection request that was answered, sent over UDP, ' +
          'held back by the rate limits or refused by the CPE; when the device cannot be reached at all (unreachable, auth-failed, no-url) ' +
          'it answers at once with the header X-Flotilla-Wait saying why.',
        tags: ['tasks'],
        params: DEVICE_ID_PARAMS,
        querystring: {
          type: 'object',
          properties: {
            connectionRequest: { type: 'boolean' },
            wait: { type: 'number', minimum: 0, maximum: 3600 },
            expiry: { type: 'integer', minimum: 0, description: 'seconds until the task expires if not run (0: never; default 7 days)' },
            connection_request: { type: 'boolean', description: 'GenieACS name of connectionRequest' },
            timeout: { type: 'integer', minimum: 0, maximum: 3_600_000, description: 'GenieACS name of wait, in milliseconds' },
          },
          additionalProperties: false,
        },
        body: { $ref: 'Task#' },
        response: { 200: { $ref: 'TaskRecord#' }, 202: { $ref: 'TaskRecord#' }, ...ERRORS },
      },
    },
    async (req, reply) => {
      const asked = fromGenieTaskQuery(req.query);
      const wait = asked.wait ?? 0;
      if (wait > ctx.maxWaitSeconds) throw badRequest(`wait: at most ${ctx.maxWaitSeconds} seconds`);
      const { task, finished, waitSkipped } = await ctx.services.tasks.createForDevice(req.params.id, req.body, {
        connectionRequest: asked.connectionRequest,
        waitSeconds: wait,
        ...(req.query.expiry !== undefined ? { expirySeconds: req.query.expiry } : {}),
      });
      const shown = presentTask(task);
      req.audit = { after: shown };
      // Why the answer did not wait, when it did not (the task's connectionRequest has the detail).
      if (waitSkipped !== null) void reply.header('x-flotilla-wait', `skipped: ${waitSkipped}`);
      return reply.code(finished ? 200 : 202).header('location', `/api/v1/tasks/${task.id}`).send(shown);
    },
  );

  api.get<{ Params: { id: string }; Querystring: { state?: string[]; limit?: number; offset?: number } }>(
    '/devices/:id/tasks',
    {
      schema: {
        summary: "The device's tasks, in queue order",
        tags: ['tasks'],
        params: DEVICE_ID_PARAMS,
        querystring: {
          type: 'object',
          properties: { state: { type: 'array', items: { type: 'string', enum: ['queued', 'running', 'done', 'fault', 'expired'] } }, ...PAGING },
          additionalProperties: false,
        },
        response: { 200: { $ref: 'TaskPage#' }, ...ERRORS },
      },
    },
    async (req) => {
      const page = await store.listTasks({
        deviceId: req.params.id,
        ...(req.query.state ? { states: req.query.state as never } : {}),
        limit: req.query.limit ?? 100,
        offset: req.query.offset ?? 0,
      });
      return { total: page.total, tasks: page.tasks.map(presentTask) };
    },
  );

  api.get<{ Params: { id: string }; Querystring: { limit?: number; offset?: number } }>(
    '/devices/:id/faults',
    {
      schema: {
        summary: "The device's faulted tasks",
        tags: ['faults'],
        params: DEVICE_ID_PARAMS,
        querystring: { type: 'object', properties: PAGING, additionalProperties: false },
        response: { 200: { $ref: 'TaskPage#' }, ...ERRORS },
      },
    },
    async (req) => {
      const page = await store.listTasks({ deviceId: req.params.id, states: ['fault'], limit: req.query.limit ?? 100, offset: req.query.offset ?? 0 });
      return { total: page.total, tasks: page.tasks.map(presentTask) };
    },
  );

  api.delete<{ Params: { id: string } }>(
    '/devices/:id/faults',
    {
      config: { role: 'operator' },
      schema: {
        summary: "Clear the device's faults (delete its faulted tasks)",
        tags: ['faults'],
        params: DEVICE_ID_PARAMS,
        response: { 200: { type: 'object', properties: { cleared: { type: 'integer' } } }, ...ERRORS },
      },
    },
    async (req) => ({ cleared: await store.deleteTasks({ deviceId: req.params.id, states: ['fault'] }) }),
  );

  api.get<{ Params: { id: string }; Querystring: { limit?: number } }>(
    '/devices/:id/sessions',
    {
      schema: {
        summary: 'Session history, newest first: time, events, RPCs, outcome',
        tags: ['devices'],
        params: DEVICE_ID_PARAMS,
        querystring: { type: 'object', properties: { limit: { type: 'integer', minimum: 1, maximum: 1000 } }, additionalProperties: false },
        response: { 200: { type: 'object', properties: { sessions: { type: 'array', items: { $ref: 'Session#' } } } }, ...ERRORS },
      },
    },
    async (req) => {
      await mustExist(req.params.id);
      return { sessions: (await store.listSessions(req.params.id, req.query.limit ?? 100)).map(presentSession) };
    },
  );

  api.get<{ Params: { id: string }; Querystring: { limit?: number } }>(
    '/devices/:id/messages',
    {
      schema: {
        summary: "The CPE's own requests (TransferComplete, Kicked …), newest first",
        tags: ['devices'],
        params: DEVICE_ID_PARAMS,
        querystring: { type: 'object', properties: { limit: { type: 'integer', minimum: 1, maximum: 1000 } }, additionalProperties: false },
        response: {
          200: {
            type: 'object',
            properties: { messages: { type: 'array', items: { type: 'object', additionalProperties: true } } },
          },
          ...ERRORS,
        },
      },
    },
    async (req) => {
      await mustExist(req.params.id);
      const list = await store.listCpeMessages(req.params.id, req.query.limit ?? 100);
      return { messages: list.map((m) => ({ at: new Date(m.at).toISOString(), message: maskSecrets(m.message) })) };
    },
  );

  api.post<{ Params: { id: string } }>(
    '/devices/:id/connection-request',
    {
      config: { role: 'operator' },
      schema: {
        summary: 'Ask the device to connect now (HTTP connection request)',
        description: '200 with the outcome; 429 (Retry-After) when the per-device or global limit holds it back.',
        tags: ['devices'],
        params: DEVICE_ID_PARAMS,
        response: {
          200: { type: 'object', properties: { outcome: { type: 'string' }, status: { type: 'integer' }, detail: { type: 'string' } } },
          429: { $ref: 'Error#' },
          ...ERRORS,
        },
      },
    },
    async (req) => {
      const r = await ctx.services.tasks.connectionRequest(req.params.id);
      return { outcome: r.outcome, ...(r.status !== undefined ? { status: r.status } : {}), ...(r.detail !== undefined ? { detail: r.detail } : {}) };
    },
  );
}
