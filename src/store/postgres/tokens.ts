/**
 * NBI credentials and subscriptions: API tokens (hashes only) and webhooks.
 */
import { TOKEN_COLUMNS, toToken, type TokenRow } from '../token-rows.js';
import type { ApiTokenRecord, WebhookRecord } from '../types.js';
import type { PgDb } from './db.js';


export async function createToken(db: PgDb, t: ApiTokenRecord): Promise<void> {
  await db.run(`INSERT INTO api_tokens (${TOKEN_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6)`, [
    t.id,
    t.name,
    t.role,
    t.lookup,
    t.hash,
    t.createdAt,
  ]);
}

export async function findToken(db: PgDb, lookup: string): Promise<ApiTokenRecord | null> {
  const [row] = await db.query<TokenRow>(`SELECT ${TOKEN_COLUMNS} FROM api_tokens WHERE lookup = $1`, [lookup]);
  return row ? toToken(row) : null;
}

export async function listTokens(db: PgDb): Promise<ApiTokenRecord[]> {
  return (await db.query<TokenRow>(`SELECT ${TOKEN_COLUMNS} FROM api_tokens ORDER BY created_at, id`)).map(toToken);
}

export async function deleteToken(db: PgDb, id: string): Promise<boolean> {
  return (await db.run('DELETE FROM api_tokens WHERE id = $1', [id])) > 0;
}

interface WebhookRow {
  id: string;
  url: string;
  secret: string;
  events: string[];
  created_at: number;
}

export async function createWebhook(db: PgDb, w: WebhookRecord): Promise<void> {
  await db.run('INSERT INTO webhooks (id, url, secret, events, created_at) VALUES ($1, $2, $3, $4, $5)', [
    w.id,
    w.url,
    w.secret,
    JSON.stringify(w.events),
    w.createdAt,
  ]);
}

export async function listWebhooks(db: PgDb): Promise<WebhookRecord[]> {
  return (await db.query<WebhookRow>('SELECT id, url, secret, events, created_at FROM webhooks ORDER BY created_at, id')).map((r) => ({
    id: r.id,
    url: r.url,
    secret: r.secret,
    events: r.events,
    createdAt: r.created_at,
  }));
}

export async function deleteWebhook(db: PgDb, id: string): Promise<boolean> {
  return (await db.run('DELETE FROM webhooks WHERE id = $1', [id])) > 0;
}
