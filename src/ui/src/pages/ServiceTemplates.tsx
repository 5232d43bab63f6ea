/** Service templates: what each one asks for and which data models it maps onto. */
import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { errorText } from '../api';
import { useApp } from '../app-context';
import { Badge, ErrorBox, Loading } from '../components/ui';
import type { ServiceTemplate } from '../subscribers-api';

export function ServiceTemplatesPage(): JSX.Element {
  const { api } = useApp();
  const [data, setData] = useState<ServiceTemplate[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    api.get<{ templates: ServiceTemplate[] }>('/service-templates').then(
      (d) => setData(d.templates),
      (e) => setError(errorText(e)),
    );
  }, []);
  if (error) return <div class="page"><ErrorBox error={error} /></div>;
  if (data === null) return <Loading what="service templates" />;
  return (
    <div class="page">
      <header class="page-head">
        <h1>Service templates</h1>
        <span class="muted">Operators add their own through POST /api/v1/service-templates (see docs/subscribers.md).</span>
      </header>
      <div class="table-wrap">
        <table class="table" aria-label="Service templates">
          <thead>
            <tr>
              <th scope="col">Template</th>
              <th scope="col">Inputs</th>
              <th scope="col">Data models</th>
            </tr>
          </thead>
          <tbody>
            {data.map((t) => (
              <tr key={t.id}>
                <td class="wrap">
                  <strong>{t.name}</strong> <code>{t.id}</code> {t.builtin ? <Badge>built-in</Badge> : <Badge tone="info">operator</Badge>}
                  {t.description ? <div class="muted">{t.description}</div> : null}
                </td>
                <td class="wrap">
                  {t.inputs.map((i) => (
                    <span key={i.name} class="input-chip">
                      {i.name}
                      <span class="muted">
                        {' '}
                        {i.type}
                        {i.required ? ', required' : ''}
                        {i.values ? ` (${i.values.join(' | ')})` : ''}
                      </span>
                    </span>
                  ))}
                </td>
                <td>{Object.keys(t.mappings).map((r) => (r === 'Device.' ? 'TR-181' : 'TR-098')).join(', ')}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}
