/**
 * The NBI's server-sent events (/api/v1/events) read with fetch, not EventSource: the stream
 * needs the bearer token in the Authorization header, which EventSource cannot send, and a
 * token in a URL would land in logs. Reconnects with Last-Event-ID (the server replays what
 * was missed within its window) and backs off while the server is away.
 */
import { API_BASE } from './api';

export interface FlotillaEvent {
  id: string;
  type: 'device.registered' | 'device.booted' | 'device.inform' | 'task.done' | 'task.faulted' | 'task.expired' | 'campaign.changed' | 'campaign.device' | 'campaign.progress' | 'alarm.raised' | 'alarm.updated' | 'alarm.cleared' | 'alarm.acknowledged' | 'policy.changed' | 'policy.compliance' | 'quirks.changed';
  at: number;
  deviceId: string;
  data: Record<string, unknown>;
}

export type StreamState = 'connecting' | 'live' | 'offline';
type Listener = (e: FlotillaEvent) => void;

export class EventStream {
  readonly #auth: Record<string, string>;
  readonly #listeners = new Set<Listener>();
  readonly #stateListeners = new Set<(s: StreamState) => void>();
  #abort: AbortController | null = null;
  #lastId: string | null = null;
  #retryMs = 2000;
  #state: StreamState = 'connecting';
  #stopped = false;
  #timer: ReturnType<typeof setTimeout> | null = null;

  /** `auth`: the API's headers for a GET (a bearer token; none with a session cookie). */
  constructor(auth: Record<string, string>) {
    this.#auth = auth;
  }

  get state(): StreamState {
    return this.#state;
  }

  subscribe(l: Listener): () => void {
    this.#listeners.add(l);
    return () => this.#listeners.delete(l);
  }

  onState(l: (s: StreamState) => void): () => void {
    this.#stateListeners.add(l);
    return () => this.#stateListeners.delete(l);
  }

  start(): void {
    this.#stopped = false;
    void this.#run();
  }

  stop(): void {
    this.#stopped = true;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#abort?.abort();
  }

  #setState(s: StreamState): void {
    if (s === this.#state) return;
    this.#state = s;
    for (const l of this.#stateListeners) l(s);
  }

  async #run(): Promise<void> {
    let failures = 0;
    while (!this.#stopped) {
      this.#abort = new AbortController();
      this.#setState('connecting');
      try {
        const headers: Record<string, string> = { ...this.#auth, accept: 'text/event-stream' };
        if (this.#lastId !== null) headers['last-event-id'] = this.#lastId;
        const res = await fetch(`${API_BASE}/events`, { headers, cache: 'no-store', signal: this.#abort.signal });
        if (!res.ok || res.body === null) throw new Error(`HTTP ${res.status}`);
        this.#setState('live');
        failures = 0;
        await this.#read(res.body);
      } catch {
        failures++;
      }
      if (this.#stopped) return;
      this.#setState(failures > 1 ? 'offline' : 'connecting');
      const delay = Math.min(30_000, this.#retryMs * 2 ** Math.max(0, failures - 1));
      await new Promise<void>((r) => (this.#timer = setTimeout(r, delay)));
    }
  }

  async #read(body: ReadableStream<Uint8Array>): Promise<void> {
    const reader = body.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    let data: string[] = [];
    let id: string | null = null;
    while (true) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += decoder.decode(value, { stream: true });
      let nl: number;
      while ((nl = buffer.search(/\r\n|\r|\n/)) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + (buffer.startsWith('\r\n', nl) ? 2 : 1));
        if (line === '') {
          if (data.length > 0) this.#dispatch(data.join('\n'), id);
          data = [];
          id = null;
          continue;
        }
        if (line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        const val = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
        if (field === 'data') data.push(val);
        else if (field === 'id') id = val;
        else if (field === 'retry' && /^\d+$/.test(val)) this.#retryMs = Number(val);
      }
    }
  }

  #dispatch(text: string, id: string | null): void {
    if (id !== null) this.#lastId = id;
    let e: FlotillaEvent;
    try {
      e = JSON.parse(text) as FlotillaEvent;
    } catch {
      return;
    }
    for (const l of [...this.#listeners]) {
      try {
        l(e);
      } catch {
        // a broken view must not stop the stream
      }
    }
  }
}
