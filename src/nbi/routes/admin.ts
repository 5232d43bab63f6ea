/**
 * Tokens, webhooks and their deliveries (admin), and the event stream (any role).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { EVENT_TYPES } from '../../events/bus.js';
import type { ApiRole, Capability, PrincipalScope, WebhookDeliveryState, WebhookRecord } from '../../store/types.js';
import { checkCapabilities, issueToken, ROLES } from '../../auth/tokens.js';
import { ApiError, badRequest, conflict, notFound } from '../errors.js';
import { iso } from '../present.js';
import { CAPABILITIES_SCHEMA, DEVICE_ID, ERRORS, ID_PARAMS, SCOPE_SCHEMA } from '../schemas.js';
import { parseFilter } from '../query.js';
import { hasScope, normalScope, sameScope } from '../scope.js';
import type { NbiContext } from '../context.js';

const TOKEN_INFO = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    name: { type: 'string' },
    role: { type: 'string', enum: [...ROLES] },
    createdAt: { type: 'string' },
    lastUsedAt: { type: 'string', nullable: true, description: 'last API request made with it (to the minute); null: never' },
    scope: SCOPE_SCHEMA,
    capabilities: CAPABILITIES_SCHEMA,
  },
};
const WEBHOOK_INFO = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    url: { type: 'string' },
    events: { type: 'array', items: { type: 'string' } },
    createdAt: { type: 'string' },
    scope: { ...SCOPE_SCHEMA, description: 'only events of devices in this part of the fleet (a filter and/or a tag) are sent; null: every event' },
  },
};

const webhookInfo = (w: WebhookRecord): Record<string, unknown> => ({ id: w.id, url: w.url, events: w.events, createdAt: iso(w.createdAt), scope: w.scope ?? null });

const DELIVERY_STATES: readonly WebhookDeliveryState[] = ['pending', 'delivered', 'failed'];
const DELIVERY_INFO = {
  type: 'object',
  properties: {
    id: { type: 'string', description: 'sent as X-Flotilla-Delivery' },
    eventId: { type: 'string' },
    eventType: { type: 'string' },
    deviceId: { type: 'string' },
    state: { type: 'string', enum: [...DELIVERY_STATES] },
    attempts: { type: 'integer', description: 'POSTs made so far' },
    nextAt: { type: 'string', format: 'date-time', description: 'when a pending delivery is (re)tried' },
    createdAt: { type: 'string', format: 'date-time' },
    updatedAt: { type: 'string', format: 'date-time' },
    lastError: { type: 'string', nullable: true, description: 'why the last failed attempt failed ("HTTP 503", "timeout", "ECONNREFUSED" …)' },
  },
};

export function registerAdminRoutes(api: FastifyInstance, ctx: NbiContext): void {
  const { store } = ctx;

  /**
   * The webhook, if the principal may see it: a scoped principal sees only webhooks of its
   * own scope (src/nbi/scope.ts), the others are as if they did not exist.
   */
  const visibleWebhook = async (req: FastifyRequest, id: string): Promise<WebhookRecord> => {
    const hook = (await store.listWebhooks()).find((w) => w.id === id);
    const own = req.principal?.scope;
    if (hook === undefined || (hasScope(own) && !sameScope(own, hook.scope))) throw notFound(`webhook ${id}`);
    return hook;
  };

  api.get(
    '/tokens',
    { config: { role: 'admin' }, schema: { summary: 'API tokens (never the tokens themselves)', tags: ['admin'], response: { 200: { type: 'object', properties: { tokens: { type: 'array', items: TOKEN_INFO } } }, ...ERRORS } } },
    async () => ({
      tokens: (await store.listApiTokens()).map((t) => ({ id: t.id, name: t.name, role: t.role, createdAt: iso(t.createdAt), lastUsedAt: t.lastUsedAt == null ? null : iso(t.lastUsedAt), scope: t.scope ?? null, capabilities: t.capabilities ?? [] })),
    }),
  );

  api.post<{ Body: { name: string; role: ApiRole; scope?: PrincipalScope | null; capabilities?: Capability[] } }>(
    '/tokens',
    {
      config: { role: 'admin' },
      schema: {
        summary: 'Create a token; the answer is the only time it is shown',
        tags: ['admin'],
        body: {
          type: 'object',
          properties: { name: { type: 'string', minLength: 1, maxLength: 128 }, role: { type: 'string', enum: [...ROLES] }, scope: SCOPE_SCHEMA, capabilities: CAPABILITIES_SCHEMA },
          required: ['name', 'role'],
          additionalProperties: false,
        },
        response: { 201: { ...TOKEN_INFO, properties: { ...TOKEN_INFO.properties, token: { type: 'string' } } }, ...ERRORS },
      },
    },
    async (req, reply) => {
      if (req.body.scope?.filter !== undefined) parseFilter(req.body.scope.filter, ctx.now());
      const caps = checkCapabilities(req.body.role, req.body.capabilities ?? []);
      if (!caps.ok) throw badRequest(caps.message);
      const { token, record } = await issueToken(store, req.body.name, req.body.role, ctx.now(), req.body.scope ?? null, caps.capabilities);
      req.audit = { target: record.id, after: { id: record.id, name: record.name, role: record.role, scope: record.scope, capabilities: caps.capabilities } };
      return reply.code(201).send({ id: record.id, name: record.name, role: record.role, createdAt: iso(record.createdAt), scope: record.scope ?? null, capabilities: caps.capabilities, token });
    },
  );

  api.delete<{ Params: { id: string } }>(
    '/tokens/:id',
    { config: { role: 'admin' }, schema: { summary: 'Revoke a token', tags: ['admin'], params: ID_PARAMS, response: { 204: { type: 'null' }, ...ERRORS } } },
    async (req, reply) => {
      if (req.principal?.tokenId === req.params.id) throw conflict('a token cannot revoke itself');
      const before = (await store.listApiTokens()).find((t) => t.id === req.params.id);
      if (before !== undefined) req.audit = { before: { id: before.id, name: before.name, role: before.role, capabilities: before.capabilities ?? [] } };
      if (!(await store.deleteApiToken(req.params.id))) throw notFound(`token ${req.params.id}`);
      ctx.auth.invalidate();
      return reply.code(204).send();
    },
  );

  api.get(
    '/webhooks',
    {
      config: { role: 'admin' },
      schema: {
        summary: 'Webhooks (secrets are not shown)',
        description: 'A principal scoped to part of the fleet sees only the webhooks of its own scope.',
        tags: ['events'],
        response: { 200: { type: 'object', properties: { webhooks: { type: 'array', items: WEBHOOK_INFO } } }, ...ERRORS },
      },
    },
    async (req) => {
      const own = req.principal?.scope;
      const hooks = await store.listWebhooks();
      return { webhooks: (hasScope(own) ? hooks.filter((w) => sameScope(own, w.scope)) : hooks).map(webhookInfo) };
    },
  );

  api.post<{ Body: { url: string; events?: string[]; secret?: string; scope?: PrincipalScope | null } }>(
    '/webhooks',
    {
      config: { role: 'admin' },
      schema: {
        summary: 'Subscribe a URL to events; deliveries are signed with the secret (shown once when generated)',
        description:
          'POST of the event JSON with X-Flotilla-Signature: sha256=hex(HMAC-SHA256(secret, "<X-Flotilla-Timestamp>.<body>")), ' +
          'retried with exponential back-off until a 2xx. Deliveries are kept in the store (see GET /webhooks/{id}/deliveries), ' +
          'so a restart loses none. With a scope (a filter and/or a tag), only events of devices in that part of the fleet are sent, ' +
          'and no event of no device. A principal scoped to part of the fleet creates webhooks of its own scope only.',
        tags: ['events'],
        body: {
          type: 'object',
          properties: {
            url: { type: 'string', minLength: 1, maxLength: 2048, pattern: '^https?://' },
            events: { type: 'array', maxItems: EVENT_TYPES.length, items: { type: 'string', enum: [...EVENT_TYPES] } },
            secret: { type: 'string', minLength: 16, maxLength: 256 },
            scope: SCOPE_SCHEMA,
          },
          required: ['url'],
          additionalProperties: false,
        },
        response: { 201: { ...WEBHOOK_INFO, properties: { ...WEBHOOK_INFO.properties, secret: { type: 'string' } } }, ...ERRORS },
      },
    },
    async (req, reply) => {
      try {
        new URL(req.body.url);
      } catch {
        throw badRequest('url: not a URL');
      }
      const scope = webhookScope(req.principal?.scope, req.body.scope, ctx.now());
      const secret = req.body.secret ?? randomBytes(32).toString('base64url');
      const record: WebhookRecord = { id: randomUUID(), url: req.body.url, secret, events: req.body.events ?? [], createdAt: ctx.now(), ...(scope !== null ? { scope } : {}) };
      await store.createWebhook(record);
      req.audit = { target: record.id, after: { id: record.id, url: record.url, events: record.events, scope } };
      ctx.webhooksChanged();
      return reply.code(201).send({ ...webhookInfo(record), secret });
    },
  );

  api.delete<{ Params: { id: string } }>(
    '/webhooks/:id',
    { config: { role: 'admin' }, schema: { summary: 'Remove a webhook', tags: ['events'], params: ID_PARAMS, response: { 204: { type: 'null' }, ...ERRORS } } },
    async (req, reply) => {
      const hook = await visibleWebhook(req, req.params.id);
      req.audit = { before: { id: hook.id, url: hook.url, events: hook.events, scope: hook.scope ?? null } };
      if (!(await store.deleteWebhook(req.params.id))) throw notFound(`webhook ${req.params.id}`);
      ctx.webhooksChanged();
      return reply.code(204).send();
    },
  );

  api.get<{ Params: { id: string }; Querystring: { state?: WebhookDeliveryState; limit?: number } }>(
    '/webhooks/:id/deliveries',
    {
      config: { role: 'admin' },
      schema: {
        summary: "A webhook's deliveries, newest first",
        description:
          'Every event sent to the webhook is a delivery: pending until a 2xx (retried with back-off), then delivered, ' +
          'or failed after the last attempt. Delivered and failed ones are kept for 7 days.',
        tags: ['events'],
        params: ID_PARAMS,
        querystring: {
          type: 'object',
          properties: {
            state: { type: 'string', enum: [...DELIVERY_STATES] },
            limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
          },
          additionalProperties: false,
        },
        response: { 200: { type: 'object', properties: { deliveries: { type: 'array', items: DELIVERY_INFO } } }, ...ERRORS },
      },
    },
    async (req) => {
      await visibleWebhook(req, req.params.id);
      const deliveries = await store.listWebhookDeliveries(req.params.id, {
        limit: req.query.limit ?? 100,
        ...(req.query.state !== undefined ? { state: req.query.state } : {}),
      });
      if (deliveries === null) throw notFound(`webhook ${req.params.id}`);
      return {
        deliveries: deliveries.map((d) => ({
          id: d.id,
          eventId: d.event.id,
          eventType: d.event.type,
          deviceId: d.event.deviceId,
          state: d.state,
          attempts: d.attempts,
          nextAt: iso(d.nextAt),
          createdAt: iso(d.createdAt),
          updatedAt: iso(d.updatedAt),
          lastError: d.lastError,
        })),
      };
    },
  );

  api.get<{ Querystring: { types?: string; deviceId?: string; lastEventId?: string } }>(
    '/events',
    {
      schema: {
        summary: 'Server-sent events: device.registered, device.booted, device.inform, task.done, task.faulted, task.expired',
        description: 'text/event-stream; each event has an id (resume with Last-Event-ID within the replay window), a type and JSON data.',
        tags: ['events'],
        querystring: {
          type: 'object',
          properties: {
            types: { type: 'string', maxLength: 1024, description: 'comma-separated event types (default all)' },
            deviceId: DEVICE_ID,
            lastEventId: { type: 'string', maxLength: 64, description: 'as the Last-Event-ID header' },
          },
          additionalProperties: false,
        },
      },
    },
    async (req, reply) => {
      const types = (req.query.types ?? '').split(',').map((t) => t.trim()).filter((t) => t !== '');
      const unknown = types.filter((t) => !(EVENT_TYPES as readonly string[]).includes(t));
      if (unknown.length > 0) throw badRequest(`types: unknown event type ${unknown.join(', ')}`);
      const header = req.headers['last-event-id'];
      const lastEventId = req.query.lastEventId ?? (typeof header === 'string' ? header : undefined);
      const scope = req.principal?.scope ?? null;
      reply.hijack();
      ctx.hub.open(reply.raw, {
        types,
        ...(req.query.deviceId !== undefined ? { deviceId: req.query.deviceId } : {}),
        ...(lastEventId !== undefined ? { lastEventId } : {}),
        // A scoped principal hears only about the devices it may see.
        ...(scope ? { allow: (deviceId: string) => ctx.scope.deviceInScope(scope, deviceId) } : {}),
      });
    },
  );
}

/**
 * The scope a new webhook gets. A scoped principal's webhooks carry its own scope (a body
 * naming another is refused); an unscoped one gives any, or none (the whole fleet). A scope
 * must say something: `{}` is refused rather than read as "the whole fleet".
 */
function webhookScope(own: PrincipalScope | null | undefined, asked: PrincipalScope | null | undefined, now: number): PrincipalScope | null {
  if (asked != null && !hasScope(asked)) throw badRequest('scope: give a filter, a tag or both (null or no scope: the whole fleet)');
  if (asked?.filter !== undefined) parseFilter(asked.filter, now);
  if (hasScope(own)) {
    if (asked !== undefined && !sameScope(own, asked)) throw new ApiError(403, 'FORBIDDEN', "a principal scoped to part of the fleet creates webhooks of its own scope only");
    return normalScope(own);
  }
  return hasScope(asked) ? normalScope(asked) : null;
}
