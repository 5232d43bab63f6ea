/**
 * /policies: provisioning policies (src/services/policies.ts) — CRUD, revisions and rollback,
 * compliance counts, dry runs — and /devices/{id}/plan, /devices/{id}/policies. Reading
 * needs the operator role; changing a policy admin, or an operator granted the `provision`
 * capability (src/auth/tokens.ts). Every change is audited with the policy as target and its
 * state before and after, beside the revision's author. Bodies are checked by the policy parser
 * (src/policies/validate.ts), whose errors say where: `{code: "INVALID_POLICY", message,
 * position: {field, column?}}`.
 */
import type { FastifyInstance } from 'fastify';
import type { ComplianceRecord, PolicyRecord, PolicyRevision } from '../../store/types.js';
import type { NbiContext } from '../context.js';
import { iso } from '../present.js';
import { ERRORS } from '../schemas.js';

const POLICY_ID = {
  type: 'object',
  properties: { id: { type: 'string', minLength: 1, maxLength: 64 } },
  required: ['id'],
} as const;
const DEVICE_ID = {
  type: 'object',
  properties: { id: { type: 'string', minLength: 1, maxLength: 1024 } },
  required: ['id'],
} as const;
/** The policy parser checks the members (with positions); the schema only says "an object". */
const DEFINITION = { type: 'object', description: 'A policy: name, filter?, triggers?, priority?, enabled?, declarations' } as const;
const ANY_OBJECT = { type: 'object', additionalProperties: true } as const;

export function presentPolicy(p: PolicyRecord): Record<string, unknown> {
  return {
    id: p.id,
    name: p.name,
    ...(p.description !== undefined ? { description: p.description } : {}),
    filter: p.filter,
    triggers: p.triggers,
    priority: p.priority,
    enabled: p.enabled,
    declarations: p.declarations,
    ...(p.backups !== undefined ? { backups: p.backups } : {}),
    revision: p.revision,
    author: p.author,
    createdAt: iso(p.createdAt),
    updatedAt: iso(p.updatedAt),
  };
}

const presentRevision = (r: PolicyRevision): Record<string, unknown> => {
  const { filters: _parsed, ...definition } = r.definition;
  return { revision: r.revision, author: r.author, at: iso(r.at), definition };
};

const presentCompliance = (c: ComplianceRecord): Record<string, unknown> => ({
  policyId: c.policyId,
  revision: c.revision,
  state: c.state,
  fault: c.fault,
  at: iso(c.at),
});

function author(req: { principal: { name: string } | null }): string {
  return req.principal?.name ?? 'unknown';
}

