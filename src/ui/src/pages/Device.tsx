/**
 * One device: identity and status, actions (summon, refresh, reboot, factory reset, delete),
 * its parameter tree with editing, and its tasks, faults and sessions — all live from the
 * event stream.
 */
import type { JSX } from 'preact';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { runDeviceTask } from '../activity';
import { ApiError, devicePath, errorText, roleAllows, type DeviceSummary, type Parameter, type TaskBody } from '../api';
import { useApp } from '../app-context';
import { EditValue } from '../components/edit-value';
import { DevicePolicies } from './Policies';
import { DeviceTasks, DeviceFaults, DeviceSessions } from '../components/device-tabs';
import { DeviceFiles } from './Files';
import { DeviceDiagnostics } from '../components/diagnostics-panel';
import { DeviceKpis } from '../components/kpi-panel';
import { DeviceConformance } from '../components/conformance-panel';
import { ParamTree, type TreeNode } from '../components/param-tree';
import { ReachCard } from '../components/reach-card';
import { Badge, Button, Card, Confirm, ErrorBox, Field, Loading, OnlineBadge, Tabs } from '../components/ui';
import { FIRMWARE_PATHS, HARDWARE_PATHS, MODEL_PATHS, deviceOnline, intervalOf, pick, rootOf } from '../deviceinfo';
import { ago, localTime } from '../format';
import { navigate } from '../router';

type Device = DeviceSummary & { parameters: Record<string, Parameter> };
type Danger = 'reboot' | 'factoryReset' | 'delete' | { deleteInstance: string };

const TABS = [
  { id: 'parameters', label: 'Parameters' },
  { id: 'tasks', label: 'Tasks' },
  { id: 'faults', label: 'Faults' },
  { id: 'sessions', label: 'Sessions' },
  { id: 'diagnostics', label: 'Diagnostics' },
  { id: 'kpis', label: 'KPIs' },
  { id: 'files', label: 'Backups & logs' },
  { id: 'conformance', label: 'Conformance' },
  { id: 'policies', label: 'Policies' },
];

/** Replace what the device had under `subtree` with a fresh read of it. */
function merge(params: Record<string, Parameter>, subtree: string, fresh: Record<string, Parameter>): Record<string, Parameter> {
  const out: Record<string, Parameter> = {};
  for (const [k, v] of Object.entries(params)) if (!(k === subtree || (subtree.endsWith('.') && k.startsWith(subtree)))) out[k] = v;
  return { ...out, ...fresh };
}

