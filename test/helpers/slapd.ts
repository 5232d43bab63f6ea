/**
 * A real OpenLDAP server for tests (Debian's slapd): a slapd.conf with the mdb backend in a
 * temp directory, entries loaded with slapadd, slapd in the foreground on a free loopback
 * port. Mandatory when CI=true (.ci/run installs slapd); elsewhere tests skip with one line.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const SLAPD = '/usr/sbin/slapd';
export const SLAPADD = '/usr/sbin/slapadd';
const CI = process.env.CI === 'true' || process.env.CI === '1';

/** Whether to run LDAP tests; says once why not. */
export function slapdWanted(): boolean {
  if (existsSync(SLAPD) && existsSync(SLAPADD)) return true;
  if (CI) return true; // and fail: CI installs it
  console.log(`LDAP tests skipped: ${SLAPD} is missing (apt-get install -y slapd ldap-utils; mandatory with CI=true)`);
  return false;
}

export interface Slapd {
  url: string;
  suffix: string;
  rootDn: string;
  rootPassword: string;
  stop(): Promise<void>;
  close(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const s = net.createServer();
    s.once('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => done(port));
    });
  });
}

async function reachable(port: number): Promise<boolean> {
  return new Promise((done) => {
    const c = net.connect(port, '127.0.0.1');
    c.once('connect', () => (c.destroy(), done(true)));
    c.once('error', () => done(false));
  });
}

/** Start slapd with `ldif` (entries under dc=example,dc=org; the base entry is added here). */
export async function startSlapd(ldif: string): Promise<Slapd> {
  const dir = mkdtempSync(join(tmpdir(), 'flotilla-slapd-'));
  mkdirSync(join(dir, 'db'));
  const suffix = 'dc=example,dc=org';
  const rootDn = `cn=admin,${suffix}`;
  const rootPassword = 'slapd-root-password';
  writeFileSync(
    join(dir, 'slapd.conf'),
    [
      'include /etc/ldap/schema/core.schema',
      'include /etc/ldap/schema/cosine.schema',
      'include /etc/ldap/schema/nis.schema',
      'include /etc/ldap/schema/inetorgperson.schema',
      'modulepath /usr/lib/ldap',
      'moduleload back_mdb',
      `pidfile ${join(dir, 'slapd.pid')}`,
      `argsfile ${join(dir, 'slapd.args')}`,
      'database mdb',
      'maxsize 10485760',
      `suffix "${suffix}"`,
      `rootdn "${rootDn}"`,
      `rootpw ${rootPassword}`,
      `directory ${join(dir, 'db')}`,
      'access to attrs=userPassword by self read by anonymous auth by * none',
      'access to * by * read',
      '',
    ].join('\n'),
  );
  const base = `dn: ${suffix}\nobjectClass: dcObject\nobjectClass: organization\ndc: example\no: Example\n\n`;
  writeFileSync(join(dir, 'data.ldif'), base + ldif);
  const add = spawnSync(SLAPADD, ['-f', join(dir, 'slapd.conf'), '-l', join(dir, 'data.ldif')], { encoding: 'utf8' });
  if (add.status !== 0) throw new Error(`slapadd failed: ${add.stderr}`);
  const port = await freePort();
  let child: ChildProcess | null = spawn(SLAPD, ['-f', join(dir, 'slapd.conf'), '-h', `ldap://127.0.0.1:${port}/`, '-d', '0'], { stdio: 'ignore' });
  const end = Date.now() + 20_000;
  while (!(await reachable(port))) {
    if (Date.now() > end || child.exitCode !== null) throw new Error('slapd did not start');
    await new Promise((r) => setTimeout(r, 50));
  }
  const stop = async (): Promise<void> => {
    if (child === null) return;
    const c = child;
    child = null;
    const exited = new Promise((r) => c.once('exit', r));
    c.kill('SIGTERM');
    await exited;
  };
  return {
    url: `ldap://127.0.0.1:${port}`,
    suffix,
    rootDn,
    rootPassword,
    stop,
    close: async () => {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
