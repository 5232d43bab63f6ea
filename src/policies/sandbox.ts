/**
 * Policy scripts in a real sandbox: QuickJS compiled to WebAssembly (quickjs-emscripten), not
 * node:vm, which shares the host's heap and is no security boundary. Each run gets a fresh
 * QuickJS runtime with its own memory limit (QuickJS's allocator refuses past it: "out of
 * memory"), a stack limit (a deep recursion is a QuickJS "stack overflow", never a host
 * stack overflow) and an interrupt handler that stops it at a deadline ("interrupted"). The
 * script sees a fixed API and nothing else: no require, no fetch, no timers, no file.
 *
 *   device        {id, manufacturer, oui, productClass, serialNumber, tags}, frozen
 *   param(path)   the parameter's value as text, or null when the device has no such parameter
 *   declare(path, value)   (policy-level scripts and writable virtual parameters) a value wanted
 *   http.get(path)         the body of GET <configured base>/<path>, when the operator configured
 *                          the HTTP extension (./extensions.ts); throws when that GET failed
 *   value         (write mappings of virtual parameters) the value being written
 *
 * The script is the body of a function: `return` gives the computed value.
 *
 * Why synchronous, and no asyncify build: a run must fit in a session's synchronous program
 * step (src/session/program.ts), and the asyncify variant would let a script hold the session
 * across an arbitrary wait. Instead a script never waits: a parameter the session does not
 * know yet, or an HTTP answer not fetched yet, ends the run as "needs" (whatever the script
 * did with the exception it got), the session reads the parameters (GetParameterValues) or the
 * policy program fetches the URLs (bounded: a timeout per GET, a few GETs per session, a
 * cache) before its next step, and the script runs again from the start with the answers in
 * hand. Scripts are pure functions of what they read, so running one again is safe.
 */
import { getQuickJS, shouldInterruptAfterDeadline, type QuickJSContext, type QuickJSHandle, type QuickJSWASMModule } from 'quickjs-emscripten';

export interface ScriptLimits {
  /** Wall time of one run (the interrupt handler's deadline). */
  timeoutMs: number;
  /** QuickJS heap of one run. */
  memoryBytes: number;
  /** QuickJS stack of one run (kept well under the host's, so QuickJS reports it first). */
  stackBytes: number;
}

export const DEFAULT_SCRIPT_LIMITS: ScriptLimits = { timeoutMs: 100, memoryBytes: 8 * 1024 * 1024, stackBytes: 256 * 1024 };

/** Longest script accepted (characters). */
export const MAX_SCRIPT_LENGTH = 16_384;
/** Longest error text kept from a script (a stack overflow's trace is long). */
const MAX_ERROR = 300;
/** Most values a script may declare in one run. */
const MAX_DECLARED = 512;
/** Longest value a script may return or declare. */
const MAX_VALUE = 4096;

export interface ScriptDevice {
  id: string;
  manufacturer: string;
  oui: string;
  productClass: string;
  serialNumber: string;
  tags: readonly string[];
}

/** What an extension GET has given so far: undefined not fetched yet. */
export type FetchState = { body: string } | { error: string } | undefined;

export interface ScriptInput {
  device: ScriptDevice;
  /** undefined: not known yet (to be read); null: absent. */
  param(path: string): string | null | undefined;
  /** Present when the HTTP extension is configured. */
  http?: (path: string) => FetchState;
  /** Write mapping of a virtual parameter: the value written. */
  value?: string;
}

export type ScriptResult =
  /** `value`: what the script returned as text (null: it returned nothing). */
  | { kind: 'ok'; value: string | null; declared: [string, string][] }
  /** The script's own error (a throw, a syntax error, a limit), as text with its position. */
  | { kind: 'error'; error: string }
  /** It needs values not known yet: read these parameters, fetch these paths, run it again. */
  | { kind: 'needs'; params: string[]; fetches: string[] };

export interface ScriptPosition {
  message: string;
  line: number;
  column: number;
}

/** Runs scripts; the engine calls it synchronously. */
export interface ScriptHost {
  run(source: string, input: ScriptInput): ScriptResult;
  /** A syntax error with its position, or null: the script compiles. Nothing runs. */
  check(source: string): ScriptPosition | null;
}

// The script becomes a function body; the prefix sits on its first line so line numbers stay
// the script's own (columns on line 1 are shifted back by its length).
const PREFIX = '"use strict";(function(){';
const SUFFIX = '\n})()';
const FILE = 'policy.js';

