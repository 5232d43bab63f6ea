/**
 * The webhooks page's pure part: the event types a webhook can subscribe to (the API's own list,
 * src/events/bus.ts EVENT_TYPES; test/ui/units.test.ts keeps the two equal), and the new-webhook
 * form checked and turned into the POST /webhooks body before it is sent.
 */

export const WEBHOOK_EVENT_TYPES = [
  'device.registered',
  'device.booted',
  'device.inform',
  'task.done',
  'task.faulted',
  'task.expired',
  'device.bootstrap-refused',
  'policy.changed',
  'policy.compliance',
  'sampling.changed',
  'alarm.raised',
  'alarm.updated',
  'alarm.cleared',
  'alarm.acknowledged',
  'campaign.changed',
  'campaign.device',
  'campaign.progress',
  'device.transfer',
  'quirks.changed',
] as const;

export interface WebhookDraft {
  url: string;
  /** None: every event. */
  events: string[];
  /** Blank: the ACS generates one and shows it once. */
  secret: string;
  filter: string;
  tag: string;
}

export const EMPTY_WEBHOOK: WebhookDraft = { url: '', events: [], secret: '', filter: '', tag: '' };

export interface WebhookBody {
  url: string;
  events?: string[];
  secret?: string;
  scope?: { filter?: string; tag?: string };
}

/**
 * The POST body of a draft, or what is wrong with it, in the API's words where the API would
 * say the same (the API checks again and its answer is shown as it comes). `scoped`: the
 * principal is scoped, so its webhooks carry its scope and the form sends none.
 */
export function webhookBody(d: WebhookDraft, scoped: boolean): { ok: true; body: WebhookBody } | { ok: false; error: string } {
  const url = d.url.trim();
  if (!/^https?:\/\//i.test(url)) return { ok: false, error: 'url: an http:// or https:// URL' };
  if (url.length > 2048) return { ok: false, error: 'url: at most 2048 characters' };
  try {
    new URL(url);
  } catch {
    return { ok: false, error: 'url: not a URL' };
  }
  const body: WebhookBody = { url };
  const unknown = d.events.filter((e) => !(WEBHOOK_EVENT_TYPES as readonly string[]).includes(e));
  if (unknown.length > 0) return { ok: false, error: `events: unknown event type ${unknown.join(', ')}` };
  if (d.events.length > 0) body.events = WEBHOOK_EVENT_TYPES.filter((e) => d.events.includes(e));
  if (d.secret !== '') {
    if (d.secret.length < 16 || d.secret.length > 256) return { ok: false, error: 'secret: 16 to 256 characters, or blank to have one generated' };
    body.secret = d.secret;
  }
  if (!scoped) {
    const filter = d.filter.trim();
    const tag = d.tag.trim();
    if (filter.length > 2048) return { ok: false, error: 'scope.filter: at most 2048 characters' };
    if (tag.length > 128) return { ok: false, error: 'scope.tag: at most 128 characters' };
    if (filter !== '' || tag !== '') body.scope = { ...(filter !== '' ? { filter } : {}), ...(tag !== '' ? { tag } : {}) };
  }
  return { ok: true, body };
}

/** A scope as the list shows it. */
export function scopeText(scope: { filter?: string; tag?: string } | null): string {
  if (scope === null) return 'whole fleet';
  const parts: string[] = [];
  if (scope.tag !== undefined) parts.push(`tag ${scope.tag}`);
  if (scope.filter !== undefined) parts.push(`filter ${scope.filter}`);
  return parts.join(' and ');
}
