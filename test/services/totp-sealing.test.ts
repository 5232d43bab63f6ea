/**
 * Users' TOTP secrets are sealed at rest (issue 10): with the ACS's sealing key
 * (src/auth/sealing.ts), an enrolment never writes its secret in clear, a secret stored in
 * clear before sealing is sealed by the start-up sweep (and on the next sign-in), a rotated
 * key re-seals, a sealed value copied to another user does not open, and a secret sealed under
 * a key that is not loaded refuses the sign-in rather than skipping the code. The SQLite file
 * (and its WAL) is read byte by byte for the clear secret.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generate } from 'otplib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Sealer } from '../../src/auth/sealing.js';
import { AuditService } from '../../src/services/audit.js';
import { UserService } from '../../src/services/users.js';
import { createSqliteStore } from '../../src/store/sqlite/index.js';
import type { Store } from '../../src/store/types.js';

const PASSWORD = 'a long enough password';

describe('TOTP secrets sealed at rest', () => {
  let dir: string;
  let store: Store;
  const key = randomBytes(32);
  const service = (sealer: Sealer | null): UserService => new UserService({ store, audit: new AuditService({ store }), sealer });
  /** The database file and its WAL, as bytes on disk. */
  const onDisk = (): string => ['flotilla.db', 'flotilla.db-wal'].map((f) => join(dir, f)).filter(existsSync).map((f) => readFileSync(f).toString('latin1')).join('');
  const reopen = async (): Promise<void> => {
    await store.close();
    store = await createSqliteStore({ dataDir: dir });
  };
  const code = (secret: string): Promise<string> => generate({ secret });

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'flotilla-totp-'));
    store = await createSqliteStore({ dataDir: dir });
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('an enrolment stores only sealed values, and the code signs in', async () => {
    const users = service(new Sealer([key]));
    const u = await users.create({ name: 'sam', role: 'operator', password: PASSWORD });
    const { secret } = await users.enrolTotp(u.id);
    expect((await store.getUser(u.id))!.totpPending).toMatch(/^v1\./);
    await users.confirmTotp(u.id, await code(secret));
    const row = (await store.getUser(u.id))!;
    expect(row.totpSecret).toMatch(/^v1\./);
    expect(row.totpSecret).not.toContain(secret);
    expect(row.totpPending).toBeNull();
    expect(await users.signIn({ name: 'sam', password: PASSWORD, source: 't' })).toEqual({ ok: false, reason: 'totp-required' });
    await new Promise((r) => setTimeout(r, 0));
    await reopen();
    expect(onDisk()).not.toContain(secret);
    const again = service(new Sealer([key]));
    // (the confirmation used this time step's code: the next sign-in needs the next one)
    const r = await again.signIn({ name: 'sam', password: PASSWORD, totp: await generate({ secret, epoch: Math.floor(Date.now() / 1000) + 30 }), source: 't' });
    expect(r.ok).toBe(true);
  });

  it('a secret stored in clear (before sealing) is sealed by the sweep; the file then holds no clear secret', async () => {
    const plain = service(null);
    const u = await plain.create({ name: 'old', role: 'read-only', password: PASSWORD });
    const { secret } = await plain.enrolTotp(u.id);
    await plain.confirmTotp(u.id, await code(secret));
    const pending = await service(null).create({ name: 'half', role: 'read-only', password: PASSWORD });
    const half = await plain.enrolTotp(pending.id);
    expect((await store.getUser(u.id))!.totpSecret).toBe(secret);
    await reopen();
    expect(onDisk()).toContain(secret); // the test can see a clear secret when there is one

    const users = service(new Sealer([key]));
    expect(await users.sealStoredTotp()).toEqual({ sealed: 2, unreadable: 0 });
    expect(await users.sealStoredTotp()).toEqual({ sealed: 0, unreadable: 0 });
    expect((await store.getUser(u.id))!.totpSecret).toMatch(/^v1\./);
    expect((await store.getUser(pending.id))!.totpPending).toMatch(/^v1\./);
    await reopen();
    const bytes = onDisk();
    expect(bytes).not.toContain(secret);
    expect(bytes).not.toContain(half.secret);
    const r = await service(new Sealer([key])).signIn({ name: 'old', password: PASSWORD, totp: await generate({ secret, epoch: Math.floor(Date.now() / 1000) + 30 }), source: 't' });
    expect(r.ok).toBe(true);
  });

  it('a clear secret is also sealed at its next sign-in', async () => {
    const plain = service(null);
    const u = await plain.create({ name: 'lazy', role: 'read-only', password: PASSWORD });
    const { secret } = await plain.enrolTotp(u.id);
    await plain.confirmTotp(u.id, await code(secret));
    const r = await service(new Sealer([key])).signIn({ name: 'lazy', password: PASSWORD, totp: await generate({ secret, epoch: Math.floor(Date.now() / 1000) + 30 }), source: 't' });
    expect(r.ok).toBe(true);
    expect((await store.getUser(u.id))!.totpSecret).toMatch(/^v1\./);
  });

  it('rotation re-seals under the new key; a value under a key not loaded, or copied to another user, does not open', async () => {
    const users = service(new Sealer([key]));
    const a = await users.create({ name: 'amy', role: 'read-only', password: PASSWORD });
    const b = await users.create({ name: 'bob', role: 'read-only', password: PASSWORD });
    const { secret } = await users.enrolTotp(a.id);
    await users.confirmTotp(a.id, await code(secret));
    const sealedBefore = (await store.getUser(a.id))!.totpSecret!;
    const next = randomBytes(32);
    const rotated = service(new Sealer([next, key]));
    expect(await rotated.sealStoredTotp()).toEqual({ sealed: 1, unreadable: 0 });
    const sealedAfter = (await store.getUser(a.id))!.totpSecret!;
    expect(sealedAfter).not.toBe(sealedBefore);
    expect(new Sealer([next]).open(sealedAfter, `totp:${a.id}`)).toBe(secret);
    // The old key alone no longer opens it: the sign-in is refused, never let in without the code.
    const later = await generate({ secret, epoch: Math.floor(Date.now() / 1000) + 30 });
    expect(await service(new Sealer([key])).signIn({ name: 'amy', password: PASSWORD, totp: later, source: 't' })).toEqual({ ok: false, reason: 'invalid' });
    expect(await service(new Sealer([key])).sealStoredTotp()).toEqual({ sealed: 0, unreadable: 1 });
    // Copied into another user's row, the sealed value does not open (bound to the user id).
    await store.updateUser(b.id, { totpSecret: sealedAfter }, Date.now());
    expect(await service(new Sealer([next])).signIn({ name: 'bob', password: PASSWORD, totp: later, source: 't' })).toEqual({ ok: false, reason: 'invalid' });
    expect((await service(new Sealer([next])).signIn({ name: 'amy', password: PASSWORD, totp: later, source: 't' })).ok).toBe(true);
  });
});
