/**
 * /virtual-parameters: named computed parameters (src/services/virtual-parameters.ts), shown
 * on devices as `VirtualParameters.<name>`. Reading needs the operator role, changing one the
 * same as changing a policy. Bodies are checked by src/policies/virtual.ts, whose errors say
 * where: `{code: "INVALID_POLICY", message, position: {field, line?, column?}}`.
 */
import type { FastifyInstance } from 'fastify';
import type { VirtualParameterRecord } from '../../store/types.js';
import type { NbiContext } from '../context.js';
import { iso } from '../present.js';
import { ERRORS } from '../schemas.js';

const NAME = {
  type: 'object',
  properties: { name: { type: 'string', minLength: 1, maxLength: 64 } },
  required: ['name'],
} as const;
/** The parser checks the members (with positions); the schema only says "an object". */
const DEFINITION = { type: 'object', description: 'A virtual parameter: name, description?, read (script), write? (script)' } as const;
const ANY_OBJECT = { type: 'object', additionalProperties: true } as const;

export function presentVirtualParameter(v: VirtualParameterRecord): Record<string, unknown> {
  return {
    name: v.name,
    path: `VirtualParameters.${v.name}`,
    ...(v.description !== undefined ? { description: v.description } : {}),
    read: v.read,
    ...(v.write !== undefined ? { write: v.write } : {}),
    writable: v.write !== undefined,
    revision: v.revision,
    author: v.author,
    createdAt: iso(v.createdAt),
    updatedAt: iso(v.updatedAt),
  };
}

const author = (req: { principal: { name: string } | null }): string => req.principal?.name ?? 'unknown';

export function registerVirtualParameterRoutes(api: FastifyInstance, ctx: NbiContext): void {
  const service = ctx.services.virtualParameters;
  const read = { role: 'operator' as const };
  // As for policies (src/nbi/routes/policies.ts).
  const write = { role: 'admin' as const, capability: 'provision' as const };

  api.get(
    '/virtual-parameters',
    { config: read, schema: { summary: 'List virtual parameters (by name)', tags: ['policies'], response: { 200: ANY_OBJECT, ...ERRORS } } },
    async () => ({ virtualParameters: (await service.list()).map(presentVirtualParameter) }),
  );

  api.post<{ Body: unknown }>(
    '/virtual-parameters',
    { config: write, schema: { summary: 'Create a virtual parameter', tags: ['policies'], body: DEFINITION, response: { 201: ANY_OBJECT, ...ERRORS } } },
    async (req, reply) => reply.code(201).send(presentVirtualParameter(await service.create(req.body, author(req)))),
  );

  api.get<{ Params: { name: string } }>(
    '/virtual-parameters/:name',
    { config: read, schema: { summary: 'One virtual parameter', tags: ['policies'], params: NAME, response: { 200: ANY_OBJECT, ...ERRORS } } },
    async (req) => presentVirtualParameter(await service.get(req.params.name)),
  );

  api.put<{ Params: { name: string }; Body: unknown }>(
    '/virtual-parameters/:name',
    { config: write, schema: { summary: 'Replace a virtual parameter (revision + 1)', tags: ['policies'], params: NAME, body: DEFINITION, response: { 200: ANY_OBJECT, ...ERRORS } } },
    async (req) => presentVirtualParameter(await service.update(req.params.name, req.body, author(req))),
  );

  api.delete<{ Params: { name: string } }>(
    '/virtual-parameters/:name',
    { config: write, schema: { summary: 'Delete a virtual parameter (devices keep its last value until their tree is read again)', tags: ['policies'], params: NAME, response: { 204: { type: 'null' }, ...ERRORS } } },
    async (req, reply) => {
      await service.delete(req.params.name);
      return reply.code(204).send();
    },
  );
}
