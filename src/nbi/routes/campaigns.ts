/**
 * /campaigns: firmware campaigns (src/services/campaigns.ts) — create (starts at once) or dry
 * run, list, read with counts per wave and state, the per-device list, pause, resume, abort,
 * retry the failed devices, delete a finished one. Reading needs read-only, acting operator.
 * Definitions are checked by src/campaigns/definition.ts, whose errors name the member:
 * `{code: "INVALID_CAMPAIGN", message, position: {field}}`.
 */
import type { FastifyInstance } from 'fastify';
import { CAMPAIGN_STATES, DEVICE_STATES, type CampaignState, type DeviceState } from '../../campaigns/types.js';
import type { CampaignView } from '../../services/campaigns.js';
import type { CampaignDeviceRecord } from '../../store/types.js';
import type { NbiContext } from '../context.js';
import { iso } from '../present.js';
import { ERRORS, ID_PARAMS } from '../schemas.js';

const ANY_OBJECT = { type: 'object', additionalProperties: true } as const;
const DEFINITION = {
  type: 'object',
  description: 'A campaign: name, fileId, filter?, waves?, window?, limits?, successCheck?, offlineSeconds?, stopRules?, backupFirst?',
} as const;

export function presentCampaign(v: CampaignView): Record<string, unknown> {
  const c = v.campaign;
  return {
    id: c.id,
    name: c.definition.name,
    state: c.state,
    reason: c.reason,
    fileId: c.target.fileId,
    version: c.target.version,
    wave: c.wave,
    counts: v.counts,
    waves: v.waves,
    definition: c.definition,
    author: c.author,
    createdAt: iso(c.createdAt),
    updatedAt: iso(c.updatedAt),
    revision: c.revision,
  };
}

const presentDevice = (d: CampaignDeviceRecord): Record<string, unknown> => ({
  deviceId: d.deviceId,
  seq: d.seq,
  wave: d.wave,
  state: d.state,
  reason: d.reason,
  fault: d.fault,
  taskId: d.taskId,
  attempts: d.attempts,
  fromVersion: d.fromVersion,
  scheduledAt: iso(d.scheduledAt),
  downloadingAt: iso(d.downloadingAt),
  finishedAt: iso(d.finishedAt),
  updatedAt: iso(d.updatedAt),
});

const who = (req: { principal: { name: string } | null }): string => req.principal?.name ?? 'unknown';

