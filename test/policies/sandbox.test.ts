/**
 * The script sandbox (src/policies/sandbox.ts), with plain inputs: values, limits (time,
 * memory, stack), the fixed API, syntax errors with positions, runs that need values.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { loadSandbox, sandboxHost, type ScriptHost, type ScriptInput } from '../../src/policies/sandbox.js';

let host: ScriptHost;
beforeAll(async () => {
  await loadSandbox();
  host = sandboxHost({ timeoutMs: 100, memoryBytes: 4 * 1024 * 1024 })!;
});

const device = { id: 'OUI-PC-SN1', manufacturer: 'Acme', oui: 'OUI', productClass: 'PC', serialNumber: 'SN1', tags: ['lab'] };
const params: Record<string, string | null> = { 'Device.A': 'a', 'Device.Gone': null };
const input = (over: Partial<ScriptInput> = {}): ScriptInput => ({ device, param: (p) => params[p], ...over });

describe('script sandbox', () => {
  it('computes a value from the device and its parameters', () => {
    expect(host.run('return "wifi-" + device.serialNumber.toLowerCase()', input())).toEqual({ kind: 'ok', value: 'wifi-sn1', declared: [] });
    expect(host.run('return param("Device.A") + (param("Device.Gone") === null) + device.tags[0]', input())).toMatchObject({ value: 'atruelab' });
    expect(host.run('return 42', input())).toMatchObject({ value: '42' });
    expect(host.run('declare("Device.X", 1); declare("Device.Y", "y")', input())).toEqual({ kind: 'ok', value: null, declared: [['Device.X', '1'], ['Device.Y', 'y']] });
  });

  it('an unknown parameter or an unfetched GET makes the run "needs", even when the script catches it', () => {
    expect(host.run('try { return param("Device.B") } catch (e) { return "caught" }', input())).toEqual({ kind: 'needs', params: ['Device.B'], fetches: [] });
    expect(host.run('return http.get("a/b")', input({ http: () => undefined }))).toEqual({ kind: 'needs', params: [], fetches: ['a/b'] });
    expect(host.run('return http.get("a/b")', input({ http: () => ({ body: 'B' }) }))).toMatchObject({ kind: 'ok', value: 'B' });
    expect(host.run('return http.get("a/b")', input({ http: () => ({ error: 'HTTP 404' }) }))).toMatchObject({ kind: 'error', error: expect.stringContaining('HTTP 404') });
    expect(host.run('return http.get("a")', input())).toMatchObject({ kind: 'error', error: expect.stringContaining('no HTTP extension') });
  });

  it("a throw is the script's own error, with its position", () => {
    const r = host.run('\nthrow new Error("no SSID for " + device.serialNumber)', input());
    expect(r).toEqual({ kind: 'error', error: expect.stringMatching(/^Error: no SSID for SN1 \(line 2, column \d+\)$/) });
    expect(host.run('throw "plain"', input())).toEqual({ kind: 'error', error: 'thrown: plain' });
    expect(host.run('return {a: 1}', input())).toMatchObject({ kind: 'error', error: expect.stringContaining('object') });
  });

  it('a loop without end, an allocation without bound, a recursion without end: stopped and reported', () => {
    expect(host.run('for (;;) {}', input())).toMatchObject({ kind: 'error', error: expect.stringContaining('interrupted') });
    // A generous clock, so the memory limit is what stops it.
    const roomy = sandboxHost({ timeoutMs: 10_000, memoryBytes: 2 * 1024 * 1024 })!;
    expect(roomy.run('const a = []; for (;;) a.push([a.length, a.length + 1, a.length + 2])', input())).toMatchObject({ kind: 'error', error: expect.stringContaining('out of memory') });
    const deep = host.run('function f(n) { return f(n + 1) + 1 } return f(0)', input());
    expect(deep).toMatchObject({ kind: 'error', error: expect.stringContaining('stack overflow') });
    expect(deep.kind === 'error' && deep.error.length).toBeLessThan(400);
    // The next run is unaffected.
    expect(host.run('return 1', input())).toMatchObject({ kind: 'ok', value: '1' });
  });

  it('no way out: no require, fetch, process, timers or module loader', () => {
    for (const name of ['require', 'fetch', 'process', 'setTimeout', 'XMLHttpRequest', 'std', 'os']) {
      expect(host.run(`return typeof ${name}`, input())).toMatchObject({ value: 'undefined' });
    }
    expect(host.run('device.serialNumber = "X"; return device.serialNumber', input())).toMatchObject({ kind: 'error', error: expect.stringContaining('TypeError') });
  });

  it('check: a syntax error with its line and column; nothing runs', () => {
    expect(host.check('return device.id')).toBeNull();
    expect(host.check('for (;;) {}')).toBeNull();
    expect(host.check('const a = ;')).toEqual({ message: expect.stringContaining('SyntaxError'), line: 1, column: 11 });
    expect(host.check('const a = 1\nconst b = a +\n}')).toMatchObject({ line: 3, column: 1 });
    expect(host.check('x'.repeat(20_000))).toMatchObject({ message: expect.stringContaining('longer') });
  });
});
