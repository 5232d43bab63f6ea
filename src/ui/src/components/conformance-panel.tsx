/**
 * A device's data-model conformance (GET /devices/{id}/conformance): what it claims, the
 * counts, each kind of finding in a table, CSV export of the findings; and the quirk settings
 * its sessions apply (GET /devices/{id}/quirks). See docs/conformance.md.
 */
import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { devicePath, errorText } from '../api';
import { useApp } from '../app-context';
import { download } from '../bulk';
import { csvLine } from '../format';
import { quirkHref } from '../quirks';
import { Button, Card, ErrorBox, Loading } from './ui';

interface Finding {
  path: string;
  reported: string;
  expected: string;
  detail?: string;
}
interface Claimed {
  model: string;
  profiles: string[];
  implied: boolean;
  source: string;
}
interface Report {
  deviceId: string;
  catalogue: string | null;
  claimed: Claimed[];
  unknownProfiles: string[];
  counts: Record<string, number>;
  findings: Record<string, Finding[]>;
  truncated: string[];
}
interface Quirks {
  settings: Record<string, unknown>;
  profiles: string[];
}

const KINDS: { id: string; label: string; what: string }[] = [
  { id: 'missing', label: 'Missing', what: 'required by a profile it claims' },
  { id: 'wrongType', label: 'Wrong type', what: 'reported with another type than the standard’s' },
  { id: 'writability', label: 'Writability', what: 'contradicting the standard or a claimed profile' },
  { id: 'invalidValues', label: 'Invalid values', what: 'outside their enumeration, range, length or form' },
  { id: 'noInstanceNumbers', label: 'No instance numbers', what: 'table contents reported without an instance number' },
  { id: 'nonStandard', label: 'Non-standard names', what: 'neither in the standard nor vendor extensions (X_…)' },
];
/** Rows drawn per kind (the CSV has them all). */
const SHOWN = 200;

export function DeviceConformance({ id, live }: { id: string; live: number }): JSX.Element {
  const { api, scoped } = useApp();
  const [report, setReport] = useState<Report | null>(null);
  const [quirks, setQuirks] = useState<Quirks | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [n, setN] = useState(0);
  useEffect(() => {
    let stop = false;
    Promise.all([api.get<Report>(`${devicePath(id)}/conformance`), api.get<Quirks>(`${devicePath(id)}/quirks`)]).then(
      ([r, q]) => {
        if (stop) return;
        setReport(r);
        setQuirks(q);
        setError(null);
      },
      (e: unknown) => !stop && setError(errorText(e)),
    );
    return () => {
      stop = true;
    };
  }, [id, live, n]);
  if (error) return <ErrorBox error={error} onRetry={() => setN((x) => x + 1)} />;
  if (report === null) return <Loading what="conformance report" />;
  const csv = (): void => {
    const lines = [csvLine(['kind', 'path', 'reported', 'expected', 'detail'])];
    for (const k of KINDS) for (const f of report.findings[k.id] ?? []) lines.push(csvLine([k.id, f.path, f.reported, f.expected, f.detail ?? '']));
    download(`conformance-${id}.csv`, lines.join(''));
  };
  const settings = Object.entries(quirks?.settings ?? {});
  return (
    <div class="conformance">
      <Card title="Data model">
        <dl class="facts">
          <dt>Claims</dt>
          <dd data-testid="claimed">
            {report.claimed.length === 0
              ? 'nothing'
              : report.claimed.map((c) => `${c.model} (${c.profiles.join(', ') || 'no profiles'})${c.implied ? ' — implied' : ''}`).join('; ')}
          </dd>
          <dt>Judged against</dt>
          <dd>{report.catalogue ?? 'no catalogue (no standard root)'}</dd>
          {report.unknownProfiles.length > 0 ? (
            <>
              <dt>Profiles not in the catalogue</dt>
              <dd>{report.unknownProfiles.join(', ')}</dd>
            </>
          ) : null}
          <dt>Quirks applied</dt>
          <dd data-testid="quirks">
            {settings.length === 0 ? 'none' : settings.map(([k, v]) => `${k}: ${String(v)}`).join(', ')}
            {quirks && quirks.profiles.length > 0 ? (
              <span class="muted">
                {' '}
                (from{' '}
                {quirks.profiles.map((p, i) => (
                  <span key={p}>
                    {i > 0 ? ', ' : ''}
                    {/* The profiles page is fleet-wide: a scoped principal gets 403 there, so no link. */}
                    {scoped ? <code>{p}</code> : <a href={quirkHref(p)}>{p}</a>}
                  </span>
                ))}
                )
              </span>
            ) : null}
          </dd>
        </dl>
      </Card>
      <table class="table table-compact" aria-label="Conformance counts">
        <thead>
          <tr>
            <th scope="col">Finding</th>
            <th scope="col">Count</th>
            <th scope="col">Meaning</th>
          </tr>
        </thead>
        <tbody>
          {KINDS.map((k) => (
            <tr key={k.id} data-kind={k.id}>
              <td>{k.label}</td>
              <td class="num">{report.counts[k.id] ?? 0}</td>
              <td class="muted">{k.what}</td>
            </tr>
          ))}
          <tr>
            <td>Parameters</td>
            <td class="num">{report.counts.parameters ?? 0}</td>
            <td class="muted">
              {report.counts.standard ?? 0} standard, {report.counts.vendor ?? 0} vendor (X_…)
            </td>
          </tr>
        </tbody>
      </table>
      <p>
        <Button onClick={csv}>Export findings as CSV</Button>
      </p>
      {KINDS.filter((k) => (report.findings[k.id] ?? []).length > 0).map((k) => {
        const list = report.findings[k.id] ?? [];
        return (
          <details key={k.id} class="finding-kind">
            <summary>
              {k.label} ({report.counts[k.id]})
            </summary>
            <table class="table table-compact" aria-label={k.label}>
              <thead>
                <tr>
                  <th scope="col">Path</th>
                  <th scope="col">Reported</th>
                  <th scope="col">Expected</th>
                  <th scope="col">Detail</th>
                </tr>
              </thead>
              <tbody>
                {list.slice(0, SHOWN).map((f) => (
                  <tr key={f.path}>
                    <td>
                      <code class="wrap">{f.path}</code>
                    </td>
                    <td class="wrap">{f.reported}</td>
                    <td class="wrap">{f.expected}</td>
                    <td>{f.detail ?? ''}</td>
                  </tr>
                ))}
              </tbody>
            </table>
            {list.length > SHOWN ? <p class="muted">{list.length - SHOWN} more in the CSV.</p> : null}
          </details>
        );
      })}
    </div>
  );
}