export function registerCampaignRoutes(api: FastifyInstance, ctx: NbiContext): void {
  const campaigns = ctx.services.campaigns;
  const read = { role: 'read-only' as const };
  const act = { role: 'operator' as const };

  api.post<{ Body: unknown; Querystring: { dryRun?: boolean } }>(
    '/campaigns',
    {
      config: act,
      schema: {
        summary: 'Create a firmware campaign and start it at once; ?dryRun=true only says what it would do (devices per wave, skipped and why)',
        tags: ['campaigns'],
        querystring: { type: 'object', properties: { dryRun: { type: 'boolean' } }, additionalProperties: false },
        body: DEFINITION,
        response: { 200: ANY_OBJECT, 201: ANY_OBJECT, ...ERRORS },
      },
    },
    async (req, reply) => {
      if (req.query.dryRun === true) return { dryRun: true, ...(await campaigns.plan(req.body)) };
      const { campaign, plan } = await campaigns.create(req.body, who(req));
      req.audit = { target: `campaign:${campaign.id}`, after: { id: campaign.id, ...campaign.definition } };
      return reply.code(201).send({ ...presentCampaign(await campaigns.get(campaign.id)), plan });
    },
  );

  api.get<{ Querystring: { state?: CampaignState[]; limit?: number; offset?: number } }>(
    '/campaigns',
    {
      config: read,
      schema: {
        summary: 'Campaigns, newest first, each with its counts',
        tags: ['campaigns'],
        querystring: {
          type: 'object',
          properties: {
            state: { type: 'array', items: { type: 'string', enum: [...CAMPAIGN_STATES] }, maxItems: 4 },
            limit: { type: 'integer', minimum: 1, maximum: 500, default: 50 },
            offset: { type: 'integer', minimum: 0, maximum: 1_000_000 },
          },
          additionalProperties: false,
        },
        response: { 200: ANY_OBJECT, ...ERRORS },
      },
    },
    async (req) => {
      const page = await campaigns.list({ limit: req.query.limit ?? 50, offset: req.query.offset ?? 0, ...(req.query.state ? { states: req.query.state } : {}) });
      return { total: page.total, campaigns: page.campaigns.map(presentCampaign) };
    },
  );

  api.get<{ Params: { id: string } }>(
    '/campaigns/:id',
    { config: read, schema: { summary: 'One campaign: state, reason, counts (in all and per wave), definition', tags: ['campaigns'], params: ID_PARAMS, response: { 200: ANY_OBJECT, ...ERRORS } } },
    async (req) => presentCampaign(await campaigns.get(req.params.id)),
  );

  api.get<{ Params: { id: string }; Querystring: { state?: DeviceState[]; wave?: number; after?: number; limit?: number } }>(
    '/campaigns/:id/devices',
    {
      config: read,
      schema: {
        summary: 'The devices of a campaign in order, with their state, reason and fault; page with ?after=<seq of the last one>',
        tags: ['campaigns'],
        params: ID_PARAMS,
        querystring: {
          type: 'object',
          properties: {
            state: { type: 'array', items: { type: 'string', enum: [...DEVICE_STATES] }, maxItems: 7 },
            wave: { type: 'integer', minimum: 0, maximum: 1000 },
            after: { type: 'integer', minimum: -1, maximum: 100_000_000 },
            limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
          },
          additionalProperties: false,
        },
        response: { 200: ANY_OBJECT, ...ERRORS },
      },
    },
    async (req) => {
      const q = req.query;
      const limit = q.limit ?? 100;
      const rows = await campaigns.devices(req.params.id, {
        limit,
        ...(q.state ? { states: q.state } : {}),
        ...(q.wave !== undefined ? { wave: q.wave } : {}),
        ...(q.after !== undefined ? { afterSeq: q.after } : {}),
      });
      return { devices: rows.map(presentDevice), next: rows.length === limit ? rows.at(-1)!.seq : null };
    },
  );

  const control = (path: string, summary: string, run: (id: string, by: string) => Promise<unknown>): void => {
    api.post<{ Params: { id: string } }>(
      `/campaigns/:id/${path}`,
      { config: act, schema: { summary, tags: ['campaigns'], params: ID_PARAMS, response: { 200: ANY_OBJECT, ...ERRORS, 409: { $ref: 'Error#' } } } },
      async (req) => {
        const out = await run(req.params.id, who(req));
        req.audit = { target: `campaign:${req.params.id}`, after: { action: path } };
        const extra = typeof out === 'object' && out !== null && 'retried' in out ? { retried: (out as { retried: number }).retried } : {};
        return { ...presentCampaign(await campaigns.get(req.params.id)), ...extra };
      },
    );
  };
  control('pause', 'Pause: no device is started; devices under way are still followed', (id, by) => campaigns.pause(id, by));
  control('resume', "Resume a paused campaign; the current wave's failures so far are accepted", (id, by) => campaigns.resume(id, by));
  control('abort', 'Abort for good: devices not started are skipped, queued downloads withdrawn', (id, by) => campaigns.abort(id, by));
  control('retry-failed', 'Failed devices start over (a new download each); a done campaign runs again', (id, by) => campaigns.retryFailed(id, by));

  api.delete<{ Params: { id: string } }>(
    '/campaigns/:id',
    {
      config: act,
      schema: { summary: 'Delete a done or aborted campaign and its device rows', tags: ['campaigns'], params: ID_PARAMS, response: { 204: { type: 'null' }, ...ERRORS, 409: { $ref: 'Error#' } } },
    },
    async (req, reply) => {
      await campaigns.delete(req.params.id);
      req.audit = { target: `campaign:${req.params.id}` };
      return reply.code(204).send();
    },
  );
}
