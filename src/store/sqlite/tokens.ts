/**
 * NBI credentials and subscriptions: API tokens (hashes only) and webhooks.
 */
import { TOKEN_COLUMNS, toToken, type TokenRow } from '../token-rows.js';
import type { ApiTokenRecord, WebhookRecord } from '../types.js';
import { json, type Db } from './db.js';


export function createToken(db: Db, t: ApiTokenRecord): void {
  db.run(`INSERT INTO api_tokens (${TOKEN_COLUMNS}) VALUES (@id, @name, @role, @lookup, @hash, @createdAt)`, {
    id: t.id,
    name: t.name,
    role: t.role,
    lookup: t.lookup,
    hash: t.hash,
    createdAt: t.createdAt,
  });
}

export function findToken(db: Db, lookup: string): ApiTokenRecord | null {
  const row = db.get<TokenRow>(`SELECT ${TOKEN_COLUMNS} FROM api_tokens WHERE lookup = @lookup`, { lookup });
  return row ? toToken(row) : null;
}

export function listTokens(db: Db): ApiTokenRecord[] {
  return db.all<TokenRow>(`SELECT ${TOKEN_COLUMNS} FROM api_tokens ORDER BY created_at, id`).map(toToken);
}

export function deleteToken(db: Db, id: string): boolean {
  return db.run('DELETE FROM api_tokens WHERE id = @id', { id }) > 0;
}

interface WebhookRow {
  id: string;
  url: string;
  secret: string;
  events: string;
  created_at: number;
}

export function createWebhook(db: Db, w: WebhookRecord): void {
  db.run('INSERT INTO webhooks (id, url, secret, events, created_at) VALUES (@id, @url, @secret, @events, @createdAt)', {
    id: w.id,
    url: w.url,
    secret: w.secret,
    events: json(w.events),
    createdAt: w.createdAt,
  });
}

export function listWebhooks(db: Db): WebhookRecord[] {
  return db
    .all<WebhookRow>('SELECT id, url, secret, events, created_at FROM webhooks ORDER BY created_at, id')
    .map((r) => ({ id: r.id, url: r.url, secret: r.secret, events: JSON.parse(r.events) as string[], createdAt: r.created_at }));
}

export function deleteWebhook(db: Db, id: string): boolean {
  return db.run('DELETE FROM webhooks WHERE id = @id', { id }) > 0;
}
