import type { SyncState } from '../api.ts';
import { words } from '../records.ts';

const LABELS: Record<string, string> = {
  room: 'Room status',
  reservation: 'Reservations',
  folio_posting: 'Folios',
  housekeeping_task: 'Housekeeping tasks',
};

function age(secs: number | null): string {
  if (secs === null) {
    return 'never synced';
  }
  if (secs < 120) {
    return `${secs} s old`;
  }
  if (secs < 7200) {
    return `${Math.round(secs / 60)} min old`;
  }
  return `${Math.round(secs / 3600)} h old`;
}

/**
 * Says when the data the desk relies on is old: a notice when stale, an alert when critical,
 * and the operations the stale-data policy blocks, with the reason.
 */
export function StaleBanner({ sync }: { sync: SyncState | undefined }) {
  if (sync === undefined) {
    return null;
  }
  const stale = sync.freshness.filter((kind) => kind.freshness !== 'fresh');
  const blocked = sync.operations.filter((op) => op.verdict === 'block');
  if (stale.length === 0 && blocked.length === 0) {
    return null;
  }
  const critical = stale.some((kind) => kind.freshness === 'critical') || blocked.length > 0;
  return (
    <div className={`stale-banner stale-banner--${critical ? 'critical' : 'stale'}`} role={critical ? 'alert' : 'status'}>
      <strong>{critical ? 'Data critically out of date' : 'Data may be out of date'}:</strong>{' '}
      {stale.map((kind) => `${LABELS[kind.entity] ?? words(kind.entity)} ${age(kind.age_secs)}`).join(' · ')}
      {blocked.length > 0 && (
        <ul className="stale-banner__blocked">
          {blocked.map((op) => (
            <li key={op.operation}>
              {words(op.operation)} is blocked: {op.message}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
