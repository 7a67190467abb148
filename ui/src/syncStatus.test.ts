import { describe, expect, it } from 'vitest';

import { lastSyncText, relativeTime } from './syncStatus.ts';

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
