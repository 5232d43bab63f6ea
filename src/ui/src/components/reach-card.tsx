/**
 * How the ACS reaches the device (GET /devices/{id}/reach): its STUN binding (Annex G) and its
 * age, whether it is behind a NAT, and the connection-request path that worked last. Hidden
 * when the server has no reach routes.
 */
import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { devicePath } from '../api';
import { useApp } from '../app-context';
import { ago, localTime } from '../format';
import { Card } from './ui';

interface Reach {
  binding: { address: string; natDetected: boolean; changedAt: string; ageSeconds: number; changes: number } | null;
  lastPath: string | null;
  lastSuccessAt: string | null;
}

const PATHS: Record<string, string> = { http: 'HTTP', udp: 'UDP (STUN binding)', xmpp: 'XMPP' };

export function ReachCard({ id, live }: { id: string; live: number }): JSX.Element | null {
  const { api } = useApp();
  const [reach, setReach] = useState<Reach | null>(null);
  useEffect(() => {
    api.get<Reach>(`${devicePath(id)}/reach`).then(setReach, () => setReach(null));
  }, [api, id, live]);
  if (reach === null) return null;
  const b = reach.binding;
  return (
    <Card title="Reachability">
      <dl class="facts">
        <dt>STUN binding</dt>
        <dd>{b === null ? 'none' : b.address}</dd>
        <dt>Behind a NAT</dt>
        <dd>{b === null ? 'unknown' : b.natDetected ? 'yes' : 'no'}</dd>
        <dt>Binding age</dt>
        <dd title={b === null ? undefined : localTime(b.changedAt)}>{b === null ? '—' : `${ago(b.changedAt)} (${b.changes} ${b.changes === 1 ? 'binding' : 'bindings'} seen)`}</dd>
        <dt>Last path that worked</dt>
        <dd title={localTime(reach.lastSuccessAt)}>{reach.lastPath === null ? 'none yet' : `${PATHS[reach.lastPath] ?? reach.lastPath}, ${ago(reach.lastSuccessAt)}`}</dd>
      </dl>
    </Card>
  );
}
