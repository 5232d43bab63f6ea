/**
 * The console's only way to the server: the public NBI under /api/v1 with a bearer token.
 * Shapes mirror src/nbi/schemas.ts (the OpenAPI document at /api/v1/openapi.json).
 */

export type Role = 'read-only' | 'operator' | 'admin';
const RANK: Record<Role, number> = { 'read-only': 0, operator: 1, admin: 2 };
export const roleAllows = (have: Role | null, need: Role): boolean => have !== null && RANK[have] >= RANK[need];

/**
 * Rights granted beside the role (src/auth/tokens.ts): `provision` lets an operator change
 * policies and virtual parameters. GET /session says which the principal holds in effect.
 */
export type Capability = 'provision';

/** May this principal change policies (admin, or an operator granted `provision`)? The API decides; this only hides controls. */
export const canProvision = (role: Role | null, capabilities: readonly string[]): boolean =>
  roleAllows(role, 'admin') || (roleAllows(role, 'operator') && capabilities.includes('provision'));

export interface Parameter {
  object?: true;
  value?: string | null;
  type?: string | null;
  writable?: boolean | null;
  notification?: number | null;
  valueAt?: string | null;
  namesAt?: string | null;
}

export interface DeviceIdentity {
  manufacturer?: string;
  oui?: string;
  productClass?: string;
  serialNumber?: string;
}

export interface DeviceSummary {
  id: string;
  deviceId?: DeviceIdentity;
  firstInform?: string | null;
  lastInform?: string | null;
  lastBoot?: string | null;
  lastBootstrap?: string | null;
  lastEvents?: { eventCode: string; commandKey?: string }[];
  tags?: string[];
  parameters?: Record<string, Parameter>;
}

export interface DevicePage {
  total: number;
  devices: DeviceSummary[];
  next: string | null;
}

export type TaskState = 'queued' | 'running' | 'done' | 'fault' | 'expired';
export const FINAL_STATES: readonly TaskState[] = ['done', 'fault', 'expired'];

export interface CpeFault {
  faultCode: number;
  faultString: string;
  setParameterValuesFault?: { parameterName: string; faultCode: number; faultString: string }[];
}

export interface TaskRecord {
  id: string;
  deviceId: string;
  type: string;
  task: Record<string, unknown>;
  state: TaskState;
  createdAt: string | null;
  updatedAt: string | null;
  expiresAt: string | null;
  attempts: number;
  response: Record<string, unknown> | null;
  fault: CpeFault | null;
  connectionRequest: { at: string | null; outcome: string; status?: number; detail?: string } | null;
}

export interface TaskPage {
  total: number;
  tasks: TaskRecord[];
}

export interface SessionRecord {
  startedAt: string | null;
  endedAt: string | null;
  events: { eventCode: string; commandKey?: string }[];
  rpcs: { method?: string; name?: string; outcome?: string; faultCode?: number; faultString?: string }[];
  cpeRequests: string[];
  outcome: string;
  linkedTasks: string[];
}

/** A task body as POST /devices/{id}/tasks takes it. */
export type TaskBody = { type: string } & Record<string, unknown>;

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
  /** "FORBIDDEN: this needs the operator role …" */
  get text(): string {
    return this.code ? `${this.code}: ${this.message}` : this.message;
  }
}

/** Device ids carry their own % escapes; in a path they are encoded once more (the NBI's rule). */
export const devicePath = (id: string): string => `/devices/${encodeURIComponent(id)}`;

export const API_BASE = '/api/v1';

/**
 * A bearer token (machines, or a person pasting one), or null for a person signed in with a
 * name and password: the browser then sends the HttpOnly session cookie itself, and every
 * change carries the session's CSRF token.
 */
export class Api {
  constructor(
    readonly token: string | null,
    private readonly onUnauthorized: () => void = () => undefined,
    readonly csrf: string | null = null,
  ) {}

  /** What authenticates a request of this method (also for XHR uploads and downloads). */
  authHeaders(method = 'GET'): Record<string, string> {
    if (this.token !== null) return { authorization: `Bearer ${this.token}` };
    return method !== 'GET' && method !== 'HEAD' && this.csrf !== null ? { 'x-csrf-token': this.csrf } : {};
  }

  async req<T>(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
    const headers: Record<string, string> = { ...this.authHeaders(method), accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    let res: Response;
    try {
      res = await fetch(API_BASE + path, {
        method,
        headers,
        cache: 'no-store',
        credentials: 'same-origin',
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        ...(signal ? { signal } : {}),
      });
    } catch (e) {
      if (e instanceof DOMException && e.name === 'AbortError') throw e;
      throw new ApiError(0, 'NETWORK', 'the server cannot be reached');
    }
    const text = await res.text();
    let parsed: unknown = undefined;
    if (text !== '') {
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = undefined;
      }
    }
    if (!res.ok) {
      const err = parsed as { code?: string; message?: string } | undefined;
      if (res.status === 401) this.onUnauthorized();
      throw new ApiError(res.status, err?.code ?? `HTTP_${res.status}`, err?.message ?? (res.statusText || 'request failed'));
    }
    return parsed as T;
  }

