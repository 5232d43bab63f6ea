/**
 * The file repository end to end on loopback: uploads through the API (streamed, hashed,
 * refused with nothing stored when broken, wrong or too big), the transfer endpoint (signed
 * URLs, the device's own Digest credential, Range, HEAD, 403 for another device's file, 416
 * past the end, the transfer log), and a download task of a repository file carried out by a
 * simulated CPE over real HTTP: it fetches the file, reboots onto the new SoftwareVersion, and
 * its TransferComplete settles the task with its times. Then Upload tasks: configuration
 * backups and logs PUT by the CPE, kept per device, compared, restored; and the hostile cases
 * (another device's backup, reused or oversized upload URLs).
 */
import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { respondTo, parseChallenges } from '../../src/auth/client.js';
import { DirBlobs } from '../../src/files/blobs.js';
import { UrlSigner } from '../../src/files/signing.js';
import { startTransferServer, type TransferServer } from '../../src/files/transfer.js';
import { deviceIdOf, parseDeviceId } from '../../src/store/device-id.js';
import { makeCredential } from '../../src/auth/server.js';
import { ADMIN, SimFleet, startStack, until, type Json, type Stack, inPath } from '../nbi/helpers.js';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';

const LIMIT = 4 * 1024 * 1024;
let s: Stack;
let fleet: SimFleet;
let transfer: TransferServer;
let filesUrl = '';
let blobDir = '';
const signer = UrlSigner.random();

beforeAll(async () => {
  const dir = await mkdtemp(join(tmpdir(), 'flotilla-files-'));
  blobDir = join(dir, 'files');
  s = await startStack({
    dir,
    acs: { sessionTimeoutMs: 5_000 },
    nbi: { repository: { blobs: new DirBlobs(blobDir), signer, publicUrl: () => filesUrl, maxUploadBytes: LIMIT } },
  });
  transfer = await startTransferServer({ repo: s.nbi.services.files.repo, signer, host: '127.0.0.1', port: 0, realm: s.acs.config.realm, maxUploadBytes: 256 * 1024 });
  filesUrl = transfer.url;
  fleet = new SimFleet(s.acs.cwmpUrl, { rebootDelayMs: 20 });
});

afterAll(async () => {
  await fleet?.close();
  await transfer?.close();
  await s?.close();
});

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

