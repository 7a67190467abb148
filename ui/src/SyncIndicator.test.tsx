import { render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';

import { SyncIndicator } from './SyncIndicator.tsx';
import type { SyncStatus } from './syncStatus.ts';

const NOW = new Date('2026-03-14T10:00:00Z');
const minutesAgo = (minutes: number) => new Date(NOW.getTime() - minutes * 60_000);

function indicator() {
  return screen.getByRole('status');
}

describe('SyncIndicator', () => {
  it.each<[string, string, SyncStatus]>([
    ['synced', 'Synced', { kind: 'synced', lastSyncAt: minutesAgo(2) }],
    ['syncing without progress', 'Syncing…', { kind: 'syncing' }],
    ['syncing with progress', 'Syncing… 3 of 10', { kind: 'syncing', done: 3, total: 10 }],
    ['offline with nothing queued', 'Offline', { kind: 'offline', queued: 0 }],
    ['offline with one change queued', 'Offline, 1 queued', { kind: 'offline', queued: 1 }],
    ['offline with changes queued', 'Offline, 3 queued', { kind: 'offline', queued: 3 }],
    ['one conflict', '1 conflict', { kind: 'conflicts', count: 1 }],
    ['several conflicts', '2 conflicts', { kind: 'conflicts', count: 2 }],
    ['error', 'Error: server refused the device', { kind: 'error', reason: 'server refused the device' }],
  ])('shows %s as "%s"', (_name, text, status) => {
    render(<SyncIndicator status={status} now={NOW} />);

    expect(indicator().querySelector('.sync-indicator__text')?.textContent).toBe(text);
  });

  it.each<[SyncStatus['kind'], SyncStatus]>([
    ['synced', { kind: 'synced', lastSyncAt: NOW }],
    ['syncing', { kind: 'syncing' }],
    ['offline', { kind: 'offline', queued: 2 }],
    ['conflicts', { kind: 'conflicts', count: 4 }],
    ['error', { kind: 'error', reason: 'disk full' }],
  ])('gives the %s state its own colour class', (kind, status) => {
    render(<SyncIndicator status={status} now={NOW} />);

    expect(indicator()).toHaveClass('sync-indicator', `sync-indicator--${kind}`);
  });

  it('shows how long ago the last sync was', () => {
    render(<SyncIndicator status={{ kind: 'synced', lastSyncAt: minutesAgo(2) }} now={NOW} />);

    expect(indicator()).toHaveTextContent('last sync 2 min ago');
  });

  it('shows the last sync while offline when there was one', () => {
    render(
      <SyncIndicator status={{ kind: 'offline', queued: 3, lastSyncAt: minutesAgo(90) }} now={NOW} />,
    );

    expect(indicator()).toHaveTextContent('Offline, 3 queued');
    expect(indicator()).toHaveTextContent('last sync 2 h ago');
  });

  it('names the status region after the full status for screen readers', () => {
    render(
      <SyncIndicator status={{ kind: 'offline', queued: 3, lastSyncAt: minutesAgo(5) }} now={NOW} />,
    );

    expect(screen.getByRole('status', { name: 'Sync status: Offline, 3 queued, last sync 5 min ago' })).toBeInTheDocument();
  });

  it('prefers the given title over the last sync time', () => {
    render(
      <SyncIndicator status={{ kind: 'offline', queued: 0 }} title="not connected to a server yet" now={NOW} />,
    );

    expect(screen.getByRole('status', { name: 'Sync status: Offline, not connected to a server yet' })).toBeInTheDocument();
    expect(screen.getByRole('button')).toHaveAttribute('title', 'not connected to a server yet');
  });

  it('calls onClick when the receptionist clicks it', async () => {
    const onClick = vi.fn();
    render(<SyncIndicator status={{ kind: 'conflicts', count: 2 }} onClick={onClick} now={NOW} />);

    await userEvent.click(screen.getByRole('button', { name: /2 conflicts/ }));

    expect(onClick).toHaveBeenCalledTimes(1);
  });

  it('can be pressed from the keyboard', async () => {
    const onClick = vi.fn();
    render(<SyncIndicator status={{ kind: 'offline', queued: 1 }} onClick={onClick} now={NOW} />);

    await userEvent.tab();
    expect(screen.getByRole('button')).toHaveFocus();
    await userEvent.keyboard('{Enter}');

    expect(onClick).toHaveBeenCalledTimes(1);
  });

  it('is a disabled button when there is nothing to do on click', () => {
    render(<SyncIndicator status={{ kind: 'offline', queued: 0 }} now={NOW} />);

    expect(screen.getByRole('button')).toBeDisabled();
  });
});
