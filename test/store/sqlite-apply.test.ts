/**
 * SQLite's tree upserts run many rows per statement (src/store/sqlite/rows-insert.ts). Every
 * list here is longer than one statement and not a power of two, so it is split into full
 * statements and a tail of smaller ones; the result must be the table that the same items,
 * one per op (one single-row upsert each), leave behind — including a path listed twice in
 * one statement and across two, where a later row updates the row an earlier one wrote.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { WriteOp } from '../../src/store/session-writes.js';
import { applyWrites } from '../../src/store/sqlite/apply.js';
import { Db } from '../../src/store/sqlite/db.js';
import { MIGRATIONS, runMigrations } from '../../src/store/sqlite/index.js';
import { MAX_ROWS } from '../../src/store/sqlite/rows-insert.js';

const DEVICE = 'D-1';
const N = 2 * MAX_ROWS + 37; // 256 + 256 + 32 + 4 + 1 rows
const H = Math.floor(N / 2);

const objects = Array.from({ length: N }, (_, i) => `Device.X.${i}.`);
const leaves = Array.from({ length: N }, (_, i) => `Device.X.${i}.P`);

/** One op per item: each a one-row statement, i.e. sequential single-row upserts. */
function oneByOne(op: WriteOp): WriteOp[] {
  switch (op.k) {
    case 'values':
      return op.items.map((item) => ({ ...op, items: [item] }));
    case 'names':
      return op.items.map((item) => ({ ...op, items: [item] }));
    case 'nodes':
      return op.items.map((item) => ({ ...op, items: [item] }));
    case 'ensure':
      return op.items.map((item) => ({ ...op, items: [item] }));
    default:
      return [op];
  }
}

const OPS: WriteOp[] = [
  { k: 'names', at: 1, items: leaves.map((p, i) => [p, i % 2 === 0]) },
  // Half of these exist already (names_at stays 1), half are new.
  { k: 'ensure', at: 2, items: [...objects.slice(0, H), ...Array.from({ length: N - H + 1 }, (_, i) => `Device.Y.${i}.`)] },
  { k: 'nodes', at: 3, valuesAt: 30, touch: false, items: leaves.map((p, i) => [p, i % 3 === 0, `v${i}`, 'xsd:string']) },
  // Every third value changes, every fifth type changes; the rest keep value_at 30.
  {
    k: 'nodes',
    at: 4,
    valuesAt: 40,
    touch: false,
    items: leaves.map((p, i) => [p, true, i % 3 === 0 ? `w${i}` : `v${i}`, i % 5 === 0 ? 'xsd:int' : 'xsd:string']),
  },
  {
    k: 'values',
    at: 50,
    touch: false,
    items: [
      ['Device.X.1.P', 'first', 'xsd:string'],
      ['Device.X.2.P', 'v2', 'xsd:string'], // unchanged: value_at stays
      ['Device.X.1.P', 'second', 'xsd:string'], // same statement: wins
      ['Device.X.4.P', 'changed', 'xsd:string'],
      ['Device.X.4.P', 'v4', 'xsd:string'], // back to the stored value: still written, value_at 50
      ['Device.New.', '', 'object'],
      ...leaves.slice(10).map((p, i): [string, string, string] => [p, i % 7 === 0 ? `z${i}` : 'same', 'xsd:string']),
      ['Device.X.7.P', 'last', 'xsd:string'], // listed in the first statement too (above): this one wins
      ['Device.X.7.P', 'v7', 'xsd:string'],
    ],
  },
  { k: 'values', at: 60, touch: true, items: leaves.slice(0, N - 3).map((p) => [p, 'same', 'xsd:string']) },
  { k: 'ensure', at: 70, items: [...objects, 'Device.Z.', 'Device.Z.', ...objects.slice(0, 5)] },
];

describe('SQLite multi-row tree upserts', () => {
  let dir: string;
  const dbs: Db[] = [];
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'flotilla-apply-'));
  });
  afterEach(async () => {
    for (const db of dbs.splice(0)) db.close();
    await rm(dir, { recursive: true, force: true });
  });
  const open = (name: string): Db => {
    const db = new Db(join(dir, name));
    runMigrations(db, MIGRATIONS, 0);
    dbs.push(db);
    return db;
  };
  const dump = (db: Db) => db.all('SELECT * FROM parameters ORDER BY device_id, path');

  it('leave the table that one single-row upsert per item leaves', () => {
    const batched = open('batched.db');
    const single = open('single.db');
    for (const op of OPS) {
      batched.immediate(() => applyWrites(batched, DEVICE, [op]));
      single.immediate(() => applyWrites(single, DEVICE, oneByOne(op)));
    }
    const rows = dump(batched);
    expect(rows).toEqual(dump(single));

    const row = (path: string) => rows.find((r) => r.path === path);
    expect(rows).toHaveLength(2 * N + (N - H + 1) + 2);
    expect(row('Device.X.0.')).toMatchObject({ object: 1, names_at: 2 });
    expect(row(`Device.X.${N - 1}.`)).toMatchObject({ object: 1, names_at: 70 });
    expect(row('Device.Z.')).toMatchObject({ object: 1, names_at: 70 });
    // Duplicates: the later row wins, within one statement and across statements.
    expect(row('Device.X.1.P')).toMatchObject({ value: 'same', value_at: 60 });
    expect(row('Device.X.4.P')).toMatchObject({ value: 'same', value_at: 60 });
    expect(row('Device.X.7.P')).toMatchObject({ value: 'same', value_at: 60 });
    expect(row(`Device.X.${N - 1}.P`)).toMatchObject({ value: 'same', value_at: 50, names_at: 4, writable: 1 });
    // Untouched reads: value_at moved only where value or type changed.
    const nodesOnly = rows.filter((r) => /^Device\.X\.\d+\.P$/.test(String(r.path)) && r.value_at !== 50 && r.value_at !== 60);
    expect(nodesOnly).toEqual([]);
  });

  it('keep value_at of unchanged rows across statement boundaries when not touched', () => {
    const db = open('values.db');
    db.immediate(() => applyWrites(db, DEVICE, OPS.slice(0, 4)));
    const rows = dump(db).filter((r) => String(r.path).startsWith('Device.X.') && String(r.path).endsWith('.P'));
    expect(rows).toHaveLength(N);
    for (const r of rows) {
      const i = Number(String(r.path).split('.')[2]);
      const changed = i % 3 === 0 || i % 5 === 0;
      expect([r.path, r.value_at, r.names_at, r.writable]).toEqual([r.path, changed ? 40 : 30, 4, 1]);
    }
  });
});
