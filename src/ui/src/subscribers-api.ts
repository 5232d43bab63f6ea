/** Shapes of the subscriber routes (src/nbi/routes/subscribers.ts) as the console reads them. */

export interface ServiceStatus {
  template: string;
  state: 'applied' | 'not-supported' | 'faulted';
  reason?: string;
  fault?: { code: number; message: string };
  at: string;
}

export interface Binding {
  id: string;
  deviceId: string | null;
  claim: { kind: 'device' | 'serial' | 'code'; value: string };
  replaces: string | null;
  appliedRevision: number | null;
  services: ServiceStatus[];
  boundAt: string | null;
}

export interface Subscriber {
  id: string;
  externalId: string;
  name: string;
  contact: { email?: string; phone?: string; address?: string };
  services: { template: string; inputs: Record<string, string> }[];
  revision: number;
  devices: Binding[];
}

export interface DeviceHealth extends Binding {
  device: {
    id: string;
    serialNumber: string;
    productClass: string;
    lastInform: string;
    online: boolean;
    softwareVersion: string | null;
    wanIp: string | null;
    wanUp: boolean | null;
    wifiClients: number | null;
    openFaults: number;
  } | null;
}

export interface TemplateInput {
  name: string;
  type: string;
  required?: boolean;
  default?: string;
  values?: string[];
}

export interface ServiceTemplate {
  id: string;
  name: string;
  description?: string;
  builtin?: boolean;
  inputs: TemplateInput[];
  mappings: Record<string, unknown>;
}

export interface HistoryEntry {
  at: string;
  action: string;
  deviceId: string | null;
  detail: string;
}

export const subscriberHref = (id: string): string => `/subscribers/${encodeURIComponent(id)}`;