export function DevicePage({ id, tab }: { id: string; tab: string | null }): JSX.Element {
  const app = useApp();
  const { api, role, stream } = app;
  const [device, setDevice] = useState<Device | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [pending, setPending] = useState<Map<string, string>>(new Map());
  const [editing, setEditing] = useState<TreeNode | null>(null);
  const [danger, setDanger] = useState<Danger | null>(null);
  const [live, setLive] = useState(0);
  const [summoning, setSummoning] = useState(false);
  const [message, setMessage] = useState<{ tone: 'ok' | 'bad'; text: string } | null>(null);
  const current = TABS.some((t) => t.id === tab) ? tab! : 'parameters';
  const canAct = roleAllows(role, 'operator');
  const deviceRef = useRef<Device | null>(null);
  deviceRef.current = device;

  const load = useCallback(async () => {
    try {
      setDevice(await api.device(id));
      setError(null);
    } catch (e) {
      setError(e instanceof ApiError && e.status === 404 ? `No device ${id}.` : errorText(e));
    }
  }, [api, id]);

  const reloadSubtree = async (path: string): Promise<void> => {
    try {
      const fresh = await api.device(id, path);
      setDevice((d) => (d === null ? d : { ...fresh, parameters: merge(d.parameters, path, fresh.parameters) }));
    } catch (e) {
      setMessage({ tone: 'bad', text: errorText(e) });
    }
  };

  useEffect(() => {
    void load();
  }, [load]);

  // Live: a new session of this device refreshes its summary and lists.
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | null = null;
    const off = stream.subscribe((e) => {
      if (e.deviceId !== id) return;
      setLive((n) => n + 1);
      if (e.type === 'device.inform' && timer === null) {
        timer = setTimeout(() => {
          timer = null;
          api.devices({ filter: [`id = ${JSON.stringify(id)}`], limit: 1 }).then((p) => {
            const s = p.devices[0];
            if (s) setDevice((d) => (d === null ? d : { ...d, ...s, parameters: d.parameters }));
          }, () => undefined);
        }, 300);
      }
    });
    return () => {
      off();
      if (timer !== null) clearTimeout(timer);
    };
  }, [api, stream, id]);

  const mark = (path: string, text: string | null): void =>
    setPending((m) => {
      const next = new Map(m);
      if (text === null) next.delete(path);
      else next.set(path, text);
      return next;
    });

  /** A task whose outcome changes the tree: mark the node, run, then re-read `reload`. */
  const treeTask = async (path: string, body: TaskBody, title: string, reload: string): Promise<void> => {
    mark(path, 'pending');
    const t = await runDeviceTask(app, id, body, title);
    if (t?.state === 'done') {
      mark(path, null);
      await reloadSubtree(reload);
    } else mark(path, t === null ? 'failed (see Activity)' : t.state === 'fault' ? `fault ${t.fault?.faultCode ?? ''} ${t.fault?.faultString ?? ''}`.trim() : t.state);
  };

  const parentOf = (path: string): string => {
    const trimmed = path.endsWith('.') ? path.slice(0, -1) : path;
    return trimmed.slice(0, trimmed.lastIndexOf('.') + 1);
  };

  const summon = async (): Promise<void> => {
    setSummoning(true);
    setMessage(null);
    try {
      const r = await api.post<{ outcome: string; status?: number; detail?: string }>(`${devicePath(id)}/connection-request`);
      setMessage({
        tone: r.outcome === 'answered' ? 'ok' : 'bad',
        text: r.outcome === 'answered' ? 'The device answered the connection request; it will open a session now.' : `Connection request: ${r.outcome}${r.status ? ` (HTTP ${r.status})` : ''}${r.detail ? `: ${r.detail}` : ''}`,
      });
    } catch (e) {
      setMessage({ tone: 'bad', text: errorText(e) });
    } finally {
      setSummoning(false);
    }
  };

  const doDanger = async (): Promise<void> => {
    const d = danger;
    setDanger(null);
    if (d === 'reboot') void runDeviceTask(app, id, { type: 'reboot' }, 'Reboot');
    else if (d === 'factoryReset') void runDeviceTask(app, id, { type: 'factoryReset' }, 'Factory reset');
    else if (d === 'delete') {
      try {
        await api.del(devicePath(id));
        navigate('/devices');
      } catch (e) {
        setMessage({ tone: 'bad', text: errorText(e) });
      }
    } else if (d !== null) void treeTask(d.deleteInstance, { type: 'deleteObject', objectName: d.deleteInstance }, `Delete ${d.deleteInstance}`, parentOf(d.deleteInstance));
  };

  if (error && device === null) return <div class="page"><ErrorBox error={error} onRetry={() => void load()} /></div>;
  if (device === null) return <Loading what="the device" />;

  const p = device.parameters;
  const online = deviceOnline(device);
  const root = rootOf(p);
  const interval = intervalOf(p);
  const model = pick(p, MODEL_PATHS);
  return (
    <div class="page">
      <nav class="crumbs" aria-label="Breadcrumb">
        <a href="/devices">Devices</a> <span aria-hidden="true">/</span> <span aria-current="page">{device.deviceId?.serialNumber ?? id}</span>
      </nav>
      <header class="page-head device-head">
        <div>
          <h1 class="device-title">{id}</h1>
          <p class="muted">
            {[device.deviceId?.manufacturer, model ?? device.deviceId?.productClass, pick(p, FIRMWARE_PATHS)].filter(Boolean).join(' · ')}
          </p>
        </div>
        <OnlineBadge online={online} />
      </header>

      {message ? (
        <div class={`message message-${message.tone}`} role={message.tone === 'bad' ? 'alert' : 'status'}>
          {message.text}
          <button type="button" class="btn btn-ghost btn-sm" aria-label="Dismiss message" onClick={() => setMessage(null)}>
            ✕
          </button>
        </div>
      ) : null}

      {canAct ? (
        <div class="actions" role="toolbar" aria-label="Device actions">
          <Button onClick={() => void summon()} busy={summoning} title="Send a connection request: the device opens a session now">
            Summon
          </Button>
          <Button onClick={() => void treeTask(root, { type: 'refresh', objectName: root }, `Refresh ${root}`, root)}>Refresh all</Button>
          <Button variant="danger" onClick={() => setDanger('reboot')}>
            Reboot…
          </Button>
          <Button variant="danger" onClick={() => setDanger('factoryReset')}>
            Factory reset…
          </Button>
          {roleAllows(role, 'admin') ? (
            <Button variant="ghost" onClick={() => setDanger('delete')}>
              Delete device…
            </Button>
          ) : null}
        </div>
      ) : null}

      <div class="grid grid-device">
        <Card title="Identity">
          <dl class="facts">
            <dt>Manufacturer</dt>
            <dd>{device.deviceId?.manufacturer ?? ''}</dd>
            <dt>OUI</dt>
            <dd>{device.deviceId?.oui ?? ''}</dd>
            <dt>Product class</dt>
            <dd>{device.deviceId?.productClass ?? ''}</dd>
            <dt>Serial number</dt>
            <dd>{device.deviceId?.serialNumber ?? ''}</dd>
            <dt>Model</dt>
            <dd>{model ?? ''}</dd>
            <dt>Hardware</dt>
            <dd>{pick(p, HARDWARE_PATHS) ?? ''}</dd>
            <dt>Firmware</dt>
            <dd>{pick(p, FIRMWARE_PATHS) ?? ''}</dd>
          </dl>
        </Card>
        <Card title="Status">
          <dl class="facts">
            <dt>Last inform</dt>
            <dd title={localTime(device.lastInform)}>
              {ago(device.lastInform)} {interval ? <span class="muted">(every {interval} s)</span> : null}
            </dd>
            <dt>Last events</dt>
            <dd>{(device.lastEvents ?? []).map((e) => e.eventCode).join(', ')}</dd>
            <dt>Last boot</dt>
            <dd title={localTime(device.lastBoot)}>{ago(device.lastBoot)}</dd>
            <dt>Last bootstrap</dt>
            <dd title={localTime(device.lastBootstrap)}>{ago(device.lastBootstrap)}</dd>
            <dt>First seen</dt>
            <dd title={localTime(device.firstInform)}>{ago(device.firstInform)}</dd>
            <dt>Tags</dt>
            <dd>
              <Tags id={id} tags={device.tags ?? []} canEdit={canAct} onChange={(tags) => setDevice({ ...device, tags })} />
            </dd>
          </dl>
        </Card>
        <ReachCard id={id} live={live} />
      </div>

      <Tabs tabs={TABS} current={current} label="Device details" onChange={(t) => navigate(`${location.pathname}?tab=${t}`, true)} />
      <div role="tabpanel" id={`panel-${current}`} aria-labelledby={`tab-${current}`} class="tabpanel">
        {current === 'parameters' ? (
          <ParamTree
            params={p}
            actions={{
              canEdit: canAct,
              pending,
              onEdit: setEditing,
              onRefresh: (path) =>
                void treeTask(
                  path,
                  path.endsWith('.') ? { type: 'refresh', objectName: path } : { type: 'getParameterValues', parameterNames: [path] },
                  `Refresh ${path}`,
                  path,
                ),
              onAdd: (n) => void treeTask(n.path, { type: 'addObject', objectName: n.path }, `Add instance to ${n.path}`, n.path),
              onDelete: (n) => setDanger({ deleteInstance: n.path }),
            }}
          />
        ) : current === 'tasks' ? (
          <DeviceTasks id={id} live={live} />
        ) : current === 'faults' ? (
          <DeviceFaults id={id} live={live} />
        ) : current === 'diagnostics' ? (
          <DeviceDiagnostics id={id} live={live} />
        ) : current === 'kpis' ? (
          <DeviceKpis id={id} live={live} />
        ) : current === 'files' ? (
          <DeviceFiles id={id} live={live} />
        ) : current === 'conformance' ? (
          <DeviceConformance id={id} live={live} />
        ) : current === 'policies' ? (
          <DevicePolicies id={id} />
        ) : (
          <DeviceSessions id={id} live={live} />
        )}
      </div>

      <EditValue
        node={editing}
        onClose={() => setEditing(null)}
        onSave={(node, value, type) => {
          setEditing(null);
          void treeTask(node.path, { type: 'setParameterValues', parameterValues: [[node.path, value, type]] }, `Set ${node.path} = ${value}`, node.path);
        }}
      />

      <Confirm
        open={danger !== null}
        title={danger === 'reboot' ? 'Reboot this device?' : danger === 'factoryReset' ? 'Factory reset this device?' : danger === 'delete' ? 'Delete this device?' : 'Delete this instance?'}
        action={danger === 'reboot' ? 'Reboot 1 device' : danger === 'factoryReset' ? 'Factory reset 1 device' : 'Delete'}
        danger
        onClose={() => setDanger(null)}
        onConfirm={doDanger}
      >
        <p>
          {danger === 'reboot'
            ? `${id} reboots in its next session (asked to connect now).`
            : danger === 'factoryReset'
              ? `${id} loses its whole configuration and bootstraps again.`
              : danger === 'delete'
                ? `Flotilla forgets ${id}: its tree, tasks and history. It comes back as a new device at its next inform.`
                : typeof danger === 'object' && danger !== null
                  ? `${danger.deleteInstance} is deleted on the device (DeleteObject).`
                  : ''}
        </p>
      </Confirm>
    </div>
  );
}

