import { describe, expect, it } from 'vitest';

import { indicatorStatus, lastSyncText, relativeTime, type WorkerState } from './syncStatus.ts';

const NOW = new Date('2026-03-14T10:00:00Z');
const secondsAgo = (seconds: number) => new Date(NOW.getTime() - seconds * 1000);

describe('relativeTime', () => {
  it.each<[number, string]>([
    [0, 'just now'],
    [44, 'just now'],
    [60, '1 min ago'],
    [59 * 60, '59 min ago'],
    [60 * 60, '1 h ago'],
    [23 * 3600, '23 h ago'],
    [24 * 3600, '1 day ago'],
    [3 * 24 * 3600, '3 days ago'],
  ])('%i seconds ago reads "%s"', (seconds, text) => {
    expect(relativeTime(secondsAgo(seconds), NOW)).toBe(text);
  });
});

describe('lastSyncText', () => {
  it('is absent for states that carry no last sync time', () => {
    expect(lastSyncText({ kind: 'offline', queued: 0 }, NOW)).toBeUndefined();
    expect(lastSyncText({ kind: 'conflicts', count: 1 }, NOW)).toBeUndefined();
  });
});

describe('indicatorStatus', () => {
  const idle: WorkerState = {
    state: 'idle',
    pending: 0,
    failed: 0,
    held: 0,
    open_conflicts: 0,
    last_sync_at: '2026-03-14T09:58:00Z',
    reason: null,
  };

  it.each<[string, WorkerState, ReturnType<typeof indicatorStatus>]>([
    ['idle after a sync is synced', idle, { kind: 'synced', lastSyncAt: new Date('2026-03-14T09:58:00Z') }],
    ['syncing', { ...idle, state: 'syncing' }, { kind: 'syncing' }],
    ['idle with changes waiting is syncing', { ...idle, pending: 2 }, { kind: 'syncing' }],
    [
      'offline counts every queued change',
      { ...idle, state: 'offline', pending: 2, held: 1, last_sync_at: null },
      { kind: 'offline', queued: 3 },
    ],
    ['never synced is not synced', { ...idle, last_sync_at: null }, { kind: 'offline', queued: 0 }],
    ['conflicts come before syncing', { ...idle, state: 'syncing', open_conflicts: 2 }, { kind: 'conflicts', count: 2 }],
    ['an error comes first', { ...idle, state: 'error', reason: 'device revoked', open_conflicts: 2 }, { kind: 'error', reason: 'device revoked' }],
    ['refused changes are an error', { ...idle, failed: 1 }, { kind: 'error', reason: '1 change refused by the server' }],
  ])('%s', (_name, state, expected) => {
    expect(indicatorStatus(state)).toEqual(expected);
  });

  it('carries the progress of a long sync', () => {
    expect(indicatorStatus({ ...idle, state: 'syncing' }, { done: 3, total: 10 })).toEqual({ kind: 'syncing', done: 3, total: 10 });
  });
});
