/**
 * /files: the file repository (src/services/files.ts). An upload is the raw bytes as the
 * request body (application/octet-stream), streamed to storage as they arrive — hashed and
 * counted on the way, never held whole, refused with nothing stored when it breaks off, goes
 * over the limit or does not match the sha256/size the caller expected. Metadata travels in
 * the query string. Reading needs read-only, uploading and deleting the operator role.
 */
import type { FastifyInstance } from 'fastify';
import type { Readable } from 'node:stream';
import type { FileRecord, TransferLogEntry } from '../../store/types.js';
import type { NbiContext } from '../context.js';
import { ApiError, badRequest } from '../errors.js';
import { iso } from '../present.js';
import { DEVICE_ID, DEVICE_ID_PARAMS, ERRORS } from '../schemas.js';
import { presentTask } from '../present.js';

const FILE_ID = {
  type: 'object',
  properties: { id: { type: 'string', minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$' } },
  required: ['id'],
} as const;
const ANY_OBJECT = { type: 'object', additionalProperties: true } as const;

/** TR-069 download types, or a vendor's "X <OUI> <name>". */
export const FILE_TYPE_PATTERN = '^([1-5] (Firmware Upgrade Image|Web Content|Vendor Configuration File|Tone File|Ringer File)|X [0-9A-Fa-f]{6} [ -~]{1,48})$';

const UPLOAD_QUERY = {
  type: 'object',
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 256, pattern: '^[^\\u0000-\\u001f/\\\\]+$', description: 'a name for people (no slashes or control characters)' },
    fileType: { type: 'string', pattern: FILE_TYPE_PATTERN, description: '"1 Firmware Upgrade Image" … "5 Ringer File", or "X <OUI> <name>"' },
    version: { type: 'string', maxLength: 64, description: 'the SoftwareVersion the file installs' },
    oui: { type: 'string', pattern: '^([0-9A-Fa-f]{6})?$', description: 'applicability: only devices of this OUI (empty: any)' },
    productClass: { type: 'string', maxLength: 64, description: 'applicability: only this product class (empty: any)' },
    fromVersions: { type: 'string', maxLength: 2048, description: 'applicability: comma-separated SoftwareVersions it upgrades from (empty: any)' },
    targetFileName: { type: 'string', maxLength: 256, description: 'TargetFileName of the Download (default: name)' },
    sha256: { type: 'string', pattern: '^[0-9A-Fa-f]{64}$', description: 'refuse the upload (nothing stored) unless the content has this SHA-256' },
    size: { type: 'integer', minimum: 0, description: 'refuse the upload (nothing stored) unless the content has this many bytes' },
  },
  required: ['name', 'fileType'],
  additionalProperties: false,
} as const;

interface UploadQuery {
  name: string;
  fileType: string;
  version?: string;
  oui?: string;
  productClass?: string;
  fromVersions?: string;
  targetFileName?: string;
  sha256?: string;
  size?: number;
}

export function presentFile(f: FileRecord): Record<string, unknown> {
  return {
    id: f.id,
    name: f.name,
    fileType: f.fileType,
    version: f.version,
    size: f.size,
    sha256: f.sha256,
    targetFileName: f.targetFileName,
    applicability: { oui: f.oui, productClass: f.productClass, fromVersions: f.fromVersions },
    storage: f.storage,
    ...(f.deviceId !== null ? { deviceId: f.deviceId } : {}),
    createdAt: iso(f.createdAt),
  };
}

export const presentTransfer = (t: TransferLogEntry): Record<string, unknown> => ({ ...t, at: iso(t.at) });

