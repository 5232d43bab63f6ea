/**
 * People: console sign-in (a session cookie with a CSRF token), one's own password and TOTP,
 * and the administrators' user list (src/services/users.ts). Tokens stay for machines.
 *
 * POST /session is public and answers every failure alike (no user enumeration); its giant or
 * malformed bodies are refused by the schema before any hashing. The audit log gets every
 * sign-in, failure and lockout from the service; changes here are recorded by the server's
 * hook with their credentials masked.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { effectiveCapabilities, ROLES } from '../../auth/tokens.js';
import { clearedSessionCookie, MAX_PASSWORD_LENGTH, sessionCookie } from '../../auth/users.js';
import type { UserView } from '../../services/users.js';
import type { ApiRole, Capability, PrincipalScope } from '../../store/types.js';
import { ApiError, badRequest } from '../errors.js';
import { iso } from '../present.js';
import { parseFilter } from '../query.js';
import { CAPABILITIES_SCHEMA, ERRORS, ID_PARAMS, SCOPE_SCHEMA } from '../schemas.js';
import type { NbiContext } from '../context.js';

const SCOPE = SCOPE_SCHEMA;

const USER_INFO = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    name: { type: 'string' },
    role: { type: 'string', enum: [...ROLES] },
    source: { type: 'string', enum: ['local', 'ldap'], description: 'local: password kept here (argon2id); ldap: checked by the directory' },
    disabled: { type: 'boolean' },
    totp: { type: 'boolean', description: 'a TOTP code is required at sign-in' },
    locked: { type: 'boolean', description: 'locked for a while after failed sign-ins' },
    scope: SCOPE,
    capabilities: CAPABILITIES_SCHEMA,
    lastSignInAt: { type: 'string', nullable: true },
    createdAt: { type: 'string' },
    updatedAt: { type: 'string' },
  },
} as const;

const present = (u: UserView): Record<string, unknown> => ({ ...u, lastSignInAt: u.lastSignInAt === null ? null : iso(u.lastSignInAt), createdAt: iso(u.createdAt), updatedAt: iso(u.updatedAt) });

const PASSWORD = { type: 'string', minLength: 1, maxLength: MAX_PASSWORD_LENGTH } as const;
const NAME = { type: 'string', minLength: 1, maxLength: 128 } as const;
const TOTP = { type: 'string', maxLength: 16, description: 'the 6-digit code of the authenticator app' } as const;

const SESSION_INFO = {
  type: 'object',
  properties: {
    kind: { type: 'string', enum: ['user', 'token'] },
    name: { type: 'string' },
    role: { type: 'string', enum: [...ROLES] },
    capabilities: { ...CAPABILITIES_SCHEMA, description: 'what the principal holds in effect: admin every capability, an operator its grants, read-only none' },
    user: USER_INFO,
    csrfToken: { type: 'string', description: 'send it as X-CSRF-Token with every change made with the session cookie' },
    expiresAt: { type: 'string' },
    scope: SCOPE_SCHEMA,
  },
} as const;

const SIGN_IN_FAILED = 'the name, password or code is not right, or the account is locked for a while';

/** The cookie is Secure when the console is reached over TLS. */
const secure = (req: FastifyRequest): boolean => req.protocol === 'https';

function checkScope(scope: PrincipalScope | null | undefined, now: number): void {
  if (scope?.filter !== undefined) parseFilter(scope.filter, now);
}

function needUser(req: FastifyRequest): { userId: string; sessionId: string } {
  const p = req.principal;
  if (p?.userId === undefined || p.sessionId === undefined) throw badRequest('only a person signed in to the console (not a token) has this');
  return { userId: p.userId, sessionId: p.sessionId };
}