export function registerPolicyRoutes(api: FastifyInstance, ctx: NbiContext): void {
  const policies = ctx.services.policies;
  const read = { role: 'operator' as const };
  const write = { role: 'admin' as const, capability: 'provision' as const };

  api.get<{ Querystring: { compliance?: boolean } }>(
    '/policies',
    {
      config: read,
      schema: {
        summary: 'List policies (highest priority first), each with its compliance counts',
        tags: ['policies'],
        querystring: { type: 'object', properties: { compliance: { type: 'boolean', description: 'include counts (default true)' } }, additionalProperties: false },
        response: { 200: ANY_OBJECT, ...ERRORS },
      },
    },
    async (req) => {
      const list = await policies.list();
      const withCounts = req.query.compliance !== false;
      const out = [];
      for (const p of list) out.push({ ...presentPolicy(p), ...(withCounts ? { compliance: await policies.compliance(p.id) } : {}) });
      return { policies: out };
    },
  );

  api.post<{ Body: unknown }>(
    '/policies',
    {
      config: write,
      schema: { summary: 'Create a policy (revision 1)', tags: ['policies'], body: DEFINITION, response: { 201: ANY_OBJECT, ...ERRORS } },
    },
    async (req, reply) => {
      const made = presentPolicy(await policies.create(req.body, author(req)));
      req.audit = { target: made.id as string, after: made };
      return reply.code(201).send(made);
    },
  );

  api.post<{ Body: unknown }>(
    '/policies/plan',
    {
      config: read,
      schema: {
        summary: 'Dry run of a draft policy from stored state: the devices it matches, what each would receive, conflicts',
        tags: ['policies'],
        body: DEFINITION,
        response: { 200: ANY_OBJECT, ...ERRORS },
      },
    },
    async (req) => policies.plan(null, req.body),
  );

  api.get<{ Params: { id: string } }>(
    '/policies/:id',
    { config: read, schema: { summary: 'One policy', tags: ['policies'], params: POLICY_ID, response: { 200: ANY_OBJECT, ...ERRORS } } },
    async (req) => presentPolicy(await policies.get(req.params.id)),
  );

  api.put<{ Params: { id: string }; Body: unknown; Querystring: { revision?: number } }>(
    '/policies/:id',
    {
      config: write,
      schema: {
        summary: 'Replace a policy (a new revision); ?revision=n refuses (409) unless n is the current one',
        tags: ['policies'],
        params: POLICY_ID,
        querystring: { type: 'object', properties: { revision: { type: 'integer', minimum: 1 } }, additionalProperties: false },
        body: DEFINITION,
        response: { 200: ANY_OBJECT, ...ERRORS },
      },
    },
    async (req) => {
      const before = presentPolicy(await policies.get(req.params.id));
      const after = presentPolicy(await policies.update(req.params.id, req.body, author(req), req.query.revision));
      req.audit = { target: req.params.id, before, after };
      return after;
    },
  );

  api.delete<{ Params: { id: string } }>(
    '/policies/:id',
    { config: write, schema: { summary: 'Delete a policy, its revisions and compliance', tags: ['policies'], params: POLICY_ID, response: { 204: { type: 'null' }, ...ERRORS } } },
    async (req, reply) => {
      const before = presentPolicy(await policies.get(req.params.id));
      await policies.delete(req.params.id);
      req.audit = { target: req.params.id, before, after: null };
      return reply.code(204).send();
    },
  );

  api.get<{ Params: { id: string } }>(
    '/policies/:id/revisions',
    { config: read, schema: { summary: 'Revisions, newest first, with who made each', tags: ['policies'], params: POLICY_ID, response: { 200: ANY_OBJECT, ...ERRORS } } },
    async (req) => ({ revisions: (await policies.revisions(req.params.id)).map(presentRevision) }),
  );

  api.post<{ Params: { id: string }; Body: { revision: number } }>(
    '/policies/:id/rollback',
    {
      config: write,
      schema: {
        summary: 'Make a new revision with the definition of an earlier one',
        tags: ['policies'],
        params: POLICY_ID,
        body: { type: 'object', properties: { revision: { type: 'integer', minimum: 1 } }, required: ['revision'], additionalProperties: false },
        response: { 200: ANY_OBJECT, ...ERRORS },
      },
    },
    async (req) => {
      const before = presentPolicy(await policies.get(req.params.id));
      const after = presentPolicy(await policies.rollback(req.params.id, req.body.revision, author(req)));
      req.audit = { target: req.params.id, before, after };
      return after;
    },
  );

  api.get<{ Params: { id: string } }>(
    '/policies/:id/compliance',
    {
      config: read,
      schema: {
        summary: 'Devices compliant, pending, faulted and not applicable',
        tags: ['policies'],
        params: POLICY_ID,
        response: {
          200: {
            type: 'object',
            properties: { compliant: { type: 'integer' }, pending: { type: 'integer' }, faulted: { type: 'integer' }, notApplicable: { type: 'integer' } },
          },
          ...ERRORS,
        },
      },
    },
    async (req) => policies.compliance(req.params.id),
  );

  api.post<{ Params: { id: string }; Body: unknown }>(
    '/policies/:id/plan',
    {
      config: read,
      schema: {
        summary: 'Dry run from stored state (body: a draft replacing the policy, or nothing for the stored one)',
        tags: ['policies'],
        params: POLICY_ID,
        response: { 200: ANY_OBJECT, ...ERRORS },
      },
    },
    async (req) => {
      const body = req.body;
      const draft = body === undefined || body === null || (typeof body === 'object' && Object.keys(body).length === 0) ? undefined : body;
      return policies.plan(req.params.id, draft);
    },
  );

  api.get<{ Params: { id: string } }>(
    '/devices/:id/plan',
    {
      config: read,
      schema: { summary: 'What every policy would do to this device now, from stored state', tags: ['policies'], params: DEVICE_ID, response: { 200: ANY_OBJECT, ...ERRORS } },
    },
    async (req) => policies.devicePlan(req.params.id),
  );

  api.get<{ Params: { id: string } }>(
    '/devices/:id/policies',
    {
      config: read,
      schema: { summary: "This device's compliance with each policy evaluated on it", tags: ['policies'], params: DEVICE_ID, response: { 200: ANY_OBJECT, ...ERRORS } },
    },
    async (req) => ({ compliance: (await policies.deviceCompliance(req.params.id)).map(presentCompliance) }),
  );
}
