/**
 * Data-model conformance: a device's report (GET /devices/{id}/conformance) and a summary per
 * model and firmware (GET /conformance/models), each as JSON or CSV (`format=csv` or
 * Accept: text/csv). Read-only role. See docs/conformance.md.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { FINDING_KINDS, type FindingKind } from '../../datamodel/conformance.js';
import type { DeviceConformance, ModelConformance } from '../../services/conformance.js';
import { DEVICE_ID_PARAMS, ERRORS } from '../schemas.js';
import type { NbiContext } from '../context.js';
import { scopeOf } from '../scope.js';

const FINDING = {
  type: 'object',
  properties: { path: { type: 'string' }, reported: { type: 'string' }, expected: { type: 'string' }, detail: { type: 'string' } },
};
const COUNTS = {
  type: 'object',
  properties: Object.fromEntries(['parameters', 'objects', 'standard', 'vendor', ...FINDING_KINDS].map((k) => [k, { type: 'integer' }])),
};
const CLAIMED = {
  type: 'array',
  items: {
    type: 'object',
    properties: { model: { type: 'string' }, profiles: { type: 'array', items: { type: 'string' } }, implied: { type: 'boolean' }, source: { type: 'string' } },
  },
};
const REPORT = {
  type: 'object',
  properties: {
    deviceId: { type: 'string' },
    manufacturer: { type: 'string' },
    oui: { type: 'string' },
    productClass: { type: 'string' },
    softwareVersion: { type: ['string', 'null'] },
    root: { type: ['string', 'null'] },
    catalogue: { type: ['string', 'null'], description: 'the BBF model the tree was judged against' },
    claimed: { ...CLAIMED, description: 'the data models and profiles the device claims (DeviceSummary, RootDataModelVersion, SupportedDataModel), or what was implied' },
    unknownProfiles: { type: 'array', items: { type: 'string' } },
    counts: COUNTS,
    findings: {
      type: 'object',
      properties: Object.fromEntries(FINDING_KINDS.map((k) => [k, { type: 'array', items: FINDING }])),
      description:
        'missing (required by a claimed profile), wrongType, writability (contradicting the standard or a claimed profile), invalidValues (enumeration, range, length, lexical), noInstanceNumbers, nonStandard (not in the standard and not X_…)',
    },
    truncated: { type: 'array', items: { type: 'string', enum: [...FINDING_KINDS] }, description: 'kinds whose list was cut (the counts are whole)' },
  },
};
const MODEL = {
  type: 'object',
  properties: {
    oui: { type: 'string' },
    productClass: { type: 'string' },
    softwareVersion: { type: ['string', 'null'] },
    manufacturer: { type: 'string' },
    devices: { type: 'integer' },
    sampleDeviceId: { type: 'string' },
    catalogue: { type: ['string', 'null'] },
    claimed: CLAIMED,
    unknownProfiles: { type: 'array', items: { type: 'string' } },
    counts: COUNTS,
  },
};
const FORMAT = { format: { type: 'string', enum: ['json', 'csv'] } };

/** One CSV cell: quoted, and a leading = + - @ defused so a spreadsheet never runs it as a formula. */
function cell(v: unknown): string {
  let s = v === null || v === undefined ? '' : String(v);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return `"${s.replace(/"/g, '""')}"`;
}
const csvOf = (rows: unknown[][]): string => `${rows.map((r) => r.map(cell).join(',')).join('\r\n')}\r\n`;

export function deviceConformanceCsv(r: DeviceConformance): string {
  const rows: unknown[][] = [['kind', 'path', 'reported', 'expected', 'detail']];
  for (const k of FINDING_KINDS) for (const f of r.findings[k]) rows.push([k, f.path, f.reported, f.expected, f.detail ?? '']);
  return csvOf(rows);
}

export function modelConformanceCsv(models: readonly ModelConformance[]): string {
  const head = ['oui', 'productClass', 'softwareVersion', 'manufacturer', 'devices', 'sampleDeviceId', 'catalogue', 'claimed', ...FINDING_KINDS];
  const rows: unknown[][] = [head];
  for (const m of models) {
    const claimed = m.claimed.map((c) => `${c.model}(${c.profiles.join(' ')})${c.implied ? '*' : ''}`).join('; ');
    rows.push([m.oui, m.productClass, m.softwareVersion, m.manufacturer, m.devices, m.sampleDeviceId, m.catalogue, claimed, ...FINDING_KINDS.map((k: FindingKind) => m.counts[k])]);
  }
  return csvOf(rows);
}

const wantsCsv = (req: FastifyRequest<{ Querystring: { format?: 'json' | 'csv' } }>): boolean =>
  req.query.format === 'csv' || (req.query.format === undefined && /\btext\/csv\b/.test(req.headers.accept ?? ''));

function sendCsv(reply: FastifyReply, name: string, body: string): FastifyReply {
  return reply.header('content-type', 'text/csv; charset=utf-8').header('content-disposition', `attachment; filename="${name}"`).send(body);
}

export function registerConformanceRoutes(api: FastifyInstance, ctx: NbiContext): void {
  api.get<{ Params: { id: string }; Querystring: { format?: 'json' | 'csv' } }>(
    '/devices/:id/conformance',
    {
      schema: {
        summary: "A device's data-model conformance report",
        description:
          'Its stored tree judged against the BBF catalogue (TR-181, TR-098, TR-104, TR-135): the models and profiles it claims, missing mandatory parameters, wrong types, writability, invalid values, tables without instance numbers, non-standard names; counts and lists (each capped at 2,000). `format=csv` (or Accept: text/csv) exports the findings.',
        tags: ['devices'],
        params: DEVICE_ID_PARAMS,
        querystring: { type: 'object', properties: FORMAT, additionalProperties: false },
        response: { 200: REPORT, ...ERRORS },
      },
    },
    async (req, reply) => {
      const report = await ctx.services.conformance.device(req.params.id);
      if (wantsCsv(req)) return sendCsv(reply, 'conformance.csv', deviceConformanceCsv(report));
      return report;
    },
  );

  api.get<{ Querystring: { format?: 'json' | 'csv'; limit?: number } }>(
    '/conformance/models',
    {
      schema: {
        summary: 'Conformance per model and firmware (OUI, ProductClass, SoftwareVersion)',
        description:
          "One row per model and firmware, most devices first: how many devices, and the counts of the report of the one that informed last (devices of one model and firmware report the same tree). `format=csv` exports the rows.",
        tags: ['devices'],
        querystring: {
          type: 'object',
          properties: { ...FORMAT, limit: { type: 'integer', minimum: 1, maximum: 500 } },
          additionalProperties: false,
        },
        response: {
          200: { type: 'object', properties: { total: { type: 'integer' }, truncated: { type: 'boolean' }, models: { type: 'array', items: MODEL } } },
          ...ERRORS,
        },
      },
    },
    async (req, reply) => {
      const devices = scopeOf(req, ctx.now());
      const r = await ctx.services.conformance.models({ ...(req.query.limit !== undefined ? { limit: req.query.limit } : {}), ...(devices !== undefined ? { devices } : {}) });
      if (wantsCsv(req)) return sendCsv(reply, 'conformance-models.csv', modelConformanceCsv(r.models));
      return r;
    },
  );
}