export function registerUserRoutes(api: FastifyInstance, ctx: NbiContext): void {
  const users = ctx.services.users;

  api.post<{ Body: { name: string; password: string; totp?: string } }>(
    '/session',
    {
      config: { public: true },
      schema: {
        summary: 'Sign in to the console as a user: sets an HttpOnly, SameSite=Strict session cookie; answers the CSRF token for changes',
        tags: ['users'],
        security: [],
        body: { type: 'object', additionalProperties: false, required: ['name', 'password'], properties: { name: NAME, password: PASSWORD, totp: TOTP } },
        response: { 200: SESSION_INFO, 400: { $ref: 'Error#' }, 401: { $ref: 'Error#' } },
      },
    },
    async (req, reply) => {
      const r = await users.signIn({ name: req.body.name, password: req.body.password, ...(req.body.totp !== undefined ? { totp: req.body.totp } : {}), source: req.ip });
      if (!r.ok) {
        if (r.reason === 'totp-required') throw new ApiError(401, 'TOTP_REQUIRED', 'this account needs the code of its authenticator app (totp)');
        throw new ApiError(401, 'UNAUTHORIZED', SIGN_IN_FAILED);
      }
      void reply.header('set-cookie', sessionCookie(r.token, secure(req), r.expiresAt - ctx.now()));
      void reply.header('cache-control', 'no-store');
      return {
        kind: 'user',
        name: r.user.name,
        role: r.user.role,
        capabilities: effectiveCapabilities(r.user.role, r.user.capabilities),
        user: present(r.user),
        csrfToken: r.csrf,
        expiresAt: iso(r.expiresAt),
        scope: r.user.scope ?? null,
      };
    },
  );

  api.get(
    '/session',
    { schema: { summary: 'Who is asking: the signed-in user (with the CSRF token) or the token', tags: ['users'], response: { 200: SESSION_INFO, ...ERRORS } } },
    async (req, reply) => {
      const p = req.principal!;
      void reply.header('cache-control', 'no-store');
      const capabilities = effectiveCapabilities(p.role, p.capabilities);
      // The scope too: the console hides what a scoped principal may not open.
      if (p.userId === undefined) return { kind: 'token', name: p.name, role: p.role, capabilities, scope: p.scope ?? null };
      return { kind: 'user', name: p.name, role: p.role, capabilities, user: present(await users.get(p.userId)), csrfToken: p.csrf, scope: p.scope ?? null };
    },
  );

  api.delete(
    '/session',
    { schema: { summary: 'Sign out: the session ends on the server and the cookie is cleared', tags: ['users'], response: { 204: { type: 'null' }, ...ERRORS } } },
    async (req, reply) => {
      const { sessionId: id, userId } = needUser(req);
      req.audit = { target: userId };
      await users.signOut(id);
      void reply.header('set-cookie', clearedSessionCookie(secure(req)));
      return reply.code(204).send();
    },
  );

  api.post<{ Body: { currentPassword: string; newPassword: string } }>(
    '/session/password',
    {
      schema: {
        summary: "Change one's own password (the current one first); other sessions of the user end",
        tags: ['users'],
        body: { type: 'object', additionalProperties: false, required: ['currentPassword', 'newPassword'], properties: { currentPassword: PASSWORD, newPassword: PASSWORD } },
        response: { 204: { type: 'null' }, ...ERRORS },
      },
    },
    async (req, reply) => {
      const { userId, sessionId: id } = needUser(req);
      req.audit = { target: userId };
      await users.changePassword(userId, req.body.currentPassword, req.body.newPassword, id);
      return reply.code(204).send();
    },
  );

  api.post(
    '/session/totp',
    {
      schema: {
        summary: 'Start TOTP enrolment: a new secret, shown only now; it is required at sign-in once confirmed with a code',
        tags: ['users'],
        response: { 200: { type: 'object', properties: { secret: { type: 'string' }, uri: { type: 'string', description: 'otpauth:// URI for a QR code' } } }, ...ERRORS },
      },
    },
    async (req, reply) => {
      const { userId } = needUser(req);
      req.audit = { target: userId, after: { twoFactor: 'enrolment started' } };
      void reply.header('cache-control', 'no-store');
      return users.enrolTotp(userId);
    },
  );

  api.post<{ Body: { totp: string } }>(
    '/session/totp/confirm',
    {
      schema: {
        summary: 'Confirm TOTP enrolment with a code from the app: from now on sign-in needs one',
        tags: ['users'],
        body: { type: 'object', additionalProperties: false, required: ['totp'], properties: { totp: TOTP } },
        response: { 204: { type: 'null' }, ...ERRORS },
      },
    },
    async (req, reply) => {
      const { userId } = needUser(req);
      req.audit = { target: userId, after: { twoFactor: 'on' } };
      await users.confirmTotp(userId, req.body.totp);
      return reply.code(204).send();
    },
  );

  api.post<{ Body: { password: string } }>(
    '/session/totp/disable',
    {
      schema: {
        summary: "Turn one's TOTP off (the password again)",
        tags: ['users'],
        body: { type: 'object', additionalProperties: false, required: ['password'], properties: { password: PASSWORD } },
        response: { 204: { type: 'null' }, ...ERRORS },
      },
    },
    async (req, reply) => {
      const { userId } = needUser(req);
      req.audit = { target: userId, after: { twoFactor: 'off' } };
      await users.disableTotp(userId, req.body.password);
      return reply.code(204).send();
    },
  );

  api.get(
    '/users',
    { config: { role: 'admin' }, schema: { summary: 'Users (never their passwords or secrets)', tags: ['users'], response: { 200: { type: 'object', properties: { users: { type: 'array', items: USER_INFO } } }, ...ERRORS } } },
    async () => ({ users: (await users.list()).map(present) }),
  );

  api.get<{ Params: { id: string } }>(
    '/users/:id',
    { config: { role: 'admin' }, schema: { summary: 'One user', tags: ['users'], params: ID_PARAMS, response: { 200: USER_INFO, ...ERRORS } } },
    async (req) => present(await users.get(req.params.id)),
  );

  api.post<{ Body: { name: string; role: ApiRole; password: string; scope?: PrincipalScope | null; capabilities?: Capability[] } }>(
    '/users',
    {
      config: { role: 'admin' },
      schema: {
        summary: 'Create a user who signs in to the console with a password (argon2id)',
        tags: ['users'],
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['name', 'role', 'password'],
          properties: { name: NAME, role: { type: 'string', enum: [...ROLES] }, password: PASSWORD, scope: SCOPE, capabilities: CAPABILITIES_SCHEMA },
        },
        response: { 201: USER_INFO, ...ERRORS, 409: { $ref: 'Error#' } },
      },
    },
    async (req, reply) => {
      checkScope(req.body.scope, ctx.now());
      const u = await users.create(req.body);
      req.audit = { target: u.id, after: { name: u.name, role: u.role, scope: u.scope, capabilities: u.capabilities } };
      return reply.code(201).send(present(u));
    },
  );

  api.patch<{ Params: { id: string }; Body: { role?: ApiRole; capabilities?: Capability[]; disabled?: boolean; password?: string; scope?: PrincipalScope | null; resetTotp?: boolean } }>(
    '/users/:id',
    {
      config: { role: 'admin' },
      schema: {
        summary: "Change a user's role, capabilities, scope or password, disable or enable them, or remove their TOTP (a lost phone); disabling or a new password ends their sessions",
        tags: ['users'],
        params: ID_PARAMS,
        body: {
          type: 'object',
          additionalProperties: false,
          minProperties: 1,
          properties: { role: { type: 'string', enum: [...ROLES] }, capabilities: CAPABILITIES_SCHEMA, disabled: { type: 'boolean' }, password: PASSWORD, scope: SCOPE, resetTotp: { type: 'boolean' } },
        },
        response: { 200: USER_INFO, ...ERRORS, 409: { $ref: 'Error#' } },
      },
    },
    async (req) => {
      checkScope(req.body.scope, ctx.now());
      if (req.principal?.userId === req.params.id && (req.body.disabled === true || (req.body.role !== undefined && req.body.role !== 'admin'))) {
        throw new ApiError(409, 'CONFLICT', 'an administrator cannot disable or demote themselves (another administrator can)');
      }
      const { before, after } = await users.update(req.params.id, req.body);
      req.audit = { target: after.id, before: present(before), after: { ...present(after), ...(req.body.password !== undefined ? { password: 'changed' } : {}) } };
      return present(after);
    },
  );
}

