/**
 * Files: the repository page (upload with a progress bar, the list with applicability, delete
 * when nothing uses a file) and a device's own files (configuration backups and logs: take
 * one now, download, compare two, restore a backup). docs/files.md.
 */
import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { API_BASE, devicePath, errorText, roleAllows, type TaskRecord } from '../api';
import { useApp } from '../app-context';
import { Badge, Button, Card, Confirm, ErrorBox, Field, Loading, Progress } from '../components/ui';
import { ago, localTime } from '../format';

export interface RepoFile {
  id: string;
  name: string;
  fileType: string;
  version: string;
  size: number;
  sha256: string;
  targetFileName: string;
  applicability: { oui: string; productClass: string; fromVersions: string[] };
  deviceId?: string;
  createdAt: string;
}

const FILE_TYPES = ['1 Firmware Upgrade Image', '2 Web Content', '3 Vendor Configuration File', '4 Tone File', '5 Ringer File'];

export function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  return `${(n / 1024 ** 3).toFixed(2)} GiB`;
}

/** POST the bytes with upload progress (fetch has none): XMLHttpRequest with the bearer token. */
function uploadWithProgress(auth: Record<string, string>, query: URLSearchParams, file: File, onProgress: (sent: number) => void): Promise<RepoFile> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', `${API_BASE}/files?${query.toString()}`);
    for (const [k, v] of Object.entries(auth)) xhr.setRequestHeader(k, v);
    xhr.setRequestHeader('content-type', 'application/octet-stream');
    xhr.upload.onprogress = (e) => onProgress(e.loaded);
    xhr.onload = () => {
      let body: { code?: string; message?: string } & Partial<RepoFile> = {};
      try {
        body = JSON.parse(xhr.responseText) as typeof body;
      } catch {
        // not JSON: the status says enough
      }
      if (xhr.status === 201) resolve(body as RepoFile);
      else reject(new Error(`${body.code ?? `HTTP ${xhr.status}`}: ${body.message ?? 'upload refused'}`));
    };
    xhr.onerror = () => reject(new Error('the upload broke off'));
    xhr.send(file);
  });
}

