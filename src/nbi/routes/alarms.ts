/**
 * Alarms (docs/monitoring.md):
 *   /alarm-rules            the built-in rules and operators' own, one form (offline, threshold, event)
 *   /alarms                 alarms with filters, newest change first
 *   /alarms/counts          active alarms by severity (the overview), unacknowledged
 *   /alarms/{id}            one alarm with its history
 *   /alarms/{id}/acknowledge
 * Every transition and acknowledgement is an alarm.* event (GET /events, webhooks).
 */
import type { FastifyInstance } from 'fastify';
import type { Alarm, AlarmHistoryEntry, AlarmRule, Severity } from '../../store/types.js';
import { SEVERITIES } from '../../store/concerns/alarms.js';
import { iso } from '../present.js';
import { DEVICE_ID, ERRORS, ID_PARAMS, PAGING } from '../schemas.js';
import type { NbiContext } from '../context.js';
import { scopeOf } from '../scope.js';

const RULE_BODY = {
  type: 'object',
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 128 },
    enabled: { type: 'boolean' },
    severity: { type: 'string', enum: [...SEVERITIES] },
    condition: {
      type: 'object',
      description:
        '{"kind":"offline","periods":2} | {"kind":"threshold","path":"…","above":90,"below":5,"forSeconds":600} | ' +
        '{"kind":"event","raise":{"type":"device.booted","data":{"field":["value","prefix*"]}},"clear":{…},"count":3,"windowSeconds":3600}',
      properties: { kind: { type: 'string', enum: ['offline', 'threshold', 'event'] } },
      required: ['kind'],
      additionalProperties: true,
      maxProperties: 8,
    },
  },
  required: ['name', 'severity', 'condition'],
  additionalProperties: false,
} as const;

const RULE = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    name: { type: 'string' },
    enabled: { type: 'boolean' },
    severity: { type: 'string' },
    builtin: { type: 'boolean' },
    condition: { type: 'object', additionalProperties: true },
    createdAt: { type: 'string' },
    updatedAt: { type: 'string' },
  },
} as const;

const ALARM = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    ruleId: { type: 'string' },
    deviceId: { type: 'string' },
    state: { type: 'string', enum: ['active', 'cleared'] },
    severity: { type: 'string', enum: [...SEVERITIES] },
    text: { type: 'string' },
    raisedAt: { type: 'string' },
    updatedAt: { type: 'string' },
    clearedAt: { type: ['string', 'null'] },
    acknowledgedAt: { type: ['string', 'null'] },
    acknowledgedBy: { type: ['string', 'null'] },
    count: { type: 'integer' },
  },
} as const;

const HISTORY = {
  type: 'object',
  properties: { at: { type: 'string' }, action: { type: 'string' }, severity: { type: 'string' }, text: { type: 'string' }, actor: { type: ['string', 'null'] } },
} as const;

const presentRule = (r: AlarmRule) => ({ ...r, createdAt: iso(r.createdAt), updatedAt: iso(r.updatedAt) });
const presentAlarm = (a: Alarm) => ({
  ...a,
  raisedAt: iso(a.raisedAt),
  updatedAt: iso(a.updatedAt),
  clearedAt: iso(a.clearedAt),
  acknowledgedAt: iso(a.acknowledgedAt),
});
const presentHistory = (h: AlarmHistoryEntry) => ({ ...h, at: iso(h.at) });

