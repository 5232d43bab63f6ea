/** History routing: /, /devices, /devices/<id>, /faults. Links are plain <a href>; clicks are intercepted. */
import { useEffect, useState } from 'preact/hooks';

export type Route =
  | { page: 'overview' }
  | { page: 'devices'; query: URLSearchParams }
  | { page: 'device'; id: string; tab: string | null }
  | { page: 'faults' }
  | { page: 'alarms' }
  | { page: 'subscribers' }
  | { page: 'subscriber'; id: string }
  | { page: 'service-templates' }
  | { page: 'campaigns' }
  | { page: 'campaign'; id: string }
  | { page: 'files' }
  | { page: 'policies' }
  | { page: 'policy'; id: string | null }
  | { page: 'quirks'; profile: string | null }
  | { page: 'tokens' }
  | { page: 'webhooks' }
  | { page: 'audit' }
  | { page: 'not-found'; path: string };

export function parseRoute(pathname: string, search: string): Route {
  const parts = pathname.split('/').filter((p) => p !== '');
  if (parts.length === 0 || (parts.length === 1 && parts[0] === 'overview')) return { page: 'overview' };
  if (parts[0] === 'devices' && parts.length === 1) return { page: 'devices', query: new URLSearchParams(search) };
  if (parts[0] === 'devices' && parts.length === 2) {
    let id: string;
    try {
      id = decodeURIComponent(parts[1]!);
    } catch {
      return { page: 'not-found', path: pathname };
    }
    return { page: 'device', id, tab: new URLSearchParams(search).get('tab') };
  }
  if (parts[0] === 'faults' && parts.length === 1) return { page: 'faults' };
  if (parts[0] === 'alarms' && parts.length === 1) return { page: 'alarms' };
  if (parts[0] === 'quirks' && parts.length === 1) return { page: 'quirks', profile: new URLSearchParams(search).get('profile') };
  if (parts[0] === 'tokens' && parts.length === 1) return { page: 'tokens' };
  if (parts[0] === 'webhooks' && parts.length === 1) return { page: 'webhooks' };
  if (parts[0] === 'audit' && parts.length === 1) return { page: 'audit' };
  if (parts[0] === 'subscribers' && parts.length === 1) return { page: 'subscribers' };
  if (parts[0] === 'subscribers' && parts.length === 2) {
    try {
      return { page: 'subscriber', id: decodeURIComponent(parts[1]!) };
    } catch {
      return { page: 'not-found', path: pathname };
    }
  }
  if (parts[0] === 'service-templates' && parts.length === 1) return { page: 'service-templates' };
  if (parts[0] === 'campaigns' && parts.length === 1) return { page: 'campaigns' };
  if (parts[0] === 'files' && parts.length === 1) return { page: 'files' };
  if (parts[0] === 'policies' && parts.length === 1) return { page: 'policies' };
  if (parts[0] === 'policies' && parts.length === 2) {
    if (parts[1] === 'new') return { page: 'policy', id: null };
    try {
      return { page: 'policy', id: decodeURIComponent(parts[1]!) };
    } catch {
      return { page: 'not-found', path: pathname };
    }
  }
  if (parts[0] === 'campaigns' && parts.length === 2) {
    try {
      return { page: 'campaign', id: decodeURIComponent(parts[1]!) };
    } catch {
      return { page: 'not-found', path: pathname };
    }
  }
  return { page: 'not-found', path: pathname };
}

export const deviceHref = (id: string, tab?: string): string => `/devices/${encodeURIComponent(id)}${tab ? `?tab=${tab}` : ''}`;

const listeners = new Set<() => void>();

export function navigate(href: string, replace = false): void {
  if (href === location.pathname + location.search) return;
  if (replace) history.replaceState(null, '', href);
  else history.pushState(null, '', href);
  for (const l of listeners) l();
}

export function useRoute(): Route {
  const [, setTick] = useState(0);
  useEffect(() => {
    const l = (): void => setTick((t) => t + 1);
    listeners.add(l);
    window.addEventListener('popstate', l);
    return () => {
      listeners.delete(l);
      window.removeEventListener('popstate', l);
    };
  }, []);
  return parseRoute(location.pathname, location.search);
}

/** Same-origin <a> clicks become history navigation (modifier clicks still open tabs). */
export function interceptLinks(): void {
  document.addEventListener('click', (ev) => {
    if (ev.defaultPrevented || ev.button !== 0 || ev.metaKey || ev.ctrlKey || ev.shiftKey || ev.altKey) return;
    const a = (ev.target as Element | null)?.closest?.('a');
    if (!a || a.target || a.hasAttribute('download')) return;
    const url = new URL(a.href, location.href);
    if (url.origin !== location.origin || url.pathname.startsWith('/api/')) return;
    ev.preventDefault();
    navigate(url.pathname + url.search);
  });
}
