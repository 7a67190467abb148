import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';

import * as api from '../api.ts';
import { renderInDesk, reservation, room } from '../test/fixtures.tsx';
import { RoomBoard } from './RoomBoard.tsx';
import { barSpan } from './TapeChartScreen.tsx';

vi.mock('../api.ts', async (importOriginal) => (await import('../test/apiMock.ts')).mockApi(await importOriginal()));

describe('RoomBoard', () => {
  it("shows each room's cleaning, occupancy and availability as text and colour class", async () => {
    vi.mocked(api.roomBoard).mockResolvedValue([
      { room: room('101', { cleaning: 'dirty', occupancy: 'occupied' }), in_house: reservation({ guest_name: 'Lea Weber' }), mismatch: false },
      { room: room('102', { availability: 'out_of_order', blocked_reason: 'Leaking pipe' }), in_house: null, mismatch: true },
    ]);
    renderInDesk(<RoomBoard />);

    const cards = await screen.findAllByRole('listitem');
    expect(cards[0]).toHaveClass('room-card--dirty');
    expect(within(cards[0]!).getByText('dirty', { selector: '.badge' })).toHaveClass('badge--dirty');
    expect(cards[0]).toHaveTextContent('occupied');
    expect(cards[0]).toHaveTextContent('Lea Weber');
    expect(cards[1]).toHaveTextContent('out of order');
    expect(cards[1]).toHaveTextContent('Leaking pipe');
    expect(cards[1]).toHaveTextContent('Desk and housekeeping disagree');
  });

  it('changes a room status', async () => {
    const r = room('101', { cleaning: 'dirty' });
    vi.mocked(api.roomBoard).mockResolvedValue([{ room: r, in_house: null, mismatch: false }]);
    vi.mocked(api.setRoomStatus).mockResolvedValue({ ...r, cleaning: 'clean' });
    renderInDesk(<RoomBoard />);

    await userEvent.selectOptions(await screen.findByLabelText('Cleaning status of room 101'), 'clean');

    expect(api.setRoomStatus).toHaveBeenCalledWith(r.id, 'clean');
  });
});

describe('RoomBoard blocks', () => {
  it('blocks a room with a reason, and makes a blocked room available again', async () => {
    const free = room('101');
    const broken = room('102', { availability: 'out_of_order', blocked_reason: 'Leaking pipe' });
    vi.mocked(api.roomBoard).mockResolvedValue([
      { room: free, in_house: null, mismatch: false },
      { room: broken, in_house: null, mismatch: false },
    ]);
    vi.mocked(api.setRoomAvailability).mockResolvedValue(free);
    renderInDesk(<RoomBoard />);

    await userEvent.click(await screen.findByRole('button', { name: 'Block room 101' }));
    const form = screen.getByRole('form', { name: 'Block room 101' });
    await userEvent.click(within(form).getByRole('button', { name: 'Block' }));
    expect(within(form).getByRole('alert')).toHaveTextContent('Say why the room is blocked');
    expect(api.setRoomAvailability).not.toHaveBeenCalled();

    await userEvent.selectOptions(within(form).getByLabelText('Block as'), 'out_of_service');
    await userEvent.type(within(form).getByLabelText('Until (optional)'), '2026-03-16');
    await userEvent.type(within(form).getByLabelText('Reason'), 'Repainting');
    await userEvent.click(within(form).getByRole('button', { name: 'Block' }));
    expect(api.setRoomAvailability).toHaveBeenCalledWith(free.id, {
      availability: 'out_of_service',
      from: '2026-03-14',
      until: '2026-03-16',
      reason: 'Repainting',
    });

    await userEvent.click(screen.getByRole('button', { name: 'Make room 102 available' }));
    expect(api.setRoomAvailability).toHaveBeenLastCalledWith(broken.id, { availability: 'available', from: null, until: null, reason: null });
  });
});

describe('barSpan', () => {
  it('places a stay on the chart by its nights, clipped to the chart', () => {
    expect(barSpan({ arrival: '2026-03-14', departure: '2026-03-16' }, '2026-03-13', 14)).toEqual({ start: 1, span: 2 });
    expect(barSpan({ arrival: '2026-03-10', departure: '2026-03-15' }, '2026-03-13', 14)).toEqual({ start: 0, span: 2 });
    expect(barSpan({ arrival: '2026-03-26', departure: '2026-04-02' }, '2026-03-13', 14)).toEqual({ start: 13, span: 1 });
    expect(barSpan({ arrival: '2026-03-01', departure: '2026-03-13' }, '2026-03-13', 14)).toBeUndefined();
  });
});
