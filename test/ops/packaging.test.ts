/**
 * Packaging: `npm pack` makes a package that installs into an empty directory and runs
 * `flotilla serve` and `flotilla demo` from there, outside the clone; the systemd unit passes
 * `systemd-analyze verify`; the HAProxy configuration passes `haproxy -c`; compose.yaml
 * describes PostgreSQL and two ACS processes behind HAProxy with the same keys; the Docker
 * build context holds what the Dockerfile copies and leaves out data and secrets.
 *
 * The image itself is not built here: this machine has no Docker daemon and no registry of
 * base images (docs/deploy.md says so). The packed install is mandatory under CI; elsewhere
 * it runs when FLOTILLA_TEST_PACK=1 (it takes a minute or two).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const root = resolve(__dirname, '../..');
const CI = process.env.CI === 'true';
const runPack = CI || process.env.FLOTILLA_TEST_PACK === '1';
if (!runPack) console.log('packaging: the npm pack install is skipped (set FLOTILLA_TEST_PACK=1, or CI=true, to run it)');
const has = (cmd: string): boolean => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;

describe.skipIf(!runPack)('the packed package, outside the clone', () => {
  let dir: string;
  const children: ChildProcess[] = [];
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'flotilla-pack-'));
    const pack = spawnSync('npm', ['pack', '--pack-destination', dir, '--ignore-scripts', '--json'], { cwd: root, encoding: 'utf8', timeout: 180_000 });
    expect(pack.status, pack.stderr).toBe(0);
    const tarball = join(dir, (JSON.parse(pack.stdout) as { filename: string }[])[0]!.filename);
    await writeFile(join(dir, 'package.json'), JSON.stringify({ name: 'pack-test', private: true }));
    // Dependencies from the registry (or npm's cache). better-sqlite3's native build is its
    // own package's business and takes minutes: the clone's build (same Node) is copied in.
    const install = spawnSync('npm', ['install', tarball, '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund', '--prefer-offline'], { cwd: dir, encoding: 'utf8', timeout: 400_000 });
    expect(install.status, install.stderr).toBe(0);
    cpSync(join(root, 'node_modules/better-sqlite3/build'), join(dir, 'node_modules/better-sqlite3/build'), { recursive: true });
  }, 600_000);
  afterAll(async () => {
    for (const c of children) c.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
  });

  const bin = () => join(dir, 'node_modules/.bin/flotilla');

  function start(args: string[], ready: (out: string, err: string) => boolean): Promise<{ child: ChildProcess; out: () => string; err: () => string }> {
    return new Promise((done, fail) => {
      const child = spawn(bin(), args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, FLOTILLA_ADMIN_TOKEN: '' } });
      children.push(child);
      let out = '';
      let err = '';
      const timer = setTimeout(() => fail(new Error(`did not start:\n${out}\n${err}`)), 60_000);
      const check = (): void => {
        if (ready(out, err)) {
          clearTimeout(timer);
          done({ child, out: () => out, err: () => err });
        }
      };
      child.stdout!.on('data', (d: Buffer) => ((out += d.toString()), check()));
      child.stderr!.on('data', (d: Buffer) => ((err += d.toString()), check()));
      child.once('exit', (code) => fail(new Error(`exited ${code}:\n${out}\n${err}`)));
    });
  }

  it('holds the built code, the console and the models, and no tests or sources', () => {
    const pkg = join(dir, 'node_modules/flotilla');
    for (const f of ['dist/src/cli/main.js', 'dist/ui/index.html', 'README.md', 'package.json']) expect(existsSync(join(pkg, f)), f).toBe(true);
    for (const f of ['test', 'src', 'dist/test', '.ci']) expect(existsSync(join(pkg, f)), f).toBe(false);
  });

  it('runs flotilla serve: health, the API document, the console, a token that works', async () => {
    const s = await start(['serve', '--host', '127.0.0.1', '--cwmp-port', '0', '--api-port', '0', '--no-stun', '--data-dir', join(dir, 'data')], (out, err) => /"api":"/.test(out) && err.includes('Flotilla is up'));
    const api = /"api":"([^"]+)"/.exec(s.out())![1]!;
    const base = api.replace(/\/api\/v1$/, '');
    const token = /flt_[A-Za-z0-9_-]+/.exec(s.err())![0];
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect((await fetch(`${api}/openapi.json`)).status).toBe(200);
    expect(await (await fetch(`${base}/`)).text()).toMatch(/<html/i);
    expect((await fetch(`${api}/devices`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
    s.child.kill('SIGTERM');
  });

  it('runs flotilla demo: a simulated fleet that the printed token can see', async () => {
    const s = await start(['demo', '--api-port', '0', '--devices', '2', '--duration', '60'], (out, err) => /flt_\S+/.test(out) && /console\s+\S+/.test(err));
    const token = /flt_\S+/.exec(s.out())![0];
    const consoleUrl = /console\s+(\S+)/.exec(s.err())![1]!;
    let total = 0;
    const deadline = Date.now() + 60_000;
    while (total < 2 && Date.now() < deadline) {
      const r = (await (await fetch(`${consoleUrl}api/v1/devices`, { headers: { authorization: `Bearer ${token}` } })).json()) as { total: number };
      total = r.total;
      if (total < 2) await new Promise((r) => setTimeout(r, 250));
    }
    expect(total).toBe(2);
    s.child.kill('SIGINT');
  });
});

describe('deployment files', () => {
  it.skipIf(!has('systemd-analyze') && !CI)('the systemd units pass systemd-analyze verify, with hardening on', () => {
    for (const unit of ['flotilla.service', 'flotilla-agent.service']) {
      const r = spawnSync('systemd-analyze', ['verify', join(root, 'packaging/systemd', unit)], { encoding: 'utf8' });
      // verify complains about an ExecStart binary it cannot find; here /usr/bin/env exists.
      expect(r.status, r.stderr).toBe(0);
      expect(r.stderr).not.toMatch(/Unknown (key|section)|Failed to parse/);
    }
    const text = readFileSync(join(root, 'packaging/systemd/flotilla.service'), 'utf8');
    for (const k of ['User=flotilla', 'NoNewPrivileges=true', 'ProtectSystem=strict', 'ReadWritePaths=/var/lib/flotilla', 'PrivateTmp=true', 'RestrictAddressFamilies=', 'SystemCallFilter=@system-service']) expect(text).toContain(k);
  });

  it.skipIf(!has('haproxy') && !CI)('the HAProxy configuration is valid, TCP, and balances the ACS processes on every port', () => {
    const cfg = join(root, 'packaging/haproxy/haproxy.cfg');
    const r = spawnSync('haproxy', ['-c', '-f', cfg], { encoding: 'utf8' });
    expect(r.status, r.stdout + r.stderr).toBe(0);
    const text = readFileSync(cfg, 'utf8');
    expect(text).toMatch(/mode tcp/);
    for (const port of [7547, 7557, 7567]) expect(text).toContain(`bind :${port}`);
    for (const s of ['acs1', 'acs2']) expect(text.match(new RegExp(`server ${s} ${s}:`, 'g'))?.length).toBe(3);
  });

  it('compose.yaml: PostgreSQL, two ACS processes with the same store and keys, HAProxy in front', () => {
    const doc = parse(readFileSync(join(root, 'compose.yaml'), 'utf8'), { merge: true }) as {
      services: Record<string, { image?: string; build?: string; environment?: Record<string, string>; depends_on?: unknown; ports?: string[]; volumes?: string[] }>;
    };
    expect(Object.keys(doc.services).sort()).toEqual(['acs1', 'acs2', 'haproxy', 'postgres']);
    const [a, b] = [doc.services.acs1!, doc.services.acs2!];
    expect(a.environment).toEqual(b.environment);
    expect(a.environment!.FLOTILLA_DB).toMatch(/^postgres:\/\/.+@postgres:5432\//);
    for (const k of ['FLOTILLA_CREDENTIAL_KEYS', 'FLOTILLA_STUN_SECRET', 'FLOTILLA_ADMIN_TOKEN']) expect(a.environment![k], k).toMatch(/\$\{/);
    expect(doc.services.haproxy!.ports).toEqual(['7547:7547', '7557:7557', '7567:7567']);
    expect(doc.services.haproxy!.volumes![0]).toMatch(/packaging\/haproxy\/haproxy\.cfg/);
    expect(a.build).toBe('.');
  });

  it('the Docker build context: every COPY source exists, the final stage runs as non-root, data and secrets stay out', () => {
    const dockerfile = readFileSync(join(root, 'Dockerfile'), 'utf8');
    const stages = dockerfile.split('\n').filter((l) => /^FROM /.test(l));
    expect(stages.length).toBeGreaterThanOrEqual(2);
    for (const line of dockerfile.split('\n').filter((l) => /^COPY (?!--from)/.test(l))) {
      for (const src of line.replace(/^COPY /, '').trim().split(/\s+/).slice(0, -1)) expect(existsSync(join(root, src)), src).toBe(true);
    }
    const final = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
    expect(final).toMatch(/\nUSER node\n/);
    expect(final).not.toMatch(/apt-get install|g\+\+/);
    const ignored = readFileSync(join(root, '.dockerignore'), 'utf8').split('\n');
    for (const x of ['node_modules', 'flotilla-data', 'credential-keys', '.git']) expect(ignored).toContain(x);
  });
});
