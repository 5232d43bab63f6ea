/**
 * The acceptance check: `flotilla serve --stun-port <port>` answers an RFC 5389 Binding
 * Request on that UDP port with a Binding Success Response carrying XOR-MAPPED-ADDRESS
 * (asked with the `stun` package's own client); a port already taken is a clear error.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import stun from 'stun';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const main = resolve(__dirname, '../../dist/src/cli/main.js');
let dir: string;
let child: ChildProcess | undefined;

async function freeUdpPort(): Promise<number> {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  const port = s.address().port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'flotilla-serve-stun-'));
});
afterAll(async () => {
  child?.kill('SIGKILL');
  await rm(dir, { recursive: true, force: true });
});

describe.skipIf(!existsSync(main))('flotilla serve --stun-port', () => {
  it('answers a Binding Request with XOR-MAPPED-ADDRESS', async () => {
    const port = await freeUdpPort();
    child = spawn(process.execPath, [main, 'serve', '--stun-port', String(port), '--host', '127.0.0.1', '--cwmp-port', '0', '--api-port', '0', '--data-dir', dir], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    await new Promise<void>((done, fail) => {
      const timer = setTimeout(() => fail(new Error(`serve did not start:\n${output}`)), 20_000);
      const on = (d: Buffer): void => {
        output += d.toString();
        if (output.includes('"stunPort":')) {
          clearTimeout(timer);
          done();
        }
      };
      child!.stdout?.on('data', on);
      child!.stderr?.on('data', on);
      child!.once('exit', (code) => fail(new Error(`serve exited with ${code}:\n${output}`)));
    });
    expect(output).toContain(`"stunPort":${port}`);
    const res = await stun.request(`127.0.0.1:${port}`, {});
    expect(res.type).toBe(0x0101);
    expect(res.getXorAddress()).toMatchObject({ address: '127.0.0.1', family: 'IPv4' });

    // The same port asked for again, while taken: a clear error, not a stack trace.
    const second = spawnSync(process.execPath, [main, 'serve', '--stun-port', String(port), '--host', '127.0.0.1', '--cwmp-port', '0', '--api-port', '0', '--data-dir', join(dir, 'b')], {
      timeout: 30_000,
      encoding: 'utf8',
    });
    expect(second.status).toBe(2);
    expect(second.stderr).toContain(`flotilla: STUN port ${port}: EADDRINUSE`);
  }, 60_000);

  it('with --workers, the primary holds the one STUN socket and answers', async () => {
    child?.kill('SIGKILL');
    const port = await freeUdpPort();
    child = spawn(process.execPath, [main, 'serve', '--workers', '2', '--stun-port', String(port), '--host', '127.0.0.1', '--cwmp-port', '0', '--api-port', '0', '--data-dir', join(dir, 'w')], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    await new Promise<void>((done, fail) => {
      const timer = setTimeout(() => fail(new Error(`serve did not start:\n${output}`)), 30_000);
      const on = (d: Buffer): void => {
        output += d.toString();
        if (output.includes('STUN server listening (primary)')) {
          clearTimeout(timer);
          done();
        }
      };
      child!.stdout?.on('data', on);
      child!.stderr?.on('data', on);
      child!.once('exit', (code) => fail(new Error(`serve exited with ${code}:\n${output}`)));
    });
    const res = await stun.request(`127.0.0.1:${port}`, {});
    expect(res.getXorAddress()).toMatchObject({ address: '127.0.0.1' });
  }, 60_000);
});
