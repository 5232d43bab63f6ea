/**
 * Client certificates on the CWMP endpoint (issue 10, defect 9), with a test CA made here by
 * `openssl`: a good certificate opens the device's session with no password (the simulated
 * CPE of src/cpe presents it), another device's certificate and a revoked one are refused with
 * nothing written, a factory-reset device re-bootstraps with its certificate where the shared
 * credential is refused, and the TLS settings refuse static-RSA and CBC suites.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:https';
import { connect } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { certificateNamesDevice } from '../../src/auth/client-cert.js';
import { startAcs, type AcsServer } from '../../src/acs/server.js';
import { createCpe } from '../../src/cpe/client/create.js';
import { CpeRuntime } from '../../src/cpe/client/runtime.js';
import type { SessionReport } from '../../src/cpe/index.js';
import { buildEnvelope } from '../../src/cwmp/codec.js';
import { deviceIdOf } from '../../src/store/device-id.js';
import { routerTemplate, until } from '../nbi/helpers.js';
import { informBody } from '../helpers/scripted-cpe.js';

describe('which device a certificate names (pure)', () => {
  const dev = { oui: '00D09E', productClass: 'IGD', serialNumber: 'SN-7' };
  it('CN = OUI-ProductClass-Serial or OUI-Serial; OUI in any case; nothing else', () => {
    expect(certificateNamesDevice({ CN: '00D09E-IGD-SN-7' }, dev)).toBe(true);
    expect(certificateNamesDevice({ CN: '00d09e-SN-7' }, dev)).toBe(true);
    expect(certificateNamesDevice({ CN: '00D09E-IGD-SN-8' }, dev)).toBe(false);
    expect(certificateNamesDevice({ CN: '00D09F-IGD-SN-7' }, dev)).toBe(false);
    expect(certificateNamesDevice({ CN: '00D09E-igd-SN-7' }, dev)).toBe(false);
    expect(certificateNamesDevice({ CN: 'SN-7' }, dev)).toBe(false);
    expect(certificateNamesDevice({ CN: ['00D09E-IGD-SN-7', 'x'] }, dev)).toBe(false);
    expect(certificateNamesDevice({ serialNumber: 'SN-7' }, dev)).toBe(false);
    expect(certificateNamesDevice(null, dev)).toBe(false);
    expect(certificateNamesDevice({ CN: '00D09E-' }, { ...dev, serialNumber: '' })).toBe(false);
  });
});

const openssl = (args: string[], cwd: string): void => void execFileSync('openssl', args, { cwd, stdio: 'pipe' });

interface Pki {
  dir: string;
  ca: string;
  serverCert: string;
  serverKey: string;
  crl: string;
  /** cert and key paths of a device certificate with this CN, signed by the CA. */
  device(name: string, cn: string): { cert: string; key: string };
  revoke(cert: string): void;
  gencrl(): void;
}

async function makePki(): Promise<Pki> {
  const dir = await mkdtemp(join(tmpdir(), 'flotilla-mtls-'));
  await writeFile(
    join(dir, 'ca.cnf'),
    [
      '[ ca ]',
      'default_ca = test_ca',
      '[ test_ca ]',
      `database = ${join(dir, 'index.txt')}`,
      `new_certs_dir = ${dir}`,
      `certificate = ${join(dir, 'ca.pem')}`,
      `private_key = ${join(dir, 'ca.key')}`,
      `crlnumber = ${join(dir, 'crlnumber')}`,
      'default_md = sha256',
      'default_crl_days = 1',
      '[ v3_ca ]',
      'basicConstraints = critical, CA:true',
      'keyUsage = critical, keyCertSign, cRLSign',
      'subjectKeyIdentifier = hash',
      '[ server ]',
      'subjectAltName = IP:127.0.0.1',
      'extendedKeyUsage = serverAuth',
      '[ client ]',
      'extendedKeyUsage = clientAuth',
      '',
    ].join('\n'),
  );
  await writeFile(join(dir, 'index.txt'), '');
  await writeFile(join(dir, 'crlnumber'), '01\n');
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  openssl(['req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=Flotilla test device CA', '-config', 'ca.cnf', '-extensions', 'v3_ca'], dir);
  let serial = 1;
  const sign = (name: string, subj: string, ext: string, keyArgs: string[]): { cert: string; key: string } => {
    openssl(['req', ...keyArgs, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subj], dir);
    openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-set_serial', String(serial++), '-days', '2', '-out', `${name}.pem`, '-extfile', 'ca.cnf', '-extensions', ext], dir);
    return { cert: join(dir, `${name}.pem`), key: join(dir, `${name}.key`) };
  };
  // RSA for the server, so the ECDHE-RSA and static-RSA suites are both possible to offer.
  const server = sign('server', '/CN=127.0.0.1', 'server', ['-newkey', 'rsa:2048', '-nodes']);
  const pki: Pki = {
    dir,
    ca: join(dir, 'ca.pem'),
    serverCert: server.cert,
    serverKey: server.key,
    crl: join(dir, 'crl.pem'),
    device: (name, cn) => sign(name, `/CN=${cn}`, 'client', ec),
    revoke: (cert) => openssl(['ca', '-config', 'ca.cnf', '-revoke', cert], dir),
    gencrl: () => openssl(['ca', '-config', 'ca.cnf', '-gencrl', '-out', 'crl.pem'], dir),
  };
  pki.gencrl();
  return pki;
}