let module: QuickJSWASMModule | null = null;
let loading: Promise<QuickJSWASMModule> | null = null;

/** Load the WebAssembly module once per process (a few ms); every ScriptHost shares it. */
export async function loadSandbox(): Promise<void> {
  if (module !== null) return;
  loading ??= getQuickJS();
  const m = await loading;
  // The first run in a process is slow (the engine compiles the WebAssembly lazily): make it
  // here, so it does not eat a script's time budget.
  const rt = m.newRuntime();
  rt.newContext().dispose();
  rt.dispose();
  new QuickJsHost(m, { ...DEFAULT_SCRIPT_LIMITS, timeoutMs: 5000 }).run('return 1', { device: { id: '', manufacturer: '', oui: '', productClass: '', serialNumber: '', tags: [] }, param: () => null });
  module = m;
}

/** A host over the loaded module, or null before loadSandbox() resolved. */
export function sandboxHost(limits: Partial<ScriptLimits> = {}): ScriptHost | null {
  return module === null ? null : new QuickJsHost(module, { ...DEFAULT_SCRIPT_LIMITS, ...limits });
}

class QuickJsHost implements ScriptHost {
  constructor(
    readonly qjs: QuickJSWASMModule,
    readonly limits: ScriptLimits,
  ) {}

  check(source: string): ScriptPosition | null {
    if (source.length > MAX_SCRIPT_LENGTH) return { message: `longer than ${MAX_SCRIPT_LENGTH} characters`, line: 1, column: 1 };
    return this.#withContext((ctx, start) => {
      start();
      const r = ctx.evalCode(PREFIX + source + SUFFIX, FILE, { type: 'global', compileOnly: true });
      if (r.error === undefined) {
        r.value.dispose();
        return null;
      }
      const e = dumpError(ctx, r.error);
      // An error at the very end (an unclosed call) points into the suffix: say the script's end.
      const lines = source.split('\n');
      if ((e.line ?? 1) > lines.length) return { message: e.message, line: lines.length, column: lines.at(-1)!.length + 1 };
      return { message: e.message, line: e.line ?? 1, column: e.column ?? 1 };
    }, this.limits.timeoutMs);
  }

  run(source: string, input: ScriptInput): ScriptResult {
    if (source.length > MAX_SCRIPT_LENGTH) return { kind: 'error', error: `the script is longer than ${MAX_SCRIPT_LENGTH} characters` };
    const needParams = new Set<string>();
    const needFetches = new Set<string>();
    const declared: [string, string][] = [];
    try {
      return this.#withContext((ctx, start) => {
        install(ctx, input, { needParams, needFetches, declared });
        // The clock starts with the script, not with setting up its API.
        start();
        const r = ctx.evalCode(PREFIX + source + SUFFIX, FILE, { type: 'global' });
        // A value the session lacks decides the run, whatever the script made of the exception.
        if (needParams.size > 0 || needFetches.size > 0) {
          (r.error ?? r.value).dispose();
          return { kind: 'needs', params: [...needParams], fetches: [...needFetches] };
        }
        if (r.error !== undefined) {
          const e = dumpError(ctx, r.error);
          return { kind: 'error', error: e.text };
        }
        const v = ctx.dump(r.value) as unknown;
        r.value.dispose();
        if (v === undefined || v === null) return { kind: 'ok', value: null, declared };
        if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') return { kind: 'error', error: `the script returned ${Array.isArray(v) ? 'an array' : typeof v}, not text, a number or a boolean` };
        const text = String(v);
        if (text.length > MAX_VALUE) return { kind: 'error', error: `the script returned a value longer than ${MAX_VALUE} characters` };
        return { kind: 'ok', value: text, declared };
      }, this.limits.timeoutMs);
    } catch (e) {
      // The host itself failed (a wasm trap): report it as the script's fault, keep serving.
      return { kind: 'error', error: `sandbox failure: ${e instanceof Error ? e.message : String(e)}`.slice(0, MAX_ERROR) };
    }
  }

  #withContext<T>(body: (ctx: QuickJSContext, start: () => void) => T, timeoutMs: number): T {
    const rt = this.qjs.newRuntime();
    try {
      rt.setMemoryLimit(this.limits.memoryBytes);
      rt.setMaxStackSize(this.limits.stackBytes);
      const ctx = rt.newContext();
      try {
        return body(ctx, () => rt.setInterruptHandler(shouldInterruptAfterDeadline(Date.now() + timeoutMs)));
      } finally {
        ctx.dispose();
      }
    } finally {
      rt.dispose();
    }
  }
}

