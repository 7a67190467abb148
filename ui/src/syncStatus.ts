// What the sync indicator says, kept apart from the component so the wording is tested alone.

/** The state of this device's sync with the property's server, as the desk sees it. */
export type SyncStatus =
  | { kind: 'synced'; lastSyncAt: Date }
  | { kind: 'syncing'; done?: number; total?: number }
  | { kind: 'offline'; queued: number; lastSyncAt?: Date }
  | { kind: 'conflicts'; count: number }
  | { kind: 'error'; reason: string };

function plural(count: number, one: string, many: string): string {
  return `${count} ${count === 1 ? one : many}`;
}

/** The short text of a status, e.g. "Offline, 3 queued" or "1 conflict". */
export function statusText(status: SyncStatus): string {
  switch (status.kind) {
    case 'synced':
      return 'Synced';
    case 'syncing':
      return status.done !== undefined && status.total !== undefined
        ? `Syncing… ${status.done} of ${status.total}`
        : 'Syncing…';
    case 'offline':
      return status.queued > 0 ? `Offline, ${status.queued} queued` : 'Offline';
    case 'conflicts':
      return plural(status.count, 'conflict', 'conflicts');
    case 'error':
      return `Error: ${status.reason}`;
  }
}

/** How long ago `then` was, from `now`, in words short enough for the header. */
export function relativeTime(then: Date, now: Date): string {
  const seconds = Math.round((now.getTime() - then.getTime()) / 1000);
  if (seconds < 45) {
    return 'just now';
  }
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) {
    return `${minutes} min ago`;
  }
  const hours = Math.round(minutes / 60);
  if (hours < 24) {
    return `${hours} h ago`;
  }
  return `${plural(Math.round(hours / 24), 'day', 'days')} ago`;
}

/** When the last sync happened, if the status knows it, e.g. "last sync 5 min ago". */
export function lastSyncText(status: SyncStatus, now: Date): string | undefined {
  if ((status.kind === 'synced' || status.kind === 'offline') && status.lastSyncAt) {
    return `last sync ${relativeTime(status.lastSyncAt, now)}`;
  }
  return undefined;
}

/** The worker's state as the `sync-status` event carries it (the fields the indicator reads). */
export interface WorkerState {
  state: 'idle' | 'syncing' | 'offline' | 'error' | 'disabled';
  pending: number;
  failed: number;
  held: number;
  open_conflicts: number;
  last_sync_at: string | null;
  reason: string | null;
}

/**
 * The indicator's state from the worker's: an error first, then conflicts (they need a
 * person), then what the worker is doing. Refused changes count as an error so they are not
 * mistaken for a healthy queue.
 */
export function indicatorStatus(state: WorkerState, progress?: { done: number; total: number | null }): SyncStatus {
  const lastSyncAt = state.last_sync_at === null ? undefined : new Date(state.last_sync_at);
  const queued = state.pending + state.failed + state.held;
  if (state.state === 'error') {
    return { kind: 'error', reason: state.reason ?? 'sync failed' };
  }
  if (state.open_conflicts > 0) {
    return { kind: 'conflicts', count: state.open_conflicts };
  }
  if (state.state === 'offline' || state.state === 'disabled') {
    return lastSyncAt === undefined ? { kind: 'offline', queued } : { kind: 'offline', queued, lastSyncAt };
  }
  if (state.failed > 0) {
    return { kind: 'error', reason: `${plural(state.failed, 'change', 'changes')} refused by the server` };
  }
  if (state.state === 'syncing' || state.pending > 0) {
    return progress !== undefined && progress.total !== null
      ? { kind: 'syncing', done: progress.done, total: progress.total }
      : { kind: 'syncing' };
  }
  if (lastSyncAt === undefined) {
    return { kind: 'offline', queued };
  }
  return { kind: 'synced', lastSyncAt };
}
