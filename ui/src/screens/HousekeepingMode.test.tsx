import { screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it, vi } from 'vitest';

import * as api from '../api.ts';
import type { HousekeepingTask } from '../records.ts';
import { HOUSEKEEPER, renderInDesk, ROOMS } from '../test/fixtures.tsx';
import { HousekeepingMode, nextStep } from './HousekeepingMode.tsx';

vi.mock('../api.ts', async (importOriginal) => (await import('../test/apiMock.ts')).mockApi(await importOriginal()));

function task(overrides: Partial<HousekeepingTask>): HousekeepingTask {
  return {
    id: 't-1',
    property_id: 'prop',
    room_id: ROOMS[0]!.id,
    kind: 'checkout_clean',
    assignee_id: HOUSEKEEPER.id,
    priority: 1,
    status: 'pending',
    notes: [],
    ...overrides,
  };
}

beforeEach(() => {
  vi.mocked(api.myTasks).mockResolvedValue([
    task({}),
    task({ id: 't-2', room_id: ROOMS[1]!.id, kind: 'inspection' }),
  ]);
  vi.mocked(api.progressTask).mockImplementation((id, to) => Promise.resolve(task({ id, status: to })));
  vi.mocked(api.unassignedTasks).mockResolvedValue([]);
});

describe('HousekeepingMode', () => {
  it("shows the signed-in housekeeper's tasks", async () => {
    renderInDesk(<HousekeepingMode />, { user: HOUSEKEEPER });

    expect(screen.getByRole('heading', { name: 'My rooms · Rui Costa' })).toBeInTheDocument();
    expect(await screen.findByText('Room 101')).toBeInTheDocument();
    expect(screen.getByText('Room 102')).toBeInTheDocument();
  });

  it('marks a room clean with one tap', async () => {
    renderInDesk(<HousekeepingMode />, { user: HOUSEKEEPER });

    await userEvent.click(await screen.findByRole('button', { name: 'Mark clean: room 101' }));

    expect(api.progressTask).toHaveBeenCalledTimes(1);
    expect(api.progressTask).toHaveBeenCalledWith('t-1', 'done');
    expect(api.myTasks).toHaveBeenCalledTimes(2);
  });

  it('leaves the inspection to a manager', async () => {
    renderInDesk(<HousekeepingMode />, { user: HOUSEKEEPER });

    expect(await screen.findByText("Waiting for a manager's inspection")).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: /Mark inspected/ })).not.toBeInTheDocument();
  });

  it('lets a manager mark an inspection done and inspected with one tap', async () => {
    renderInDesk(<HousekeepingMode />, { user: { ...HOUSEKEEPER, role: 'manager' } });

    await userEvent.click(await screen.findByRole('button', { name: 'Mark inspected: room 102' }));

    expect(vi.mocked(api.progressTask).mock.calls).toEqual([
      ['t-2', 'done'],
      ['t-2', 'inspected'],
    ]);
  });

  it('gives every tap target the touch class (48px in the stylesheet)', async () => {
    renderInDesk(<HousekeepingMode />, { user: HOUSEKEEPER });

    const buttons = await screen.findAllByRole('button');
    expect(buttons.every((button) => button.classList.contains('touch'))).toBe(true);
  });

  it('reports a maintenance issue that takes the room out of order', async () => {
    vi.mocked(api.reportMaintenance).mockResolvedValue({} as never);
    renderInDesk(<HousekeepingMode />, { user: HOUSEKEEPER });

    await userEvent.click(await screen.findByRole('button', { name: 'Report an issue in room 101' }));
    await userEvent.click(screen.getByRole('button', { name: 'Send report' }));
    expect(screen.getByRole('alert')).toHaveTextContent('Describe the issue');

    await userEvent.type(screen.getByLabelText('What is wrong'), 'Shower leaks');
    await userEvent.click(screen.getByLabelText('Take the room out of order'));
    await userEvent.click(screen.getByRole('button', { name: 'Send report' }));

    expect(api.reportMaintenance).toHaveBeenCalledWith({
      room_id: ROOMS[0]!.id,
      description: 'Shower leaks',
      severity: 'medium',
      out_of_order: { until: null },
    });
  });

  it('disables the tap and says why when the policy blocks task updates', async () => {
    renderInDesk(<HousekeepingMode />, {
      user: HOUSEKEEPER,
      sync: {
        state: 'offline',
        pending: 0,
        failed: 0,
        held: 0,
        open_conflicts: 0,
        last_sync_at: null,
        reason: null,
        freshness: [],
        operations: [{ operation: 'progress_task', verdict: 'block', message: 'Housekeeping tasks last synced 3 hours ago' }],
      },
    });

    expect(await screen.findByRole('button', { name: 'Mark clean: room 101' })).toBeDisabled();
    expect(screen.getByText('Housekeeping tasks last synced 3 hours ago')).toBeInTheDocument();
  });
});

describe('nextStep', () => {
  it('has nothing left for an inspected task', () => {
    expect(nextStep(task({ status: 'inspected' }))).toBeUndefined();
  });

  it('takes a cleaned room to inspected, for one who may inspect', () => {
    expect(nextStep(task({ status: 'done' }))).toEqual({ label: 'Mark inspected', path: ['inspected'] });
    expect(nextStep(task({ status: 'done' }), false)).toBeUndefined();
  });
  it("makes today's tasks and lets a housekeeper take one nobody has taken", async () => {
    const open = task({ id: 't-9', room_id: ROOMS[3]!.id, kind: 'stayover', assignee_id: null, priority: 3 });
    vi.mocked(api.unassignedTasks).mockResolvedValueOnce([]).mockResolvedValue([open]);
    vi.mocked(api.makeHousekeepingDay).mockResolvedValue([open]);
    vi.mocked(api.takeTask).mockResolvedValue({ ...open, assignee_id: HOUSEKEEPER.id });
    renderInDesk(<HousekeepingMode />, { user: HOUSEKEEPER });

    await userEvent.click(await screen.findByRole('button', { name: "Make today's tasks" }));
    expect(await screen.findByText('1 task(s) made for today.')).toBeInTheDocument();
    await userEvent.click(await screen.findByRole('button', { name: 'Take room 306' }));

    expect(api.takeTask).toHaveBeenCalledWith('t-9');
  });
});
