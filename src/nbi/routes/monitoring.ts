/**
 * Monitoring (docs/monitoring.md):
 *   /sampling-profiles              parameters × interval for the devices a profile matches
 *   /devices/{id}/series            the paths a device has samples of
 *   /devices/{id}/series/{path}     one series, raw samples or hourly roll-ups
 *   /series/aggregate               one path over a filter's devices: count, min, max, avg, percentiles
 * Secrets are never sampled, and asking for one is a 400.
 */
import type { FastifyInstance } from 'fastify';
import type { HourPoint, NewSamplingProfile, SamplePoint, SamplingProfile } from '../../store/types.js';
import { PROFILE_LIMITS } from '../../services/monitoring.js';
import { iso } from '../present.js';
import { parseFilters, parseTime } from '../query.js';
import { DEVICE_ID, DEVICE_ID_PARAMS, ERRORS, ID_PARAMS } from '../schemas.js';
import type { NbiContext } from '../context.js';
import { scopeOf } from '../scope.js';

const PATH = { type: 'string', minLength: 1, maxLength: PROFILE_LIMITS.path } as const;

const PROFILE_BODY = {
  type: 'object',
  properties: {
    name: { type: 'string', minLength: 1, maxLength: PROFILE_LIMITS.name },
    enabled: { type: 'boolean', default: true },
    intervalSeconds: { type: 'integer', minimum: PROFILE_LIMITS.minIntervalSeconds, maximum: PROFILE_LIMITS.maxIntervalSeconds },
    parameters: {
      type: 'array',
      minItems: 1,
      maxItems: PROFILE_LIMITS.parameters,
      items: {
        type: 'object',
        properties: { path: PATH, counter: { type: 'boolean', description: 'a counter: kept as a rate per second (wraps and restarts handled)' } },
        required: ['path'],
        additionalProperties: false,
      },
    },
    match: {
      type: 'object',
      description: 'which devices (all given must hold; empty: every device)',
      properties: {
        oui: { type: 'string', maxLength: 64 },
        productClass: { type: 'string', maxLength: 64 },
        manufacturer: { type: 'string', maxLength: 64 },
        tags: { type: 'array', maxItems: 16, items: { type: 'string', minLength: 1, maxLength: 128 } },
      },
      additionalProperties: false,
    },
    bulkData: {
      type: 'object',
      description:
        'the devices report these parameters themselves (TR-232 bulk data over HTTP, every intervalSeconds) to the ACS: their Device.BulkData.Profile is configured in a session',
      properties: {
        encoding: { type: 'string', enum: ['JSON', 'CSV'] },
        reportFormat: { type: 'string', enum: ['NameValuePair', 'ObjectHierarchy', 'ParameterPerRow', 'ParameterPerColumn'], description: 'JSON: NameValuePair or ObjectHierarchy; CSV: ParameterPerRow or ParameterPerColumn' },
      },
      required: ['encoding', 'reportFormat'],
      additionalProperties: false,
    },
  },
  required: ['name', 'intervalSeconds', 'parameters'],
  additionalProperties: false,
} as const;

const PROFILE = {
  type: 'object',
  properties: {
    ...PROFILE_BODY.properties,
    id: { type: 'string' },
    createdAt: { type: 'string' },
    updatedAt: { type: 'string' },
  },
} as const;

interface ProfileBody {
  name: string;
  enabled?: boolean;
  intervalSeconds: number;
  parameters: { path: string; counter?: boolean }[];
  match?: NewSamplingProfile['match'];
  bulkData?: NewSamplingProfile['bulkData'];
}

const presentProfile = (p: SamplingProfile) => ({ ...p, createdAt: iso(p.createdAt), updatedAt: iso(p.updatedAt) });
const toNew = (b: ProfileBody): NewSamplingProfile => ({ name: b.name, enabled: b.enabled ?? true, intervalSeconds: b.intervalSeconds, parameters: b.parameters, match: b.match ?? {}, ...(b.bulkData !== undefined ? { bulkData: b.bulkData } : {}) });

const NUM = { type: ['number', 'null'] } as const;
const POINT = {
  type: 'object',
  properties: {
    at: { type: 'string' },
    value: { type: 'string' },
    num: NUM,
    rate: NUM,
    source: { type: 'string', enum: ['sample', 'change', 'bulk'] },
    hour: { type: 'string' },
    count: { type: 'integer' },
    min: NUM,
    max: NUM,
    avg: NUM,
  },
} as const;

const TIME_RANGE = {
  from: { type: 'string', maxLength: 64, description: 'ISO 8601, epoch ms, or -15m/-2h/-7d (default -24h)' },
  to: { type: 'string', maxLength: 64, description: 'default now' },
} as const;