export function registerFileRoutes(api: FastifyInstance, ctx: NbiContext): void {
  const files = ctx.services.files;

  api.register(async (scope) => {
    // The body is not parsed: the handler streams the raw request to the service (this scope
    // only; JSON elsewhere). Nothing of it becomes `req.body`, so no hook (audit, masking) walks it.
    scope.addContentTypeParser('application/octet-stream', (_req, _payload, done) => done(null, undefined));

    scope.post<{ Querystring: UploadQuery }>(
      '/files',
      {
        config: { role: 'operator' },
        schema: {
          summary: 'Upload a file (the raw bytes as the body, application/octet-stream)',
          description:
            'Streamed to storage and hashed on the way. Refused with nothing stored when the body breaks off, is over the size limit (413), ' +
            'or differs from the sha256/size given. Answers 201 with the file: id, size, sha256 …',
          tags: ['files'],
          querystring: UPLOAD_QUERY,
          response: { 201: ANY_OBJECT, ...ERRORS },
        },
      },
      async (req, reply) => {
        const q = req.query;
        req.audit = { after: { ...q } };
        if (!/^application\/octet-stream\s*(;|$)/i.test(req.headers['content-type'] ?? '')) {
          throw new ApiError(415, 'UNSUPPORTED_MEDIA_TYPE', 'send the file as the body, Content-Type: application/octet-stream');
        }
        const body: Readable = req.raw;
        const lengthHeader = req.headers['content-length'];
        const declared = lengthHeader !== undefined && /^\d+$/.test(lengthHeader) ? Number(lengthHeader) : undefined;
        const fromVersions = (q.fromVersions ?? '')
          .split(',')
          .map((v) => v.trim())
          .filter((v) => v !== '');
        let record: FileRecord;
        try {
          record = await files.upload(
            {
              name: q.name,
              fileType: q.fileType,
              version: q.version ?? '',
              oui: (q.oui ?? '').toUpperCase(),
              productClass: q.productClass ?? '',
              fromVersions,
              ...(q.targetFileName !== undefined && q.targetFileName !== '' ? { targetFileName: q.targetFileName } : {}),
            },
            body,
            { ...(q.sha256 !== undefined ? { sha256: q.sha256 } : {}), ...(q.size !== undefined ? { size: q.size } : {}), ...(declared !== undefined ? { declaredLength: declared } : {}) },
          );
        } catch (e) {
          // Whatever is left of the body is not read: the answer closes the connection.
          reply.header('connection', 'close');
          body.resume();
          throw e;
        }
        const out = presentFile(record);
        req.audit = { target: record.id, after: out };
        return reply.code(201).send(out);
      },
    );
  });

  api.get<{ Querystring: { fileType?: string; limit?: number; before?: string } }>(
    '/files',
    {
      schema: {
        summary: "The repository's files, newest first",
        tags: ['files'],
        querystring: {
          type: 'object',
          properties: {
            fileType: { type: 'string', maxLength: 64 },
            limit: { type: 'integer', minimum: 1, maximum: 1000 },
            before: { type: 'string', maxLength: 128, description: 'the `next` of the previous page' },
          },
          additionalProperties: false,
        },
        response: { 200: ANY_OBJECT, ...ERRORS },
      },
    },
    async (req) => {
      const limit = req.query.limit ?? 100;
      let before: { createdAt: number; id: string } | undefined;
      if (req.query.before !== undefined) {
        const m = /^(\d{1,15})\.([A-Za-z0-9_-]{1,64})$/.exec(req.query.before);
        if (m === null) throw badRequest('before: not a cursor from this listing');
        before = { createdAt: Number(m[1]), id: m[2]! };
      }
      const list = await files.list({ limit, ...(req.query.fileType !== undefined ? { fileType: req.query.fileType } : {}), ...(before ? { before } : {}) });
      const last = list.at(-1);
      return { files: list.map(presentFile), next: list.length === limit && last !== undefined ? `${last.createdAt}.${last.id}` : null };
    },
  );

  api.get<{ Params: { id: string } }>(
    '/files/:id',
    {
      schema: { summary: 'One file, and what uses it (pending tasks, campaigns)', tags: ['files'], params: FILE_ID, response: { 200: ANY_OBJECT, ...ERRORS } },
    },
    async (req) => {
      const file = await files.get(req.params.id);
      return { ...presentFile(file), usedBy: await files.repo.usage(file) };
    },
  );

  api.get<{ Params: { id: string } }>(
    '/files/:id/content',
    {
      schema: { summary: "The file's bytes", tags: ['files'], params: FILE_ID, response: { ...ERRORS } },
    },
    async (req, reply) => {
      const file = await files.get(req.params.id);
      reply.header('content-type', 'application/octet-stream');
      reply.header('content-length', String(file.size));
      reply.header('etag', `"${file.sha256}"`);
      reply.header('content-disposition', `attachment; filename="${file.name.replace(/[^A-Za-z0-9._-]/g, '_')}"`);
      return reply.send(files.repo.open(file));
    },
  );

  api.get<{ Params: { id: string }; Querystring: { limit?: number } }>(
    '/files/:id/transfers',
    {
      schema: {
        summary: 'The transfer log of a file: who fetched it, how many bytes, how it ended (newest first)',
        tags: ['files'],
        params: FILE_ID,
        querystring: { type: 'object', properties: { limit: { type: 'integer', minimum: 1, maximum: 1000 } }, additionalProperties: false },
        response: { 200: ANY_OBJECT, ...ERRORS },
      },
    },
    async (req) => ({ transfers: (await files.transfers({ fileId: req.params.id, limit: req.query.limit ?? 100 })).map(presentTransfer) }),
  );

  const DEVICE_FILE = {
    type: 'object',
    properties: { id: DEVICE_ID, fileId: FILE_ID.properties.id },
    required: ['id', 'fileId'],
  } as const;

  api.get<{ Params: { id: string }; Querystring: { fileType?: string; limit?: number } }>(
    '/devices/:id/files',
    {
      schema: {
        summary: 'What the device sent (Upload tasks): configuration backups and logs, newest first, with time, size and SHA-256',
        tags: ['files'],
        params: DEVICE_ID_PARAMS,
        querystring: {
          type: 'object',
          properties: { fileType: { type: 'string', maxLength: 64 }, limit: { type: 'integer', minimum: 1, maximum: 1000 } },
          additionalProperties: false,
        },
        response: { 200: ANY_OBJECT, ...ERRORS },
      },
    },
    async (req) => {
      const list = await files.deviceFiles(req.params.id, { limit: req.query.limit ?? 100, ...(req.query.fileType !== undefined ? { fileType: req.query.fileType } : {}) });
      return { files: list.map(presentFile) };
    },
  );

  api.get<{ Params: { id: string }; Querystring: { from: string; to: string } }>(
    '/devices/:id/files/diff',
    {
      schema: {
        summary: 'A text diff (unified, 3 lines of context) of two of the device\'s files, from → to',
        tags: ['files'],
        params: DEVICE_ID_PARAMS,
        querystring: {
          type: 'object',
          properties: { from: FILE_ID.properties.id, to: FILE_ID.properties.id },
          required: ['from', 'to'],
          additionalProperties: false,
        },
        response: { 200: ANY_OBJECT, ...ERRORS },
      },
    },
    async (req) => {
      const { from, to, diff } = await files.diff(req.params.id, req.query.from, req.query.to);
      return { from: presentFile(from), to: presentFile(to), added: diff.added, removed: diff.removed, truncated: diff.truncated, diff: diff.text };
    },
  );

  api.get<{ Params: { id: string; fileId: string } }>(
    '/devices/:id/files/:fileId/content',
    { schema: { summary: 'The bytes of one of the device\'s files', tags: ['files'], params: DEVICE_FILE, response: { ...ERRORS } } },
    async (req, reply) => {
      const file = await files.deviceFile(req.params.id, req.params.fileId);
      reply.header('content-type', /\.xml$/.test(file.name) ? 'text/xml; charset=utf-8' : /\.(log|txt)$/.test(file.name) ? 'text/plain; charset=utf-8' : 'application/octet-stream');
      reply.header('content-length', String(file.size));
      reply.header('content-disposition', `attachment; filename="${file.name.replace(/[^A-Za-z0-9._-]/g, '_')}"`);
      return reply.send(files.repo.open(file));
    },
  );

  api.post<{ Params: { id: string; fileId: string }; Querystring: { connectionRequest?: boolean } }>(
    '/devices/:id/files/:fileId/restore',
    {
      config: { role: 'operator' },
      schema: {
        summary: 'Restore a configuration backup: a "3 Vendor Configuration File" download of it to the same device',
        tags: ['files'],
        params: DEVICE_FILE,
        querystring: { type: 'object', properties: { connectionRequest: { type: 'boolean' } }, additionalProperties: false },
        response: { 201: { $ref: 'TaskRecord#' }, ...ERRORS },
      },
    },
    async (req, reply) => {
      const file = await files.deviceFile(req.params.id, req.params.fileId);
      if (!/Vendor Configuration File/.test(file.fileType)) throw badRequest(`file ${file.id} is a ${file.fileType}, not a configuration backup`);
      const { task } = await ctx.services.tasks.createForDevice(
        req.params.id,
        { type: 'download', fileId: file.id, fileType: '3 Vendor Configuration File' },
        { connectionRequest: req.query.connectionRequest === true },
      );
      const shown = presentTask(task);
      req.audit = { target: req.params.id, after: shown };
      return reply.code(201).header('location', `/api/v1/tasks/${task.id}`).send(shown);
    },
  );

  api.delete<{ Params: { id: string } }>(
    '/files/:id',
    {
      config: { role: 'operator' },
      schema: {
        summary: 'Delete a file; refused (409) while a pending task or a campaign uses it',
        tags: ['files'],
        params: FILE_ID,
        response: { 204: { type: 'null' }, ...ERRORS },
      },
    },
    async (req, reply) => {
      const file = await files.delete(req.params.id);
      req.audit = { target: file.id, before: presentFile(file), after: null };
      return reply.code(204).send();
    },
  );
}