interface RunState {
  needParams: Set<string>;
  needFetches: Set<string>;
  declared: [string, string][];
}

/** The fixed API, and nothing else, on the script's global object. */
function install(ctx: QuickJSContext, input: ScriptInput, st: RunState): void {
  const set = (name: string, h: QuickJSHandle, on: QuickJSHandle = ctx.global): void => {
    ctx.setProp(on, name, h);
    h.dispose();
  };
  const fail = (message: string): { error: QuickJSHandle } => ({ error: ctx.newError(message) });
  const text = (h: QuickJSHandle | undefined, what: string): string | { error: QuickJSHandle } => {
    if (h === undefined || ctx.typeof(h) !== 'string') return fail(`${what} must be a string`);
    return ctx.getString(h);
  };

  const d = input.device;
  const device = ctx.unwrapResult(ctx.evalCode(`Object.freeze(Object.assign(${JSON.stringify({ ...d, tags: [] })}, { tags: Object.freeze(${JSON.stringify([...d.tags])}) }))`));
  set('device', device);

  set(
    'param',
    ctx.newFunction('param', (h) => {
      const path = text(h, 'param(path): path');
      if (typeof path !== 'string') return path;
      const v = input.param(path);
      if (v === undefined) {
        st.needParams.add(path);
        return fail(`${path} is not known yet`);
      }
      return v === null ? ctx.null : ctx.newString(v);
    }),
  );

  set(
    'declare',
    ctx.newFunction('declare', (ph, vh) => {
      const path = text(ph, 'declare(path, value): path');
      if (typeof path !== 'string') return path;
      if (vh === undefined) return fail('declare(path, value): value is missing');
      const t = ctx.typeof(vh);
      if (t !== 'string' && t !== 'number' && t !== 'boolean') return fail('declare(path, value): value must be text, a number or a boolean');
      const value = String(ctx.dump(vh));
      if (value.length > MAX_VALUE) return fail(`declare(path, value): value longer than ${MAX_VALUE} characters`);
      if (st.declared.length >= MAX_DECLARED) return fail(`declare: at most ${MAX_DECLARED} values`);
      st.declared.push([path, value]);
      return ctx.undefined;
    }),
  );

  if (input.value !== undefined) set('value', ctx.newString(input.value));

  const http = ctx.newObject();
  set(
    'get',
    ctx.newFunction('get', (h) => {
      const path = text(h, 'http.get(path): path');
      if (typeof path !== 'string') return path;
      if (input.http === undefined) return fail('no HTTP extension is configured (--policy-http-base)');
      const got = input.http(path);
      if (got === undefined) {
        st.needFetches.add(path);
        return fail(`GET ${path} is not fetched yet`);
      }
      if ('error' in got) return fail(got.error);
      return ctx.newString(got.body);
    }),
    http,
  );
  set('http', http);
}

interface DumpedError {
  message: string;
  text: string;
  line?: number;
  column?: number;
}

/** The script's error as text, "Name: message (line L, column C)", bounded, with its position. */
function dumpError(ctx: QuickJSContext, h: QuickJSHandle): DumpedError {
  const v = ctx.dump(h) as unknown;
  h.dispose();
  let message: string;
  let stack = '';
  if (typeof v === 'object' && v !== null && 'message' in v) {
    const e = v as { name?: unknown; message?: unknown; stack?: unknown };
    message = `${typeof e.name === 'string' ? e.name : 'Error'}: ${String(e.message)}`;
    stack = typeof e.stack === 'string' ? e.stack : '';
  } else {
    message = `thrown: ${typeof v === 'string' ? v : JSON.stringify(v) ?? String(v)}`;
  }
  message = message.slice(0, MAX_ERROR);
  const at = /policy\.js:(\d+):(\d+)/.exec(stack);
  if (at === null) return { message, text: message };
  const line = Number(at[1]);
  const column = line === 1 ? Math.max(1, Number(at[2]) - PREFIX.length) : Number(at[2]);
  return { message, text: `${message} (line ${line}, column ${column})`, line, column };
}
