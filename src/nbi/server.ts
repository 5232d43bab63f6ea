/**
 * The northbound REST API (NBI): fastify with a JSON Schema on every route and an OpenAPI 3
 * document at /api/v1/openapi.json. It talks to the store, the task queue and the event bus,
 * never to the ACS's CWMP sockets (style.md §8). Task creation and connection requests go
 * through the application services (src/services), whose domain errors are mapped to HTTP
 * here (errors.ts, fromServiceError). Background jobs (webhook delivery, expiry sweeps) are
 * not started here: `flotilla serve` starts them (src/services/jobs.ts).
 *
 * Every route needs a bearer token (src/auth/tokens.ts) whose role covers the route's
 * `config.role`, unless the server was started `open` for local development. Errors are
 * `{ code, message }` with the HTTP status that fits (errors.ts).
 */
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyError, type FastifyInstance, type FastifyRequest } from 'fastify';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { EventBus } from '../events/bus.js';
import { createServices, ServiceError, type Services, type ServicesOptions } from '../services/index.js';
import { maskSecrets } from '../secrets/rules.js';
import { SecretQueryError } from '../store/device-query.js';
import { parseDeviceId } from '../store/device-id.js';
import type { AuditActor, Store } from '../store/types.js';
import { TASK_SCHEMA } from '../tasks/schema.js';
import { Authenticator, ensureAdminToken, routeAllows, type Principal } from '../auth/tokens.js';
import { CSRF_HEADER, sameSecret, SessionAuthenticator, sessionCookieOf } from '../auth/users.js';
import { registerConsole } from './console.js';
import { registerHealthRoutes, type ReadinessCheck } from './health.js';
import { registerMetricsRoute } from './metrics.js';
import { API_PREFIX, type NbiContext } from './context.js';
import { ApiError, ERROR_SCHEMA, fromServiceError } from './errors.js';
import { registerAdminRoutes } from './routes/admin.js';
import { registerAuditRoutes } from './routes/audit.js';
import { registerUserRoutes } from './routes/users.js';
import { registerDeviceRoutes } from './routes/devices.js';
import { registerCredentialRoutes } from './routes/credentials.js';
import { registerDiagnosticRoutes } from './routes/diagnostics.js';
import { registerMonitoringRoutes } from './routes/monitoring.js';
import { registerAlarmRoutes } from './routes/alarms.js';
import { registerConformanceRoutes } from './routes/conformance.js';
import { registerQuirkRoutes } from './routes/quirks.js';
import { registerTaskRoutes } from './routes/tasks.js';
import { registerReachRoutes, type NbiReach } from './routes/reach.js';
import { registerSubscriberRoutes } from './routes/subscribers.js';
import { SHARED_SCHEMAS } from './schemas.js';
import { parseFilter } from './query.js';
import { registerPolicyRoutes } from './routes/policies.js';
import { registerVirtualParameterRoutes } from './routes/virtual-parameters.js';
import { registerFileRoutes } from './routes/files.js';
import { registerCampaignRoutes } from './routes/campaigns.js';
import { SseHub } from './sse.js';
import { registerScopeHook, ScopeGuard } from './scope.js';

export { API_PREFIX, type NbiContext } from './context.js';

const CHANGING_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

function actorOf(p: Principal): AuditActor {
  if (p.userId !== undefined) return { kind: 'user', id: p.userId, name: p.name };
  return p.tokenId === 'open' ? { kind: 'open', id: '', name: 'open' } : { kind: 'token', id: p.tokenId, name: p.name };
}

/**
 * Who is asking: a bearer token (machines) when the request has an Authorization header, else
 * a console session cookie (people). A header always wins, so a script is never taken for
 * the browser's user.
 */
