/**
 * Service templates, subscribers and their devices (operators), activation (public, the code
 * is the credential), and self-service under /self (a subscriber's own token, nothing else).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ApiError } from '../errors.js';
import { iso } from '../present.js';
import { ERRORS } from '../schemas.js';
import type { NbiContext } from '../context.js';
import type { DeviceBinding, SubscriberHistoryEntry } from '../../store/types.js';
import type { SubscriberView } from '../../services/subscribers.js';

const ID = { type: 'string', minLength: 1, maxLength: 128 };
const ID_PARAMS = { type: 'object', properties: { id: ID }, required: ['id'] };
const TEXT = (max: number) => ({ type: 'string', minLength: 1, maxLength: max });
const CONTACT = {
  type: 'object',
  properties: { email: { type: 'string', maxLength: 254 }, phone: { type: 'string', maxLength: 64 }, address: { type: 'string', maxLength: 512 } },
  additionalProperties: false,
};
const SERVICES = {
  type: 'array',
  maxItems: 32,
  items: {
    type: 'object',
    properties: { template: TEXT(63), inputs: { type: 'object', maxProperties: 64, additionalProperties: { anyOf: [{ type: 'string' }, { type: 'number' }, { type: 'boolean' }] } } },
    required: ['template'],
    additionalProperties: false,
  },
};
const CR_QUERY = { type: 'object', properties: { connectionRequest: { type: 'boolean' } }, additionalProperties: false };
const ANY = { type: 'object', additionalProperties: true };

const binding = (b: DeviceBinding) => ({
  id: b.id,
  deviceId: b.deviceId,
  claim: { kind: b.claimKind, value: b.claimValue },
  replaces: b.replaces,
  appliedRevision: b.appliedRevision,
  services: b.statuses.map((s) => ({ ...s, at: iso(s.at) })),
  createdAt: iso(b.createdAt),
  boundAt: b.boundAt === null ? null : iso(b.boundAt),
});

const subscriber = (s: SubscriberView) => ({
  id: s.id,
  externalId: s.externalId,
  name: s.name,
  contact: s.contact,
  services: s.services,
  revision: s.revision,
  devices: s.devices.map(binding),
  createdAt: iso(s.createdAt),
  updatedAt: iso(s.updatedAt),
});

const history = (h: SubscriberHistoryEntry) => ({ at: iso(h.at), action: h.action, deviceId: h.deviceId, detail: h.detail });

export function registerSubscriberRoutes(api: FastifyInstance, ctx: NbiContext): void {
  const svc = ctx.services.subscribers;
  const tags = ['subscribers'];

  // --- templates ---
  api.get('/service-templates', { schema: { summary: 'Service templates: built-in and the operator\'s', tags, response: { 200: ANY, ...ERRORS } } }, async () => ({
    templates: await svc.templates(),
  }));
  api.get<{ Params: { id: string } }>('/service-templates/:id', { schema: { summary: 'One service template', tags, params: ID_PARAMS, response: { 200: ANY, ...ERRORS } } }, async (req) =>
    svc.template(req.params.id),
  );
  api.post<{ Body: unknown }>(
    '/service-templates',
    { config: { role: 'operator' }, schema: { summary: 'Add (or replace) an operator template', tags, body: { type: 'object', maxProperties: 16 }, response: { 201: ANY, ...ERRORS } } },
    async (req, reply) => reply.code(201).send(await svc.putTemplate(req.body)),
  );
  api.delete<{ Params: { id: string } }>(
    '/service-templates/:id',
    { config: { role: 'operator' }, schema: { summary: 'Delete an operator template no subscriber uses', tags, params: ID_PARAMS, response: { 204: { type: 'null' }, ...ERRORS } } },
    async (req, reply) => {
      await svc.deleteTemplate(req.params.id);
      return reply.code(204).send();
    },
  );

  // --- subscribers ---
  api.get<{ Querystring: { search?: string; limit?: number; offset?: number } }>(
    '/subscribers',
    {
      schema: {
        summary: 'Subscribers; search matches external id, name, phone, e-mail, or a bound device id or serial',
        tags,
        querystring: {
          type: 'object',
          properties: { search: { type: 'string', maxLength: 256 }, limit: { type: 'integer', minimum: 0, maximum: 1000 }, offset: { type: 'integer', minimum: 0, maximum: 1_000_000_000 } },
          additionalProperties: false,
        },
        response: { 200: ANY, ...ERRORS },
      },
    },
    async (req) => {
      const page = await svc.list({ ...(req.query.search ? { search: req.query.search } : {}), limit: req.query.limit ?? 50, offset: req.query.offset ?? 0 });
      return { total: page.total, subscribers: page.subscribers.map(subscriber) };
    },
  );
  api.post<{ Body: { externalId: string; name: string; contact?: Record<string, string>; services?: { template: string; inputs?: Record<string, unknown> }[] } }>(
    '/subscribers',
    {
      config: { role: 'operator' },
      schema: {
        summary: 'Create a subscriber with its services (secret inputs are write-only)',
        tags,
        body: { type: 'object', properties: { externalId: TEXT(128), name: TEXT(256), contact: CONTACT, services: SERVICES }, required: ['externalId', 'name'], additionalProperties: false },
        response: { 201: ANY, ...ERRORS },
      },
    },
    async (req, reply) => reply.code(201).send(subscriber(await svc.create(req.body))),
  );
  api.get<{ Params: { id: string } }>('/subscribers/:id', { schema: { summary: 'One subscriber', tags, params: ID_PARAMS, response: { 200: ANY, ...ERRORS } } }, async (req) =>
    subscriber(await svc.get(req.params.id)),
  );
  api.patch<{ Params: { id: string }; Querystring: { connectionRequest?: boolean }; Body: { name?: string; contact?: Record<string, string>; services?: { template: string; inputs?: Record<string, unknown> }[] } }>(
    '/subscribers/:id',
    {
      config: { role: 'operator' },
      schema: {
        summary: 'Change name, contact or services (a masked secret sent back keeps its value); connectionRequest=true applies now',
        tags,
        params: ID_PARAMS,
        querystring: CR_QUERY,
        body: { type: 'object', properties: { name: TEXT(256), contact: CONTACT, services: SERVICES }, additionalProperties: false },
        response: { 200: ANY, ...ERRORS },
      },
    },
    async (req) => subscriber(await svc.update(req.params.id, req.body, { connectionRequest: req.query.connectionRequest === true })),
  );
  api.delete<{ Params: { id: string } }>(
    '/subscribers/:id',
    { config: { role: 'operator' }, schema: { summary: 'Delete a subscriber (its devices stay, unbound)', tags, params: ID_PARAMS, response: { 204: { type: 'null' }, ...ERRORS } } },
    async (req, reply) => {
      await svc.delete(req.params.id);
      return reply.code(204).send();
    },
  );
  api.get<{ Params: { id: string }; Querystring: { limit?: number } }>(
    '/subscribers/:id/history',
    { schema: { summary: 'What happened to the subscriber, newest first', tags, params: ID_PARAMS, querystring: { type: 'object', properties: { limit: { type: 'integer', minimum: 1, maximum: 1000 } }, additionalProperties: false }, response: { 200: ANY, ...ERRORS } } },
    async (req) => ({ history: (await svc.history(req.params.id, req.query.limit ?? 100)).map(history) }),
  );
  api.get<{ Params: { id: string } }>(
    '/subscribers/:id/devices',
    { schema: { summary: 'Bound devices with their health and service status (the help desk\'s view)', tags, params: ID_PARAMS, response: { 200: ANY, ...ERRORS } } },
    async (req) => ({ devices: (await svc.devices(req.params.id)).map((d) => ({ ...binding(d.binding), device: d.device })) }),
  );
  api.post<{ Params: { id: string }; Querystring: { connectionRequest?: boolean }; Body: { deviceId?: string; serialNumber?: string; code?: string; replaces?: string } }>(
    '/subscribers/:id/devices',
    {
      config: { role: 'operator' },
      schema: {
        summary: 'Bind a device: by id, or by a serial number or claim code whether or not the device was seen; replaces = the device it swaps out',
        tags,
        params: ID_PARAMS,
        querystring: CR_QUERY,
        body: { type: 'object', properties: { deviceId: TEXT(1024), serialNumber: TEXT(64), code: TEXT(256), replaces: TEXT(1024) }, additionalProperties: false },
        response: { 201: ANY, ...ERRORS },
      },
    },
    async (req, reply) => reply.code(201).send(binding(await svc.bind(req.params.id, req.body, { connectionRequest: req.query.connectionRequest === true }))),
  );
  api.delete<{ Params: { id: string; bindingId: string } }>(
    '/subscribers/:id/devices/:bindingId',
    { config: { role: 'operator' }, schema: { summary: 'Unbind a device (or withdraw a pending claim)', tags, params: { type: 'object', properties: { id: ID, bindingId: ID }, required: ['id', 'bindingId'] }, response: { 204: { type: 'null' }, ...ERRORS } } },
    async (req, reply) => {
      await svc.unbind(req.params.id, req.params.bindingId);
      return reply.code(204).send();
    },
  );
  api.post<{ Params: { id: string }; Querystring: { connectionRequest?: boolean } }>(
    '/subscribers/:id/reapply',
    { config: { role: 'operator' }, schema: { summary: 'Apply the services again at each device\'s next session (now with connectionRequest=true)', tags, params: ID_PARAMS, querystring: CR_QUERY, response: { 202: ANY, ...ERRORS } } },
    async (req, reply) => {
      await svc.reapply(req.params.id, { connectionRequest: req.query.connectionRequest === true });
      return reply.code(202).send({ accepted: true });
    },
  );
  api.get<{ Params: { id: string } }>(
    '/subscribers/:id/plan',
    { schema: { summary: 'What each service would set on each bound device, from stored state (dry run; secrets masked)', tags, params: ID_PARAMS, response: { 200: ANY, ...ERRORS } } },
    async (req) => ({ devices: await svc.plan(req.params.id) }),
  );
  api.post<{ Params: { id: string } }>(
    '/subscribers/:id/activation-codes',
    { config: { role: 'operator' }, schema: { summary: 'A single-use activation code (shown once), valid 14 days', tags, params: ID_PARAMS, response: { 201: ANY, ...ERRORS } } },
    async (req, reply) => {
      const c = await svc.createActivationCode(req.params.id);
      return reply.code(201).send({ code: c.code, expiresAt: iso(c.expiresAt) });
    },
  );
  api.post<{ Params: { id: string }; Body: { name: string } }>(
    '/subscribers/:id/tokens',
    {
      config: { role: 'operator' },
      schema: { summary: 'A self-service token for the subscriber (shown once): it reaches /self only', tags, params: ID_PARAMS, body: { type: 'object', properties: { name: TEXT(128) }, required: ['name'], additionalProperties: false }, response: { 201: ANY, ...ERRORS } },
    },
    async (req, reply) => {
      const { token, record } = await svc.createToken(req.params.id, req.body.name);
      return reply.code(201).send({ id: record.id, name: record.name, subscriberId: record.subscriberId, createdAt: iso(record.createdAt), token });
    },
  );

  // --- activation: the code is the credential ---
  api.post<{ Body: { code: string; serialNumber: string } }>(
    '/activate',
    {
      config: { public: true },
      schema: {
        summary: 'Bind a device to the subscriber of an activation code (no token: the single-use code authenticates)',
        tags,
        security: [],
        body: { type: 'object', properties: { code: { type: 'string', minLength: 4, maxLength: 64 }, serialNumber: TEXT(64) }, required: ['code', 'serialNumber'], additionalProperties: false },
        response: { 201: ANY, ...ERRORS },
      },
    },
    async (req, reply) => {
      const b = await svc.activate(req.body.code, req.body.serialNumber);
      return reply.code(201).send({ bound: true, deviceId: b.deviceId, serialNumber: req.body.serialNumber });
    },
  );

  // --- self-service: a subscriber's own token ---
  const self = (req: FastifyRequest): string => {
    const id = req.principal?.subscriberId;
    if (id === undefined) throw new ApiError(403, 'FORBIDDEN', 'self-service routes need a subscriber token');
    return id;
  };
  const selfTags = ['self-service'];
  api.get('/self', { config: { role: 'subscriber' }, schema: { summary: 'The subscriber\'s own record, devices and their status', tags: selfTags, response: { 200: ANY, ...ERRORS } } }, async (req) => {
    const id = self(req);
    const s = await svc.get(id);
    const devices = await svc.devices(id);
    return {
      name: s.name,
      services: s.services,
      devices: devices.filter((d) => d.device !== null).map((d) => ({ ...d.device, services: d.binding.statuses.map((x) => ({ ...x, at: iso(x.at) })) })),
    };
  });
  api.post<{ Body: { ssid?: string; passphrase?: string; band?: string } }>(
    '/self/wifi',
    {
      config: { role: 'subscriber' },
      schema: {
        summary: 'Change the Wi-Fi name and passphrase (kept in the service, so a reset keeps them)',
        tags: selfTags,
        body: { type: 'object', properties: { ssid: TEXT(32), passphrase: { type: 'string', minLength: 8, maxLength: 63 }, band: { type: 'string', enum: ['2.4GHz', '5GHz'] } }, additionalProperties: false, minProperties: 1 },
        response: { 200: ANY, ...ERRORS },
      },
    },
    async (req) => {
      const s = await svc.changeWifi(self(req), req.body);
      return { services: s.services };
    },
  );
  api.post<{ Params: { id: string } }>(
    '/self/devices/:id/reboot',
    { config: { role: 'subscriber' }, schema: { summary: 'Reboot one of the subscriber\'s own devices', tags: selfTags, params: ID_PARAMS, response: { 202: ANY, ...ERRORS } } },
    async (req, reply) => {
      const id = self(req);
      await svc.ownDevice(id, req.params.id);
      const { task } = await ctx.services.tasks.createForDevice(req.params.id, { type: 'reboot' }, { connectionRequest: true });
      return reply.code(202).send({ taskId: task.id, state: task.state });
    },
  );
}