function Tags({ id, tags, canEdit, onChange }: { id: string; tags: string[]; canEdit: boolean; onChange: (tags: string[]) => void }): JSX.Element {
  const { api } = useApp();
  const [value, setValue] = useState('');
  const [error, setError] = useState<string | null>(null);
  const change = async (add: string[], remove: string[]): Promise<void> => {
    try {
      const r = await api.post<{ tags: string[] }>(`${devicePath(id)}/tags`, { add, remove });
      onChange(r.tags);
      setError(null);
      setValue('');
    } catch (e) {
      setError(errorText(e));
    }
  };
  return (
    <div class="tags-edit">
      <span class="tags">
        {tags.length === 0 && !canEdit ? <span class="muted">none</span> : null}
        {tags.map((t) => (
          <Badge key={t}>
            {t}
            {canEdit ? (
              <button type="button" class="chip-x" aria-label={`Remove tag ${t}`} onClick={() => void change([], [t])}>
                ✕
              </button>
            ) : null}
          </Badge>
        ))}
      </span>
      {canEdit ? (
        <form
          class="row"
          onSubmit={(e) => {
            e.preventDefault();
            if (value.trim()) void change([value.trim()], []);
          }}
        >
          <Field label="Add tag" inline error={error}>
            {(p) => <input {...p} value={value} size={12} onInput={(e) => setValue(e.currentTarget.value)} />}
          </Field>
          <Button small type="submit">
            Add
          </Button>
        </form>
      ) : null}
    </div>
  );
}
