import { memo, useCallback, useEffect, useMemo, useState } from 'react';

import {
  AppError as AppErrorClass,
  appInfo,
  catalog as loadCatalog,
  getSettings,
  onConflictsChanged,
  onDeviceWiped,
  onSyncAlert,
  onSyncProgress,
  onSyncStatus,
  onSessionLost,
  onUpdateAvailable,
  sessionState,
  signOut,
  syncNow,
  syncStatus,
  toAppError,
  updateStatus,
  type AppError,
  type AppInfo,
  type Catalog,
  type SessionState,
  type SignedInUser,
  type SyncAlert,
  type SyncProgress,
  type SyncState,
  type UpdateStatus,
} from './api.ts';
import { ErrorNotice } from './components/ErrorNotice.tsx';
import { StaleBanner } from './components/StaleBanner.tsx';
import { UpdateBanner } from './components/UpdateBanner.tsx';
import { DeskProvider, subscribeDataChanged } from './desk.tsx';
import { useIdleSignOut } from './idle.ts';
import { words } from './records.ts';
import { mayOpen, navigate, useRoute, type Route } from './routes.ts';
import { EnrollScreen } from './screens/EnrollScreen.tsx';
import { FolioScreen } from './screens/FolioScreen.tsx';
import { GuestsScreen } from './screens/GuestsScreen.tsx';
import { HistoryScreen } from './screens/HistoryScreen.tsx';
import { HousekeepingMode } from './screens/HousekeepingMode.tsx';
import { InventoryScreen } from './screens/InventoryScreen.tsx';
import { MaintenanceScreen } from './screens/MaintenanceScreen.tsx';
import { PosScreen } from './screens/PosScreen.tsx';
import { ReservationScreen } from './screens/ReservationScreen.tsx';
import { ReservationsScreen } from './screens/ReservationsScreen.tsx';
import { RoomBoard } from './screens/RoomBoard.tsx';
import { ServiceRequestsScreen } from './screens/ServiceRequestsScreen.tsx';
import { SettingsScreen } from './screens/SettingsScreen.tsx';
import { SignInScreen } from './screens/SignInScreen.tsx';
import { SyncCenter } from './screens/SyncCenter.tsx';
import { TapeChartScreen } from './screens/TapeChartScreen.tsx';
import { TodayScreen } from './screens/TodayScreen.tsx';
import { SyncIndicator } from './SyncIndicator.tsx';
import { indicatorStatus, type SyncStatus } from './syncStatus.ts';

// Nothing is known about sync until the worker answers: say so rather than pretend to be synced.
const NOT_CONNECTED: SyncStatus = { kind: 'offline', queued: 0 };

/** What the desk says when its administrator removed it (the device crate's `DeskError::Wiped`). */
const WIPED =
  'This desk was removed from the property by its administrator and its data was erased: enroll it again with a new code';

/** The window: enrollment on first run, then sign-in, then the desk. */
export function App() {
  const [session, setSession] = useState<SessionState | undefined>(undefined);
  const [error, setError] = useState<AppError | undefined>(undefined);
  /** Why the desk is no longer enrolled, when its administrator removed and wiped it. */
  const [removed, setRemoved] = useState<AppError | undefined>(undefined);

  useEffect(() => {
    const reread = () => sessionState().then(setSession, (reason: unknown) => setError(toAppError(reason)));
    void reread();
    // A command that finds nobody signed in sends the window back to the sign-in screen; one
    // that finds the desk no longer enrolled, to the enrollment screen with the reason.
    const stopLost = onSessionLost((lost) => {
      if (lost.code === 'not_enrolled') {
        setRemoved(lost);
      }
      void reread();
    });
    const stopWiped = onDeviceWiped(() => {
      setRemoved(new AppErrorClass('not_enrolled', WIPED));
      void reread();
    });
    return () => {
      stopLost();
      void Promise.resolve(stopWiped).then((unlisten) => unlisten?.());
    };
  }, []);

  if (session === undefined) {
    return (
      <main className="gate">
        <p className="product-name">Frontdesk</p>
        {error !== undefined ? <ErrorNotice error={error} /> : <p>Starting…</p>}
      </main>
    );
  }
  if (session.device === null) {
    const failed = session.provisioning_error;
    return (
      <EnrollScreen
        onEnrolled={(state) => {
          setRemoved(undefined);
          setSession(state);
        }}
        setupFailure={failed === undefined || failed === null ? undefined : toAppError(failed)}
        removed={removed}
      />
    );
  }
  if (session.user === null) {
    return <SignInScreen device={session.device} onSignedIn={setSession} />;
  }
  // Keyed by the person: a user switch starts every screen, form and cached answer afresh.
  return <DeskShell key={session.user.id} user={session.user} onSignedOut={setSession} />;
}