export function registerAlarmRoutes(api: FastifyInstance, ctx: NbiContext): void {
  const alarms = () => ctx.services.alarms;

  api.get('/alarm-rules', { schema: { summary: 'Alarm rules, built-in first', tags: ['alarms'], response: { 200: { type: 'object', properties: { rules: { type: 'array', items: RULE } } }, ...ERRORS } } }, async () => ({
    rules: (await alarms().listRules()).map(presentRule),
  }));

  api.post<{ Body: unknown }>(
    '/alarm-rules',
    { config: { role: 'operator' }, schema: { summary: 'Create an alarm rule', tags: ['alarms'], body: RULE_BODY, response: { 201: RULE, ...ERRORS } } },
    async (req, reply) => {
      const r = await alarms().createRule(req.body);
      req.audit = { target: r.id };
      return reply.code(201).send(presentRule(r));
    },
  );

  api.put<{ Params: { id: string }; Body: unknown }>(
    '/alarm-rules/:id',
    { config: { role: 'operator' }, schema: { summary: 'Replace an alarm rule (built-in ones too: change or disable them)', tags: ['alarms'], params: ID_PARAMS, body: RULE_BODY, response: { 200: RULE, ...ERRORS } } },
    async (req) => presentRule(await alarms().updateRule(req.params.id, req.body)),
  );

  api.delete<{ Params: { id: string } }>(
    '/alarm-rules/:id',
    { config: { role: 'operator' }, schema: { summary: 'Delete an alarm rule (not a built-in one); its alarms stay', tags: ['alarms'], params: ID_PARAMS, response: { 204: { type: 'null' }, ...ERRORS } } },
    async (req, reply) => {
      await alarms().deleteRule(req.params.id);
      return reply.code(204).send();
    },
  );

  api.get<{ Querystring: { state?: 'active' | 'cleared'; severity?: Severity[]; deviceId?: string; ruleId?: string; acknowledged?: boolean; limit?: number; offset?: number } }>(
    '/alarms',
    {
      schema: {
        summary: 'Alarms, newest change first',
        tags: ['alarms'],
        querystring: {
          type: 'object',
          properties: {
            state: { type: 'string', enum: ['active', 'cleared'] },
            severity: { type: 'array', maxItems: 4, items: { type: 'string', enum: [...SEVERITIES] } },
            deviceId: DEVICE_ID,
            ruleId: { type: 'string', minLength: 1, maxLength: 128 },
            acknowledged: { type: 'boolean' },
            ...PAGING,
          },
          additionalProperties: false,
        },
        response: { 200: { type: 'object', properties: { total: { type: 'integer' }, alarms: { type: 'array', items: ALARM } } }, ...ERRORS },
      },
    },
    async (req) => {
      const q = req.query;
      const devices = scopeOf(req, ctx.now());
      const r = await alarms().list({
        ...(devices !== undefined ? { devices } : {}),
        limit: q.limit ?? 100,
        offset: q.offset ?? 0,
        ...(q.state !== undefined ? { state: q.state } : {}),
        ...(q.severity !== undefined ? { severities: q.severity } : {}),
        ...(q.deviceId !== undefined ? { deviceId: q.deviceId } : {}),
        ...(q.ruleId !== undefined ? { ruleId: q.ruleId } : {}),
        ...(q.acknowledged !== undefined ? { acknowledged: q.acknowledged } : {}),
      });
      return { total: r.total, alarms: r.alarms.map(presentAlarm) };
    },
  );

  api.get(
    '/alarms/counts',
    {
      schema: {
        summary: 'Active alarms by severity, and how many are not acknowledged',
        tags: ['alarms'],
        response: {
          200: {
            type: 'object',
            properties: {
              active: { type: 'object', properties: Object.fromEntries(SEVERITIES.map((s) => [s, { type: 'integer' }])) },
              unacknowledged: { type: 'integer' },
            },
          },
          ...ERRORS,
        },
      },
    },
    async (req) => alarms().counts(scopeOf(req, ctx.now())),
  );

  api.get<{ Params: { id: string } }>(
    '/alarms/:id',
    {
      schema: {
        summary: 'One alarm with its history (raised, updated, acknowledged, cleared)',
        tags: ['alarms'],
        params: ID_PARAMS,
        response: { 200: { type: 'object', properties: { alarm: ALARM, history: { type: 'array', items: HISTORY } } }, ...ERRORS },
      },
    },
    async (req) => {
      const r = await alarms().get(req.params.id);
      return { alarm: presentAlarm(r.alarm), history: r.history.map(presentHistory) };
    },
  );

  api.post<{ Params: { id: string } }>(
    '/alarms/:id/acknowledge',
    {
      config: { role: 'operator' },
      schema: {
        summary: 'Acknowledge an alarm (once: acknowledging again changes nothing)',
        tags: ['alarms'],
        params: ID_PARAMS,
        response: { 200: { type: 'object', properties: { alarm: ALARM, changed: { type: 'boolean' } } }, ...ERRORS },
      },
    },
    async (req) => {
      const actor = req.principal?.name ?? 'unknown';
      const r = await alarms().acknowledge(req.params.id, actor);
      req.audit = { target: req.params.id };
      return { alarm: presentAlarm(r.alarm), changed: r.changed };
    },
  );
}
