/**
 * Device.Time: the host's clock as it is (read-only here: the agent reports time
 * synchronisation, it does not reconfigure the host's NTP client).
 */
import { existsSync } from 'node:fs';
import type { Declarer, Provider } from '../provider.js';
import { readText, readTrim } from '../system.js';

export class TimeProvider implements Provider {
  readonly name = 'time';
  #zone = '';
  #servers: string[] = [];
  #synced = false;

  async refresh(): Promise<void> {
    this.#zone = process.env.TZ ?? (await readTrim('/etc/timezone')) ?? Intl.DateTimeFormat().resolvedOptions().timeZone;
    const conf = (await readText('/etc/systemd/timesyncd.conf')) ?? '';
    const ntp = /^\s*NTP=(.*)$/m.exec(conf)?.[1]?.trim() ?? '';
    const chrony = ((await readText('/etc/chrony/chrony.conf')) ?? '').match(/^\s*(?:server|pool)\s+(\S+)/gm) ?? [];
    this.#servers = [...ntp.split(/\s+/), ...chrony.map((l) => l.trim().split(/\s+/)[1] ?? '')].filter((x) => x !== '').slice(0, 5);
    this.#synced = existsSync('/run/systemd/timesync/synchronized');
  }

  declare(d: Declarer): void {
    const s = { type: 'string' };
    d.object('Device.Time.');
    d.param('Device.Time.Enable', { type: 'boolean' }, 'true');
    d.param('Device.Time.Status', s, this.#synced ? 'Synchronized' : 'Unsynchronized');
    for (let i = 1; i <= 5; i++) d.param(`Device.Time.NTPServer${i}`, s, this.#servers[i - 1] ?? '');
    // Local time with its offset, as TR-181 asks (e.g. 2026-12-03T10:15:02+01:00).
    d.param('Device.Time.CurrentLocalTime', { type: 'dateTime', activeNotify: 'canDeny' }, () => localTime(new Date()));
    d.param('Device.Time.LocalTimeZone', s, this.#zone);
  }
}

export function localTime(d: Date): string {
  const off = -d.getTimezoneOffset();
  const pad = (n: number): string => String(Math.floor(Math.abs(n))).padStart(2, '0');
  const local = new Date(d.getTime() + off * 60_000).toISOString().replace(/\.\d{3}Z$/, '');
  return `${local}${off >= 0 ? '+' : '-'}${pad(off / 60)}:${pad(off % 60)}`;
}
