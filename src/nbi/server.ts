/**
 * The northbound REST API (NBI): fastify with a JSON Schema on every route and an OpenAPI 3
 * document at /api/v1/openapi.json. It talks to the store, the task queue and the event bus,
 * never to the ACS's CWMP sockets (style.md §8); connection requests go out through
 * src/acs/connection-request.ts.
 *
 * Every route needs a bearer token (src/nbi/auth.ts) whose role covers the route's
 * `config.role`, unless the server was started `open` for local development. Errors are
 * `{ code, message }` with the HTTP status that fits (errors.ts).
 */
import fastifySwagger from '@fastify/swagger';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyError, type FastifyInstance } from 'fastify';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { ConnectionRequester, type ConnectionRequesterOptions } from '../acs/connection-request.js';
import { EventBus } from '../events/bus.js';
import type { ApiRole, Store } from '../store/types.js';
import { TASK_SCHEMA } from '../tasks/schema.js';
import { Authenticator, ensureAdminToken, roleAllows, type Principal } from './auth.js';
import { ApiError, ERROR_SCHEMA } from './errors.js';
import { SseHub, WebhookDispatcher, type WebhookOptions } from './events.js';
import { registerConsole } from './console.js';
import { registerAdminRoutes } from './routes/admin.js';
import { registerDeviceRoutes } from './routes/devices.js';
import { registerTaskRoutes } from './routes/tasks.js';
import { registerReachRoutes, type NbiReach } from './routes/reach.js';
import { SHARED_SCHEMAS } from './schemas.js';
import { TaskService } from './task-service.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Least role the route needs (default read-only). */
    role?: ApiRole;
  }
  interface FastifyRequest {
    principal: Principal | null;
  }
}

export const API_PREFIX = '/api/v1';

/** Parameters indexed for search by default (SQLite/PostgreSQL partial indexes, src/store/sqlite/search.ts). */
export const DEFAULT_SEARCHABLE_PATHS = [
  'Device.DeviceInfo.SoftwareVersion',
  'Device.DeviceInfo.HardwareVersion',
  'Device.DeviceInfo.ModelName',
  'Device.DeviceInfo.ProvisioningCode',
  'InternetGatewayDevice.DeviceInfo.SoftwareVersion',
  'InternetGatewayDevice.DeviceInfo.HardwareVersion',
  'InternetGatewayDevice.DeviceInfo.ModelName',
  'InternetGatewayDevice.DeviceInfo.ProvisioningCode',
];

export interface NbiOptions {
  store: Store;
  port?: number;
  host?: string;
  /** Shared with the CWMP server, whose sessions publish to it. */
  bus?: EventBus;
  /** No authentication at all: every request acts as admin. Local development only. */
  open?: boolean;
  /** FLOTILLA_ADMIN_TOKEN: made an admin token (instead of generating one on first start). */
  adminToken?: string;
  /** Connection requests; false disables them. */
  connectionRequests?: Omit<ConnectionRequesterOptions, 'store'> | false;
  /** /devices/{id}/reach (STUN binding, last path) and configuring STUN/XMPP on devices (src/reach). */
  reach?: NbiReach;
  /** Parameters with a search index (default DEFAULT_SEARCHABLE_PATHS). */
  searchablePaths?: string[];
  /** Default task lifetime in seconds (default 7 days; 0 = none). */
  taskExpirySeconds?: number;
  /** Longest ?wait= accepted (default 300 s). */
  maxWaitSeconds?: number;
  /** How often expired tasks are swept (default 60 s). */
  expirySweepMs?: number;
  webhooks?: WebhookOptions;
  /** Largest request body (default 1 MiB). */
  bodyLimit?: number;
  logger?: Logger;
  now?: () => number;
}

export interface Nbi {
  readonly app: FastifyInstance;
  /** e.g. "http://127.0.0.1:7557" (no trailing slash). */
  readonly url: string;
  readonly bus: EventBus;
  readonly tasks: TaskService;
  readonly webhooks: WebhookDispatcher;
  /** The admin token made on first start (print it once), or null. */
  readonly generatedAdminToken: string | null;
  close(): Promise<void>;
}

