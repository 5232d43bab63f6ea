/** The console's entry: sign-in, the shell (navigation, live indicator, activity), the pages. */
import type { JSX } from 'preact';
import { render } from 'preact';
import { useEffect, useMemo, useState } from 'preact/hooks';
import { Activity } from './activity';
import type { Role } from './api';
import { Ctx, type AppContext } from './app-context';
import { ActivityPanel } from './components/activity-panel';
import { EventStream, type StreamState } from './events';
import { CampaignPage, CampaignsPage } from './pages/Campaigns';
import { PoliciesPage, PolicyPage } from './pages/Policies';
import { QuirksPage } from './pages/Quirks';
import { DevicePage } from './pages/Device';
import { FilesPage } from './pages/Files';
import { DevicesPage } from './pages/Devices';
import { TokensPage } from './pages/Tokens';
import { WebhooksPage } from './pages/Webhooks';
import { AuditPage } from './pages/Audit';
import { FaultsPage } from './pages/Faults';
import { AlarmsPage } from './pages/Alarms';
import { OverviewPage } from './pages/Overview';
import { SelfServicePage } from './pages/SelfService';
import { ServiceTemplatesPage } from './pages/ServiceTemplates';
import { SignIn } from './pages/SignIn';
import { SubscriberPage } from './pages/Subscriber';
import { SubscribersPage } from './pages/Subscribers';
import { interceptLinks, useRoute, type Route } from './router';
import { endUserSession, forgetToken, restoreUserSession, signIn, signInUser, storedToken, type SignedIn } from './session';
import './styles.css';

function LiveIndicator({ stream }: { stream: EventStream }): JSX.Element {
  const [state, setState] = useState<StreamState>(stream.state);
  useEffect(() => stream.onState(setState), [stream]);
  const text = state === 'live' ? 'Live' : state === 'connecting' ? 'Connecting…' : 'Offline';
  return (
    <span class={`live live-${state}`} role="status" title="Live updates from the event stream">
      <span class="dot" aria-hidden="true" />
      {text}
    </span>
  );
}

function Page({ route }: { route: Route }): JSX.Element {
  switch (route.page) {
    case 'overview':
      return <OverviewPage />;
    case 'devices':
      return <DevicesPage query={route.query} />;
    case 'device':
      return <DevicePage key={route.id} id={route.id} tab={route.tab} />;
    case 'faults':
      return <FaultsPage />;
    case 'alarms':
      return <AlarmsPage />;
    case 'subscribers':
      return <SubscribersPage />;
    case 'subscriber':
      return <SubscriberPage key={route.id} id={route.id} />;
    case 'service-templates':
      return <ServiceTemplatesPage />;
    case 'campaigns':
      return <CampaignsPage />;
    case 'campaign':
      return <CampaignPage key={route.id} id={route.id} />;
    case 'files':
      return <FilesPage />;
    case 'policies':
      return <PoliciesPage />;
    case 'policy':
      return <PolicyPage key={route.id ?? 'new'} id={route.id} />;
    case 'quirks':
      return <QuirksPage marked={route.profile} />;
    case 'tokens':
      return <TokensPage />;
    case 'webhooks':
      return <WebhooksPage />;
    case 'audit':
      return <AuditPage />;
    case 'not-found':
      return (
        <div class="page">
          <h1>Not found</h1>
          <p>
            Nothing at {route.path}. Go to the <a href="/">overview</a>.
          </p>
        </div>
      );
  }
}

