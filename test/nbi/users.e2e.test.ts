/**
 * Users for people over real HTTP (issue 10): sign-in with argon2id passwords, an HttpOnly
 * SameSite=Strict session cookie, CSRF tokens on changes, sign-out, lockout after failed
 * attempts (bounded), optional TOTP (enrol, confirm, then required; a code is not accepted
 * twice), administrators' user management, and the audit log of it all with secrets masked.
 * Hostile cases: unknown users answered like wrong passwords, giant and malformed bodies,
 * missing or wrong CSRF tokens.
 */
import { generate } from 'otplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueToken } from '../../src/auth/tokens.js';
import { startStack, type Json, type Stack } from './helpers.js';

let s: Stack;
let clock = Date.UTC(2026, 11, 3, 12, 0, 0);
const PASSWORD = 'correct horse battery';
const OTHER = 'another good passphrase';

interface Res {
  status: number;
  body: Json;
  text: string;
  headers: Headers;
}

/** A browser's view: a cookie jar of one cookie and, once signed in, the CSRF token. */
class Browser {
  cookie: string | null = null;
  csrf: string | null = null;

  async req(method: string, path: string, body?: unknown, opts: { csrf?: string | null; raw?: string; bearer?: string } = {}): Promise<Res> {
    const headers: Record<string, string> = {};
    if (this.cookie !== null) headers.cookie = `other=1; flotilla_session=${this.cookie}`;
    const csrf = opts.csrf === undefined ? this.csrf : opts.csrf;
    if (csrf !== null) headers['x-csrf-token'] = csrf;
    if (opts.bearer !== undefined) headers.authorization = `Bearer ${opts.bearer}`;
    const payload = opts.raw ?? (body === undefined ? undefined : JSON.stringify(body));
    if (payload !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`${s.nbi.url}/api/v1${path}`, { method, headers, ...(payload !== undefined ? { body: payload } : {}) });
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    const set = res.headers.get('set-cookie');
    const m = set === null ? null : /flotilla_session=([^;]*)/.exec(set);
    if (m !== null) this.cookie = m[1] === '' ? null : m[1]!;
    return { status: res.status, body: parsed, text, headers: res.headers };
  }

  async signIn(name: string, password: string, totp?: string): Promise<Res> {
    const r = await this.req('POST', '/session', { name, password, ...(totp !== undefined ? { totp } : {}) }, { csrf: null });
    if (r.status === 200) this.csrf = r.body.csrfToken;
    return r;
  }
}

async function makeUser(name: string, role: string, password = PASSWORD): Promise<Json> {
  const r = await s.api.post('/users', { name, role, password });
  expect(r.status, r.text).toBe(201);
  return r.body;
}

async function auditText(): Promise<{ entries: Json[]; text: string }> {
  const r = await s.api.get('/audit?limit=1000');
  expect(r.status).toBe(200);
  return { entries: r.body.entries, text: JSON.stringify(r.body) };
}

beforeAll(async () => {
  s = await startStack({ nbi: { now: () => clock, lockout: { maxFailures: 3, lockMs: 10 * 60_000 } } });
});

afterAll(async () => {
  await s?.close();
});

describe('users: administration', () => {
  it('admins create and list users; hashes never shown; bad, duplicate, hostile and giant bodies refused', async () => {
    const alice = await makeUser('alice', 'operator');
    expect(alice).toMatchObject({ name: 'alice', role: 'operator', source: 'local', disabled: false, totp: false, locked: false, scope: null });
    const list = await s.api.get('/users');
    expect(list.status).toBe(200);
    expect(list.body.users.map((u: Json) => u.name)).toContain('alice');
    expect(list.text).not.toContain('argon2');
    expect(list.text).not.toContain(PASSWORD);
    expect((await s.api.post('/users', { name: 'alice', role: 'operator', password: PASSWORD })).status).toBe(409);
    expect((await s.api.post('/users', { name: 'bob', role: 'operator', password: 'short' })).status).toBe(400);
    expect((await s.api.post('/users', { name: 'bob', role: 'root', password: PASSWORD })).status).toBe(400);
    expect((await s.api.post('/users', { name: '../etc', role: 'operator', password: PASSWORD })).status).toBe(400);
    expect((await s.api.post('/users', { name: 'bob', role: 'operator', password: PASSWORD, isAdmin: true })).status).toBe(400);
    expect((await s.api.post('/users', { name: 'x'.repeat(129), role: 'operator', password: PASSWORD })).status).toBe(400);
    expect((await s.api.post('/users', { name: 'bob', role: 'operator', password: PASSWORD, scope: { filter: 'nonsense ~~ "' } })).status).toBe(400);
    expect((await s.api.req('POST', '/users', undefined, { raw: '{"name": "bob", ' })).status).toBe(400);
    expect((await s.api.req('POST', '/users', undefined, { raw: JSON.stringify({ name: 'bob', role: 'operator', password: 'x'.repeat(2 * 1024 * 1024) }) })).status).toBe(413);
    const ro = s.api.as((await issueToken(s.store, 'viewer', 'read-only')).token);
    expect((await ro.get('/users')).status).toBe(403);
    expect((await ro.post('/users', { name: 'bob', role: 'admin', password: PASSWORD })).status).toBe(403);
  });
});

