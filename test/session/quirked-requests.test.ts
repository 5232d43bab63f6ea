/**
 * A program wrapped with a device's quirks still hears the CPE's own requests: a download of
 * a repository file is settled by the TransferComplete (src/session/programs/transfers.ts).
 */
import { describe, expect, it } from 'vitest';
import type { CpeRequest, Inform } from '../../src/cwmp/types.js';
import type { Program } from '../../src/session/program.js';
import { QuirkedProgram } from '../../src/session/quirks.js';

describe('QuirkedProgram', () => {
  it('passes the CPE requests on to the program it wraps', () => {
    const heard: string[] = [];
    const inner: Program = { name: 'transfers', next: () => null, learn: () => undefined, cpeRequest: (r) => heard.push(r.method) };
    const wrapped = new QuirkedProgram(inner, { maxGetNames: 10 });
    const tc: Exclude<CpeRequest, Inform> = { method: 'TransferComplete', commandKey: 'k', faultStruct: { faultCode: 9010, faultString: 'x' }, startTime: '', completeTime: '' };
    wrapped.cpeRequest(tc);
    expect(heard).toEqual(['TransferComplete']);
    // A program without the hook is fine too.
    expect(() => new QuirkedProgram({ name: 'tasks', next: () => null, learn: () => undefined }, {}).cpeRequest(tc)).not.toThrow();
  });
});
