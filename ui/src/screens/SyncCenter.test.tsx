import { act, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it, vi } from 'vitest';

import * as api from '../api.ts';
import { conflictView, IDLE, renderInDesk, ROOMS } from '../test/fixtures.tsx';
import { SyncCenter } from './SyncCenter.tsx';

vi.mock('../api.ts', async (importOriginal) => (await import('../test/apiMock.ts')).mockApi(await importOriginal()));

const FAILED: api.OutboxEntry = {
  seq: 7,
  mutation_id: 'm-7',
  entity: 'reservation',
  record_id: 'r-42',
  state: 'failed',
  attempts: 3,
  last_error: 'reservation.adults must be a whole number from 1 to 20',
  created_at_ms: Date.now() - 120_000,
  summary: 'Change of H-2024-0042, Sarah Johnson',
};
const PENDING: api.OutboxEntry = { ...FAILED, seq: 8, mutation_id: 'm-8', state: 'pending', attempts: 0, last_error: null, summary: 'Check-in of H-2024-0050' };

beforeEach(() => {
  vi.mocked(api.outbox).mockResolvedValue({ counts: { pending: 1, failed: 1, held: 0 }, entries: [FAILED, PENDING] });
  vi.mocked(api.conflicts).mockResolvedValue([conflictView({}, { source: 'email', room_id: ROOMS[2]!.id })]);
  vi.mocked(api.syncMetrics).mockResolvedValue({
    rounds: 12,
    failed_rounds: 2,
    pushed: 340,
    pulled: 1200,
    conflicts_raised: 3,
    conflicts_resolved: 2,
    last_round_ms: 850,
    last_sync_at: IDLE.last_sync_at,
    oldest_pending_secs: 30,
  });
  vi.mocked(api.retryMutation).mockResolvedValue(undefined);
  vi.mocked(api.resolveConflict).mockResolvedValue(undefined);
  vi.mocked(api.supersededEdits).mockResolvedValue([]);
  vi.mocked(api.markSupersededSeen).mockResolvedValue(0);
});

describe('SyncCenter', () => {
  it("lists the queue with the server's message and retries a failed change", async () => {
    renderInDesk(<SyncCenter openConflicts={false} />);

    const row = await screen.findByRole('row', { name: /Change of H-2024-0042/ });
    expect(row).toHaveTextContent('reservation.adults must be a whole number from 1 to 20');
    expect(within(screen.getByRole('row', { name: /Check-in of H-2024-0050/ })).queryByRole('button', { name: /Retry/ })).toBeNull();

    await userEvent.click(within(row).getByRole('button', { name: /Retry/ }));

    expect(api.retryMutation).toHaveBeenCalledWith('m-7');
  });

  it('shows the metrics and the last sync', async () => {
    renderInDesk(<SyncCenter openConflicts={false} />);

    expect(await screen.findByText('340 / 1200')).toBeInTheDocument();
    expect(screen.getByText('850 ms')).toBeInTheDocument();
    expect(screen.getByText('1 pending · 1 failed · 0 held')).toBeInTheDocument();
  });

  it('opens the conflict dialog from the list and resolves', async () => {
    renderInDesk(<SyncCenter openConflicts={false} />);

    await userEvent.click(await screen.findByRole('button', { name: 'Resolve…' }));
    const dialog = screen.getByRole('dialog', { name: 'Reservation H-2024-0042, Sarah Johnson' });
    expect(within(dialog).getByText('Room 305')).toBeInTheDocument();
    await userEvent.click(within(dialog).getByRole('radio', { name: "Use the server's" }));
    await userEvent.click(within(dialog).getByRole('button', { name: /^Apply/ }));

    expect(api.resolveConflict).toHaveBeenCalledWith('c-1', { choice: 'keep_server' });
    expect(screen.queryByRole('dialog')).not.toBeInTheDocument();
  });

  it('goes straight to the first conflict when opened from the indicator', async () => {
    renderInDesk(<SyncCenter openConflicts />);

    expect(await screen.findByRole('dialog', { name: 'Reservation H-2024-0042, Sarah Johnson' })).toBeInTheDocument();
  });

  it('shows a progress bar during a long sync', async () => {
    let progress: ((p: api.SyncProgress) => void) | undefined;
    vi.mocked(api.onSyncProgress).mockImplementation((handler) => {
      progress = handler;
      return Promise.resolve(() => undefined);
    });
    renderInDesk(<SyncCenter openConflicts={false} />);
    await screen.findByText('340 / 1200');

    act(() => progress?.({ phase: 'pull', done: 2000, total: 8000 }));

    expect(screen.getByRole('progressbar', { name: 'Receiving changes: 2000 of 8000' })).toHaveAttribute('max', '8000');
  });
  it('lists the edits of this user that another desk replaced, and marks them seen', async () => {
    vi.mocked(api.supersededEdits).mockResolvedValue([
      {
        id: 4,
        entity: 'reservation',
        record_id: 'r-42',
        field: 'adults',
        value: 3,
        kept: 1,
        policy: 'last_writer_wins',
        made_at_ms: Date.now() - 60_000,
        seen: false,
        title: 'Reservation H-2024-0042, Sarah Johnson',
      },
    ]);
    renderInDesk(<SyncCenter openConflicts={false} />);

    const panel = within(await screen.findByRole('region', { name: /Your edits replaced by other desks \(1\)/ }));
    expect(panel.getByRole('link', { name: 'Reservation H-2024-0042, Sarah Johnson' })).toHaveAttribute('href', '#/history/reservation/r-42');
    expect(panel.getByText('Adults: 3 was replaced by 1 (a later edit from another desk came first)')).toBeInTheDocument();
    await vi.waitFor(() => expect(api.markSupersededSeen).toHaveBeenCalledTimes(1));
  });
});