const NAV: { route: Route; label: string; roles?: SignedInUser['role'][] }[] = [
  { route: { screen: 'today' }, label: 'Today', roles: ['manager', 'front_desk'] },
  { route: { screen: 'reservations' }, label: 'Reservations', roles: ['manager', 'front_desk'] },
  { route: { screen: 'tape-chart' }, label: 'Tape chart', roles: ['manager', 'front_desk'] },
  { route: { screen: 'rooms' }, label: 'Rooms' },
  { route: { screen: 'housekeeping' }, label: 'Housekeeping', roles: ['manager', 'front_desk', 'housekeeping'] },
  { route: { screen: 'guests' }, label: 'Guests', roles: ['manager', 'front_desk'] },
  { route: { screen: 'maintenance' }, label: 'Maintenance' },
  { route: { screen: 'requests' }, label: 'Requests' },
  { route: { screen: 'pos' }, label: 'POS', roles: ['manager', 'front_desk'] },
  { route: { screen: 'inventory' }, label: 'Inventory' },
  { route: { screen: 'sync', conflicts: false }, label: 'Sync' },
  { route: { screen: 'settings' }, label: 'Settings' },
];

function isTyping(target: EventTarget | null): boolean {
  return (
    target instanceof HTMLElement &&
    (target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName))
  );
}

/** The desk keys: `/` searches reservations, `n` starts a new one. */
function useDeskKeys() {
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey || isTyping(event.target)) {
        return;
      }
      if (event.key === '/') {
        event.preventDefault();
        navigate({ screen: 'reservations' });
        // The search box exists once the screen has rendered.
        setTimeout(() => document.getElementById('reservation-search')?.focus(), 0);
      } else if (event.key === 'n') {
        event.preventDefault();
        navigate({ screen: 'reservation', id: null, walkIn: false });
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);
}

/**
 * The current screen. Memoised: the header's progress bar changes about ten times a second
 * while syncing, and the screen (which may list hundreds of stays) has no part in it.
 */
const Screen = memo(function Screen({ route: asked, user }: { route: Route; user: SignedInUser }) {
  // What this person's role may not read is not shown, whatever the address says.
  const route: Route = mayOpen(user.role, asked) ? asked : { screen: 'today' };
  switch (route.screen) {
    case 'today':
      return user.role === 'housekeeping' ? <HousekeepingMode /> : user.role === 'maintenance' ? <MaintenanceScreen /> : <TodayScreen />;
    case 'reservations':
      return <ReservationsScreen key={route.status ?? ''} status={route.status} />;
    case 'reservation':
      return <ReservationScreen id={route.id} walkIn={route.walkIn} />;
    case 'tape-chart':
      return <TapeChartScreen />;
    case 'rooms':
      return <RoomBoard />;
    case 'housekeeping':
      return <HousekeepingMode />;
    case 'folio':
      return <FolioScreen reservationId={route.reservationId} />;
    case 'guests':
      return <GuestsScreen />;
    case 'maintenance':
      return <MaintenanceScreen />;
    case 'requests':
      return <ServiceRequestsScreen />;
    case 'pos':
      return <PosScreen />;
    case 'inventory':
      return <InventoryScreen />;
    case 'history':
      return <HistoryScreen entity={route.entity} id={route.id} />;
    case 'settings':
      return <SettingsScreen />;
    case 'sync':
      return <SyncCenter openConflicts={route.conflicts} />;
  }
});

/** Whether two sync states read the same (the periodic `sync-status` often repeats itself). */
export function sameSyncState(a: SyncState | undefined, b: SyncState): boolean {
  return a !== undefined && JSON.stringify(a) === JSON.stringify(b);
}

interface DeskShellProps {
  user: SignedInUser;
  onSignedOut: (state: SessionState) => void;
}

