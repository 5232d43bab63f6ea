/**
 * Subscribers and their services (the API's, the help desk's and self-service's): records,
 * templates, device bindings, activation codes, the health of a subscriber's devices.
 * Applying services is the session's work (src/session/programs/services.ts); here a change
 * bumps the subscriber's revision and, when asked, summons the bound devices.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type {
  DeviceBinding,
  DeviceRecord,
  Store,
  SubscriberContact,
  SubscriberRecord,
  SubscriberService,
  SubscriberTokenRecord,
} from '../store/types.js';
import { SUBSCRIBER_TOKEN_PREFIX } from '../auth/tokens.js';
import { BUILTIN_TEMPLATES } from '../subscribers/builtin.js';
import { checkTemplate } from '../subscribers/check-template.js';
import { checkInputs, maskInputs, mergeSecrets, MASK } from '../subscribers/inputs.js';
import { mapLookup, render, type TreeEntry } from '../subscribers/render.js';
import type { ServiceTemplate } from '../subscribers/template.js';
import { conflict, invalidArgument, notFound, ServiceError } from './errors.js';
import type { TaskService } from './tasks.js';

const BUILTIN = new Map(BUILTIN_TEMPLATES.map((t) => [t.id, t]));
const ACTIVATION_TTL_MS = 14 * 24 * 3600_000;
const MAX_SERVICES = 32;

export interface SubscriberInput {
  externalId: string;
  name: string;
  contact?: SubscriberContact;
  services?: { template: string; inputs?: Record<string, unknown> }[];
}

/** A subscriber as answers show it: secrets masked, devices listed. */
export interface SubscriberView extends Omit<SubscriberRecord, 'services'> {
  services: SubscriberService[];
  devices: DeviceBinding[];
}

export interface DeviceHealth {
  binding: DeviceBinding;
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

export class SubscriberServiceLayer {
  readonly #store: Store;
  readonly #tasks: TaskService;
  readonly #now: () => number;

  constructor(opts: { store: Store; tasks: TaskService; now: () => number }) {
    this.#store = opts.store;
    this.#tasks = opts.tasks;
    this.#now = opts.now;
  }

  // --- templates -----------------------------------------------------------------------