interface TlsReply {
  status: number;
  text: string;
}

function postTls(url: string, body: string, tls: { ca: Buffer; cert?: Buffer; key?: Buffer }, headers: Record<string, string> = {}): Promise<TlsReply> {
  return new Promise((done, fail) => {
    const req = request(url, { method: 'POST', ...tls, agent: false, headers: { 'Content-Type': 'text/xml', ...headers } }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => done({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', fail);
    req.end(body);
  });
}

/** Does a TLS handshake with only these suites succeed? */
function handshake(port: number, opts: { ciphers?: string; minVersion?: 'TLSv1.2' | 'TLSv1.3'; maxVersion?: 'TLSv1.2' | 'TLSv1.3' }, ca: Buffer): Promise<string> {
  return new Promise((done) => {
    const s = connect({ host: '127.0.0.1', port, ca, ...opts });
    s.once('secureConnect', () => {
      const cipher = s.getCipher().name;
      s.destroy();
      done(cipher);
    });
    s.once('error', (e) => done(`refused: ${(e as NodeJS.ErrnoException).code ?? e.message}`));
  });
}

describe('mTLS on the CWMP endpoint', () => {
  let pki: Pki;
  let data: string;
  let acs: AcsServer;
  let ca: Buffer;
  const template = routerTemplate();
  const ident = template.deviceId;
  const cnOf = (serial: string) => `${ident.oui}-${ident.productClass}-${serial}`;
  const idOf = (serial: string) => deviceIdOf({ oui: ident.oui, productClass: ident.productClass, serialNumber: serial });
  const inform = (serial: string, events: string[] = ['0 BOOTSTRAP']) =>
    buildEnvelope({
      namespace: 'urn:dslforum-org:cwmp-1-0',
      header: { id: '1' },
      body: { ...informBody({ events }), deviceId: { manufacturer: 'Acme', oui: ident.oui, productClass: ident.productClass, serialNumber: serial } },
    });
  const pem = (p: string) => readFile(p);

  beforeAll(async () => {
    pki = await makePki();
    data = await mkdtemp(join(tmpdir(), 'flotilla-mtls-data-'));
    pki.device('good', cnOf('MT0001'));
    pki.device('other', cnOf('MT0002'));
    const revoked = pki.device('revoked', cnOf('MT0003'));
    pki.revoke(revoked.cert);
    pki.gencrl();
    ca = await pem(pki.ca);
    acs = await startAcs({
      dataDir: data,
      host: '127.0.0.1',
      cwmpPort: 0,
      tlsCert: pki.serverCert,
      tlsKey: pki.serverKey,
      tlsClientCa: pki.ca,
      tlsCrl: pki.crl,
      cpeCredentials: { username: 'boot', password: 'strap' },
      discoverOnBootstrap: false,
    });
  }, 60_000);
  afterAll(async () => {
    await acs?.close();
    await rm(data, { recursive: true, force: true });
    await rm(pki.dir, { recursive: true, force: true });
  });

  it('a simulated CPE presenting its certificate is served with no password, and gets its connection-request credentials', async () => {
    const sessions: SessionReport[] = [];
    const runtime = new CpeRuntime({ tls: { ca, cert: await pem(join(pki.dir, 'good.pem')), key: await pem(join(pki.dir, 'good.key')) }, observer: { sessionEnded: (r) => sessions.push(r) }, retry: { minimumWait: 60, multiplier: 2000 } });
    const ms = `${template.root}ManagementServer.`;
    const cpe = createCpe({ template, serialNumber: 'MT0001', overrides: { [`${ms}URL`]: acs.cwmpUrl, [`${ms}PeriodicInformEnable`]: 'false', [`${ms}Username`]: '', [`${ms}Password`]: '' }, runtime });
    cpe.start();
    try {
      await until(() => sessions.length > 0);
      expect(sessions[0]!.ok, sessions[0]!.error).toBe(true);
      expect(await acs.store.getDevice(idOf('MT0001'))).not.toBeNull();
      // Handed credentials for connection requests (and as a fallback), like any new device.
      expect((await acs.store.getDeviceCredentials(idOf('MT0001')))?.current.connectionRequest).not.toBeNull();
    } finally {
      runtime.stopping = true;
      cpe.stop();
    }
  });

  it('after a factory reset the device re-bootstraps with its certificate, where the shared credential is refused', async () => {
    const body = inform('MT0001', ['0 BOOTSTRAP', '1 BOOT']);
    const basic = `Basic ${Buffer.from('boot:strap').toString('base64')}`;
    expect((await postTls(acs.cwmpUrl, body, { ca }, { Authorization: basic })).status).toBe(401);
    const r = await postTls(acs.cwmpUrl, body, { ca, cert: await pem(join(pki.dir, 'good.pem')), key: await pem(join(pki.dir, 'good.key')) });
    expect(r.status).toBe(200);
    expect(r.text).toContain('InformResponse');
  });

  it('another device’s certificate, a revoked one and one from another CA are refused (403), nothing written', async () => {
    const other = { ca, cert: await pem(join(pki.dir, 'other.pem')), key: await pem(join(pki.dir, 'other.key')) };
    const posing = await postTls(acs.cwmpUrl, inform('MT0009'), other);
    expect(posing.status).toBe(403);
    expect(posing.text).toMatch(/another device/);
    expect(await acs.store.getDevice(idOf('MT0009'))).toBeNull();

    const revoked = await postTls(acs.cwmpUrl, inform('MT0003'), { ca, cert: await pem(join(pki.dir, 'revoked.pem')), key: await pem(join(pki.dir, 'revoked.key')) });
    expect(revoked.status).toBe(403);
    expect(revoked.text).toMatch(/revoked/i);
    expect(await acs.store.getDevice(idOf('MT0003'))).toBeNull();

    // Self-signed, same CN as a good one: not from the device CA.
    openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'rogue.key', '-out', 'rogue.pem', '-days', '1', '-subj', `/CN=${cnOf('MT0004')}`], pki.dir);
    const rogue = await postTls(acs.cwmpUrl, inform('MT0004'), { ca, cert: await pem(join(pki.dir, 'rogue.pem')), key: await pem(join(pki.dir, 'rogue.key')) });
    expect(rogue.status).toBe(403);
    expect(await acs.store.getDevice(idOf('MT0004'))).toBeNull();

    // The refused certificate is not retried with a password either.
    const withBoth = await postTls(acs.cwmpUrl, inform('MT0009'), other, { Authorization: `Basic ${Buffer.from('boot:strap').toString('base64')}` });
    expect(withBoth.status).toBe(403);
    expect(await acs.store.getDevice(idOf('MT0009'))).toBeNull();
  });

  it('a device without a certificate still authenticates with credentials', async () => {
    const body = inform('MT0005');
    expect((await postTls(acs.cwmpUrl, body, { ca })).status).toBe(401);
    const ok = await postTls(acs.cwmpUrl, body, { ca }, { Authorization: `Basic ${Buffer.from('boot:strap').toString('base64')}` });
    expect(ok.status).toBe(200);
  });

  it('TLS 1.3, and TLS 1.2 only with ECDHE + AEAD: AES128-SHA, AES256-SHA256 and CBC suites are refused', async () => {
    const port = Number(new URL(acs.cwmpUrl).port);
    expect(await handshake(port, { minVersion: 'TLSv1.3' }, ca)).toMatch(/^TLS_/);
    expect(await handshake(port, { maxVersion: 'TLSv1.2', ciphers: 'ECDHE-RSA-AES128-GCM-SHA256' }, ca)).toBe('ECDHE-RSA-AES128-GCM-SHA256');
    expect(await handshake(port, { maxVersion: 'TLSv1.2', ciphers: 'ECDHE-RSA-CHACHA20-POLY1305' }, ca)).toBe('ECDHE-RSA-CHACHA20-POLY1305');
    for (const weak of ['AES128-SHA', 'AES256-SHA256', 'AES128-GCM-SHA256', 'ECDHE-RSA-AES128-SHA', 'ECDHE-RSA-AES256-SHA384']) {
      expect(await handshake(port, { maxVersion: 'TLSv1.2', ciphers: weak }, ca), weak).toMatch(/^refused/);
    }
  });
});

describe('mTLS required (--tls-client-cert required)', () => {
  let pki: Pki;
  let data: string;
  let acs: AcsServer;
  let ca: Buffer;
  const lines: string[] = [];
  const template = routerTemplate();
  const ident = template.deviceId;
  const cnOf = (serial: string) => `${ident.oui}-${ident.productClass}-${serial}`;
  const idOf = (serial: string) => deviceIdOf({ oui: ident.oui, productClass: ident.productClass, serialNumber: serial });
  const inform = (serial: string) =>
    buildEnvelope({
      namespace: 'urn:dslforum-org:cwmp-1-0',
      header: { id: '1' },
      body: { ...informBody({ events: ['0 BOOTSTRAP'] }), deviceId: { manufacturer: 'Acme', oui: ident.oui, productClass: ident.productClass, serialNumber: serial } },
    });
  const basic = { Authorization: `Basic ${Buffer.from('boot:strap').toString('base64')}` };

  beforeAll(async () => {
    pki = await makePki();
    data = await mkdtemp(join(tmpdir(), 'flotilla-mtls-req-'));
    pki.device('good', cnOf('RQ0001'));
    const revoked = pki.device('revoked', cnOf('RQ0003'));
    pki.revoke(revoked.cert);
    pki.gencrl();
    ca = await readFile(pki.ca);
    acs = await startAcs({
      dataDir: data,
      host: '127.0.0.1',
      cwmpPort: 0,
      tlsCert: pki.serverCert,
      tlsKey: pki.serverKey,
      tlsClientCa: pki.ca,
      tlsCrl: pki.crl,
      tlsClientCert: 'required',
      cpeCredentials: { username: 'boot', password: 'strap' },
      discoverOnBootstrap: false,
      logger: pino({ level: 'warn' }, { write: (line: string) => void lines.push(line) }),
    });
  }, 60_000);
  afterAll(async () => {
    await acs?.close();
    await rm(data, { recursive: true, force: true });
    await rm(pki.dir, { recursive: true, force: true });
  });

  it('a device without a certificate is refused even with the right credential, with a log line; nothing is written', async () => {
    const r = await postTls(acs.cwmpUrl, inform('RQ0002'), { ca }, basic);
    expect(r.status).toBe(403);
    expect(r.text).toBe('a client certificate is required');
    expect(await acs.store.getDevice(idOf('RQ0002'))).toBeNull();
    const line = lines.map((l) => JSON.parse(l) as { msg: string; reason: string }).find((l) => l.msg.includes('--tls-client-cert required'));
    expect(line?.reason).toBe('a client certificate is required');
    // Not even an empty POST or garbage gets further than the refusal.
    expect((await postTls(acs.cwmpUrl, '', { ca })).status).toBe(403);
    expect((await postTls(acs.cwmpUrl, '<not xml', { ca }, basic)).status).toBe(403);
  });

  it('a revoked certificate and a self-signed one are refused; a good one opens the session', async () => {
    const revoked = await postTls(acs.cwmpUrl, inform('RQ0003'), { ca, cert: await readFile(join(pki.dir, 'revoked.pem')), key: await readFile(join(pki.dir, 'revoked.key')) }, basic);
    expect(revoked.status).toBe(403);
    expect(revoked.text).toMatch(/revoked/i);
    openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'rogue.key', '-out', 'rogue.pem', '-days', '1', '-subj', `/CN=${cnOf('RQ0004')}`], pki.dir);
    const rogue = await postTls(acs.cwmpUrl, inform('RQ0004'), { ca, cert: await readFile(join(pki.dir, 'rogue.pem')), key: await readFile(join(pki.dir, 'rogue.key')) }, basic);
    expect(rogue.status).toBe(403);
    expect(await acs.store.getDevice(idOf('RQ0003'))).toBeNull();
    expect(await acs.store.getDevice(idOf('RQ0004'))).toBeNull();
    const good = await postTls(acs.cwmpUrl, inform('RQ0001'), { ca, cert: await readFile(join(pki.dir, 'good.pem')), key: await readFile(join(pki.dir, 'good.key')) });
    expect(good.status).toBe(200);
    expect(good.text).toContain('InformResponse');
  });
});
