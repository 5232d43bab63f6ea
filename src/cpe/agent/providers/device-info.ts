/**
 * Device.DeviceInfo: identity (DMI when the machine has it, else the configuration and
 * /etc/machine-id), the agent's software version, uptime, memory, processors, and the
 * process table from /proc. RootDataModelVersion rides along (it is forced in every Inform).
 */
import os from 'node:os';
import { readdir } from 'node:fs/promises';
import type { Declarer, Provider, ProviderContext } from '../provider.js';
import { readText, readTrim } from '../system.js';

export interface Identity {
  manufacturer: string;
  oui: string;
  modelName: string;
  productClass: string;
  serialNumber: string;
  hardwareVersion: string;
  softwareVersion: string;
  description: string;
}

interface Proc {
  pid: number;
  command: string;
  sizeKb: number;
  priority: number;
  cpuMs: number;
  state: string;
}

const STATES: Record<string, string> = { R: 'Running', S: 'Sleeping', D: 'Uninterruptible', T: 'Stopped', t: 'Stopped', Z: 'Zombie', I: 'Idle' };
const ARCH: Record<string, string> = { x64: 'x86_64', ia32: 'i386', arm: 'arm', arm64: 'arm', mips: 'mipseb', mipsel: 'mipsel', ppc: 'powerpc', ppc64: 'powerpc' };
/** The process table is a snapshot; a busy host is shown in part rather than flooding the ACS. */
const MAX_PROCESSES = 200;

/** The host's own identity where the hardware says it (DMI), else null. */
export async function dmiIdentity(): Promise<Partial<Identity>> {
  const dmi = async (f: string): Promise<string> => {
    const v = await readTrim(`/sys/class/dmi/id/${f}`);
    return v === null || /^(To be filled|Default string|None|Not Specified)/i.test(v) ? '' : v;
  };
  const out: Partial<Identity> = {};
  const vendor = await dmi('sys_vendor');
  const product = await dmi('product_name');
  const serial = await dmi('product_serial');
  const version = await dmi('product_version');
  if (vendor) out.manufacturer = vendor;
  if (product) out.modelName = product;
  if (serial) out.serialNumber = serial;
  if (version) out.hardwareVersion = version;
  return out;
}

/** /etc/machine-id (a stable random id per installation), for hosts without a DMI serial. */
export async function machineId(): Promise<string | null> {
  const id = (await readTrim('/etc/machine-id')) ?? (await readTrim('/var/lib/dbus/machine-id'));
  return id !== null && /^[0-9a-f]{32}$/.test(id) ? id : null;
}

async function processes(): Promise<Proc[]> {
  let names: string[];
  try {
    names = (await readdir('/proc')).filter((n) => /^\d+$/.test(n));
  } catch {
    return [];
  }
  const tick = 100; // USER_HZ: 100 on every Linux ABI the agent targets
  const stats = await Promise.all(names.slice(0, MAX_PROCESSES).map(async (n) => [n, await readText(`/proc/${n}/stat`)] as const));
  const out: Proc[] = [];
  for (const [n, stat] of stats) {
    if (stat === null) continue;
    // comm may hold spaces and parentheses: the fields start after the last ")".
    const close = stat.lastIndexOf(')');
    const comm = stat.slice(stat.indexOf('(') + 1, close);
    const f = stat.slice(close + 2).split(' ');
    const utime = Number(f[11]);
    const stime = Number(f[12]);
    const priority = Number(f[15]);
    const rssPages = Number(f[21]);
    out.push({
      pid: Number(n),
      command: comm,
      sizeKb: Math.max(0, Math.round((rssPages * 4096) / 1024)),
      priority: Math.max(0, Math.min(99, Number.isFinite(priority) ? priority : 0)),
      cpuMs: Math.round(((utime + stime) * 1000) / tick),
      state: STATES[f[0] ?? ''] ?? 'Sleeping',
    });
  }
  return out;
}

export class DeviceInfoProvider implements Provider {
  readonly name = 'deviceinfo';
  readonly #id: Identity;
  #procs: Proc[] = [];
  #cpu = { idle: 0, total: 0, usage: 0 };
  #mem = { totalKb: 0, freeKb: 0 };

  constructor(identity: Identity) {
    this.#id = identity;
  }