export function registerMonitoringRoutes(api: FastifyInstance, ctx: NbiContext): void {
  const m = () => ctx.services.monitoring;

  api.get('/sampling-profiles', { schema: { summary: 'Sampling profiles', tags: ['monitoring'], response: { 200: { type: 'object', properties: { profiles: { type: 'array', items: PROFILE } } }, ...ERRORS } } }, async () => ({
    profiles: (await m().listProfiles()).map(presentProfile),
  }));

  api.post<{ Body: ProfileBody }>(
    '/sampling-profiles',
    {
      config: { role: 'operator' },
      schema: {
        summary: 'Create a sampling profile: its parameters are sampled every intervalSeconds in sessions the devices make anyway',
        tags: ['monitoring'],
        body: PROFILE_BODY,
        response: { 201: PROFILE, ...ERRORS },
      },
    },
    async (req, reply) => {
      const p = await m().createProfile(toNew(req.body));
      req.audit = { target: p.id };
      return reply.code(201).send(presentProfile(p));
    },
  );

  api.put<{ Params: { id: string }; Body: ProfileBody }>(
    '/sampling-profiles/:id',
    { config: { role: 'operator' }, schema: { summary: 'Replace a sampling profile', tags: ['monitoring'], params: ID_PARAMS, body: PROFILE_BODY, response: { 200: PROFILE, ...ERRORS } } },
    async (req) => presentProfile(await m().updateProfile(req.params.id, toNew(req.body))),
  );

  api.delete<{ Params: { id: string } }>(
    '/sampling-profiles/:id',
    { config: { role: 'operator' }, schema: { summary: 'Delete a sampling profile (its samples stay until retention)', tags: ['monitoring'], params: ID_PARAMS, response: { 204: { type: 'null' }, ...ERRORS } } },
    async (req, reply) => {
      await m().deleteProfile(req.params.id);
      return reply.code(204).send();
    },
  );

  api.get<{ Params: { id: string } }>(
    '/devices/:id/series',
    {
      schema: {
        summary: 'The parameters a device has KPI samples of',
        tags: ['monitoring'],
        params: DEVICE_ID_PARAMS,
        response: { 200: { type: 'object', properties: { deviceId: DEVICE_ID, paths: { type: 'array', items: { type: 'string' } } } }, ...ERRORS },
      },
    },
    async (req) => ({ deviceId: req.params.id, paths: await m().paths(req.params.id) }),
  );

  api.get<{ Params: { id: string; path: string }; Querystring: { from?: string; to?: string; resolution?: 'raw' | 'hour'; limit?: number } }>(
    '/devices/:id/series/:path',
    {
      schema: {
        summary: "One KPI series of a device: raw samples (value, number, a counter's rate) or hourly roll-ups (count, min, max, avg)",
        tags: ['monitoring'],
        params: { type: 'object', properties: { id: DEVICE_ID, path: PATH }, required: ['id', 'path'] },
        querystring: {
          type: 'object',
          properties: { ...TIME_RANGE, resolution: { type: 'string', enum: ['raw', 'hour'], default: 'raw' }, limit: { type: 'integer', minimum: 1, maximum: 10000, default: 1000 } },
          additionalProperties: false,
        },
        response: {
          200: { type: 'object', properties: { deviceId: DEVICE_ID, path: { type: 'string' }, resolution: { type: 'string' }, points: { type: 'array', items: POINT } } },
          ...ERRORS,
        },
      },
    },
    async (req) => {
      const now = ctx.now();
      const q = req.query;
      const r = await m().series(req.params.id, req.params.path, {
        from: q.from !== undefined ? parseTime(q.from, now, 'from') : now - 86_400_000,
        to: q.to !== undefined ? parseTime(q.to, now, 'to') : now + 1,
        resolution: q.resolution ?? 'raw',
        limit: q.limit ?? 1000,
      });
      const points =
        r.resolution === 'hour'
          ? r.points.map((p: HourPoint) => ({ ...p, hour: iso(p.hour) }))
          : r.points.map((p: SamplePoint) => ({ ...p, at: iso(p.at) }));
      return { deviceId: req.params.id, path: req.params.path, resolution: r.resolution, points };
    },
  );

  api.get<{ Querystring: { path: string; filter?: string | string[]; from?: string; to?: string; percentiles?: string } }>(
    '/series/aggregate',
    {
      schema: {
        summary: 'One parameter over the devices the filters match and a time range: count, min, max, avg, percentiles (counters: their rates)',
        description: 'Example: ?path=Device.IP.Interface.1.Stats.BytesReceived&filter=Device.DeviceInfo.SoftwareVersion = "2.1"&percentiles=50,95',
        tags: ['monitoring'],
        querystring: {
          type: 'object',
          properties: {
            path: PATH,
            filter: { type: 'array', maxItems: 32, items: { type: 'string', maxLength: 2048 } },
            ...TIME_RANGE,
            percentiles: { type: 'string', maxLength: 64, pattern: '^\\d+(\\.\\d+)?(,\\d+(\\.\\d+)?){0,7}$', default: '50,95,99' },
          },
          required: ['path'],
          additionalProperties: false,
        },
        response: {
          200: {
            type: 'object',
            properties: {
              path: { type: 'string' },
              from: { type: 'string' },
              to: { type: 'string' },
              matched: { type: ['integer', 'null'], description: 'devices the filters matched (null: no filter)' },
              devices: { type: 'integer', description: 'devices with samples' },
              count: { type: 'integer' },
              min: NUM,
              max: NUM,
              avg: NUM,
              percentiles: { type: 'object', additionalProperties: NUM },
            },
          },
          ...ERRORS,
        },
      },
    },
    async (req) => {
      const now = ctx.now();
      const q = req.query;
      const from = q.from !== undefined ? parseTime(q.from, now, 'from') : now - 86_400_000;
      const to = q.to !== undefined ? parseTime(q.to, now, 'to') : now + 1;
      const percentiles = (q.percentiles ?? '50,95,99').split(',').map(Number);
      // A scoped principal's aggregate is over its devices: the scope's filters hold too.
      const r = await m().aggregate({ path: q.path, filters: [...parseFilters(q.filter, now), ...(scopeOf(req, now) ?? [])], from, to, percentiles });
      return { path: q.path, from: iso(from), to: iso(to), ...r };
    },
  );
}
