import { useEffect, useState } from 'react';

import {
  conflicts as loadConflicts,
  onConflictsChanged,
  onSyncProgress,
  onSyncStatus,
  outbox as loadOutbox,
  markSupersededSeen,
  retryMutation,
  supersededEdits,
  syncMetrics,
  syncNow,
  type ConflictView,
  type SupersededEdit,
  type Outbox,
  type SyncMetrics,
  type SyncProgress,
} from '../api.ts';
import { ConflictDialog } from '../components/ConflictDialog.tsx';
import { ErrorNotice } from '../components/ErrorNotice.tsx';
import { StatusBadge } from '../components/StatusBadge.tsx';
import { useAction, useDesk, useLoad, useRoomLookup } from '../desk.tsx';
import { words } from '../records.ts';
import { displayValue } from '../resolution.ts';
import { relativeTime } from '../syncStatus.ts';
import { dateTime } from '../dates.ts';
import { supersededSentence } from './HistoryScreen.tsx';

function listenWhile(subscribe: (handler: () => void) => unknown, handler: () => void): () => void {
  const subscription = subscribe(handler);
  return () => {
    void Promise.resolve(subscription).then((stop) => (typeof stop === 'function' ? stop() : undefined));
  };
}

/** A progress bar for a long sync round, from `sync-progress` events. */
export function SyncProgressBar() {
  const [progress, setProgress] = useState<SyncProgress | undefined>(undefined);
  useEffect(() => {
    const subscription = onSyncProgress(setProgress);
    const status = onSyncStatus((state) => state.state !== 'syncing' && setProgress(undefined));
    return () => {
      void Promise.resolve(subscription).then((stop) => stop?.());
      void Promise.resolve(status).then((stop) => stop?.());
    };
  }, []);
  if (progress === undefined) {
    return null;
  }
  const label = progress.phase === 'push' ? 'Sending changes' : 'Receiving changes';
  return (
    <div className="sync-progress">
      <label htmlFor="sync-progress-bar">
        {label}: {progress.done}
        {progress.total !== null ? ` of ${progress.total}` : ''}
      </label>
      <progress id="sync-progress-bar" value={progress.done} {...(progress.total !== null ? { max: progress.total } : {})} />
    </div>
  );
}

