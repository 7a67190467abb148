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

describe('barSpan', () => {
  it('places a stay on the chart by its nights, clipped to the chart', () => {
    expect(barSpan({ arrival: '2026-03-14', departure: '2026-03-16' }, '2026-03-13', 14)).toEqual({ start: 1, span: 2 });
    expect(barSpan({ arrival: '2026-03-10', departure: '2026-03-15' }, '2026-03-13', 14)).toEqual({ start: 0, span: 2 });
    expect(barSpan({ arrival: '2026-03-26', departure: '2026-04-02' }, '2026-03-13', 14)).toEqual({ start: 13, span: 1 });
    expect(barSpan({ arrival: '2026-03-01', departure: '2026-03-13' }, '2026-03-13', 14)).toBeUndefined();
  });
});