async function principalOf(req: FastifyRequest, auth: Authenticator, sessions: SessionAuthenticator, at: number): Promise<Principal | null> {
  if (req.headers.authorization !== undefined) return auth.authenticate(req.headers.authorization, at);
  const cookie = sessionCookieOf(req.headers.cookie);
  if (cookie === null) return null;
  const s = await sessions.authenticate(cookie, at);
  return s === null ? null : { tokenId: '', name: s.name, role: s.role, userId: s.userId, sessionId: s.sessionId, csrf: s.csrf, scope: s.scope, capabilities: s.capabilities };
}

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
  /**
   * False: do not generate the first admin token here (`flotilla serve` does it once every
   * port is bound, with ensureAdminToken). FLOTILLA_ADMIN_TOKEN is registered either way.
   */
  generateAdminToken?: boolean;
  /** FLOTILLA_ADMIN_TOKEN: made an admin token (instead of generating one on first start). */
  adminToken?: string;
  /** The application services; built from connectionRequests/taskExpirySeconds when not given. */
  services?: Services;
  /** Connection requests (only without `services`); false disables them. */
  connectionRequests?: ServicesOptions['connectionRequests'];
  /** Default task lifetime in seconds (only without `services`; default 7 days; 0 = none). */
  taskExpirySeconds?: number;
  /** The file repository's settings (only without `services`). */
  repository?: ServicesOptions['repository'];
  /** /devices/{id}/reach (STUN binding, last path) and configuring STUN/XMPP on devices (src/reach). */
  reach?: NbiReach;
  /** Parameters with a search index (default DEFAULT_SEARCHABLE_PATHS). */
  searchablePaths?: string[];
  /** Longest ?wait= accepted (default 300 s). */
  maxWaitSeconds?: number;
  /** Called when webhooks are created or deleted (the process's webhook dispatcher reloads them). */
  onWebhooksChanged?: () => void;
  /** More for /readyz to ask besides the store (e.g. the CWMP server is listening). */
  ready?: ReadinessCheck;
  /** Largest request body (default 1 MiB). */
  bodyLimit?: number;
  /** Per-device credential operations (without `services`): the ACS's sealer and realm. */
  credentials?: ServicesOptions['credentials'];
  /** People's sign-in lockout (without `services`; default 5 failures, 15 minutes). */
  lockout?: ServicesOptions['lockout'];
  /** A directory (LDAP) for people's sign-in (without `services`). */
  directory?: ServicesOptions['directory'];
  logger?: Logger;
  now?: () => number;
}

export interface NbiRoute {
  method: string;
  url: string;
  role: string;
  /** A capability that lets an operator in where `role` asks more (auth/tokens.ts routeAllows). */
  capability?: string;
  public: boolean;
}