/** What the route modules share. */
export interface NbiContext {
  store: Store;
  bus: EventBus;
  tasks: TaskService;
  requester: ConnectionRequester | null;
  hub: SseHub;
  webhooks: WebhookDispatcher;
  auth: Authenticator;
  maxWaitSeconds: number;
  now: () => number;
}

/** Query strings arrive as text: numbers, booleans and one-item arrays, as their schema says. */
function coerceQuery(schema: unknown, query: unknown): void {
  const props = (schema as { properties?: Record<string, { type?: string }> } | undefined)?.properties;
  if (props === undefined || query === null || typeof query !== 'object') return;
  const q = query as Record<string, unknown>;
  for (const [key, p] of Object.entries(props)) {
    const v = q[key];
    if (v === undefined) continue;
    if (p.type === 'array' && !Array.isArray(v)) q[key] = [v];
    else if ((p.type === 'integer' || p.type === 'number') && typeof v === 'string' && /^-?\d+(\.\d+)?$/.test(v)) q[key] = Number(v);
    else if (p.type === 'boolean' && typeof v === 'string') {
      if (v === 'true' || v === '1' || v === '') q[key] = true;
      else if (v === 'false' || v === '0') q[key] = false;
    }
  }
}

function validationMessage(err: FastifyError): string {
  const first = err.validation?.[0];
  if (first === undefined) return err.message;
  const where = `${err.validationContext ?? 'request'}${first.instancePath}`;
  const params = first.params as Record<string, unknown>;
  if (typeof params.additionalProperty === 'string') return `${where}: unknown field "${params.additionalProperty}"`;
  if (typeof params.discriminatorError === 'string' || first.keyword === 'discriminator') {
    return `${where}: "type" must be one of the task types (see the Task schema)`;
  }
  return `${where} ${first.message ?? 'is invalid'}`;
}

