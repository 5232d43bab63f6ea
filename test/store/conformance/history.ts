/**
 * Concern: session logs and CPE messages (src/store/concerns/history.ts).
 */
import { beforeEach, describe, expect, it } from 'vitest';
import type { SessionLogRecord, Store } from '../../../src/store/types.js';
import { T0, harness, idOf, logOf, type StoreFixture } from './harness.js';

export function historyConformance(name: string, factory: () => Promise<StoreFixture>): void {
  describe(`Store conformance, history: ${name}`, () => {
    const h = harness(factory);
    let store: Store;
    beforeEach(() => {
      store = h.store;
    });
    const { inform } = h;

    describe('history', () => {
      it('lists sessions newest first with every field, up to a limit', async () => {
        const id = idOf('H1');
        const log = (at: number): SessionLogRecord =>
          logOf(id, at, {
            rpcs: [
              { method: 'GetParameterValues', requestId: 'r1', outcome: 'done' },
              { method: 'Reboot', requestId: null, outcome: 'fault', faultCode: 9001 },
            ],
            cpeRequests: ['TransferComplete'],
            linkedRequests: ['r0'],
            outcome: at === T0 + 2 ? 'timeout' : 'ok',
          });
        for (let i = 0; i < 3; i++) await inform(id, { informAt: T0 + i, log: log(T0 + i) });
        expect(await store.listSessions(id)).toEqual([log(T0 + 2), log(T0 + 1), log(T0)]);
        expect(await store.listSessions(id, 1)).toEqual([log(T0 + 2)]);
      });

      it('lists CPE messages newest first, up to a limit', async () => {
        const id = idOf('H1');
        const tc = (k: string) => ({
          method: 'TransferComplete' as const,
          commandKey: k,
          faultStruct: { faultCode: 0, faultString: '' },
          startTime: '2024-01-01T00:00:00Z',
          completeTime: '2024-01-01T00:01:00Z',
        });
        await inform(id, { cpeMessages: [{ at: T0, message: tc('a') }, { at: T0 + 1, message: tc('b') }] });
        await inform(id, { informAt: T0 + 5, cpeMessages: [{ at: T0 + 5, message: tc('c') }] });
        expect((await store.listCpeMessages(id)).map((m) => (m.message as { commandKey: string }).commandKey)).toEqual(['c', 'b', 'a']);
        expect(await store.listCpeMessages(id, 1)).toEqual([{ at: T0 + 5, message: tc('c') }]);
      });
    });
  });
}
