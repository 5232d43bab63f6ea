/**
 * Whether a device sits behind a NAT (TR-069 NATDetected), asked when its STUN binding is
 * new or changed (never per keep-alive): whether the public address differs from the host of
 * its ConnectionRequestURL (the address it has on its own interface); without a URL, its own
 * NATDetected as last reported (it may be stale: the device sets it after its first STUN
 * answer); with neither, a device that uses STUN for connection requests is taken to be
 * behind one.
 */
import type { Store } from '../store/types.js';

const ROOTS = ['Device.', 'InternetGatewayDevice.'];

export function natDetectedFromStore(store: Store): (deviceId: string, publicHost: string) => Promise<boolean> {
  return async (deviceId, publicHost) => {
    const paths = ROOTS.flatMap((r) => [`${r}ManagementServer.NATDetected`, `${r}ManagementServer.ConnectionRequestURL`]);
    const page = await store.listDevices({ filters: [{ field: 'id', op: 'eq', value: deviceId }], parameters: paths, limit: 1 });
    const rows = page.devices[0]?.parameters ?? [];
    const value = (name: string): string => rows.find((r) => r.path.endsWith(`ManagementServer.${name}`))?.value ?? '';
    try {
      const host = new URL(value('ConnectionRequestURL')).hostname.replace(/^\[|\]$/g, '');
      return host !== publicHost;
    } catch {
      const reported = value('NATDetected');
      return reported === '' ? true : reported === '1' || reported === 'true';
    }
  };
}