/** The sync queue, conflicts, metrics and the last sync: where a manager looks after sync. */
export function SyncCenter({ openConflicts }: { openConflicts: boolean }) {
  const { sync, catalog } = useDesk();
  const roomOf = useRoomLookup();
  const queue = useLoad<Outbox>(() => loadOutbox(500), [], []);
  const conflictList = useLoad<ConflictView[]>(loadConflicts, [], []);
  const metrics = useLoad<SyncMetrics>(syncMetrics, [], []);
  const [open, setOpen] = useState<ConflictView | undefined>(undefined);
  const action = useAction();
  const { reload: reloadQueue } = queue;
  const { reload: reloadConflicts } = conflictList;
  const { reload: reloadMetrics } = metrics;

  useEffect(() => listenWhile((h) => onSyncStatus(h), () => {
    reloadQueue();
    reloadMetrics();
  }), [reloadQueue, reloadMetrics]);
  useEffect(() => listenWhile((h) => onConflictsChanged(h), reloadConflicts), [reloadConflicts]);

  // Opened from the indicator: go straight to the first conflict.
  const first = conflictList.data?.[0];
  useEffect(() => {
    if (openConflicts && first !== undefined) {
      setOpen((current) => current ?? first);
    }
  }, [openConflicts, first]);

  const describe = (field: string, value: unknown) => {
    if (field === 'room_id' && typeof value === 'string') {
      return `Room ${roomOf(value)?.number ?? value}`;
    }
    if (field === 'room_type_id' && typeof value === 'string') {
      return catalog.room_types.find((type) => type.id === value)?.code ?? value;
    }
    return displayValue(value);
  };
  const now = new Date();
  const entries = queue.data?.entries ?? [];

  return (
    <section className="screen" aria-labelledby="sync-title">
      <div className="screen__title-row">
        <h1 id="sync-title">Sync center</h1>
        <button type="button" className="primary" disabled={action.busy} onClick={() => void action.run(syncNow)}>
          Sync now
        </button>
      </div>
      <SyncProgressBar />
      <ErrorNotice error={action.error} />
      <dl className="facts">
        <div>
          <dt>State</dt>
          <dd>{sync === undefined ? 'unknown' : words(sync.state)}</dd>
        </div>
        <div>
          <dt>Last sync</dt>
          <dd>{sync?.last_sync_at != null ? relativeTime(new Date(sync.last_sync_at), now) : 'never'}</dd>
        </div>
        {sync?.reason != null && (
          <div>
            <dt>Last problem</dt>
            <dd>{sync.reason}</dd>
          </div>
        )}
        <div>
          <dt>Queued</dt>
          <dd>
            {queue.data?.counts.pending ?? 0} pending · {queue.data?.counts.failed ?? 0} failed · {queue.data?.counts.held ?? 0} held
          </dd>
        </div>
      </dl>

      <section className="panel" aria-labelledby="conflicts-title">
        <h2 id="conflicts-title">Conflicts ({conflictList.data?.length ?? 0})</h2>
        <ErrorNotice error={conflictList.error} />
        {conflictList.data?.length === 0 && <p className="muted">Nothing waits for a decision.</p>}
        <ul className="conflict-list">
          {(conflictList.data ?? []).map((view) => (
            <li key={view.conflict.id}>
              <StatusBadge status={view.conflict.severity} />
              <span className="conflict-list__title">{view.title}</span>
              <span className="muted">{view.conflict.summary}</span>
              <button type="button" onClick={() => setOpen(view)}>
                Resolve…
              </button>
            </li>
          ))}
        </ul>
      </section>

      <SupersededPanel />

      <section className="panel" aria-labelledby="queue-title">
        <h2 id="queue-title">Queue</h2>
        <ErrorNotice error={queue.error} />
        {entries.length === 0 && <p className="muted">Every change has reached the server.</p>}
        {entries.length > 0 && (
          <table className="table">
            <thead>
              <tr>
                <th scope="col">Change</th>
                <th scope="col">State</th>
                <th scope="col">Tries</th>
                <th scope="col">Queued</th>
                <th scope="col">Server's answer</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {entries.map((entry) => (
                <tr key={entry.mutation_id}>
                  <td>{entry.summary}</td>
                  <td>
                    <StatusBadge status={entry.state} />
                  </td>
                  <td>{entry.attempts}</td>
                  <td>{relativeTime(new Date(entry.created_at_ms), now)}</td>
                  <td>{entry.last_error ?? ''}</td>
                  <td>
                    {entry.state === 'failed' && (
                      <button
                        type="button"
                        disabled={action.busy}
                        onClick={() => void action.run(() => retryMutation(entry.mutation_id)).then(reloadQueue)}
                        aria-label={`Retry: ${entry.summary}`}
                      >
                        Retry
                      </button>
                    )}
                    <a className="button" href={`#/history/${entry.entity}/${entry.record_id}`}>
                      History
                    </a>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>

      <section className="panel" aria-labelledby="metrics-title">
        <h2 id="metrics-title">Metrics</h2>
        <ErrorNotice error={metrics.error} />
        {metrics.data !== undefined && (
          <dl className="facts">
            <div>
              <dt>Rounds</dt>
              <dd>
                {metrics.data.rounds} ({metrics.data.failed_rounds} failed)
              </dd>
            </div>
            <div>
              <dt>Sent / received</dt>
              <dd>
                {metrics.data.pushed} / {metrics.data.pulled}
              </dd>
            </div>
            <div>
              <dt>Conflicts raised / resolved</dt>
              <dd>
                {metrics.data.conflicts_raised} / {metrics.data.conflicts_resolved}
              </dd>
            </div>
            <div>
              <dt>Last round</dt>
              <dd>{metrics.data.last_round_ms !== null ? `${metrics.data.last_round_ms} ms` : '—'}</dd>
            </div>
            <div>
              <dt>Oldest queued change</dt>
              <dd>{metrics.data.oldest_pending_secs !== null ? `${metrics.data.oldest_pending_secs} s` : '—'}</dd>
            </div>
          </dl>
        )}
      </section>

      {open !== undefined && (
        <ConflictDialog
          key={open.conflict.id}
          view={open}
          describe={describe}
          onClose={() => setOpen(undefined)}
          onResolved={() => {
            setOpen(undefined);
            reloadConflicts();
          }}
        />
      )}
    </section>
  );
}

/** The kinds of record a desk edits: a sync that merged one may have replaced an edit. */
const EDITED_KINDS = [
  'reservation',
  'guest',
  'room',
  'housekeeping_task',
  'maintenance_report',
  'service_request',
  'pos_order',
  'inventory_item',
] as const;

/** The signed-in user's edits that other desks' edits replaced: each says what was
 *  kept and why, and opens the record's history. Seen once the panel was shown. */
function SupersededPanel() {
  const edits = useLoad<SupersededEdit[]>(() => supersededEdits(50), [], EDITED_KINDS);
  const unseen = (edits.data ?? []).filter((edit) => !edit.seen).length;
  useEffect(() => {
    if (unseen > 0) {
      void markSupersededSeen();
    }
  }, [unseen]);
  const list = edits.data ?? [];
  return (
    <section className="panel" aria-labelledby="superseded-title">
      <h2 id="superseded-title">Your edits replaced by other desks ({list.length})</h2>
      <ErrorNotice error={edits.error} />
      {list.length === 0 && <p className="muted">None of your edits was replaced.</p>}
      <ul className="superseded-list">
        {list.map((edit) => (
          <li key={edit.id} className={edit.seen ? undefined : 'superseded-list__new'}>
            <a href={`#/history/${edit.entity}/${edit.record_id}`}>{edit.title}</a>{' '}
            <span>{supersededSentence(edit)}</span>{' '}
            <time className="muted" dateTime={new Date(edit.made_at_ms).toISOString()}>
              {dateTime(edit.made_at_ms)}
            </time>
          </li>
        ))}
      </ul>
    </section>
  );
}
