/** What every page gets: the API client, the token's role, the live event stream and the activity list. */
import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type { Api, Capability, Role } from './api';
import type { Activity } from './activity';
import type { EventStream } from './events';

export interface AppContext {
  api: Api;
  role: Role;
  /** Rights beside the role, in effect (api.ts canProvision). */
  capabilities: Capability[];
  /** Scoped to part of the fleet: fleet-wide pages (policies, quirks, …) answer 403, so they are not linked. */
  scoped: boolean;
  stream: EventStream;
  activity: Activity;
  signOut: () => void;
}

export const Ctx = createContext<AppContext | null>(null);

export function useApp(): AppContext {
  const c = useContext(Ctx);
  if (c === null) throw new Error('useApp outside the signed-in app');
  return c;
}