/** Fetch with the token and hand the bytes to the browser as a download. */
async function saveAs(auth: Record<string, string>, path: string, name: string): Promise<void> {
  const res = await fetch(API_BASE + path, { headers: auth });
  if (!res.ok) throw new Error(`HTTP ${res.status}`);
  const url = URL.createObjectURL(await res.blob());
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

function Applicability({ a }: { a: RepoFile['applicability'] }): JSX.Element {
  const parts = [a.oui ? `OUI ${a.oui}` : '', a.productClass ? `class ${a.productClass}` : '', a.fromVersions.length > 0 ? `from ${a.fromVersions.join(', ')}` : ''].filter(Boolean);
  return parts.length === 0 ? <span class="muted">any device</span> : <span>{parts.join(' · ')}</span>;
}

function UploadForm({ onDone }: { onDone: (f: RepoFile) => void }): JSX.Element {
  const { api } = useApp();
  const [file, setFile] = useState<File | null>(null);
  const [name, setName] = useState('');
  const [fileType, setFileType] = useState(FILE_TYPES[0]!);
  const [version, setVersion] = useState('');
  const [oui, setOui] = useState('');
  const [productClass, setProductClass] = useState('');
  const [fromVersions, setFromVersions] = useState('');
  const [sent, setSent] = useState<number | null>(null);
  const [error, setError] = useState<string | null>(null);
  const submit = async (e: Event): Promise<void> => {
    e.preventDefault();
    if (file === null) return setError('choose a file');
    const q = new URLSearchParams({ name: name || file.name, fileType, size: String(file.size) });
    if (version) q.set('version', version);
    if (oui) q.set('oui', oui);
    if (productClass) q.set('productClass', productClass);
    if (fromVersions) q.set('fromVersions', fromVersions);
    setError(null);
    setSent(0);
    try {
      const f = await uploadWithProgress(api.authHeaders('POST'), q, file, setSent);
      onDone(f);
      setFile(null);
      setName('');
      (e.target as HTMLFormElement).reset();
    } catch (err) {
      setError(errorText(err));
    } finally {
      setSent(null);
    }
  };
  return (
    <form class="form-grid" onSubmit={(e) => void submit(e)} aria-label="Upload a file">
      <Field label="File">{(p) => <input {...p} type="file" required onChange={(e) => setFile((e.target as HTMLInputElement).files?.[0] ?? null)} />}</Field>
      <Field label="Name" hint="default: the file's name">{(p) => <input {...p} value={name} onInput={(e) => setName((e.target as HTMLInputElement).value)} />}</Field>
      <Field label="File type">
        {(p) => (
          <select {...p} value={fileType} onChange={(e) => setFileType((e.target as HTMLSelectElement).value)}>
            {FILE_TYPES.map((t) => (
              <option key={t} value={t}>
                {t}
              </option>
            ))}
          </select>
        )}
      </Field>
      <Field label="Version it installs">{(p) => <input {...p} value={version} onInput={(e) => setVersion((e.target as HTMLInputElement).value)} />}</Field>
      <Field label="OUI" hint="empty: any">{(p) => <input {...p} value={oui} pattern="[0-9A-Fa-f]{6}" onInput={(e) => setOui((e.target as HTMLInputElement).value)} />}</Field>
      <Field label="Product class" hint="empty: any">{(p) => <input {...p} value={productClass} onInput={(e) => setProductClass((e.target as HTMLInputElement).value)} />}</Field>
      <Field label="Upgrades from" hint="comma-separated versions; empty: any">{(p) => <input {...p} value={fromVersions} onInput={(e) => setFromVersions((e.target as HTMLInputElement).value)} />}</Field>
      <div class="form-actions">
        <Button type="submit" variant="primary" busy={sent !== null}>
          Upload
        </Button>
        {sent !== null && file !== null ? (
          <span class="upload-progress">
            <Progress done={sent} total={file.size} label="Upload progress" /> {Math.round((sent / Math.max(1, file.size)) * 100)} %
          </span>
        ) : null}
      </div>
      {error ? <ErrorBox error={error} /> : null}
    </form>
  );
}

export function FilesPage(): JSX.Element {
  const { api, role } = useApp();
  const [files, setFiles] = useState<RepoFile[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [n, setN] = useState(0);
  const [deleting, setDeleting] = useState<RepoFile | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const canAct = roleAllows(role, 'operator');
  useEffect(() => {
    api.get<{ files: RepoFile[] }>('/files?limit=500').then(
      (r) => {
        setFiles(r.files);
        setError(null);
      },
      (e) => setError(errorText(e)),
    );
  }, [n]);
  return (
    <div class="page">
      <h1>Files</h1>
      {canAct ? (
        <Card title="Upload">
          <UploadForm
            onDone={(f) => {
              setMessage(`Uploaded ${f.name}: ${bytes(f.size)}, sha256 ${f.sha256}`);
              setN((x) => x + 1);
            }}
          />
        </Card>
      ) : null}
      {message ? (
        <div class="message message-ok" role="status">
          {message}
        </div>
      ) : null}
      <Card title="Repository">
        {error ? (
          <ErrorBox error={error} onRetry={() => setN((x) => x + 1)} />
        ) : files === null ? (
          <Loading what="files" />
        ) : files.length === 0 ? (
          <p class="muted">No files yet.</p>
        ) : (
          <div class="table-wrap">
            <table class="table" aria-label="Files">
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Type</th>
                  <th scope="col">Version</th>
                  <th scope="col">Size</th>
                  <th scope="col">SHA-256</th>
                  <th scope="col">For</th>
                  <th scope="col">Uploaded</th>
                  {canAct ? <th scope="col"><span class="visually-hidden">Actions</span></th> : null}
                </tr>
              </thead>
              <tbody>
                {files.map((f) => (
                  <tr key={f.id} data-file={f.id}>
                    <td>{f.name}</td>
                    <td>{f.fileType}</td>
                    <td>{f.version || <span class="muted">—</span>}</td>
                    <td>{bytes(f.size)}</td>
                    <td>
                      <code title={f.sha256}>{f.sha256.slice(0, 12)}…</code>
                    </td>
                    <td>
                      <Applicability a={f.applicability} />
                    </td>
                    <td title={localTime(f.createdAt)}>{ago(f.createdAt)}</td>
                    {canAct ? (
                      <td>
                        <Button small variant="danger" onClick={() => setDeleting(f)}>
                          Delete
                        </Button>
                      </td>
                    ) : null}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Card>
      <Confirm
        open={deleting !== null}
        title="Delete this file?"
        action="Delete"
        danger
        onClose={() => setDeleting(null)}
        onConfirm={async () => {
          const f = deleting!;
          setDeleting(null);
          try {
            await api.del(`/files/${encodeURIComponent(f.id)}`);
            setMessage(`Deleted ${f.name}`);
          } catch (e) {
            setMessage(errorText(e));
          }
          setN((x) => x + 1);
        }}
      >
        <p>{deleting?.name} is removed from the repository. A file a pending task or a campaign uses is kept.</p>
      </Confirm>
    </div>
  );
}

interface Diff {
  added: number;
  removed: number;
  truncated: boolean;
  diff: string;
}

/** A device's backups and logs: take one now, download, compare two, restore. */
export function DeviceFiles({ id, live }: { id: string; live: number }): JSX.Element {
  const { api, role } = useApp();
  const [files, setFiles] = useState<RepoFile[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [n, setN] = useState(0);
  const [picked, setPicked] = useState<string[]>([]);
  const [diff, setDiff] = useState<Diff | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const [message, setMessage] = useState<{ tone: 'ok' | 'bad'; text: string } | null>(null);
  const [restoring, setRestoring] = useState<RepoFile | null>(null);
  const canAct = roleAllows(role, 'operator');
  useEffect(() => {
    api.get<{ files: RepoFile[] }>(`${devicePath(id)}/files?limit=200`).then(
      (r) => {
        setFiles(r.files);
        setError(null);
      },
      (e) => setError(errorText(e)),
    );
  }, [id, live, n]);

  /** Queue a task, ask the device to connect, and follow the task to its end. */
  const run = async (label: string, start: () => Promise<TaskRecord>): Promise<void> => {
    setBusy(label);
    setMessage(null);
    try {
      let t = await start();
      for (let i = 0; i < 120 && !['done', 'fault', 'expired'].includes(t.state); i++) {
        await new Promise((r) => setTimeout(r, 500));
        t = await api.task(t.id);
      }
      setMessage(t.state === 'done' ? { tone: 'ok', text: `${label}: done` } : { tone: 'bad', text: `${label}: ${t.state}${t.fault ? ` (${t.fault.faultCode} ${t.fault.faultString})` : ''}` });
    } catch (e) {
      setMessage({ tone: 'bad', text: `${label}: ${errorText(e)}` });
    } finally {
      setBusy(null);
      setN((x) => x + 1);
    }
  };
  const toggle = (fid: string): void => setPicked((p) => (p.includes(fid) ? p.filter((x) => x !== fid) : [...p.slice(-1), fid]));
  const compare = async (): Promise<void> => {
    if (files === null || picked.length !== 2) return;
    // Older first, whatever order they were picked in.
    const [a, b] = [...picked].sort((x, y) => files.findIndex((f) => f.id === y) - files.findIndex((f) => f.id === x));
    try {
      setDiff(await api.get<Diff>(`${devicePath(id)}/files/diff?from=${encodeURIComponent(a!)}&to=${encodeURIComponent(b!)}`));
    } catch (e) {
      setMessage({ tone: 'bad', text: errorText(e) });
    }
  };
  return (
    <div class="device-files">
      {canAct ? (
        <div class="toolbar">
          <Button busy={busy === 'Back up'} disabled={busy !== null} onClick={() => void run('Back up', () => api.createTask(id, { type: 'upload', fileType: '1 Vendor Configuration File' }))}>
            Back up configuration
          </Button>
          <Button busy={busy === 'Fetch log'} disabled={busy !== null} onClick={() => void run('Fetch log', () => api.createTask(id, { type: 'upload', fileType: '2 Vendor Log File' }))}>
            Fetch log
          </Button>
          <Button disabled={picked.length !== 2} onClick={() => void compare()}>
            Compare selected
          </Button>
        </div>
      ) : null}
      {message ? (
        <div class={`message message-${message.tone}`} role="status">
          {message.text}
        </div>
      ) : null}
      {error ? (
        <ErrorBox error={error} onRetry={() => setN((x) => x + 1)} />
      ) : files === null ? (
        <Loading what="backups and logs" />
      ) : files.length === 0 ? (
        <p class="muted">No backups or logs from this device yet.</p>
      ) : (
        <div class="table-wrap">
          <table class="table" aria-label="Backups and logs">
            <thead>
              <tr>
                <th scope="col">
                  <span class="visually-hidden">Compare</span>
                </th>
                <th scope="col">Kind</th>
                <th scope="col">Name</th>
                <th scope="col">Size</th>
                <th scope="col">SHA-256</th>
                <th scope="col">Taken</th>
                <th scope="col">
                  <span class="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {files.map((f) => {
                const isConfig = /Vendor Configuration File/.test(f.fileType);
                return (
                  <tr key={f.id} data-file={f.id}>
                    <td>
                      <input type="checkbox" aria-label={`Compare ${f.name}`} checked={picked.includes(f.id)} onChange={() => toggle(f.id)} />
                    </td>
                    <td>{isConfig ? <Badge tone="info">backup</Badge> : <Badge tone="muted">log</Badge>}</td>
                    <td title={f.fileType}>{f.name}</td>
                    <td>{bytes(f.size)}</td>
                    <td>
                      <code title={f.sha256}>{f.sha256.slice(0, 12)}…</code>
                    </td>
                    <td title={localTime(f.createdAt)}>{ago(f.createdAt)}</td>
                    <td class="actions">
                      <Button small onClick={() => void saveAs(api.authHeaders('GET'), `${devicePath(id)}/files/${encodeURIComponent(f.id)}/content`, f.name).catch((e) => setMessage({ tone: 'bad', text: errorText(e) }))}>
                        Download
                      </Button>
                      {canAct && isConfig ? (
                        <Button small disabled={busy !== null} onClick={() => setRestoring(f)}>
                          Restore
                        </Button>
                      ) : null}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
      {diff !== null ? (
        <Card title={`Differences: +${diff.added} −${diff.removed}`} actions={<Button small onClick={() => setDiff(null)}>Close</Button>}>
          {diff.diff === '' ? (
            <p class="muted">The two files are the same.</p>
          ) : (
            <pre class="diff" aria-label="Differences">
              {diff.diff.split('\n').map((l, i) => (
                <span key={i} class={l.startsWith('+') && !l.startsWith('+++') ? 'diff-add' : l.startsWith('-') && !l.startsWith('---') ? 'diff-del' : l.startsWith('@@') ? 'diff-hunk' : ''}>
                  {l}
                  {'\n'}
                </span>
              ))}
            </pre>
          )}
        </Card>
      ) : null}
      <Confirm
        open={restoring !== null}
        title="Restore this backup?"
        action="Restore"
        danger
        onClose={() => setRestoring(null)}
        onConfirm={() => {
          const f = restoring!;
          setRestoring(null);
          void run('Restore', () => api.post<TaskRecord>(`${devicePath(id)}/files/${encodeURIComponent(f.id)}/restore?connectionRequest=true`));
        }}
      >
        <p>
          {id} is sent {restoring?.name} as a "3 Vendor Configuration File" download and applies it.
        </p>
      </Confirm>
    </div>
  );
}
