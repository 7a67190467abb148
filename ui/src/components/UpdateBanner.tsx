import { installUpdate, type UpdateStatus } from '../api.ts';
import { useAction } from '../desk.tsx';
import { ErrorNotice } from './ErrorNotice.tsx';

/**
 * Says a newer version is offered and installs it when the person at the desk chooses (the
 * app restarts into it; queued changes stay in the local store). "Later" hides it until the
 * next version or the next start.
 */
export function UpdateBanner({ status, onLater }: { status: UpdateStatus | undefined; onLater: () => void }) {
  const install = useAction();
  const available = status?.available;
  if (status === undefined || available === null || available === undefined) {
    return null;
  }
  const installing = install.busy || status.installing;
  return (
    <div className="update-banner" role="status" aria-label="Update available">
      {installing ? (
        <span>
          Installing Frontdesk {available.version}… the app restarts when it is done. Changes not yet synced are kept.
        </span>
      ) : (
        <>
          <span>
            <strong>Frontdesk {available.version} is available</strong> (this desk runs {status.currentVersion})
            {available.notes !== '' && <>: {available.notes}</>}
          </span>
          <button type="button" className="primary" onClick={() => void install.run(installUpdate)}>
            Install and restart
          </button>
          <button type="button" onClick={onLater}>
            Later
          </button>
        </>
      )}
      <ErrorNotice error={install.error} />
    </div>
  );
}
