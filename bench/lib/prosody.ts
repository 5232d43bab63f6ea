/**
 * A real XMPP server for tests and benchmarks (Debian's prosody), with a fresh configuration and data
 * directory per run, on loopback (or inside a network namespace), accounts registered with
 * prosodyctl before it starts. Torn down (the process we started, by its pid; its
 * directory) by `close()`.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const PROSODY = '/usr/bin/prosody';

/** Why XMPP tests cannot run here, or null when they can. */
export function prosodyMissing(): string | null {
  return existsSync(PROSODY) && existsSync('/usr/bin/prosodyctl') ? null : 'prosody is not installed (apt-get install -y prosody)';
}

export interface Prosody {
  domain: string;
  host: string;
  port: number;
  service: string;
  register(user: string, password: string): Promise<void>;
  close(): Promise<void>;
}

async function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, host, () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

async function waitForPort(host: string, port: number, netns: string | undefined, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const ok = netns !== undefined
      ? await run('ip', ['netns', 'exec', netns, 'bash', '-c', `exec 3<>/dev/tcp/${host}/${port}`]).then(() => true, () => false)
      : await new Promise<boolean>((resolve) => {
          const c = connect(port, host, () => {
            c.destroy();
            resolve(true);
          });
          c.on('error', () => resolve(false));
        });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`prosody did not listen on ${host}:${port}`);
}

export async function startProsody(opts: { host?: string; port?: number; netns?: string; domain?: string } = {}): Promise<Prosody> {
  const host = opts.host ?? '127.0.0.1';
  const domain = opts.domain ?? 'flotilla.test';
  // A namespace the test made is empty: the standard port is free there.
  const port = opts.port ?? (opts.netns !== undefined ? 5222 : await freePort(host));
  const dir = await mkdtemp(join(tmpdir(), 'flotilla-prosody-'));
  const config = join(dir, 'prosody.cfg.lua');
  await writeFile(
    config,
    `-- generated for one test run
pidfile = "${dir}/prosody.pid"
data_path = "${dir}/data"
certificates = "${dir}"
run_as_root = true
modules_enabled = { "roster"; "saslauth"; "disco"; "ping"; "posix"; }
modules_disabled = { "s2s"; "offline"; }
c2s_ports = { ${port} }
c2s_interfaces = { "${host}" }
s2s_ports = {}
http_ports = {}
https_ports = {}
authentication = "internal_hashed"
c2s_require_encryption = false
storage = "internal"
limits = { c2s = { rate = "10mb/s"; }; }
log = { error = "${dir}/prosody.log" }
VirtualHost "${domain}"
`,
  );
  const wrap = (cmd: string, args: string[]): [string, string[]] => (opts.netns !== undefined ? ['ip', ['netns', 'exec', opts.netns, cmd, ...args]] : [cmd, args]);
  const register = async (user: string, password: string): Promise<void> => {
    const [c, a] = wrap('prosodyctl', ['--config', config, 'register', user, domain, password]);
    await run(c, a, { timeout: 20_000 });
  };
  const [c, a] = wrap(PROSODY, ['--config', config, '-F']);
  let child: ChildProcess | null = spawn(c, a, { stdio: 'ignore' });
  const exited = new Promise<void>((r) => child?.once('exit', () => r()));
  // If this process dies without close() (a crash, a timeout), the server must not outlive it.
  const onExit = (): void => {
    child?.kill('SIGKILL');
  };
  process.once('exit', onExit);
  try {
    await waitForPort(host, port, opts.netns);
  } catch (e) {
    child.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
    throw e;
  }
  return {
    domain,
    host,
    port,
    service: `xmpp://${host}:${port}`,
    register,
    close: async () => {
      process.off('exit', onExit);
      if (child !== null) {
        child.kill('SIGTERM');
        const killer = setTimeout(() => child?.kill('SIGKILL'), 3000);
        await exited;
        clearTimeout(killer);
        child = null;
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}
