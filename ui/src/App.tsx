import { useEffect, useState } from 'react';

import { appInfo as loadAppInfoFromBackend, type AppInfo } from './api.ts';
import { SyncIndicator } from './SyncIndicator.tsx';
import type { SyncStatus } from './syncStatus.ts';

// Nothing syncs yet: say so rather than pretend to be synced.
const NOT_CONNECTED: SyncStatus = { kind: 'offline', queued: 0 };

export interface AppProps {
  /** Where the build information comes from; the Tauri backend unless a test says otherwise. */
  loadAppInfo?: () => Promise<AppInfo>;
}

/** The front desk window: a header with the sync state, and today's work below it. */
export function App({ loadAppInfo = loadAppInfoFromBackend }: AppProps) {
  const [info, setInfo] = useState<AppInfo | undefined>(undefined);

  useEffect(() => {
    let current = true;
    loadAppInfo().then(
      (loaded) => {
        if (current) {
          setInfo(loaded);
        }
      },
      // The version line is a nicety: the desk works without it.
      () => undefined,
    );
    return () => {
      current = false;
    };
  }, [loadAppInfo]);

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
        <SyncIndicator status={NOT_CONNECTED} title="not connected to a server yet" />
      </header>
      <main className="app-main">
        <h1>Today</h1>
        <p className="app-main__placeholder">Arrivals, departures and rooms will appear here.</p>
      </main>
    </div>
  );
}