describe('users: sign-in', () => {
  it('a good sign-in sets an HttpOnly SameSite=Strict cookie; the session reads the API; a token still works beside it', async () => {
    await makeUser('carol', 'read-only');
    const b = new Browser();
    const r = await b.signIn('carol', PASSWORD);
    expect(r.status, r.text).toBe(200);
    const cookie = r.headers.get('set-cookie')!;
    expect(cookie).toMatch(/^flotilla_session=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Strict; Max-Age=\d+$/);
    expect(cookie).not.toContain('Secure'); // plain HTTP here; Secure over TLS
    expect(r.body).toMatchObject({ kind: 'user', name: 'carol', role: 'read-only', user: { name: 'carol', totp: false } });
    expect(r.body.csrfToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(r.text).not.toContain(b.cookie!); // the session's secret is only in the cookie
    const me = await b.req('GET', '/session');
    expect(me.body).toMatchObject({ kind: 'user', name: 'carol', role: 'read-only', csrfToken: b.csrf });
    expect((await b.req('GET', '/devices?limit=1')).status).toBe(200);
    // The role holds for people as for tokens.
    expect((await b.req('GET', '/users')).status).toBe(403);
    // A bearer token wins over the cookie: a script is never taken for the browser's user.
    const tokenMe = await b.req('GET', '/session', undefined, { bearer: s.api.token! });
    expect(tokenMe.body).toMatchObject({ kind: 'token', role: 'admin' });
    // A made-up cookie is no session.
    const forged = new Browser();
    forged.cookie = 'A'.repeat(43);
    expect((await forged.req('GET', '/devices')).status).toBe(401);
  });

  it('an unknown name and a wrong password get the same answer; bad bodies are 400 before any hashing', async () => {
    await makeUser('dave', 'operator');
    const b = new Browser();
    const wrong = await b.signIn('dave', 'not the password');
    const unknown = await b.signIn('nobody-here', 'not the password');
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(unknown.body).toEqual(wrong.body);
    expect(wrong.headers.get('set-cookie')).toBeNull();
    expect(b.cookie).toBeNull();
    expect((await b.req('POST', '/session', undefined, { raw: '{"name":' })).status).toBe(400);
    expect((await b.req('POST', '/session', { name: 'dave' })).status).toBe(400);
    expect((await b.req('POST', '/session', { name: 'dave', password: 'x'.repeat(300) })).status).toBe(400);
    expect((await b.req('POST', '/session', { name: 'dave', password: PASSWORD, role: 'admin' })).status).toBe(400);
    expect((await b.req('POST', '/session', { name: { $ne: '' }, password: PASSWORD })).status).toBe(400);
    expect((await b.req('POST', '/session', undefined, { raw: JSON.stringify({ name: 'dave', password: 'p'.repeat(3 * 1024 * 1024) }) })).status).toBe(413);
    expect((await b.req('POST', '/session', undefined, { raw: '{"__proto__": {"role": "admin"}, "name": "dave", "password": "x"}' })).status).toBe(400);
  });

  it('changes with the cookie need the CSRF token: missing or wrong → 403, right → done', async () => {
    await makeUser('erin', 'operator');
    const b = new Browser();
    expect((await b.signIn('erin', PASSWORD)).status).toBe(200);
    const noCsrf = await b.req('POST', '/devices/x/tags', { add: ['t'] }, { csrf: null });
    expect(noCsrf.status).toBe(403);
    expect(noCsrf.body.message).toMatch(/CSRF/);
    expect((await b.req('POST', '/devices/x/tags', { add: ['t'] }, { csrf: 'A'.repeat(43) })).status).toBe(403);
    expect((await b.req('DELETE', '/session', undefined, { csrf: null })).status).toBe(403);
    // Another user's CSRF token is not this session's.
    const other = new Browser();
    await makeUser('erin2', 'operator');
    expect((await other.signIn('erin2', PASSWORD)).status).toBe(200);
    expect((await b.req('POST', '/session/totp', {}, { csrf: other.csrf })).status).toBe(403);
    // With it, the change goes through (a 404 for a device that does not exist is the route's own answer).
    expect((await b.req('POST', '/devices/x/tags', { add: ['t'] })).status).toBe(404);
    // Reads need no CSRF token.
    expect((await b.req('GET', '/devices', undefined, { csrf: null })).status).toBe(200);
  });

  it('sign-out ends the session on the server and clears the cookie', async () => {
    await makeUser('frank', 'read-only');
    const b = new Browser();
    expect((await b.signIn('frank', PASSWORD)).status).toBe(200);
    const kept = b.cookie;
    const out = await b.req('DELETE', '/session');
    expect(out.status).toBe(204);
    expect(out.headers.get('set-cookie')).toMatch(/^flotilla_session=; .*Max-Age=0/);
    const replay = new Browser();
    replay.cookie = kept;
    expect((await replay.req('GET', '/devices')).status).toBe(401);
    // A token has no session to end.
    expect((await s.api.del('/session')).status).toBe(400);
  });

  it('failed attempts lock the account for a bounded time; a locked account refuses even the right password, alike', async () => {
    await makeUser('gina', 'operator');
    const b = new Browser();
    const first = await b.signIn('gina', 'wrong-1');
    for (const p of ['wrong-2', 'wrong-3']) expect((await b.signIn('gina', p)).status).toBe(401);
    const locked = await b.signIn('gina', PASSWORD);
    expect(locked.status).toBe(401);
    expect(locked.body).toEqual(first.body);
    expect((await s.api.get('/users')).body.users.find((u: Json) => u.name === 'gina').locked).toBe(true);
    // More tries while locked do not push the end further.
    clock += 9 * 60_000;
    expect((await b.signIn('gina', 'wrong-4')).status).toBe(401);
    clock += 60_000 + 1;
    expect((await b.signIn('gina', PASSWORD)).status).toBe(200);
    const { entries } = await auditText();
    expect(entries.filter((e: Json) => e.action === 'user-locked')).toHaveLength(1);
    expect(entries.filter((e: Json) => e.action === 'sign-in-failed' && e.actor.name === 'gina').map((e: Json) => e.after.reason)).toEqual(['locked', 'locked', 'wrong-password', 'wrong-password', 'wrong-password']);
    expect(entries.find((e: Json) => e.action === 'sign-in' && e.actor.name === 'gina')).toMatchObject({ source: '127.0.0.1', status: 200 });
    expect(entries.find((e: Json) => e.action === 'sign-in-failed' && e.actor.kind === 'anonymous')).toMatchObject({ actor: { name: 'nobody-here' }, after: { reason: 'unknown-user' } });
  });

  it('disabling a user ends their sessions at once and refuses sign-in; an admin cannot disable themselves', async () => {
    const hank = await makeUser('hank', 'operator');
    const b = new Browser();
    expect((await b.signIn('hank', PASSWORD)).status).toBe(200);
    const r = await s.api.req('PATCH', `/users/${hank.id}`, { disabled: true });
    expect(r.status, r.text).toBe(200);
    expect(r.body.disabled).toBe(true);
    expect((await b.req('GET', '/devices')).status).toBe(401);
    expect((await b.signIn('hank', PASSWORD)).status).toBe(401);
    expect((await s.api.req('PATCH', `/users/${hank.id}`, {})).status).toBe(400);
    expect((await s.api.req('PATCH', '/users/nope', { role: 'admin' })).status).toBe(404);
    const root = await makeUser('root', 'admin');
    const a = new Browser();
    expect((await a.signIn('root', PASSWORD)).status).toBe(200);
    expect((await a.req('PATCH', `/users/${root.id}`, { disabled: true })).status).toBe(409);
    expect((await a.req('PATCH', `/users/${hank.id}`, { disabled: false, role: 'read-only' })).body).toMatchObject({ disabled: false, role: 'read-only' });
    expect((await b.signIn('hank', PASSWORD)).body.role).toBe('read-only');
  });

  it("one's own password change needs the current one; the old one stops working", async () => {
    await makeUser('ivy', 'operator');
    const b = new Browser();
    expect((await b.signIn('ivy', PASSWORD)).status).toBe(200);
    expect((await b.req('POST', '/session/password', { currentPassword: 'nope', newPassword: OTHER })).status).toBe(400);
    expect((await b.req('POST', '/session/password', { currentPassword: PASSWORD, newPassword: 'ivy' })).status).toBe(400);
    expect((await b.req('POST', '/session/password', { currentPassword: PASSWORD, newPassword: OTHER })).status).toBe(204);
    expect((await b.req('GET', '/devices')).status).toBe(200); // this session stays
    expect((await new Browser().signIn('ivy', PASSWORD)).status).toBe(401);
    expect((await new Browser().signIn('ivy', OTHER)).status).toBe(200);
  });
});

describe('users: TOTP', () => {
  it('enrol (secret shown once), confirm with a code, then required at sign-in; a code is not accepted twice', async () => {
    await makeUser('jill', 'operator');
    const b = new Browser();
    expect((await b.signIn('jill', PASSWORD)).status).toBe(200);
    const enrol = await b.req('POST', '/session/totp', {});
    expect(enrol.status, enrol.text).toBe(200);
    const secret: string = enrol.body.secret;
    expect(enrol.body.uri).toMatch(/^otpauth:\/\/totp\/Flotilla:jill\?/);
    // Not on until confirmed.
    expect((await new Browser().signIn('jill', PASSWORD)).status).toBe(200);
    const code = (at: number): Promise<string> => generate({ secret, epoch: Math.floor(at / 1000) });
    const c0 = await code(clock);
    expect((await b.req('POST', '/session/totp/confirm', { totp: c0 === '000000' ? '111111' : '000000' })).status).toBe(400);
    expect((await b.req('POST', '/session/totp/confirm', { totp: 'x'.repeat(17) })).status).toBe(400);
    expect((await b.req('POST', '/session/totp/confirm', { totp: c0 })).status).toBe(204);
    expect((await b.req('GET', '/session')).body.user.totp).toBe(true);

    clock += 60_000;
    const needs = await new Browser().signIn('jill', PASSWORD);
    expect(needs.status).toBe(401);
    expect(needs.body.code).toBe('TOTP_REQUIRED');
    // A wrong password says nothing about TOTP.
    expect((await new Browser().signIn('jill', 'wrong password')).body.code).toBe('UNAUTHORIZED');
    const c1 = await code(clock);
    expect((await new Browser().signIn('jill', PASSWORD, c1 === '123456' ? '654321' : '123456')).body.code).toBe('UNAUTHORIZED');
    expect((await new Browser().signIn('jill', PASSWORD, c1)).status).toBe(200);
    // The same code again (overheard): refused.
    expect((await new Browser().signIn('jill', PASSWORD, c1)).status).toBe(401);
    clock += 60_000;
    const c2 = await code(clock);
    const again = new Browser();
    expect((await again.signIn('jill', PASSWORD, c2)).status).toBe(200);
    // Off again: the password is asked.
    expect((await again.req('POST', '/session/totp/disable', { password: 'wrong' })).status).toBe(400);
    expect((await again.req('POST', '/session/totp/disable', { password: PASSWORD })).status).toBe(204);
    expect((await new Browser().signIn('jill', PASSWORD)).status).toBe(200);

    // Tokens have no TOTP of their own.
    expect((await s.api.post('/session/totp', {})).status).toBe(400);

    // Nothing secret reached the audit log.
    const { text, entries } = await auditText();
    for (const secretText of [secret, c0, c1, c2, PASSWORD, OTHER]) expect(text).not.toContain(secretText);
    expect(entries.find((e: Json) => e.action === 'POST /session/totp/confirm' && e.status === 204)).toMatchObject({ actor: { kind: 'user', name: 'jill' }, after: { twoFactor: 'on' } });
  });
});