/** The signed-in desk: header, stale-data banner, navigation and the current screen. */
export function DeskShell({ user, onSignedOut }: DeskShellProps) {
  const route = useRoute();
  const [info, setInfo] = useState<AppInfo | undefined>(undefined);
  const [catalog, setCatalog] = useState<Catalog | undefined>(undefined);
  const [catalogError, setCatalogError] = useState<AppError | undefined>(undefined);
  const [sync, setSync] = useState<SyncState | undefined>(undefined);
  const [progress, setProgress] = useState<SyncProgress | undefined>(undefined);
  const [alert, setAlert] = useState<SyncAlert | undefined>(undefined);
  const [update, setUpdate] = useState<UpdateStatus | undefined>(undefined);
  /** The version the desk said "Later" to, until a newer one comes. */
  const [laterFor, setLaterFor] = useState<string | undefined>(undefined);
  const [syncError, setSyncError] = useState<AppError | undefined>(undefined);
  useDeskKeys();

  const reloadCatalog = useCallback(() => {
    loadCatalog().then(
      (loaded) => {
        setCatalog(loaded);
        setCatalogError(undefined);
      },
      (reason: unknown) => setCatalogError(toAppError(reason)),
    );
  }, []);

  useEffect(() => {
    let current = true;
    // The version line is a nicety: the desk works without it.
    appInfo().then((loaded) => current && setInfo(loaded), () => undefined);
    syncStatus().then((state) => current && setSync(state), () => undefined);
    updateStatus().then((status) => current && setUpdate(status), () => undefined);
    reloadCatalog();
    const stops = [
      onSyncStatus((state) => {
        setSync((old) => (sameSyncState(old, state) ? old : state));
        if (state.state !== 'syncing') {
          setProgress(undefined);
        }
      }),
      onSyncProgress(setProgress),
      onSyncAlert(setAlert),
      onUpdateAvailable(setUpdate),
      onConflictsChanged((change) => setSync((old) => (old === undefined ? old : { ...old, open_conflicts: change.open }))),
    ];
    const stopCatalog = subscribeDataChanged(['room', 'room_type', 'property', 'staff_user', 'device'], reloadCatalog);
    return () => {
      current = false;
      stopCatalog();
      for (const stop of stops) {
        void Promise.resolve(stop).then((unlisten) => unlisten?.());
      }
    };
  }, [reloadCatalog]);

  const status = sync === undefined ? NOT_CONNECTED : indicatorStatus(sync, progress);
  const onIndicator = () => {
    if (status.kind === 'conflicts') {
      navigate({ screen: 'sync', conflicts: true });
      return;
    }
    setSyncError(undefined);
    syncNow().catch((reason: unknown) => setSyncError(toAppError(reason)));
  };
  const [idleSeconds, setIdleSeconds] = useState(0);
  useEffect(() => {
    getSettings().then(
      (settings) => setIdleSeconds(settings.sync.idle_sign_out),
      () => setIdleSeconds(0),
    );
  }, []);
  const doSignOut = useCallback(() => {
    signOut().then((state) => {
      // The next person starts at their own home screen, not on this one's last screen.
      navigate({ screen: 'today' });
      onSignedOut(state);
    }, (reason: unknown) => setSyncError(toAppError(reason)));
  }, [onSignedOut]);
  useIdleSignOut(idleSeconds, doSignOut);
  // The same desk while nothing in it changed, so the screens do not render again for the
  // progress bar or the header.
  const desk = useMemo(
    () => (catalog === undefined ? undefined : { catalog, user, sync, signOut: doSignOut }),
    [catalog, user, sync, doSignOut],
  );
  const nav = NAV.filter((item) => mayOpen(user.role, item.route) && (item.roles === undefined || item.roles.includes(user.role)));
  const active = route.screen === 'reservation' ? 'reservations' : route.screen === 'folio' || route.screen === 'history' ? '' : route.screen;

  return (
    <div className="app">
      <header className="app-header">
        <div className="app-header__product">
          <span className="app-header__name">Frontdesk</span>
          {info !== undefined && (
            <span className="app-header__version">
              v{info.version} · protocol {info.protocolVersion}
            </span>
          )}
        </div>
        <nav className="app-nav" aria-label="Screens">
          {nav.map((item) => (
            <a
              key={item.label}
              href={`#/${item.route.screen}`}
              aria-current={item.route.screen === active ? 'page' : undefined}
              className="app-nav__link"
            >
              {item.label}
            </a>
          ))}
        </nav>
        <div className="app-header__right">
          <SyncIndicator
            status={status}
            onClick={onIndicator}
            {...(sync === undefined
              ? { title: 'not connected to a server yet' }
              : sync.state === 'disabled'
                ? { title: 'sync is turned off in settings' }
                : {})}
          />
          <span className="app-header__user" aria-label="Signed in as">
            {user.display_name} <span className="muted-light">({words(user.role)})</span>
          </span>
          <button type="button" className="app-header__sign-out" onClick={doSignOut}>
            Sign out
          </button>
        </div>
      </header>
      {progress !== undefined && (
        <div className="header-progress">
          <progress
            aria-label={`Syncing: ${progress.phase === 'push' ? 'sending changes' : 'receiving changes'}`}
            value={progress.done}
            {...(progress.total !== null ? { max: progress.total } : {})}
          />
        </div>
      )}
      <StaleBanner sync={sync} />
      {update?.available != null && update.available.version !== laterFor && (
        <UpdateBanner status={update} onLater={() => setLaterFor(update.available?.version)} />
      )}
      {alert !== undefined && alert.level !== 'info' && (
        <div className={`alert-bar alert-bar--${alert.level}`} role="alert">
          {alert.message}
          <button type="button" onClick={() => setAlert(undefined)} aria-label="Dismiss">
            ×
          </button>
        </div>
      )}
      <ErrorNotice error={syncError} />
      <main className="app-main">
        {desk === undefined ? (
          catalogError !== undefined ? (
            <ErrorNotice error={catalogError} />
          ) : (
            <p>Loading the property…</p>
          )
        ) : (
          <DeskProvider value={desk}>
            <Screen route={route} user={user} />
          </DeskProvider>
        )}
      </main>
    </div>
  );
}
