/**
 * The console's small component set: buttons, badges, fields, dialogs (native <dialog>: focus
 * trap, Esc and inert background for free), progress, messages. Styling in styles.css.
 */
import type { ComponentChildren, JSX } from 'preact';
import { useEffect, useId, useRef, useState } from 'preact/hooks';

type ButtonProps = JSX.HTMLAttributes<HTMLButtonElement> & {
  variant?: 'primary' | 'danger' | 'ghost' | 'default';
  small?: boolean;
  busy?: boolean;
  disabled?: boolean;
  type?: 'button' | 'submit';
  form?: string;
};

export function Button({ variant = 'default', small, busy, class: cls, children, type = 'button', disabled, ...rest }: ButtonProps): JSX.Element {
  const classes = ['btn', `btn-${variant}`, small ? 'btn-sm' : '', cls ?? ''].filter(Boolean).join(' ');
  return (
    <button type={type} class={classes} disabled={disabled || busy} aria-busy={busy ? 'true' : undefined} {...rest}>
      {busy ? <Spinner /> : null}
      {children}
    </button>
  );
}

/**
 * Newest-first lists paged by offset (alarms, faults, audit): newer and older pages, and the
 * range shown. The page's owner keeps the offset, so filters can reset it.
 */
export function OffsetPager({ offset, pageSize, total, onOffset }: { offset: number; pageSize: number; total: number; onOffset: (offset: number) => void }): JSX.Element {
  return (
    <nav class="pager" aria-label="Pages">
      <Button small disabled={offset === 0} onClick={() => onOffset(Math.max(0, offset - pageSize))}>
        ‹ Newer
      </Button>
      <span class="muted">
        {total === 0 ? 0 : offset + 1}–{Math.min(offset + pageSize, total)} of {total.toLocaleString('en')}
      </span>
      <Button small disabled={offset + pageSize >= total} onClick={() => onOffset(offset + pageSize)}>
        Older ›
      </Button>
    </nav>
  );
}

export function Spinner({ label }: { label?: string }): JSX.Element {
  return <span class="spinner" role={label ? 'status' : undefined} aria-label={label} aria-hidden={label ? undefined : 'true'} />;
}

export type Tone = 'ok' | 'warn' | 'bad' | 'info' | 'muted';

export function Badge({ tone = 'muted', children, title }: { tone?: Tone; children: ComponentChildren; title?: string }): JSX.Element {
  return (
    <span class={`badge badge-${tone}`} title={title}>
      {children}
    </span>
  );
}

const STATE_TONES: Record<string, Tone> = { queued: 'info', running: 'warn', done: 'ok', fault: 'bad', expired: 'muted' };
export function StateBadge({ state }: { state: string }): JSX.Element {
  return <Badge tone={STATE_TONES[state] ?? 'muted'}>{state}</Badge>;
}

export function OnlineBadge({ online }: { online: boolean }): JSX.Element {
  return (
    <span class={`status ${online ? 'status-on' : 'status-off'}`}>
      <span class="dot" aria-hidden="true" />
      {online ? 'online' : 'offline'}
    </span>
  );
}

/** A labelled control: the label is a real <label for>, the hint and error are described-by. */
export function Field({
  label,
  hint,
  error,
  children,
  inline,
}: {
  label: string;
  hint?: string;
  error?: string | null;
  inline?: boolean;
  children: (props: { id: string; 'aria-describedby'?: string; 'aria-invalid'?: 'true' }) => ComponentChildren;
}): JSX.Element {
  const id = useId();
  const described = [hint ? `${id}-hint` : '', error ? `${id}-err` : ''].filter(Boolean).join(' ');
  return (
    <div class={`field${inline ? ' field-inline' : ''}`}>
      <label for={id}>{label}</label>
      {children({ id, ...(described ? { 'aria-describedby': described } : {}), ...(error ? { 'aria-invalid': 'true' as const } : {}) })}
      {hint ? (
        <div class="hint" id={`${id}-hint`}>
          {hint}
        </div>
      ) : null}
      {error ? (
        <div class="error-text" id={`${id}-err`} role="alert">
          {error}
        </div>
      ) : null}
    </div>
  );
}

/**
 * A secret the API shows once (a new token, a webhook's signing secret): what it is, the value
 * to copy, and Done, after which it is gone from the page.
 */
export function SecretOnce({ children, secret, testId, onDone }: { children: ComponentChildren; secret: string; testId: string; onDone: () => void }): JSX.Element {
  return (
    <div class="message message-ok" role="status">
      <p>{children} — copy it now, it will not be shown again:</p>
      <code class="secret-once" data-testid={testId}>
        {secret}
      </code>{' '}
      <Button small onClick={() => void navigator.clipboard?.writeText(secret)}>
        Copy
      </Button>{' '}
      <Button small variant="ghost" onClick={onDone}>
        Done
      </Button>
    </div>
  );
}