function Shell({ session, onSignOut }: { session: SignedIn & { role: Role }; onSignOut: () => void }): JSX.Element {
  const route = useRoute();
  const ctx = useMemo<AppContext>(() => {
    const stream = new EventStream(session.api.authHeaders('GET'));
    return { api: session.api, role: session.role, capabilities: session.capabilities ?? [], scoped: session.scoped === true, stream, activity: new Activity(), signOut: onSignOut };
    // One stream per sign-in, not per render.
    // (onSignOut is stable: App passes the same function for the session's life.)
  }, [session]);
  useEffect(() => {
    ctx.stream.start();
    return () => ctx.stream.stop();
  }, [ctx]);
  useEffect(() => {
    const titles: Record<Route['page'], string> = { overview: 'Overview', devices: 'Devices', device: 'Device', faults: 'Faults', alarms: 'Alarms', subscribers: 'Subscribers', subscriber: 'Subscriber', 'service-templates': 'Service templates', campaigns: 'Campaigns', campaign: 'Campaign', tokens: 'API tokens', webhooks: 'Webhooks', audit: 'Audit log', files: 'Files', policies: 'Policies', policy: 'Policy', quirks: 'Quirk profiles', 'not-found': 'Not found' };
    document.title = `${route.page === 'device' ? route.id : titles[route.page]} · Flotilla`;
  }, [route]);
  const nav = (href: string, label: string, active: boolean): JSX.Element => (
    <a href={href} class={`nav-link${active ? ' active' : ''}`} aria-current={active ? 'page' : undefined}>
      {label}
    </a>
  );
  return (
    <Ctx.Provider value={ctx}>
      <a href="#main" class="skip-link">
        Skip to content
      </a>
      <div class="shell">
        <header class="topbar">
          <a href="/" class="brand">
            <span class="logo" aria-hidden="true" />
            Flotilla
          </a>
          <nav aria-label="Main" class="nav">
            {nav('/', 'Overview', route.page === 'overview')}
            {nav('/devices', 'Devices', route.page === 'devices' || route.page === 'device')}
            {nav('/faults', 'Faults', route.page === 'faults')}
            {nav('/alarms', 'Alarms', route.page === 'alarms')}
            {/* Fleet-wide configuration: closed to a principal scoped to part of the fleet (the API answers 403). */}
            {session.scoped === true ? null : (
              <>
                {nav('/subscribers', 'Subscribers', route.page === 'subscribers' || route.page === 'subscriber')}
                {nav('/service-templates', 'Templates', route.page === 'service-templates')}
                {nav('/policies', 'Policies', route.page === 'policies' || route.page === 'policy')}
                {nav('/campaigns', 'Campaigns', route.page === 'campaigns' || route.page === 'campaign')}
                {nav('/files', 'Files', route.page === 'files')}
                {nav('/quirks', 'Quirks', route.page === 'quirks')}
                {session.role === 'admin' ? nav('/tokens', 'Tokens', route.page === 'tokens') : null}
                {session.role === 'admin' ? nav('/audit', 'Audit', route.page === 'audit') : null}
              </>
            )}
            {/* A scoped admin manages the webhooks of its own scope (the API's rule). */}
            {session.role === 'admin' ? nav('/webhooks', 'Webhooks', route.page === 'webhooks') : null}
          </nav>
          <div class="topbar-end">
            <LiveIndicator stream={ctx.stream} />
            <span class="role-badge" title="The role of your API token">
              <span class="visually-hidden">Role: </span>
              {session.role}
              {session.role === 'operator' && (session.capabilities ?? []).length > 0 ? ` + ${session.capabilities!.join(', ')}` : ''}
              {session.scoped === true ? ' · scoped' : ''}
            </span>
            {session.kind === 'user' ? <span class="user-name">{session.name}</span> : null}
            <button type="button" class="btn btn-ghost btn-sm" onClick={() => void endUserSession(session).finally(onSignOut)}>
              Sign out
            </button>
          </div>
        </header>
        <main id="main" class="content" tabIndex={-1}>
          <Page route={route} />
        </main>
        <ActivityPanel activity={ctx.activity} />
      </div>
    </Ctx.Provider>
  );
}

function App(): JSX.Element {
  const [session, setSession] = useState<SignedIn | null>(null);
  // Only a stored token is checked before anything shows; without one the sign-in form shows at
  // once and a session cookie, if the browser has one, replaces it when the check answers.
  const [restoring, setRestoring] = useState(() => storedToken() !== null);
  const [notice, setNotice] = useState<string | null>(null);
  const signOut = useMemo(
    () => (reason?: string) => {
      forgetToken();
      setSession(null);
      setNotice(reason ?? null);
    },
    [],
  );
  const expired = (): void => signOut('Your session or token is no longer accepted. Sign in again.');
  const signOutNow = useMemo(() => () => signOut(), [signOut]);
  useEffect(() => {
    const token = storedToken();
    if (token === null) {
      // No token in this tab: a session cookie may still sign this browser in.
      void restoreUserSession(expired)
        .then((s) => s !== null && setSession(s))
        .finally(() => setRestoring(false));
      return;
    }
    signIn(token, expired).then(
      (s) => setSession(s),
      () => {
        forgetToken();
      },
    ).finally(() => setRestoring(false));
  }, []);
  if (restoring) return <div class="loading" role="status">Signing in…</div>;
  if (session === null) {
    return (
      <SignIn
        notice={notice}
        onSubmit={async (t) => setSession(await signIn(t, expired))}
        onUserSubmit={async (name, password, totp) => setSession(await signInUser(name, password, totp, expired))}
      />
    );
  }
  if (session.role === 'subscriber') return <SelfServicePage api={session.api} onSignOut={signOutNow} />;
  // Narrowed above: the same object, so the shell's stream lives as long as the sign-in.
  return <Shell session={session as SignedIn & { role: Role }} onSignOut={signOutNow} />;
}

interceptLinks();
render(<App />, document.getElementById('app')!);
