/**
 * A fleet-wide list a page shows while it may change under it (policies, quirk profiles): read
 * once, read again when the event stream says it changed or when the page asks (after a save,
 * or Retry on an error). One hook, so every such page reloads and reports failures alike.
 */
import { useEffect, useState } from 'preact/hooks';
import { errorText } from './api';
import { useApp } from './app-context';
import type { FlotillaEvent } from './events';

export interface LiveList<T> {
  /** null until the first answer. */
  items: T[] | null;
  error: string | null;
  reload: () => void;
}

/** GET `path`, take `key` of the answer; read again on an event of type `changedBy`. */
export function useLiveList<T>(path: string, key: string, changedBy: FlotillaEvent['type']): LiveList<T> {
  const { api, stream } = useApp();
  const [items, setItems] = useState<T[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [n, setN] = useState(0);
  useEffect(() => {
    api.get<Record<string, T[]>>(path).then(
      (r) => (setItems(r[key] ?? []), setError(null)),
      (e) => setError(errorText(e)),
    );
  }, [n, path, key]);
  useEffect(() => stream.subscribe((e) => e.type === changedBy && setN((x) => x + 1)), [stream, changedBy]);
  return { items, error, reload: () => setN((x) => x + 1) };
}