  async templates(): Promise<ServiceTemplate[]> {
    return [...BUILTIN_TEMPLATES, ...(await this.#store.listServiceTemplates())];
  }

  async template(id: string): Promise<ServiceTemplate> {
    const t = BUILTIN.get(id) ?? (await this.#store.listServiceTemplates()).find((x) => x.id === id);
    if (t === undefined) throw notFound(`service template ${id}`);
    return t;
  }

  async putTemplate(body: unknown): Promise<ServiceTemplate> {
    const checked = checkTemplate(body);
    if (!checked.ok) throw invalidArgument(`template: ${checked.errors.join('; ')}`);
    if (BUILTIN.has(checked.template.id)) throw conflict(`"${checked.template.id}" is a built-in template; choose another id`);
    await this.#store.putServiceTemplate(checked.template, this.#now());
    return checked.template;
  }

  async deleteTemplate(id: string): Promise<void> {
    if (BUILTIN.has(id)) throw conflict(`"${id}" is a built-in template`);
    const uses = await this.#store.countTemplateUses(id);
    if (uses > 0) throw conflict(`${uses} subscriber(s) use template "${id}"`);
    if (!(await this.#store.deleteServiceTemplate(id))) throw notFound(`service template ${id}`);
  }

  // --- subscribers ---------------------------------------------------------------------

  async create(body: SubscriberInput): Promise<SubscriberView> {
    const now = this.#now();
    const services = await this.#checkServices(body.services ?? [], undefined);
    const record: SubscriberRecord = {
      id: randomUUID(),
      externalId: body.externalId,
      name: body.name,
      contact: body.contact ?? {},
      services,
      revision: 1,
      createdAt: now,
      updatedAt: now,
    };
    if (!(await this.#store.createSubscriber(record))) throw conflict(`a subscriber with externalId "${body.externalId}" exists`);
    await this.#history(record.id, 'created', null, `with ${services.map((s) => s.template).join(', ') || 'no services'}`);
    return this.#view(record, []);
  }

  async get(id: string): Promise<SubscriberView> {
    const s = await this.#store.getSubscriber(id);
    if (s === null) throw notFound(`subscriber ${id}`);
    return this.#view(s, await this.#store.listBindings(id));
  }

  async list(q: { search?: string; limit?: number; offset?: number }): Promise<{ subscribers: SubscriberView[]; total: number }> {
    const page = await this.#store.listSubscribers(q);
    const subscribers = await Promise.all(page.subscribers.map(async (s) => this.#view(s, await this.#store.listBindings(s.id))));
    return { subscribers, total: page.total };
  }

  /** Replace what is given; a secret input sent back masked (or left out) keeps its value. */
  async update(id: string, patch: Partial<Omit<SubscriberInput, 'externalId'>>, opts: { connectionRequest?: boolean } = {}): Promise<SubscriberView> {
    const cur = await this.#store.getSubscriber(id);
    if (cur === null) throw notFound(`subscriber ${id}`);
    const services = patch.services === undefined ? undefined : await this.#checkServices(patch.services, cur.services);
    const next = await this.#store.updateSubscriber(
      id,
      { ...(patch.name !== undefined ? { name: patch.name } : {}), ...(patch.contact !== undefined ? { contact: patch.contact } : {}), ...(services ? { services } : {}) },
      this.#now(),
    );
    if (next === null) throw notFound(`subscriber ${id}`);
    if (next.revision !== cur.revision) {
      await this.#history(id, 'updated', null, `services revision ${next.revision}: ${next.services.map((s) => s.template).join(', ') || 'none'}`);
      if (opts.connectionRequest) await this.#summon(id);
    }
    return this.#view(next, await this.#store.listBindings(id));
  }

  async delete(id: string): Promise<void> {
    if (!(await this.#store.deleteSubscriber(id))) throw notFound(`subscriber ${id}`);
  }

  async history(id: string, limit = 100): Promise<ReturnType<Store['listSubscriberHistory']>> {
    await this.get(id);
    return this.#store.listSubscriberHistory(id, Math.min(Math.max(limit, 1), 1000));
  }

  // --- devices -------------------------------------------------------------------------

  /**
   * Bind a device by id (seen already), or a serial number or claim code (seen or not: the
   * first session that reports it claims it). `replaces`: a device of the subscriber that
   * this one swaps out (unbound when the new one is claimed, or now for a seen device).
   */
  async bind(id: string, body: { deviceId?: string; serialNumber?: string; code?: string; replaces?: string }, opts: { connectionRequest?: boolean } = {}): Promise<DeviceBinding> {
    await this.get(id);
    const given = [body.deviceId, body.serialNumber, body.code].filter((x) => x !== undefined);
    if (given.length !== 1) throw invalidArgument('give exactly one of deviceId, serialNumber, code');
    const now = this.#now();
    let deviceId: string | null = null;
    let claimKind: DeviceBinding['claimKind'];
    let claimValue: string;
    if (body.deviceId !== undefined) {
      if ((await this.#store.getDevice(body.deviceId, { subtree: 'none.' })) === null) throw notFound(`device ${body.deviceId}`);
      deviceId = body.deviceId;
      [claimKind, claimValue] = ['device', body.deviceId];
    } else if (body.serialNumber !== undefined) {
      // A serial already seen binds that device now; otherwise the claim waits for it.
      const seen = await this.#store.listDevices({ filters: [{ field: 'serialNumber', op: 'eq', value: body.serialNumber }], limit: 2 });
      if (seen.total === 1) deviceId = seen.devices[0]!.id;
      [claimKind, claimValue] = ['serial', body.serialNumber];
    } else [claimKind, claimValue] = ['code', body.code!];
    if (body.replaces !== undefined) {
      const old = await this.#store.bindingOfDevice(body.replaces);
      if (old === null || old.subscriberId !== id) throw invalidArgument(`device ${body.replaces} is not bound to this subscriber`);
    }
    const binding: DeviceBinding = {
      id: randomUUID(),
      subscriberId: id,
      deviceId,
      claimKind,
      claimValue,
      replaces: body.replaces ?? null,
      appliedRevision: null,
      statuses: [],
      createdAt: now,
      boundAt: deviceId === null ? null : now,
    };
    const r = await this.#store.addBinding(binding);
    if (r === 'taken') throw conflict(deviceId !== null ? `device ${deviceId} is bound to a subscriber already` : `${claimKind} "${claimValue}" is claimed already`);
    const stored = deviceId !== null ? await this.#store.bindingOfDevice(deviceId) : binding;
    if (deviceId !== null) {
      await this.#history(id, 'bound', deviceId, `bound by ${claimKind}`);
      if (body.replaces !== undefined) await this.#unbindDevice(id, body.replaces, `replaced by ${deviceId}`);
      if (opts.connectionRequest) await this.#tasks.connectionRequest(deviceId).catch(() => undefined);
    } else await this.#history(id, 'bound', null, `waiting for the device with ${claimKind} "${claimValue}"`);
    return stored ?? binding;
  }

  async unbind(id: string, bindingId: string): Promise<void> {
    const removed = await this.#store.removeBinding(id, bindingId);
    if (removed === null) throw notFound(`binding ${bindingId} of subscriber ${id}`);
    await this.#history(id, 'unbound', removed.deviceId, removed.deviceId === null ? `pending ${removed.claimKind} claim "${removed.claimValue}" withdrawn` : 'unbound by an operator');
  }

  /** Apply the services again at each bound device's next session (now, with a connection request). */
  async reapply(id: string, opts: { connectionRequest?: boolean } = {}): Promise<void> {
    for (const b of await this.#store.listBindings(id)) if (b.deviceId !== null) await this.#store.recordServiceStatus(b.id, -1, b.statuses);
    if (opts.connectionRequest) await this.#summon(id);
  }

  /** The help desk's view: each bound device's health beside its service status. */
  async devices(id: string): Promise<DeviceHealth[]> {
    await this.get(id);
    const bindings = await this.#store.listBindings(id);
    return Promise.all(bindings.map(async (binding) => ({ binding, device: binding.deviceId === null ? null : await this.#health(binding.deviceId) })));
  }

  /** What each service would set on each bound device, from stored state (secrets masked). */
  async plan(id: string): Promise<{ deviceId: string; services: { template: string; supported: boolean; reason?: string; parameters?: [string, string][] }[] }[]> {
    const sub = await this.get(id);
    const full = (await this.#store.getSubscriber(id))!;
    const out = [];
    for (const b of sub.devices) {
      if (b.deviceId === null) continue;
      const device = await this.#store.getDevice(b.deviceId);
      if (device === null) continue;
      const tree = mapLookup(new Map(device.parameters.filter((p) => !p.object).map((p): [string, TreeEntry] => [p.path, { value: p.value ?? '', type: p.type ?? undefined }])));
      const services = [];
      for (const s of full.services) {
        const t = await this.template(s.template).catch(() => undefined);
        if (t === undefined) {
          services.push({ template: s.template, supported: false, reason: 'template gone' });
          continue;
        }
        const r = render(t, s.inputs, tree);
        const secret = new Set(t.inputs.filter((i) => i.type === 'secret').map((i) => s.inputs[i.name]));
        services.push(
          r.supported
            ? { template: s.template, supported: true, parameters: r.parameters.map(([p, v]): [string, string] => [p, secret.has(v) ? MASK : v]) }
            : { template: s.template, supported: false, reason: r.reason },
        );
      }
      out.push({ deviceId: b.deviceId, services });
    }
    return out;
  }

  // --- activation codes and self-service ------------------------------------------------

  /** A new single-use code (shown once), valid for 14 days. */
  async createActivationCode(id: string): Promise<{ code: string; expiresAt: number }> {
    await this.get(id);
    const code = randomBytes(6).toString('hex').toUpperCase().match(/.{4}/g)!.join('-');
    const now = this.#now();
    await this.#store.createActivationCode({ hash: hashCode(code), subscriberId: id, expiresAt: now + ACTIVATION_TTL_MS, createdAt: now });
    await this.#history(id, 'activation-code', null, 'activation code issued');
    return { code, expiresAt: now + ACTIVATION_TTL_MS };
  }

  /** A technician or the subscriber enters a code and the device's serial number. */
  async activate(code: string, serialNumber: string): Promise<DeviceBinding> {
    const subscriberId = await this.#store.redeemActivationCode(hashCode(code.trim().toUpperCase()), this.#now());
    if (subscriberId === null) throw new ServiceError('NOT_FOUND', 'unknown, used or expired activation code');
    return this.bind(subscriberId, { serialNumber }, { connectionRequest: true });
  }

  async createToken(id: string, name: string): Promise<{ token: string; record: SubscriberTokenRecord }> {
    await this.get(id);
    const token = `${SUBSCRIBER_TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
    const hash = createHash('sha256').update(token, 'utf8').digest('hex');
    const record: SubscriberTokenRecord = { id: randomUUID(), subscriberId: id, name, lookup: hash.slice(0, 16), hash, createdAt: this.#now() };
    await this.#store.createSubscriberToken(record);
    return { token, record };
  }

  /**
   * Self-service: change the Wi-Fi of the subscriber's own service (so a reset keeps it), and
   * summon the devices. `band` picks among several Wi-Fi services (default: every one).
   */
  async changeWifi(id: string, change: { ssid?: string; passphrase?: string; band?: string }): Promise<SubscriberView> {
    const cur = await this.#store.getSubscriber(id);
    if (cur === null) throw notFound(`subscriber ${id}`);
    let touched = 0;
    const services = cur.services.map((s) => {
      if (s.template !== 'wifi' || (change.band !== undefined && (s.inputs.band ?? '2.4GHz') !== change.band)) return s;
      touched++;
      return { template: s.template, inputs: { ...s.inputs, ...(change.ssid !== undefined ? { ssid: change.ssid } : {}), ...(change.passphrase !== undefined ? { passphrase: change.passphrase } : {}) } };
    });
    if (touched === 0) throw notFound('a Wi-Fi service');
    return this.update(id, { services }, { connectionRequest: true });
  }

  /** Self-service: a device of this subscriber, or NOT_FOUND (never another's). */
  async ownDevice(id: string, deviceId: string): Promise<void> {
    const b = await this.#store.bindingOfDevice(deviceId);
    if (b === null || b.subscriberId !== id) throw notFound(`device ${deviceId}`);
  }

  // --- internals -----------------------------------------------------------------------

  async #checkServices(given: readonly { template: string; inputs?: Record<string, unknown> }[], previous: readonly SubscriberService[] | undefined): Promise<SubscriberService[]> {
    if (given.length > MAX_SERVICES) throw invalidArgument(`at most ${MAX_SERVICES} services`);
    const out: SubscriberService[] = [];
    for (const [n, s] of given.entries()) {
      const t = await this.template(s.template).catch(() => {
        throw invalidArgument(`services[${n}].template: no template "${s.template}"`);
      });
      // The same template's n-th service keeps its secrets when the update sends the mask back.
      const prev = previous?.filter((p) => p.template === s.template)[given.slice(0, n).filter((g) => g.template === s.template).length];
      const checked = checkInputs(t, mergeSecrets(t, s.inputs ?? {}, prev?.inputs));
      if (!checked.ok) throw invalidArgument(`services[${n}] (${s.template}): ${checked.errors.map((e) => `${e.input || 'inputs'} ${e.message}`).join('; ')}`);
      out.push({ template: s.template, inputs: checked.values });
    }
    return out;
  }

  async #view(s: SubscriberRecord, devices: DeviceBinding[]): Promise<SubscriberView> {
    const templates = new Map((await this.templates()).map((t) => [t.id, t]));
    return { ...s, services: s.services.map((x) => ({ template: x.template, inputs: maskInputs(templates.get(x.template), x.inputs) })), devices };
  }

  async #summon(id: string): Promise<void> {
    for (const b of await this.#store.listBindings(id)) if (b.deviceId !== null) await this.#tasks.connectionRequest(b.deviceId).catch(() => undefined);
  }

  async #unbindDevice(id: string, deviceId: string, why: string): Promise<void> {
    const b = await this.#store.bindingOfDevice(deviceId);
    if (b === null || b.subscriberId !== id) return;
    await this.#store.removeBinding(id, b.id);
    await this.#history(id, 'unbound', deviceId, why);
  }

  async #history(subscriberId: string, action: Parameters<Store['appendSubscriberHistory']>[0]['action'], deviceId: string | null, detail: string): Promise<void> {
    await this.#store.appendSubscriberHistory({ subscriberId, at: this.#now(), action, deviceId, detail });
  }

  async #health(deviceId: string): Promise<DeviceHealth['device']> {
    const d: DeviceRecord | null = await this.#store.getDevice(deviceId);
    if (d === null) return null;
    const v = (p: string): string | undefined => d.parameters.find((x) => x.path === p)?.value ?? undefined;
    const root = d.parameters.some((p) => p.path.startsWith('Device.')) ? 'Device.' : 'InternetGatewayDevice.';
    const interval = Number(v(`${root}ManagementServer.PeriodicInformInterval`) ?? 3600);
    const wan = findWan(d, root);
    const clients = d.parameters
      .filter((p) => /\.(AssociatedDeviceNumberOfEntries|TotalAssociations)$/.test(p.path) && /WiFi\.AccessPoint|WLANConfiguration/.test(p.path))
      .reduce((n, p) => n + (Number(p.value) || 0), 0);
    const faults = await this.#store.listTasks({ deviceId, states: ['fault'], limit: 0 }).catch(() => ({ total: 0 }));
    return {
      id: d.id,
      serialNumber: d.deviceId.serialNumber,
      productClass: d.deviceId.productClass,
      lastInform: new Date(d.lastInform).toISOString(),
      online: this.#now() - d.lastInform < 2 * interval * 1000 + 60_000,
      softwareVersion: v(`${root}DeviceInfo.SoftwareVersion`) ?? null,
      wanIp: wan.ip,
      wanUp: wan.up,
      wifiClients: d.parameters.some((p) => /AssociatedDeviceNumberOfEntries$|TotalAssociations$/.test(p.path)) ? clients : null,
      openFaults: (faults as { total: number }).total,
    };
  }
}

function findWan(d: DeviceRecord, root: string): { ip: string | null; up: boolean | null } {
  const get = (p: string): string | undefined => d.parameters.find((x) => x.path === p)?.value ?? undefined;
  if (root === 'InternetGatewayDevice.') {
    for (const p of d.parameters) {
      const m = /^(InternetGatewayDevice\.WANDevice\.\d+\.WANConnectionDevice\.\d+\.WAN(?:IP|PPP)Connection\.\d+\.)ExternalIPAddress$/.exec(p.path);
      if (m && p.value) return { ip: p.value, up: get(`${m[1]}ConnectionStatus`) === 'Connected' };
    }
    return { ip: null, up: null };
  }
  // TR-181: the first IP interface that is not on the LAN bridge and has an address.
  for (const p of d.parameters) {
    const m = /^(Device\.IP\.Interface\.\d+\.)IPv4Address\.\d+\.IPAddress$/.exec(p.path);
    if (!m || !p.value) continue;
    const name = (get(`${m[1]}Name`) ?? '') + (get(`${m[1]}Alias`) ?? '');
    if (/lan|br/i.test(name)) continue;
    return { ip: p.value, up: get(`${m[1]}Status`) === 'Up' };
  }
  return { ip: null, up: null };
}

export const hashCode = (code: string): string => createHash('sha256').update(`flotilla-activation:${code}`, 'utf8').digest('hex');
