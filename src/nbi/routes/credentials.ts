/**
 * Per-device credentials, operators' side (src/services/credentials.ts): what a device holds
 * (names and times, never a secret or a hash), a rotation at its next session, a bounded
 * window for a device about to be factory-reset or swapped, and procurement imports of
 * factory credentials (admin; CSV or JSON, all or nothing).
 */
import type { FastifyInstance } from 'fastify';
import { deviceIdOf } from '../../store/device-id.js';
import { MAX_RESET_WINDOW_HOURS, parseCredentialCsv, type CredentialRow, type CredentialStatus } from '../../services/credentials.js';
import { badRequest, fromServiceError } from '../errors.js';
import { ServiceError } from '../../services/errors.js';
import { iso } from '../present.js';
import { DEVICE_ID_PARAMS, ERRORS } from '../schemas.js';
import type { NbiContext } from '../context.js';

const STATUS = {
  type: 'object',
  properties: {
    own: { type: 'boolean', description: 'the device has credentials of its own (else it uses the shared bootstrap credential)' },
    username: { type: 'string', nullable: true, description: 'ManagementServer.Username it uses now' },
    connectionRequestUsername: { type: 'string', nullable: true },
    pendingUsername: { type: 'string', nullable: true, description: 'handed out by a rotation, not used yet' },
    factoryUsername: { type: 'string', nullable: true, description: 'imported from procurement: accepted after a factory reset' },
    bootstrapAcceptedUntil: { type: 'string', format: 'date-time', nullable: true, description: 'the shared bootstrap credential is accepted for it until then' },
    rotateRequested: { type: 'boolean' },
    issuedAt: { type: 'string', format: 'date-time', nullable: true },
  },
};

/** A procurement file of 200,000 rows is about 20 MB. */
const IMPORT_BODY_LIMIT = 32 * 1024 * 1024;

const present = (s: CredentialStatus): Record<string, unknown> => ({
  ...s,
  bootstrapAcceptedUntil: s.bootstrapAcceptedUntil === null ? null : iso(s.bootstrapAcceptedUntil),
  issuedAt: s.issuedAt === null ? null : iso(s.issuedAt),
});

export function registerCredentialRoutes(api: FastifyInstance, ctx: NbiContext): void {
  const service = () => {
    const s = ctx.services.credentials;
    if (s === null) throw fromServiceError(new ServiceError('UNAVAILABLE', 'this API process runs without the credential keys'));
    return s;
  };

  api.get<{ Params: { id: string } }>(
    '/devices/:id/credentials',
    { schema: { summary: "A device's credentials: usernames and times (never a password or a hash)", tags: ['devices'], params: DEVICE_ID_PARAMS, response: { 200: STATUS, ...ERRORS } } },
    async (req) => present(await service().status(req.params.id)),
  );

  api.post<{ Params: { id: string } }>(
    '/devices/:id/credentials/rotate',
    {
      config: { role: 'operator' },
      schema: {
        summary: 'New credentials at the next session; the current ones keep working until the device has used the new ones',
        tags: ['devices'],
        params: DEVICE_ID_PARAMS,
        response: { 200: STATUS, ...ERRORS },
      },
    },
    async (req) => present(await service().rotate(req.params.id)),
  );

  api.post<{ Params: { id: string }; Body: { hours?: number } | undefined }>(
    '/devices/:id/expect-reset',
    {
      config: { role: 'operator' },
      schema: {
        summary: 'The device is about to be factory-reset or swapped: accept the shared bootstrap credential for it for a while (default 24 h)',
        tags: ['devices'],
        params: DEVICE_ID_PARAMS,
        body: { type: 'object', nullable: true, additionalProperties: false, properties: { hours: { type: 'number', exclusiveMinimum: 0, maximum: MAX_RESET_WINDOW_HOURS } } },
        response: { 200: STATUS, ...ERRORS },
      },
    },
    async (req) => present(await service().expectReset(req.params.id, req.body?.hours ?? 24)),
  );

  api.delete<{ Params: { id: string } }>(
    '/devices/:id/expect-reset',
    { config: { role: 'operator' }, schema: { summary: 'Close the window early', tags: ['devices'], params: DEVICE_ID_PARAMS, response: { 200: STATUS, ...ERRORS } } },
    async (req) => present(await service().cancelExpectReset(req.params.id)),
  );

  void api.register(async (scope) => {
    scope.addContentTypeParser(['text/csv', 'text/plain'], { parseAs: 'string', bodyLimit: IMPORT_BODY_LIMIT }, (_req, body, done) => done(null, body));
    scope.post<{ Body: string | { rows: CredentialRow[] } }>(
      '/credentials/import',
      {
        bodyLimit: IMPORT_BODY_LIMIT,
        config: { role: 'admin' },
        schema: {
          summary: 'Factory credentials from procurement (CSV with a header, or {"rows": […]}): all rows or none',
          description:
            'CSV columns: deviceId (or oui, productClass, serialNumber), username, password, and optionally connectionRequestUsername, connectionRequestPassword. ' +
            'A device without credentials gets the set as its own; one with credentials keeps them and gets the set as its factory credential, accepted after a factory reset.',
          tags: ['admin'],
          response: { 200: { type: 'object', properties: { imported: { type: 'integer' } } }, ...ERRORS },
        },
      },
      async (req) => {
        // The audit log keeps what was done, never the file: it is full of passwords.
        req.audit = { after: { import: typeof req.body === 'string' ? 'csv' : 'json', bytes: Number(req.headers['content-length'] ?? 0) } };
        let rows: CredentialRow[];
        if (typeof req.body === 'string') rows = parseCredentialCsv(req.body, deviceIdOf);
        else if (req.body !== null && typeof req.body === 'object' && Array.isArray(req.body.rows)) {
          rows = req.body.rows.map((r, i) => {
            const ok = r !== null && typeof r === 'object' && ['deviceId', 'username', 'password'].every((k) => typeof (r as unknown as Record<string, unknown>)[k] === 'string');
            if (!ok) throw badRequest(`rows[${i}]: deviceId, username and password are strings`);
            return r;
          });
        } else throw badRequest('a CSV body (text/csv) or {"rows": [{"deviceId", "username", "password", …}]}');
        const done = await service().importRows(rows);
        req.audit = { after: { import: typeof req.body === 'string' ? 'csv' : 'json', imported: done.imported, devices: rows.slice(0, 100).map((r) => r.deviceId) } };
        return done;
      },
    );
  });
}