export async function startNbi(opts: NbiOptions): Promise<Nbi> {
  const store = opts.store;
  const now = opts.now ?? Date.now;
  const log = opts.logger;
  const bus = opts.bus ?? new EventBus();
  const generated = opts.open === true && opts.adminToken === undefined ? { generated: null } : await ensureAdminToken(store, opts.adminToken, now());
  await store.setSearchablePaths(opts.searchablePaths ?? DEFAULT_SEARCHABLE_PATHS);

  const requester =
    opts.connectionRequests === false ? null : new ConnectionRequester({ store, now, ...(opts.connectionRequests ?? {}) });
  const tasks = new TaskService({
    store,
    bus,
    requester,
    now,
    ...(opts.taskExpirySeconds !== undefined ? { defaultExpirySeconds: opts.taskExpirySeconds } : {}),
  });
  const hub = new SseHub(bus);
  const webhooks = new WebhookDispatcher(store, bus, { ...(log ? { logger: log } : {}), ...opts.webhooks });
  const auth = new Authenticator(store);
  const ctx: NbiContext = { store, bus, tasks, requester, hub, webhooks, auth, maxWaitSeconds: opts.maxWaitSeconds ?? 300, now };

  const app = Fastify({
    bodyLimit: opts.bodyLimit ?? 1_048_576,
    routerOptions: { maxParamLength: 1024 },
    // One line per request is the access log's job; we log failures.
    logController: new LogController({ disableRequestLogging: true }),
    ...(log ? { loggerInstance: log as FastifyBaseLogger } : {}),
    ajv: {
      // Strict bodies: unknown fields are an error, never silently dropped or coerced.
      customOptions: { removeAdditional: false, coerceTypes: false, useDefaults: false, discriminator: true, allErrors: false },
    },
  });
  app.decorateRequest('principal', null);
  registerConsole(app); // the web console (console.ts): added before the auth hook, its pages need no token

  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'Flotilla NBI',
        version: '1',
        description:
          'Devices, tasks, faults and events of the Flotilla ACS. Authenticate with `Authorization: Bearer <token>`. ' +
          'Errors are `{code, message}`. Device ids contain percent escapes: URL-encode them once more in paths.',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
    // Shared schemas appear under their own names (Task, TaskRecord, Device …), not def-N.
    refResolver: {
      buildLocalReference: (json, _baseUri, _fragment, i) => (typeof json.$id === 'string' ? json.$id : `def-${i}`),
    },
  });
  app.addSchema(ERROR_SCHEMA);
  app.addSchema(TASK_SCHEMA);
  for (const s of SHARED_SCHEMAS) app.addSchema(s);

  app.addHook('onRequest', async (req, reply) => {
    if (opts.open === true) {
      req.principal = { tokenId: 'open', name: 'open', role: 'admin' };
      return;
    }
    const principal = await auth.authenticate(req.headers.authorization, now());
    if (principal === null) {
      reply.header('www-authenticate', 'Bearer realm="flotilla"');
      throw new ApiError(401, 'UNAUTHORIZED', 'a valid bearer token is required (Authorization: Bearer <token>)');
    }
    const need = req.routeOptions.config.role ?? 'read-only';
    if (!roleAllows(principal.role, need)) throw new ApiError(403, 'FORBIDDEN', `this needs the ${need} role; the token has ${principal.role}`);
    req.principal = principal;
  });
  app.addHook('preValidation', async (req) => {
    coerceQuery(req.routeOptions.schema?.querystring, req.query);
  });

  app.setErrorHandler((err: FastifyError | ApiError, req, reply) => {
    if (err instanceof ApiError) {
      void reply.code(err.status).headers(err.headers).send({ code: err.code, message: err.message });
      return;
    }
    if (err.validation !== undefined) {
      void reply.code(400).send({ code: 'BAD_REQUEST', message: validationMessage(err) });
      return;
    }
    switch (err.code) {
      case 'FST_ERR_CTP_INVALID_JSON_BODY':
      case 'FST_ERR_CTP_EMPTY_JSON_BODY':
        void reply.code(400).send({ code: 'MALFORMED_JSON', message: 'the body is not valid JSON' });
        return;
      case 'FST_ERR_CTP_BODY_TOO_LARGE':
        void reply.code(413).send({ code: 'PAYLOAD_TOO_LARGE', message: err.message });
        return;
      case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
        void reply.code(415).send({ code: 'UNSUPPORTED_MEDIA_TYPE', message: 'send application/json' });
        return;
      default:
        break;
    }
    const status = err.statusCode ?? 500;
    if (status < 500) {
      // secure-json-parse refusing __proto__ and the like land here.
      void reply.code(status).send({ code: status === 400 ? 'MALFORMED_JSON' : 'BAD_REQUEST', message: err.message });
      return;
    }
    log?.error({ err, url: req.url, method: req.method }, 'NBI request failed');
    void reply.code(500).send({ code: 'INTERNAL', message: 'internal error' });
  });
  app.setNotFoundHandler((req, reply) => {
    void reply.code(404).send({ code: 'NOT_FOUND', message: `no route ${req.method} ${req.url.split('?')[0]}` });
  });

  await app.register(
    async (api) => {
      api.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
      registerDeviceRoutes(api, ctx);
      registerTaskRoutes(api, ctx);
      registerAdminRoutes(api, ctx);
      if (opts.reach !== undefined) registerReachRoutes(api, ctx, opts.reach);
    },
    { prefix: API_PREFIX },
  );

  // Expired tasks leave the queue even for devices that never come back.
  const sweep = setInterval(() => {
    store.expireTasks(now()).then(
      (expired) => {
        for (const t of expired) bus.publish({ type: 'task.expired', at: now(), deviceId: t.deviceId, data: { taskId: t.id, taskType: t.task.type } });
      },
      (e: unknown) => log?.error({ err: e }, 'task expiry sweep failed'),
    );
  }, opts.expirySweepMs ?? 60_000);
  sweep.unref();

  await app.listen({ port: opts.port ?? 7557, host: opts.host ?? '0.0.0.0' });
  const address = app.server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address === '0.0.0.0' ? '127.0.0.1' : address.address;

  return {
    app,
    url: `http://${host}:${address.port}`,
    bus,
    tasks,
    webhooks,
    generatedAdminToken: generated.generated,
    close: async () => {
      clearInterval(sweep);
      hub.closeAll();
      await webhooks.close();
      await app.close();
    },
  };
}
