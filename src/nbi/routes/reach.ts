/**
 * /devices/{id}/reach: how the ACS reaches a device behind a NAT (STUN binding, its age,
 * the path that worked last), and configuring STUN/XMPP on it with the shipped policy
 * (src/reach/device-config.ts) as one setParameterValues task.
 */
import type { FastifyInstance } from 'fastify';
import { bindingNotification, rootOf, stunParameterValues, xmppParameterValues, type ParameterValue } from '../../reach/device-config.js';
import type { StunCredentials } from '../../reach/stun-credentials.js';
import type { ReachStore } from '../../store/reach.js';
import { badRequest, notFound } from '../errors.js';
import { presentTask } from '../present.js';
import { DEVICE_ID_PARAMS, ERRORS } from '../schemas.js';
import type { NbiContext } from '../context.js';

export interface NbiReach {
  store: ReachStore;
  /** Null when this process has no STUN secret (configure needs it). */
  stunCredentials: StunCredentials | null;
  /** The ACS's own JID, put in ConnReqAllowedJabberIDs. */
  xmppJid?: string;
}

interface ConfigureBody {
  stun?: { serverAddress: string; serverPort?: number; keepAliveSeconds?: number };
  xmpp?: { allowedJids?: string[] };
}

const HOST = { type: 'string', minLength: 1, maxLength: 253, pattern: '^[A-Za-z0-9.:\\[\\]-]+$' };

export function registerReachRoutes(api: FastifyInstance, ctx: NbiContext, reach: NbiReach): void {
  const root = async (id: string): Promise<string> => {
    const page = await ctx.store.listDevices({ filters: [{ field: 'id', op: 'eq', value: id }], parameters: ['Device.ManagementServer.URL', 'InternetGatewayDevice.ManagementServer.URL'], limit: 1 });
    const d = page.devices[0];
    if (d === undefined) throw notFound(`device ${id}`);
    return rootOf(d.parameters?.[0]?.path ?? 'Device.');
  };

  api.get<{ Params: { id: string } }>(
    '/devices/:id/reach',
    {
      schema: {
        summary: 'How the ACS reaches the device: STUN binding (Annex G), its age, the connection-request path that worked last',
        tags: ['devices'],
        params: DEVICE_ID_PARAMS,
        response: {
          200: {
            type: 'object',
            properties: {
              binding: {
                type: 'object',
                nullable: true,
                properties: {
                  address: { type: 'string' },
                  natDetected: { type: 'boolean' },
                  changedAt: { type: 'string' },
                  seenAt: { type: 'string' },
                  ageSeconds: { type: 'integer' },
                  changes: { type: 'integer' },
                },
              },
              lastPath: { type: 'string', nullable: true },
              lastSuccessAt: { type: 'string', nullable: true },
            },
          },
          ...ERRORS,
        },
      },
    },
    async (req) => {
      await root(req.params.id);
      const r = await reach.store.get(req.params.id);
      const b = r?.binding ?? null;
      return {
        binding:
          b === null
            ? null
            : {
                address: `${b.host.includes(':') ? `[${b.host}]` : b.host}:${b.port}`,
                natDetected: b.natDetected,
                changedAt: new Date(b.changedAt).toISOString(),
                seenAt: new Date(b.seenAt).toISOString(),
                ageSeconds: Math.max(0, Math.floor((ctx.now() - b.changedAt) / 1000)),
                changes: b.changes,
              },
        lastPath: r?.lastPath ?? null,
        lastSuccessAt: r?.lastSuccessAt == null ? null : new Date(r.lastSuccessAt).toISOString(),
      };
    },
  );

  api.post<{ Params: { id: string }; Body: ConfigureBody; Querystring: { connectionRequest?: boolean } }>(
    '/devices/:id/reach/configure',
    {
      config: { role: 'operator' },
      schema: {
        summary: 'Configure STUN (Annex G) and/or XMPP connection requests (Annex K) on the device: a setParameterValues task (returned)',
        // With STUN, a setParameterAttributes task before it gives UDPConnectionRequestAddress Active notification.
        description: 'STUN credentials are per device, derived by the ACS; they never appear in the answer (the task shows them masked).',
        tags: ['devices'],
        params: DEVICE_ID_PARAMS,
        querystring: { type: 'object', properties: { connectionRequest: { type: 'boolean' } }, additionalProperties: false },
        body: {
          type: 'object',
          additionalProperties: false,
          minProperties: 1,
          properties: {
            stun: {
              type: 'object',
              additionalProperties: false,
              required: ['serverAddress'],
              properties: {
                serverAddress: HOST,
                serverPort: { type: 'integer', minimum: 1, maximum: 65535 },
                keepAliveSeconds: { type: 'integer', minimum: 1, maximum: 86400 },
              },
            },
            xmpp: {
              type: 'object',
              additionalProperties: false,
              properties: { allowedJids: { type: 'array', maxItems: 32, items: { type: 'string', minLength: 3, maxLength: 256, pattern: '^[^,\\s]+$' } } },
            },
          },
        },
        response: { 201: { $ref: 'TaskRecord#' }, ...ERRORS },
      },
    },
    async (req, reply) => {
      const r = await root(req.params.id);
      const values: ParameterValue[] = [];
      if (req.body.stun !== undefined) {
        if (reach.stunCredentials === null) throw badRequest('this server has no STUN secret');
        values.push(...stunParameterValues(r, req.params.id, req.body.stun, reach.stunCredentials));
      }
      if (req.body.xmpp !== undefined) {
        const jids = req.body.xmpp.allowedJids ?? (reach.xmppJid !== undefined ? [reach.xmppJid.split('/')[0]!] : []);
        values.push(...xmppParameterValues(r, jids));
      }
      if (req.body.stun !== undefined) {
        // Queued first, so it is there when the values task's connection request brings the device.
        await ctx.services.tasks.createForDevice(req.params.id, { type: 'setParameterAttributes', parameterAttributes: bindingNotification(r) }, {});
      }
      const { task } = await ctx.services.tasks.createForDevice(req.params.id, { type: 'setParameterValues', parameterValues: values }, { connectionRequest: req.query.connectionRequest === true });
      reply.code(201);
      return presentTask(task);
    },
  );
}
