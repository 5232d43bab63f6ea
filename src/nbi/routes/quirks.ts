/**
 * /quirks: quirk profiles (src/services/quirks.ts) — the profiles in force (shipped, learnt,
 * operators'), an operator's create / replace / delete — and /devices/{id}/quirks, the
 * settings a device's sessions apply. Reading needs read-only, changing operator.
 * See docs/conformance.md.
 */
import type { FastifyInstance } from 'fastify';
import { overrides, type QuirkProfile } from '../../datamodel/quirks.js';
import type { NbiContext } from '../context.js';
import { iso } from '../present.js';
import { DEVICE_ID_PARAMS, ERRORS } from '../schemas.js';

const ID = { type: 'object', properties: { id: { type: 'string', minLength: 1, maxLength: 256 } }, required: ['id'] } as const;
const SETTINGS = {
  type: 'object',
  properties: {
    maxGetNames: { type: 'integer', description: 'most names in one GetParameterValues / GetParameterAttributes' },
    gpnNextLevelOnly: { type: 'boolean', description: 'walk the tree level by level (no GetParameterNames with NextLevel false)' },
    oneParameterPerSet: { type: 'boolean', description: 'one parameter per SetParameterValues' },
    booleans: { type: 'string', enum: ['digits', 'words'], description: 'write booleans as 1/0 or true/false' },
    xsiType: { type: 'boolean', description: 'every SetParameterValues value carries xsi:type' },
    ignoresHoldRequests: { type: 'boolean' },
    rebootWithoutMReboot: { type: 'boolean' },
  },
};
const MATCH = {
  type: 'object',
  properties: { oui: { type: 'string' }, productClass: { type: 'string' }, firmwareMin: { type: 'string' }, firmwareMax: { type: 'string' } },
};
const PROFILE = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    name: { type: 'string' },
    source: { type: 'string', enum: ['shipped', 'learnt', 'operator'] },
    match: MATCH,
    settings: SETTINGS,
    evidence: { type: 'array', items: { type: 'object', properties: { at: { type: 'string' }, what: { type: 'string' }, deviceId: { type: 'string' } } } },
    enabled: { type: 'boolean' },
    overrides: {
      type: ['string', 'null'],
      enum: ['shipped', 'learnt', null],
      description: 'an operator’s profile that took over a shipped or learnt one by reusing its id: which (DELETE brings a shipped one back); null for the operator’s own',
    },
    createdAt: { type: 'string' },
    updatedAt: { type: 'string' },
  },
};
/** A profile is a few hundred bytes; anything far larger is refused before it is parsed (413). */
const BODY_LIMIT = 16_384;
/** The service checks the members (with messages); the schema bounds the size. */
const BODY = { type: 'object', maxProperties: 8, description: '{ name, match: {oui?, productClass?, firmwareMin?, firmwareMax?}, settings: {…}, enabled? }' } as const;

const present = (p: QuirkProfile): Record<string, unknown> => ({
  ...p,
  overrides: overrides(p),
  evidence: p.evidence.map((e) => ({ ...e, at: iso(e.at) })),
  createdAt: iso(p.createdAt),
  updatedAt: iso(p.updatedAt),
});

export function registerQuirkRoutes(api: FastifyInstance, ctx: NbiContext): void {
  const q = () => ctx.services.quirks;
  api.get(
    '/quirks',
    {
      schema: {
        summary: 'Quirk profiles in force: shipped, learnt by sessions, and operators’',
        tags: ['quirks'],
        response: { 200: { type: 'object', properties: { profiles: { type: 'array', items: PROFILE } } }, ...ERRORS },
      },
    },
    async () => ({ profiles: (await q().list()).map(present) }),
  );
  api.get<{ Params: { id: string } }>(
    '/quirks/:id',
    { schema: { summary: 'One quirk profile', tags: ['quirks'], params: ID, response: { 200: PROFILE, ...ERRORS } } },
    async (req) => present(await q().get(req.params.id)),
  );
  api.post<{ Body: unknown }>(
    '/quirks',
    {
      config: { role: 'operator' },
      bodyLimit: BODY_LIMIT,
      schema: { summary: 'Create an operator’s quirk profile', tags: ['quirks'], body: BODY, response: { 201: PROFILE, ...ERRORS } },
    },
    async (req, reply) => {
      reply.code(201);
      return present(await q().create(req.body));
    },
  );
  api.put<{ Params: { id: string }; Body: unknown }>(
    '/quirks/:id',
    {
      config: { role: 'operator' },
      bodyLimit: BODY_LIMIT,
      schema: {
        summary: 'Replace a quirk profile',
        description: 'Any profile in force, a shipped or learnt one included: the result is an operator’s profile with that id (enabled: false switches it off). Deleting it brings a shipped profile back.',
        tags: ['quirks'],
        params: ID,
        body: BODY,
        response: { 200: PROFILE, ...ERRORS },
      },
    },
    async (req) => present(await q().replace(req.params.id, req.body)),
  );
  api.delete<{ Params: { id: string } }>(
    '/quirks/:id',
    { config: { role: 'operator' }, schema: { summary: 'Delete a stored quirk profile', tags: ['quirks'], params: ID, response: { 204: { type: 'null' }, ...ERRORS } } },
    async (req, reply) => {
      await q().delete(req.params.id);
      reply.code(204);
    },
  );
  api.get<{ Params: { id: string } }>(
    '/devices/:id/quirks',
    {
      schema: {
        summary: 'The quirk settings a device’s sessions apply, and the profiles that gave them',
        tags: ['quirks'],
        params: DEVICE_ID_PARAMS,
        response: {
          200: {
            type: 'object',
            properties: {
              deviceId: { type: 'string' },
              oui: { type: 'string' },
              productClass: { type: 'string' },
              softwareVersion: { type: ['string', 'null'] },
              settings: SETTINGS,
              profiles: { type: 'array', items: { type: 'string' } },
            },
          },
          ...ERRORS,
        },
      },
    },
    async (req) => q().forDevice(req.params.id),
  );
}
