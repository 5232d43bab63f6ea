/**
 * What the route modules share, and the fastify declarations they rely on. Routes import
 * this module (types) and never src/nbi/server.ts, which imports them.
 */
import type { EventBus } from '../events/bus.js';
import type { Services } from '../services/index.js';
import type { ApiRole, Capability, Store } from '../store/types.js';
import type { Authenticator, Principal } from '../auth/tokens.js';
import type { SessionAuthenticator } from '../auth/users.js';
import type { ReachStore } from '../store/reach.js';
import type { SseHub } from './sse.js';
import type { ScopeGuard } from './scope.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Least role the route needs (default read-only); `subscriber`: self-service tokens only. */
    role?: ApiRole | 'subscriber';
    /**
     * A capability that lets an operator in where `role` asks more (auth/tokens.ts routeAllows):
     * policy and virtual-parameter writes are `{ role: 'admin', capability: 'provision' }`.
     */
    capability?: Capability;
    /**
     * No token needed: the route holds no data (health probes, the API document) or
     * authenticates its own way (e.g. an activation code).
     */
    public?: boolean;
  }
  interface FastifyRequest {
    principal: Principal | null;
    /** What a changing route tells the audit log beyond its request (server.ts records it). */
    audit: AuditNote | null;
  }
}

export const API_PREFIX = '/api/v1';

/** A route's word to the audit log: the thing changed and its state before and after (masked when recorded). */
export interface AuditNote {
  target?: string;
  before?: unknown;
  after?: unknown;
}

export interface NbiContext {
  store: Store;
  bus: EventBus;
  services: Services;
  hub: SseHub;
  auth: Authenticator;
  /** Console sessions of people (cookies). */
  sessions: SessionAuthenticator;
  /** Scoped principals: is a device theirs to see (scope.ts). */
  scope: ScopeGuard;
  /** Webhooks were created or deleted: this process's dispatcher (if it runs one) reloads them. */
  webhooksChanged: () => void;
  maxWaitSeconds: number;
  now: () => number;
  /** STUN bindings and reach history (src/store/reach.ts), when this process keeps them. */
  reach: ReachStore | null;
}