  async refresh(): Promise<void> {
    this.#procs = await processes();
    const stat = await readText('/proc/stat');
    const cpu = stat?.split('\n')[0]?.trim().split(/\s+/).slice(1).map(Number) ?? [];
    if (cpu.length >= 4) {
      const idle = (cpu[3] ?? 0) + (cpu[4] ?? 0);
      const total = cpu.reduce((a, b) => a + (Number.isFinite(b) ? b : 0), 0);
      const dt = total - this.#cpu.total;
      // Usage since the previous reading (the first one: since boot).
      const usage = dt > 0 ? Math.round((100 * (dt - (idle - this.#cpu.idle))) / dt) : this.#cpu.usage;
      this.#cpu = { idle, total, usage: Math.max(0, Math.min(100, usage)) };
    }
    const mem = await readText('/proc/meminfo');
    const kb = (k: string): number => Number(new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(mem ?? '')?.[1] ?? 0);
    this.#mem = mem === null ? { totalKb: Math.round(os.totalmem() / 1024), freeKb: Math.round(os.freemem() / 1024) } : { totalKb: kb('MemTotal'), freeKb: kb('MemAvailable') || kb('MemFree') };
  }

  declare(d: Declarer, ctx: ProviderContext): void {
    const s = { type: 'string' };
    const u = { type: 'unsignedInt' };
    const counter = { type: 'unsignedInt', activeNotify: 'canDeny' as const };
    const id = this.#id;
    d.param('Device.RootDataModelVersion', s, '2.17');
    const base = 'Device.DeviceInfo.';
    d.object(base);
    d.param(`${base}Manufacturer`, s, id.manufacturer);
    d.param(`${base}ManufacturerOUI`, { type: 'string', maxLength: 6 }, id.oui);
    d.param(`${base}ModelName`, s, id.modelName);
    d.param(`${base}Description`, s, id.description);
    d.param(`${base}ProductClass`, s, id.productClass);
    d.param(`${base}SerialNumber`, s, id.serialNumber);
    d.param(`${base}HardwareVersion`, s, id.hardwareVersion);
    d.param(`${base}SoftwareVersion`, { type: 'string', activeNotify: 'forceEnabled' }, id.softwareVersion);
    d.param(`${base}ProvisioningCode`, { type: 'string', writable: true, maxLength: 64, activeNotify: 'forceEnabled' }, ctx.stored('ProvisioningCode') ?? '');
    d.param(`${base}UpTime`, counter, () => String(Math.floor(os.uptime())));
    d.object(`${base}MemoryStatus.`);
    d.param(`${base}MemoryStatus.Total`, u, String(this.#mem.totalKb));
    d.param(`${base}MemoryStatus.Free`, counter, String(this.#mem.freeKb));
    d.object(`${base}ProcessStatus.`);
    d.param(`${base}ProcessStatus.CPUUsage`, counter, String(this.#cpu.usage));
    d.param(`${base}ProcessStatus.ProcessNumberOfEntries`, u, String(this.#procs.length));
    d.object(`${base}ProcessStatus.Process.`, { table: true });
    // Processes come and go by the second: numbered by position, not kept in the state file.
    this.#procs.forEach((p, i) => {
      const pre = `${base}ProcessStatus.Process.${i + 1}.`;
      d.object(pre);
      d.param(`${pre}PID`, u, String(p.pid));
      d.param(`${pre}Command`, s, p.command);
      d.param(`${pre}Size`, counter, String(p.sizeKb));
      d.param(`${pre}Priority`, u, String(p.priority));
      d.param(`${pre}CPUTime`, counter, String(p.cpuMs));
      d.param(`${pre}State`, { type: 'string', activeNotify: 'canDeny' }, p.state);
    });
    const cpus = os.cpus().length || 1;
    d.param(`${base}ProcessorNumberOfEntries`, u, String(cpus));
    d.object(`${base}Processor.`, { table: true });
    for (let i = 1; i <= cpus; i++) {
      d.object(`${base}Processor.${i}.`);
      d.param(`${base}Processor.${i}.Architecture`, s, ARCH[os.arch()] ?? os.arch());
    }
  }

  commit(writes: ReadonlyArray<readonly [string, string]>, ctx: ProviderContext): void {
    for (const [path, value] of writes) if (path.endsWith('.ProvisioningCode')) ctx.store('ProvisioningCode', value);
  }
}