export interface Nbi {
  readonly app: FastifyInstance;
  /** e.g. "http://127.0.0.1:7557" (no trailing slash). */
  readonly url: string;
  readonly bus: EventBus;
  readonly services: Services;
  /** Every route: method, URL pattern, the least role it needs, whether it is public. */
  readonly routes: readonly NbiRoute[];
  /** The admin token made on first start (print it once), or null. */
  readonly generatedAdminToken: string | null;
  close(): Promise<void>;
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

/** Where the readable API page is (start-up and `flotilla demo` print it). */
export const API_DOCS_PREFIX = '/api/docs';

/**
 * The API page at /api/docs: swagger-ui's own copy of its assets (no CDN), showing the same
 * document as /api/v1/openapi.json. It holds no data, so it needs no token: its routes (the
 * plugin's and @fastify/static's, which take no route config) are marked public as they are
 * added, inside this encapsulated context only. It lives under /api/, so the console leaves it alone.
 */
async function registerApiDocs(app: FastifyInstance): Promise<void> {
  await app.register(async (docs) => {
    docs.addHook('onRoute', (route) => {
      route.config = { ...(route.config ?? {}), public: true };
    });
    await docs.register(fastifySwaggerUi, {
      routePrefix: API_DOCS_PREFIX,
      // The page's scripts and styles are files of its own: no inline code, nothing from elsewhere.
      staticCSP: true,
      uiConfig: { deepLinking: true, persistAuthorization: false },
      theme: { title: 'Flotilla NBI' },
    });
  });
}

/**
 * A device id carries its own % escapes (a "-" inside a part is %2D), so in a URL it is encoded
 * once more (%252D). An id encoded only once arrives with an extra "-" and is no id at all:
 * say so, rather than a bare "not found".
 */
function withIdHint(err: ApiError): string {
  const m = err.status === 404 ? /^device (.+) not found$/s.exec(err.message) : null;
  if (m === null || parseDeviceId(m[1]!) !== null) return err.message;
  return `${err.message}: that is not a device id. Ids carry their own % escapes ("-" inside a part is %2D) and are encoded once more in a URL path (%252D): use encodeURIComponent(id)`;
}

export async function startNbi(opts: NbiOptions): Promise<Nbi> {
  const store = opts.store;
  const now = opts.now ?? Date.now;
  const log = opts.logger;
  const bus = opts.bus ?? new EventBus();
  const generated =
    (opts.open === true || opts.generateAdminToken === false) && opts.adminToken === undefined
      ? { generated: null }
      : await ensureAdminToken(store, opts.adminToken, now());
  await store.setSearchablePaths(opts.searchablePaths ?? DEFAULT_SEARCHABLE_PATHS);

  const services =
    opts.services ??
    createServices({
      store,
      bus,
      now,
      parseFilter: (expr) => parseFilter(expr, now()),
      ...(opts.connectionRequests !== undefined ? { connectionRequests: opts.connectionRequests } : {}),
      ...(opts.taskExpirySeconds !== undefined ? { taskExpirySeconds: opts.taskExpirySeconds } : {}),
      ...(opts.repository !== undefined ? { repository: opts.repository } : {}),
      ...(opts.credentials !== undefined ? { credentials: opts.credentials } : {}),
      ...(opts.lockout !== undefined ? { lockout: opts.lockout } : {}),
      ...(opts.directory !== undefined ? { directory: opts.directory } : {}),
    });
  const hub = new SseHub(bus);
  const auth = new Authenticator(store);
  const sessions = new SessionAuthenticator(store);
  services.users.attachSessions(sessions);
  const ctx: NbiContext = {
    store,
    bus,
    services,
    hub,
    auth,
    sessions,
    scope: new ScopeGuard(store, now),
    webhooksChanged: opts.onWebhooksChanged ?? (() => undefined),
    maxWaitSeconds: opts.maxWaitSeconds ?? 300,
    now,
    reach: opts.reach?.store ?? null,
  };

  const app = Fastify({
    bodyLimit: opts.bodyLimit ?? 1_048_576,
    // Device ids of any allowed length, escaped once more in the path (schemas.ts MAX_DEVICE_ID_LENGTH).
    // ignoreTrailingSlash: GenieACS clients call /devices/?query=… (genieacs.ts).
    routerOptions: { maxParamLength: 8192, ignoreTrailingSlash: true },
    // One line per request is the access log's job; we log failures.
    logController: new LogController({ disableRequestLogging: true }),
    ...(log ? { loggerInstance: log as FastifyBaseLogger } : {}),
    ajv: {
      // Strict bodies: unknown fields are an error, never silently dropped or coerced.
      customOptions: { removeAdditional: false, coerceTypes: false, useDefaults: false, discriminator: true, allErrors: false },
    },
  });
  // Every route with the role it needs: the API's own map (the role-scoping test walks it beside the OpenAPI document).
  const routes: NbiRoute[] = [];
  app.addHook('onRoute', (r) => {
    const role = r.config?.role ?? 'read-only';
    const capability = r.config?.capability;
    for (const method of ([] as string[]).concat(r.method)) {
      if (method !== 'HEAD') routes.push({ method, url: r.url, role, ...(capability !== undefined ? { capability } : {}), public: r.config?.public === true });
    }
    // The OpenAPI document says what each route needs (x-flotilla-role, x-flotilla-capability),
    // so a client (and the role walk test) reads it from the document itself.
    if (r.config?.public !== true && r.schema !== undefined && r.schema.hide !== true) {
      const needs = capability !== undefined ? `Needs the ${role} role, or operator with the ${capability} capability.` : `Needs the ${role} role.`;
      const desc = typeof r.schema.description === 'string' ? `${r.schema.description}\n\n${needs}` : needs;
      // FastifySchema does not type the OpenAPI extension keys @fastify/swagger copies through.
      const extensions: Record<string, string> = { 'x-flotilla-role': role, ...(capability !== undefined ? { 'x-flotilla-capability': capability } : {}) };
      r.schema = { ...r.schema, description: desc, ...extensions };
    }
  });
  app.decorateRequest('principal', null);
  app.decorateRequest('audit', null);
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
    if (req.routeOptions.config.public === true) return;
    if (opts.open === true) {
      req.principal = { tokenId: 'open', name: 'open', role: 'admin' };
      return;
    }
    // No route here (a JSON 404 follows): nothing to protect, no token asked.
    if (req.is404) return;
    const principal = await principalOf(req, auth, sessions, now());
    if (principal === null) {
      reply.header('www-authenticate', 'Bearer realm="flotilla"');
      throw new ApiError(401, 'UNAUTHORIZED', 'a valid bearer token (Authorization: Bearer <token>) or console session is required');
    }
    // Known before the role check, so a refused attempt is audited under its author.
    req.principal = principal;
    // A cookie is sent by the browser whoever made the page: a change must also carry the
    // session's CSRF token, which only the console's own pages can read.
    if (principal.csrf !== undefined && CHANGING_METHODS.has(req.method)) {
      const sent = req.headers[CSRF_HEADER];
      if (typeof sent !== 'string' || !sameSecret(sent, principal.csrf)) {
        throw new ApiError(403, 'FORBIDDEN', `a console session must send its CSRF token in the ${CSRF_HEADER} header with every change`);
      }
    }
    const need = req.routeOptions.config.role ?? 'read-only';
    const capability = req.routeOptions.config.capability;
    if (!routeAllows(principal.role, principal.capabilities, { role: need, ...(capability !== undefined ? { capability } : {}) })) {
      const what = capability !== undefined ? `the ${need} role, or the operator role with the ${capability} capability` : `the ${need} role`;
      const has = (principal.capabilities ?? []).length > 0 ? `${principal.role} (${principal.capabilities!.join(', ')})` : principal.role;
      throw new ApiError(403, 'FORBIDDEN', `this needs ${what}; the ${principal.userId !== undefined ? 'user' : 'token'} has ${has}`);
    }
  });
  app.addHook('preValidation', async (req) => {
    coerceQuery(req.routeOptions.schema?.querystring, req.query);
  });
  // Every JSON answer once more through the one list of secrets, whatever route made it
  // (present.ts masks already; this catches what a new route forgets).
  app.addHook('preSerialization', async (_req, _reply, payload: unknown) => maskSecrets(payload));

  // The audit log: every changing request an authenticated caller made, whatever its answer
  // (a refused one says someone tried). Reads are not recorded; nor are unauthenticated
  // requests (anyone could fill the log with them).
  app.addHook('onResponse', async (req, reply) => {
    if (!CHANGING_METHODS.has(req.method) || req.principal === null || !req.url.startsWith(API_PREFIX)) return;
    const note = req.audit ?? {};
    const params = (req.params ?? {}) as Record<string, unknown>;
    const route = (req.routeOptions.url ?? req.url.split('?')[0] ?? '').slice(API_PREFIX.length).replace(/:([A-Za-z]+)/g, '{$1}');
    try {
      await services.audit.record({
        at: now(),
        actor: actorOf(req.principal),
        source: req.ip,
        action: `${req.method} ${route}`,
        target: note.target ?? (typeof params.id === 'string' ? params.id : null),
        status: reply.statusCode,
        before: note.before ?? null,
        after: note.after ?? req.body ?? null,
      });
    } catch (e) {
      log?.error({ err: e, method: req.method, route }, 'could not record an audit entry');
    }
  });

  app.setErrorHandler((thrown: FastifyError | ApiError | ServiceError, req, reply) => {
    // The one place where the services' domain errors become HTTP answers.
    const err =
      thrown instanceof ServiceError
        ? fromServiceError(thrown)
        : thrown instanceof SecretQueryError
          ? new ApiError(400, 'INVALID_FILTER', thrown.message)
          : thrown;
    if (err instanceof ApiError) {
      void reply.code(err.status).headers(err.headers).send({ code: err.code, message: withIdHint(err), ...err.extra });
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
  registerHealthRoutes(app, { store, ...(opts.ready !== undefined ? { ready: opts.ready } : {}) });
  registerMetricsRoute(app);
  await registerApiDocs(app);
  app.setNotFoundHandler((req, reply) => {
    void reply.code(404).send({ code: 'NOT_FOUND', message: `no route ${req.method} ${req.url.split('?')[0]}` });
  });

  await app.register(
    async (api) => {
      api.get('/openapi.json', { schema: { hide: true }, config: { public: true } }, async () => app.swagger());
      registerScopeHook(api, ctx.scope, store, API_PREFIX);
      registerDeviceRoutes(api, ctx);
      registerTaskRoutes(api, ctx);
      registerDiagnosticRoutes(api, ctx);
      registerMonitoringRoutes(api, ctx);
      registerAlarmRoutes(api, ctx);
      registerConformanceRoutes(api, ctx);
      registerQuirkRoutes(api, ctx);
      registerAdminRoutes(api, ctx);
      registerAuditRoutes(api, ctx);
      registerUserRoutes(api, ctx);
      registerPolicyRoutes(api, ctx);
      registerVirtualParameterRoutes(api, ctx);
      registerSubscriberRoutes(api, ctx);
      registerFileRoutes(api, ctx);
      registerCredentialRoutes(api, ctx);
      registerCampaignRoutes(api, ctx);
      if (opts.reach !== undefined) registerReachRoutes(api, ctx, opts.reach);
    },
    { prefix: API_PREFIX },
  );

  await app.listen({ port: opts.port ?? 7557, host: opts.host ?? '0.0.0.0' });
  const address = app.server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address === '0.0.0.0' ? '127.0.0.1' : address.address;

  return {
    app,
    url: `http://${host}:${address.port}`,
    bus,
    services,
    routes,
    generatedAdminToken: generated.generated,
    close: async () => {
      hub.closeAll();
      await app.close();
    },
  };
}