  get = <T>(path: string, signal?: AbortSignal): Promise<T> => this.req<T>('GET', path, undefined, signal);
  post = <T>(path: string, body: unknown = {}): Promise<T> => this.req<T>('POST', path, body);
  put = <T>(path: string, body: unknown): Promise<T> => this.req<T>('PUT', path, body);
  del = <T>(path: string): Promise<T> => this.req<T>('DELETE', path);
  patch = <T>(path: string, body: unknown): Promise<T> => this.req<T>('PATCH', path, body);

  devices(q: { filter?: string[]; sort?: string; limit?: number; offset?: number; cursor?: string; fields?: string[] }, signal?: AbortSignal): Promise<DevicePage> {
    const p = new URLSearchParams();
    for (const f of q.filter ?? []) p.append('filter', f);
    if (q.sort) p.set('sort', q.sort);
    if (q.limit !== undefined) p.set('limit', String(q.limit));
    if (q.offset) p.set('offset', String(q.offset));
    if (q.cursor) p.set('cursor', q.cursor);
    if (q.fields && q.fields.length > 0) p.set('fields', q.fields.join(','));
    return this.get<DevicePage>(`/devices?${p.toString()}`, signal);
  }

  device(id: string, subtree?: string, signal?: AbortSignal): Promise<DeviceSummary & { parameters: Record<string, Parameter> }> {
    const q = subtree === undefined ? '' : `?subtree=${encodeURIComponent(subtree)}`;
    return this.get(`${devicePath(id)}${q}`, signal);
  }

  /** Queue a task for one device and ask it to connect now (the task runs in that session). */
  createTask(id: string, body: TaskBody, connectionRequest = true): Promise<TaskRecord> {
    return this.post<TaskRecord>(`${devicePath(id)}/tasks${connectionRequest ? '?connectionRequest=true' : ''}`, body);
  }

  task(id: string): Promise<TaskRecord> {
    return this.get<TaskRecord>(`/tasks/${encodeURIComponent(id)}`);
  }

  /** Every device a filter matches, page by page (keyset cursor), for exports and bulk work. */
  async *allDevices(filter: string[], fields: string[], sort?: string, signal?: AbortSignal, pageSize = 1000): AsyncGenerator<DevicePage> {
    let cursor: string | undefined;
    while (true) {
      const page = await this.devices({ filter, fields, limit: pageSize, ...(sort ? { sort } : {}), ...(cursor ? { cursor } : {}) }, signal);
      yield page;
      if (page.next === null || page.devices.length === 0) return;
      cursor = page.next;
    }
  }
}

/**
 * What a token may do. The NBI has no "who am I" route, so the console asks routes whose
 * answer depends only on the role, and change nothing: GET /tokens (admin only), and a retry
 * of a task that does not exist (operator: 404, read-only: 403).
 */
export async function detectRole(api: Api): Promise<Role> {
  return (await detectPrincipal(api)).role;
}

/** The role and the capabilities held in effect (older servers without GET /session: none). */
export async function detectPrincipal(api: Api): Promise<{ role: Role; capabilities: Capability[]; scoped: boolean }> {
  // Servers that say who is asking (GET /session) answer at once; older ones are probed.
  try {
    const s = await api.get<{ role: Role; capabilities?: Capability[]; scope?: unknown }>('/session');
    return { role: s.role, capabilities: s.capabilities ?? [], scoped: s.scope != null };
  } catch (e) {
    if (!(e instanceof ApiError) || e.status !== 404) throw e;
  }
  return { role: await probeRole(api), capabilities: [], scoped: false };
}

async function probeRole(api: Api): Promise<Role> {
  await api.devices({ limit: 0 });
  try {
    await api.get('/tokens');
    return 'admin';
  } catch (e) {
    if (!(e instanceof ApiError) || e.status !== 403) throw e;
  }
  try {
    await api.post('/tasks/role-probe-0/retry');
    return 'operator';
  } catch (e) {
    if (e instanceof ApiError && e.status === 403) return 'read-only';
    if (e instanceof ApiError && (e.status === 404 || e.status === 409)) return 'operator';
    throw e;
  }
}

/** "9002 Internal error" plus per-parameter detail, for every failure a CPE reports. */
export function faultText(f: CpeFault | null | undefined): string {
  if (!f) return '';
  const head = `${f.faultCode} ${f.faultString}`.trim();
  const detail = (f.setParameterValuesFault ?? []).map((p) => `${p.parameterName}: ${p.faultCode} ${p.faultString}`);
  return detail.length > 0 ? `${head} — ${detail.join('; ')}` : head;
}

export function errorText(e: unknown): string {
  if (e instanceof ApiError) return e.text;
  if (e instanceof Error) return e.message;
  return String(e);
}