async function upload(body: Buffer, query: Record<string, string>, headers: Record<string, string> = {}) {
  const res = await fetch(`${s.nbi.url}/api/v1/files?${new URLSearchParams(query)}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/octet-stream', ...headers },
    body,
  });
  return { status: res.status, body: (await res.json().catch(() => null)) as Record<string, unknown> };
}

/** A raw HTTP POST whose body stops short of its Content-Length, then the socket closes. */
function truncatedUpload(query: string, declared: number, sent: Buffer): Promise<number | 'closed'> {
  return new Promise((resolve) => {
    const url = new URL(`${s.nbi.url}/api/v1/files?${query}`);
    const req = http.request({
      host: url.hostname,
      port: url.port,
      path: `${url.pathname}${url.search}`,
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/octet-stream', 'content-length': String(declared) },
    });
    req.on('response', (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', () => resolve('closed'));
    req.write(sent, () => setTimeout(() => req.destroy(), 50));
  });
}

async function fileCount(): Promise<{ listed: number; blobs: number; chunks: number }> {
  const listed = (await s.api.get('/files?limit=1000')).body.files.length as number;
  const blobs = (await readdir(blobDir).catch(() => [] as string[])).length;
  const chunks = (await s.store.readFileChunks('x', 0, 1)).length;
  return { listed, blobs, chunks };
}

describe('uploads', () => {
  it('streams a file in: 201 with id, size, sha256; listed, fetched back byte for byte', async () => {
    const bytes = randomBytes(300_000);
    const r = await upload(bytes, { name: 'fw-a.bin', fileType: '1 Firmware Upgrade Image', version: '2.0.0', oui: '00d09e', fromVersions: '1.0, 1.1' });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ id: expect.any(String), size: bytes.length, sha256: sha(bytes), version: '2.0.0' });
    expect(r.body.applicability).toEqual({ oui: '00D09E', productClass: '', fromVersions: ['1.0', '1.1'] });
    const got = await fetch(`${s.nbi.url}/api/v1/files/${r.body.id as string}/content`, { headers: { authorization: `Bearer ${ADMIN}` } });
    expect(Buffer.from(await got.arrayBuffer()).equals(bytes)).toBe(true);
    expect((await s.api.get(`/files/${r.body.id as string}`)).body).toMatchObject({ id: r.body.id, usedBy: [] });
  });

  it('refuses a wrong sha256, a wrong size, an over-size body and a truncated one — nothing stored', async () => {
    const before = await fileCount();
    const bytes = randomBytes(1000);
    const q = { name: 'x.bin', fileType: '1 Firmware Upgrade Image' };
    const wrongSha = await upload(bytes, { ...q, sha256: 'a'.repeat(64) });
    expect(wrongSha.status).toBe(400);
    expect(wrongSha.body.message).toMatch(/sha256/);
    expect((await upload(bytes, { ...q, size: '999' })).status).toBe(400);
    const big = await upload(Buffer.alloc(LIMIT + 1), q);
    expect(big.status).toBe(413);
    expect(big.body.code).toBe('PAYLOAD_TOO_LARGE');
    // Over the limit without a Content-Length saying so: counted as it streams.
    const chunked = await fetch(`${s.nbi.url}/api/v1/files?${new URLSearchParams(q)}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/octet-stream' },
      body: new ReadableStream({
        start(c) {
          for (let i = 0; i < 5; i++) c.enqueue(new Uint8Array(LIMIT / 4));
          c.close();
        },
      }),
      duplex: 'half',
    } as RequestInit);
    expect(chunked.status).toBe(413);
    const cut = await truncatedUpload(new URLSearchParams(q).toString(), 100_000, randomBytes(10_000));
    expect(cut === 'closed' || cut === 400).toBe(true);
    await until(async () => JSON.stringify(await fileCount()) === JSON.stringify(before));
    expect(await fileCount()).toEqual(before);
  });

  it('bad query parameters are 400 with nothing stored: missing name, unknown type, unknown field, bad sha256', async () => {
    const before = await fileCount();
    const b = Buffer.from('abc');
    for (const q of [
      { fileType: '1 Firmware Upgrade Image' },
      { name: 'a', fileType: '9 Nonsense' },
      { name: 'a', fileType: '1 Firmware Upgrade Image', colour: 'red' },
      { name: 'a', fileType: '1 Firmware Upgrade Image', sha256: 'xyz' },
      { name: 'a/../../etc', fileType: '1 Firmware Upgrade Image' },
      { name: 'a', fileType: '1 Firmware Upgrade Image', size: '-1' },
    ]) {
      const r = await upload(b, q as unknown as Record<string, string>);
      expect(r.status, JSON.stringify(q)).toBe(400);
    }
    const json = await s.api.req('POST', '/files?name=a&fileType=1%20Firmware%20Upgrade%20Image', { a: 1 });
    expect(json.status).toBe(415);
    expect(await fileCount()).toEqual(before);
  });

  it('a read-only token cannot upload or delete', async () => {
    const ro = (await s.api.post('/tokens', { name: 'ro', role: 'read-only' })).body.token as string;
    const res = await fetch(`${s.nbi.url}/api/v1/files?name=a&fileType=1%20Firmware%20Upgrade%20Image`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ro}`, 'content-type': 'application/octet-stream' },
      body: Buffer.from('x'),
    });
    expect(res.status).toBe(403);
  });
});

describe('transfer endpoint', () => {
  let fileId = '';
  let bytes: Buffer;
  beforeAll(async () => {
    bytes = randomBytes(100_000);
    fileId = (await upload(bytes, { name: 'cfg.bin', fileType: '3 Vendor Configuration File', oui: '00D09E' })).body.id as string;
  });
  const dev = deviceIdOf({ oui: '00D09E', productClass: 'IGD', serialNumber: 'T1' });
  const signed = (deviceId = dev, id = fileId, expiresMs = Date.now() + 60_000) =>
    `${transfer.url}/files/${id}?${signer.query({ fileId: id, deviceId, commandKey: 'k1', expires: Math.ceil(expiresMs / 1000), action: 'get' })}`;

  it('a signed URL serves the file; Range gives 206; a range past the end 416; HEAD only headers', async () => {
    const all = await fetch(signed());
    expect(all.status).toBe(200);
    expect(all.headers.get('accept-ranges')).toBe('bytes');
    expect(Buffer.from(await all.arrayBuffer()).equals(bytes)).toBe(true);
    const part = await fetch(signed(), { headers: { range: 'bytes=1000-1999' } });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe(`bytes 1000-1999/${bytes.length}`);
    expect(Buffer.from(await part.arrayBuffer()).equals(bytes.subarray(1000, 2000))).toBe(true);
    const tail = await fetch(signed(), { headers: { range: 'bytes=99990-' } });
    expect(Buffer.from(await tail.arrayBuffer()).equals(bytes.subarray(99_990))).toBe(true);
    const past = await fetch(signed(), { headers: { range: `bytes=${bytes.length}-` } });
    expect(past.status).toBe(416);
    expect(past.headers.get('content-range')).toBe(`bytes */${bytes.length}`);
    const head = await fetch(signed(), { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe(String(bytes.length));
    expect(head.headers.get('x-flotilla-sha256')).toBe(sha(bytes));
  });

  it('refuses: no proof 401 (Digest challenge), a forged or expired signature 403, another file 403, a malformed one 400, unknown file 404', async () => {
    const none = await fetch(`${transfer.url}/files/${fileId}`);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toMatch(/^Digest /);
    const forged = signed().replace(/s=[^&]+/, 's=AAAAAAAAAAAAAAAAAAAAAA');
    expect((await fetch(forged)).status).toBe(403);
    expect((await fetch(signed(dev, fileId, Date.now() - 120_000))).status).toBe(403);
    // A URL signed for one file does not open another.
    const other = (await upload(Buffer.from('other'), { name: 'o.bin', fileType: '2 Web Content' })).body.id as string;
    expect((await fetch(signed().replace(`/files/${fileId}`, `/files/${other}`))).status).toBe(403);
    expect((await fetch(`${transfer.url}/files/${fileId}?d=x&e=soon&s=abc`)).status).toBe(400);
    expect((await fetch(signed(dev, 'nosuchfile'))).status).toBe(404);
    expect((await fetch(`${transfer.url}/elsewhere`)).status).toBe(404);
  });

  it("a device's own Digest credential reaches files for its OUI; another device's file is 403", async () => {
    const devA = deviceIdOf({ oui: '00D09E', productClass: 'IGD', serialNumber: 'DA' });
    const devB = deviceIdOf({ oui: '00D09E', productClass: 'IGD', serialNumber: 'DB' });
    const realm = s.acs.config.realm;
    await s.store.setCpeCredential(devA, makeCredential('dev-a', 'pw-a', realm));
    await s.store.setCpeCredential(devB, makeCredential('dev-b', 'pw-b', realm));
    // A file that belongs to device B (as a backup would).
    const ofB = await s.nbi.services.files.repo.upload({ name: 'b.cfg', fileType: '1 Vendor Configuration File', deviceId: devB }, (async function* () {
      yield Buffer.from('<Config/>');
    })(), { maxBytes: 1000 });
    const get = async (user: string, pass: string, id: string) => {
      const path = `/files/${id}`;
      const first = await fetch(`${transfer.url}${path}`);
      const answer = respondTo(parseChallenges(first.headers.get('www-authenticate') ?? ''), { username: user, password: pass });
      return fetch(`${transfer.url}${path}`, { headers: { authorization: answer!('GET', path) } });
    };
    const ok = await get('dev-a', 'pw-a', fileId);
    expect(ok.status).toBe(200);
    expect(Buffer.from(await ok.arrayBuffer()).equals(bytes)).toBe(true);
    expect((await get('dev-a', 'wrong', fileId)).status).toBe(401);
    expect((await get('dev-a', 'pw-a', ofB.id)).status).toBe(403);
    expect((await get('dev-b', 'pw-b', ofB.id)).status).toBe(200);
    // The log is written as each answer ends: wait for both entries.
    const log = await until(async () => {
      const l = (await s.api.get(`/files/${ofB.id}/transfers`)).body.transfers as { deviceId: string; status: number; auth: string }[];
      return l.length >= 2 ? l : null;
    });
    expect(log.map((l) => [l.deviceId, l.status, l.auth])).toEqual([
      [devB, 200, 'digest'],
      [devA, 403, 'digest'],
    ]);
  });
});

describe('a download task of a repository file', () => {
  it('the sim fetches it over HTTP (resuming with Range after a dropped connection), checks size and SHA-256, reboots onto the new version; TransferComplete settles the task with its times', async () => {
    const { id, cpe } = await fleet.add('DL0001');
    fleet.runtime.dropDownloadsAfterBytes = 70_000;
    const oui = parseDeviceId(id)!.oui;
    const image = randomBytes(200_000);
    const up = await upload(image, { name: 'router-fw.bin', fileType: '1 Firmware Upgrade Image', version: '9.8.7', oui });
    expect(up.status).toBe(201);
    const fid = up.body.id as string;
    const created = await s.api.post(`/devices/${inPath(id)}/tasks?connectionRequest=true`, { type: 'download', fileId: fid });
    expect([201, 202], created.text).toContain(created.status);
    const task = created.body;
    expect(task.task).toMatchObject({ fileId: fid, fileType: '1 Firmware Upgrade Image', fileSize: image.length, targetFileName: 'router-fw.bin' });
    expect(task.task.url).toMatch(new RegExp(`^${transfer.url}/files/${fid}\\?`));
    // In use: the file cannot be deleted while the task is pending.
    const busy = await s.api.del(`/files/${fid}`);
    expect(busy.status).toBe(409);
    const done = await until(async () => {
      const t = (await s.api.get(`/tasks/${task.id as string}`)).body;
      return t.state === 'done' || t.state === 'fault' ? t : null;
    }, 30_000);
    expect(done.state).toBe('done');
    expect(done.response).toMatchObject({ method: 'DownloadResponse', status: 0, startTime: expect.stringMatching(/^20/), completeTime: expect.stringMatching(/^20/) });
    expect(cpe.model.get(`${cpe.model.root}DeviceInfo.SoftwareVersion`)?.value).toBe('9.8.7');
    const device = (await s.api.get(`/devices/${inPath(id)}`)).body;
    expect(device.parameters[`${cpe.model.root}DeviceInfo.SoftwareVersion`].value).toBe('9.8.7');
    expect(device.lastEvents?.map?.((e: { eventCode: string }) => e.eventCode) ?? []).toEqual(expect.arrayContaining(['1 BOOT', '7 TRANSFER COMPLETE', 'M Download']));
    fleet.runtime.dropDownloadsAfterBytes = undefined;
    // The log: the first GET (the device dropped it; the server may have handed every byte to
    // the kernel by then), the second resumed from where the device stopped (206).
    const log = (await s.api.get(`/files/${fid}/transfers`)).body.transfers as { status: number; bytes: number; outcome: string; deviceId: string; auth: string }[];
    expect(log.map((l) => [l.deviceId, l.auth])).toEqual([
      [id, 'signed'],
      [id, 'signed'],
    ]);
    expect(log[1]).toMatchObject({ status: 200 });
    expect(log[0]).toMatchObject({ status: 206, outcome: expect.stringMatching(/^complete \(range \d+-199999\)/) });
    expect(log[0]!.bytes + log[1]!.bytes).toBeGreaterThanOrEqual(image.length);
    expect((await s.api.del(`/files/${fid}`)).status).toBe(204);
  });

  it('refuses a fileId that does not exist or is for another OUI (nothing queued)', async () => {
    const { id } = await fleet.add('DL0002');
    const other = (await upload(Buffer.from('zz'), { name: 'z.bin', fileType: '1 Firmware Upgrade Image', oui: 'ABCDEF' })).body.id as string;
    for (const body of [{ type: 'download', fileId: 'nope' }, { type: 'download', fileId: other }, { type: 'download' }]) {
      const r = await s.api.post(`/devices/${inPath(id)}/tasks`, body);
      expect(r.status, JSON.stringify(body)).toBe(400);
    }
    expect((await s.api.get(`/devices/${inPath(id)}/tasks`)).body.tasks ?? []).toEqual([]);
  });
});

describe('configuration backups, logs, restore', () => {
  const PC = 'Device.DeviceInfo.ProvisioningCode';

  async function runTask(id: string, body: Record<string, unknown>): Promise<Json> {
    const created = await s.api.post(`/devices/${inPath(id)}/tasks?connectionRequest=true`, body);
    expect([200, 201, 202], created.text).toContain(created.status);
    return until(async () => {
      const t = (await s.api.get(`/tasks/${created.body.id as string}`)).body;
      return t.state === 'done' || t.state === 'fault' ? t : null;
    }, 30_000);
  }

  it('Upload tasks: the CPE PUTs its configuration and its log to the transfer endpoint; kept per device with time and hash; diff; restore', async () => {
    const { id, cpe } = await fleet.add('BK0001');
    cpe.model.setInternal(PC, 'before');
    const t1 = await runTask(id, { type: 'upload', fileType: '1 Vendor Configuration File' });
    expect(t1.state, JSON.stringify(t1)).toBe('done');
    expect(t1.task.url).toMatch(new RegExp(`^${transfer.url}/uploads/${t1.task.fileId as string}\\?`));
    expect(t1.response).toMatchObject({ method: 'UploadResponse', status: 0, completeTime: expect.stringMatching(/^20/) });
    cpe.model.setInternal(PC, 'after');
    const t2 = await runTask(id, { type: 'upload', fileType: '3 Vendor Configuration File 1' });
    expect(t2.state).toBe('done');
    const log = await runTask(id, { type: 'upload', fileType: '2 Vendor Log File' });
    expect(log.state).toBe('done');
    const list = (await s.api.get(`/devices/${inPath(id)}/files`)).body.files as Json[];
    expect(list.map((f) => f.id)).toEqual([log.task.fileId, t2.task.fileId, t1.task.fileId]);
    expect(list.map((f) => f.fileType)).toEqual(['2 Vendor Log File', '3 Vendor Configuration File 1', '1 Vendor Configuration File']);
    for (const f of list) expect(f).toMatchObject({ deviceId: id, size: expect.any(Number), sha256: expect.stringMatching(/^[0-9a-f]{64}$/), createdAt: expect.stringMatching(/^20/) });
    // Not in the operators' repository listing.
    expect(((await s.api.get('/files')).body.files as { id: string }[]).some((f) => f.id === t1.task.fileId)).toBe(false);
    const first = await fetch(`${s.nbi.url}/api/v1/devices/${inPath(id)}/files/${t1.task.fileId as string}/content`, { headers: { authorization: `Bearer ${ADMIN}` } });
    const body = Buffer.from(await first.arrayBuffer());
    expect(body.toString()).toMatch(/^<\?xml/);
    expect(sha(body)).toBe(list[2]!.sha256);
    const logText = await (await fetch(`${s.nbi.url}/api/v1/devices/${inPath(id)}/files/${log.task.fileId as string}/content`, { headers: { authorization: `Bearer ${ADMIN}` } })).text();
    expect(logText).toMatch(/cwmpd/);
    const diff = (await s.api.get(`/devices/${inPath(id)}/files/diff?from=${t1.task.fileId as string}&to=${t2.task.fileId as string}`)).body;
    expect(diff).toMatchObject({ added: 1, removed: 1, truncated: false });
    expect(diff.diff).toContain(`-  <Parameter name="${PC}" type="xsd:string">before</Parameter>`);
    expect(diff.diff).toContain(`+  <Parameter name="${PC}" type="xsd:string">after</Parameter>`);
    // Restore the first backup: a "3 Vendor Configuration File" download to the same device.
    const restore = await s.api.post(`/devices/${inPath(id)}/files/${t1.task.fileId as string}/restore?connectionRequest=true`);
    expect(restore.status, restore.text).toBe(201);
    expect(restore.body.task).toMatchObject({ type: 'download', fileId: t1.task.fileId, fileType: '3 Vendor Configuration File', fileSize: list[2]!.size });
    const restored = await until(async () => {
      const t = (await s.api.get(`/tasks/${restore.body.id as string}`)).body;
      return t.state === 'done' || t.state === 'fault' ? t : null;
    }, 30_000);
    expect(restored.state, JSON.stringify(restored)).toBe('done');
    expect(cpe.model.get(PC)?.value).toBe('before');
    // A log is no backup to restore; a diff reads only this device's files.
    expect((await s.api.post(`/devices/${inPath(id)}/files/${log.task.fileId as string}/restore`)).status).toBe(400);
  });

  it("hostile: another device's backup is 403 on the transfer endpoint and 404 through the API; upload URLs are single-use, bounded and for PUT only", async () => {
    const { id: a } = await fleet.add('BK0002');
    const { id: b } = await fleet.add('BK0003');
    const t = await runTask(a, { type: 'upload', fileType: '1 Vendor Configuration File' });
    expect(t.state).toBe('done');
    const fileOfA = t.task.fileId as string;
    const asB = `${transfer.url}/files/${fileOfA}?${signer.query({ fileId: fileOfA, deviceId: b, commandKey: 'x', expires: Math.ceil(Date.now() / 1000) + 60, action: 'get' })}`;
    expect((await fetch(asB)).status).toBe(403);
    const asA = `${transfer.url}/files/${fileOfA}?${signer.query({ fileId: fileOfA, deviceId: a, commandKey: 'x', expires: Math.ceil(Date.now() / 1000) + 60, action: 'get' })}`;
    expect((await fetch(asA)).status).toBe(200);
    expect((await s.api.get(`/devices/${inPath(b)}/files/${fileOfA}/content`)).status).toBe(404);
    expect((await s.api.get(`/devices/${inPath(b)}/files/diff?from=${fileOfA}&to=${fileOfA}`)).status).toBe(404);
    expect((await s.api.post(`/devices/${inPath(b)}/files/${fileOfA}/restore`)).status).toBe(404);
    expect((await s.api.post(`/devices/${inPath(b)}/tasks`, { type: 'download', fileId: fileOfA })).status).toBe(400);
    // The same upload URL again: the file exists already (409), nothing replaced.
    const before = (await s.api.get(`/devices/${inPath(a)}/files`)).body.files as { sha256: string }[];
    const again = await fetch(t.task.url as string, { method: 'PUT', body: 'evil' });
    expect(again.status).toBe(409);
    expect((await s.api.get(`/devices/${inPath(a)}/files`)).body.files).toEqual(before);
    // A fetch URL does not upload; an upload URL does not fetch; no URL at all is refused.
    const put = (id: string, action: 'get' | 'put', fileType = '1 Vendor Configuration File') =>
      `${transfer.url}/uploads/${id}?${signer.query({ fileId: id, deviceId: b, commandKey: 'k', expires: Math.ceil(Date.now() / 1000) + 60, action, fileType })}`;
    expect((await fetch(put('newid1', 'get'), { method: 'PUT', body: 'x' })).status).toBe(403);
    expect((await fetch(`${transfer.url}/uploads/newid2`, { method: 'PUT', body: 'x' })).status).toBe(403);
    expect((await fetch(put('newid3', 'put'), { method: 'GET' })).status).toBe(405);
    // Over the limit (256 KiB here), announced or not: 413, nothing stored.
    expect((await fetch(put('newid4', 'put'), { method: 'PUT', body: Buffer.alloc(300 * 1024) })).status).toBe(413);
    const chunked = await fetch(put('newid5', 'put'), {
      method: 'PUT',
      body: new ReadableStream({
        start(c) {
          for (let i = 0; i < 5; i++) c.enqueue(new Uint8Array(64 * 1024));
          c.close();
        },
      }),
      duplex: 'half',
    } as RequestInit);
    expect(chunked.status).toBe(413);
    expect((await s.api.get(`/devices/${inPath(b)}/files`)).body.files).toEqual([]);
    const ok = await fetch(put('newid6', 'put', '2 Vendor Log File'), { method: 'PUT', body: 'a log line\n', headers: { 'content-type': 'text/plain' } });
    expect(ok.status).toBe(201);
    expect((await s.api.get(`/devices/${inPath(b)}/files`)).body.files).toMatchObject([{ id: 'newid6', fileType: '2 Vendor Log File', size: 11 }]);
    // Deleting the device takes its files.
    expect((await s.api.del(`/devices/${inPath(b)}`)).status).toBe(204);
    expect((await s.api.get(`/files/newid6`)).status).toBe(404);
  });
});
