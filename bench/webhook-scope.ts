/**
 * What scoped webhooks cost the events path (issue 10): events published on the bus, queued by
 * the webhook dispatcher for an unscoped webhook alone, then beside two webhooks scoped to a
 * tag each (the scope check: src/nbi/scope.ts ScopeGuard, one device query per scope for the
 * devices asked about in one turn of the event loop, answers kept 2 s). SQLite in a temp
 * directory; deliveries are queued, never sent (the bench store claims nothing), so the
 * figures are the queueing side only.
 *
 *   npx tsc && node dist/bench/webhook-scope.js [--devices 2000] [--events 20000]
 *
 * Two patterns: `session`, three events of one device in a row (as one session raises them),
 * and `spread`, each event another device's (every check misses the cache).
 * Printed per case: events per second until every delivery is queued, deliveries queued per
 * webhook, store enqueue calls, and device queries (scope checks that missed the cache) per event.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { EventBus } from '../src/events/bus.js';
import { WebhookDispatcher } from '../src/events/webhooks.js';
import { webhookScopeCheck } from '../src/nbi/scope.js';
import { countingStore } from '../src/store/counting.js';
import { createSqliteStore } from '../src/store/sqlite/index.js';
import type { Store } from '../src/store/types.js';

const { values: args } = parseArgs({ options: { devices: { type: 'string', default: '2000' }, events: { type: 'string', default: '20000' } } });
const DEVICES = Number(args.devices);
const EVENTS = Number(args.events);

async function seed(store: Store): Promise<string[]> {
  const ids: string[] = [];
  const at = Date.now();
  for (let i = 0; i < DEVICES; i++) {
    const serial = `WS${String(i).padStart(6, '0')}`;
    const id = `00AA00-Box-${serial}`;
    await store.openSession({ deviceId: id, lockOwner: 'bench', lockTtlMs: 10_000, now: at });
    await store.commitSession({
      deviceId: id,
      lockOwner: 'bench',
      identity: { manufacturer: 'Bench', oui: '00AA00', productClass: 'Box', serialNumber: serial },
      informAt: at,
      events: [{ eventCode: '0 BOOTSTRAP', commandKey: '' }],
      parameterOps: [],
      requestOutcomes: [],
      cpeMessages: [],
      log: { deviceId: id, startedAt: at, endedAt: at, events: [], rpcs: [], cpeRequests: [], outcome: 'ok', linkedRequests: [] },
      releaseLock: true,
    });
    await store.setTags(id, [i % 2 === 0 ? 'north' : 'south'], []);
    ids.push(id);
  }
  return ids;
}

/** `session`: three events of one device in a row (inform, task done, boot), as a session raises them; `spread`: each event another device's (the cache's worst case). */
type Pattern = 'session' | 'spread';
const TYPES = ['device.inform', 'task.done', 'device.booted'] as const;

async function run(label: string, store: Store, ids: string[], scoped: boolean, pattern: Pattern): Promise<void> {
  const at = Date.now();
  for (const w of await store.listWebhooks()) await store.deleteWebhook(w.id);
  await store.createWebhook({ id: 'all', url: 'http://127.0.0.1:9/all', secret: 's'.repeat(32), events: [], createdAt: at });
  if (scoped) {
    await store.createWebhook({ id: 'north', url: 'http://127.0.0.1:9/n', secret: 's'.repeat(32), events: [], createdAt: at, scope: { tag: 'north' } });
    await store.createWebhook({ id: 'south', url: 'http://127.0.0.1:9/s', secret: 's'.repeat(32), events: [], createdAt: at, scope: { tag: 'south' } });
  }
  const counted = countingStore(store);
  // Queue, never send: the bench measures the events path only.
  counted.claimWebhookDeliveries = () => Promise.resolve([]);
  const bus = new EventBus({ replay: 0 });
  const dispatcher = new WebhookDispatcher(counted, bus, { pollMs: 60_000, closeTimeoutMs: 600_000, inScope: webhookScopeCheck(counted) });
  // Warm the dispatcher's webhook list, then count from zero.
  bus.publish({ type: 'device.inform', at, deviceId: ids[0]!, data: {} });
  await new Promise((r) => setTimeout(r, 200));
  counted.reset();
  const started = process.hrtime.bigint();
  for (let i = 0; i < EVENTS; i++) {
    const device = pattern === 'session' ? ids[Math.floor(i / 3) % ids.length]! : ids[i % ids.length]!;
    bus.publish({ type: TYPES[i % 3]!, at, deviceId: device, data: { i } });
    // Let the queue drain now and then, as events arrive from sessions over time.
    if (i % 500 === 499) await new Promise((r) => setImmediate(r));
  }
  await dispatcher.close();
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  const by = counted.byMethod();
  const count = async (id: string): Promise<number> => (await store.listWebhookDeliveries(id, { limit: 1_000_000 }))?.length ?? 0;
  const queued = scoped ? `${await count('all')} / ${await count('north')} / ${await count('south')}` : `${await count('all')}`;
  console.log(`| ${label} | ${pattern} | ${Math.round(EVENTS / (ms / 1000))} | ${queued} | ${by.enqueueWebhookDeliveries ?? 0} | ${((by.listDevices ?? 0) / EVENTS).toFixed(3)} |`);
}

const dir = mkdtempSync(join(tmpdir(), 'flotilla-bench-webhook-scope-'));
try {
  const store = await createSqliteStore({ dataDir: dir });
  await store.migrate();
  const ids = await seed(store);
  console.log(`${DEVICES} devices (half tagged north, half south), ${EVENTS} events, SQLite`);
  console.log('| webhooks | events | events/s queued | deliveries (all / north / south) | enqueue calls | device queries per event |');
  console.log('|---|---|---|---|---|---|');
  for (const pattern of ['session', 'spread'] as const) {
    await run('1 unscoped', store, ids, false, pattern);
    await run('1 unscoped + 2 scoped (tag)', store, ids, true, pattern);
  }
  await store.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