/** A modal dialog. `open` drives showModal()/close(); Esc and the close button call onClose. */
export function Dialog({
  open,
  title,
  onClose,
  children,
  footer,
  wide,
}: {
  open: boolean;
  title: string;
  onClose: () => void;
  children: ComponentChildren;
  footer?: ComponentChildren;
  wide?: boolean;
}): JSX.Element {
  const ref = useRef<HTMLDialogElement>(null);
  const id = useId();
  useEffect(() => {
    const d = ref.current;
    if (d === null) return;
    if (open && !d.open) {
      d.showModal();
      const first = d.querySelector<HTMLElement>('[autofocus], input:not([type=hidden]), select, textarea, .dialog-body button, footer button');
      first?.focus();
    } else if (!open && d.open) d.close();
  }, [open]);
  return (
    <dialog
      ref={ref}
      class={`dialog${wide ? ' dialog-wide' : ''}`}
      aria-labelledby={`${id}-title`}
      onCancel={(e) => {
        e.preventDefault();
        onClose();
      }}
    >
      {open ? (
        <>
          <header class="dialog-head">
            <h2 id={`${id}-title`}>{title}</h2>
            <button type="button" class="btn btn-ghost btn-sm" aria-label="Close" onClick={onClose}>
              ✕
            </button>
          </header>
          <div class="dialog-body">{children}</div>
          {footer ? <footer class="dialog-foot">{footer}</footer> : null}
        </>
      ) : null}
    </dialog>
  );
}

/** "Reboot 37 devices?" — the question, what it will touch, and one button that does it. */
export function Confirm({
  open,
  title,
  children,
  action,
  danger,
  onConfirm,
  onClose,
}: {
  open: boolean;
  title: string;
  children: ComponentChildren;
  action: string;
  danger?: boolean;
  onConfirm: () => void | Promise<void>;
  onClose: () => void;
}): JSX.Element {
  const [busy, setBusy] = useState(false);
  return (
    <Dialog
      open={open}
      title={title}
      onClose={onClose}
      footer={
        <>
          <Button onClick={onClose}>Cancel</Button>
          <Button
            variant={danger ? 'danger' : 'primary'}
            busy={busy}
            onClick={async () => {
              setBusy(true);
              try {
                await onConfirm();
              } finally {
                setBusy(false);
              }
            }}
          >
            {action}
          </Button>
        </>
      }
    >
      {children}
    </Dialog>
  );
}

export function Progress({ done, total, label }: { done: number; total: number; label: string }): JSX.Element {
  const pct = total > 0 ? Math.round((done / total) * 100) : 0;
  return (
    <div class="progress" role="progressbar" aria-label={label} aria-valuemin={0} aria-valuemax={total} aria-valuenow={done} aria-valuetext={`${done} of ${total}`}>
      <div class="progress-bar" style={{ width: `${pct}%` }} />
    </div>
  );
}

export function ErrorBox({ error, onRetry }: { error: string; onRetry?: () => void }): JSX.Element {
  return (
    <div class="message message-bad" role="alert">
      <span>{error}</span>
      {onRetry ? (
        <Button small onClick={onRetry}>
          Try again
        </Button>
      ) : null}
    </div>
  );
}

export function Loading({ what }: { what: string }): JSX.Element {
  return (
    <div class="loading" role="status">
      <Spinner /> Loading {what}…
    </div>
  );
}

export function Card({ title, children, actions, class: cls }: { title?: string; children: ComponentChildren; actions?: ComponentChildren; class?: string }): JSX.Element {
  const id = useId();
  return (
    <section class={`card ${cls ?? ''}`} aria-labelledby={title ? id : undefined}>
      {title ? (
        <header class="card-head">
          <h2 id={id}>{title}</h2>
          {actions ? <div class="card-actions">{actions}</div> : null}
        </header>
      ) : null}
      {children}
    </section>
  );
}

/** An editor's two views (policies, quirk profiles): a form, and the whole definition as JSON. */
export type EditorView = 'form' | 'json';
export const EDITOR_VIEWS: { id: EditorView; label: string }[] = [
  { id: 'form', label: 'Form' },
  { id: 'json', label: 'JSON' },
];

/** Tabs with the WAI-ARIA keyboard model: arrows move between tabs, the panel follows. */
export function Tabs({ tabs, current, onChange, label }: { tabs: { id: string; label: string }[]; current: string; onChange: (id: string) => void; label: string }): JSX.Element {
  const refs = useRef<(HTMLButtonElement | null)[]>([]);
  const move = (i: number): void => {
    const n = (i + tabs.length) % tabs.length;
    onChange(tabs[n]!.id);
    refs.current[n]?.focus();
  };
  return (
    <div class="tabs" role="tablist" aria-label={label}>
      {tabs.map((t, i) => (
        <button
          key={t.id}
          ref={(el) => {
            refs.current[i] = el;
          }}
          type="button"
          role="tab"
          id={`tab-${t.id}`}
          aria-selected={t.id === current}
          aria-controls={`panel-${t.id}`}
          tabIndex={t.id === current ? 0 : -1}
          class="tab"
          onClick={() => onChange(t.id)}
          onKeyDown={(e) => {
            if (e.key === 'ArrowRight') move(i + 1);
            else if (e.key === 'ArrowLeft') move(i - 1);
            else if (e.key === 'Home') move(0);
            else if (e.key === 'End') move(tabs.length - 1);
            else return;
            e.preventDefault();
          }}
        >
          {t.label}
        </button>
      ))}
    </div>
  );
}
