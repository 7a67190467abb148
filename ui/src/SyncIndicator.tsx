import { lastSyncText, statusText, type SyncStatus } from './syncStatus.ts';

export interface SyncIndicatorProps {
  status: SyncStatus;
  /** Syncs now, or opens the conflicts; without it the indicator only informs. */
  onClick?: () => void;
  /** A line that explains the status better than the last sync time can. */
  title?: string;
  /** The current time, for "last sync 2 min ago"; passed in so tests control it. */
  now?: Date;
}

/** The always-visible sync state of this desk, in the header. */
export function SyncIndicator({ status, onClick, title, now = new Date() }: SyncIndicatorProps) {
  const text = statusText(status);
  const detail = title ?? lastSyncText(status, now);
  const label = detail === undefined ? `Sync status: ${text}` : `Sync status: ${text}, ${detail}`;

  return (
    <div
      role="status"
      aria-label={label}
      className={`sync-indicator sync-indicator--${status.kind}`}
    >
      <button
        type="button"
        className="sync-indicator__button"
        onClick={onClick}
        disabled={onClick === undefined}
        title={title}
      >
        <span className="sync-indicator__dot" aria-hidden="true" />
        <span className="sync-indicator__text">{text}</span>
        {detail !== undefined && <span className="sync-indicator__detail">{detail}</span>}
      </button>
    </div>
  );
}
