import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it, vi } from 'vitest';

import * as api from '../api.ts';
import { CATALOG, renderInDesk, reservation, ROOMS } from '../test/fixtures.tsx';
import { TodayScreen } from './TodayScreen.tsx';

vi.mock('../api.ts', async (importOriginal) => (await import('../test/apiMock.ts')).mockApi(await importOriginal()));

const ARRIVING = reservation({ id: 'r-1', guest_name: 'Sarah Johnson', room_id: ROOMS[2]!.id });
const SECOND = reservation({ id: 'r-2', guest_name: 'Tom Berg', confirmation: 'H-2024-0043', room_id: ROOMS[3]!.id });
const LEAVING = reservation({ id: 'r-3', guest_name: 'Lea Weber', status: 'checked_in', arrival: '2026-03-12', departure: '2026-03-14' });

beforeEach(() => {
  vi.mocked(api.today).mockResolvedValue({ business_date: '2026-03-14', arrivals: [ARRIVING, SECOND], departures: [LEAVING], in_house: [LEAVING], in_house_total: 1 });
  vi.mocked(api.checkIn).mockResolvedValue({ ...ARRIVING, status: 'checked_in' });
  vi.mocked(api.checkOut).mockResolvedValue({ ...LEAVING, status: 'checked_out' });
  vi.mocked(api.roomsToClear).mockResolvedValue([]);
});

describe('TodayScreen', () => {
  it('lists arrivals, departures and in-house stays with their rooms', async () => {
    renderInDesk(<TodayScreen />);

    const arrivals = within(await screen.findByRole('region', { name: /Arrivals/ }));
    expect(await arrivals.findByRole('listitem', { name: /Sarah Johnson/ })).toHaveTextContent('Room 305');
    expect(within(screen.getByRole('region', { name: /Departures/ })).getByText('Lea Weber')).toBeInTheDocument();
    expect(within(screen.getByRole('region', { name: /In house/ })).getByText('Lea Weber')).toBeInTheDocument();
  });

  it('says on each arrival whether its room is ready', async () => {
    renderInDesk(<TodayScreen />, {
      catalog: { ...CATALOG, rooms: [ROOMS[0]!, ROOMS[1]!, ROOMS[2]!, { ...ROOMS[3]!, cleaning: 'dirty' }] },
    });

    const arrivals = within(await screen.findByRole('region', { name: /Arrivals/ }));
    expect(await arrivals.findByRole('listitem', { name: /Sarah Johnson/ })).toHaveTextContent('Room 305 · ready, clean');
    expect(arrivals.getByRole('listitem', { name: /Tom Berg/ })).toHaveTextContent('Room 306 · dirty');
  });

  it('asks the desk to move the stays of a room reported out of order', async () => {
    vi.mocked(api.roomsToClear).mockResolvedValue([
      {
        room_id: ROOMS[2]!.id,
        room_number: '305',
        report: {
          id: 'm-1',
          property_id: 'p',
          room_id: ROOMS[2]!.id,
          description: 'Broken window',
          severity: 'urgent',
          status: 'open',
          puts_out_of_order: true,
          reported_by: 'u-9',
          notes: [],
        },
        stays: [ARRIVING],
      },
    ]);
    renderInDesk(<TodayScreen />);

    const panel = within(await screen.findByRole('region', { name: 'Reported out of order, still booked' }));
    expect(panel.getByText(/Room 305: Broken window/)).toBeInTheDocument();
    expect(panel.getByRole('link', { name: /Sarah Johnson/ })).toHaveAttribute('href', '#/reservations/r-1');
  });

  it('checks in with the button', async () => {
    renderInDesk(<TodayScreen />);

    await userEvent.click(await screen.findByRole('button', { name: 'Check in Sarah Johnson' }));

    expect(api.checkIn).toHaveBeenCalledWith('r-1');
  });

  it('checks in the selected arrival with Enter, arrows moving the selection', async () => {
    renderInDesk(<TodayScreen />);
    const first = await screen.findByRole('listitem', { name: /Sarah Johnson/ });

    first.focus();
    await userEvent.keyboard('{ArrowDown}');
    expect(screen.getByRole('listitem', { name: /Tom Berg/ })).toHaveFocus();
    await userEvent.keyboard('{Enter}');

    expect(api.checkIn).toHaveBeenCalledWith('r-2');
  });

  it('shows why a check-out was refused', async () => {
    vi.mocked(api.checkOut).mockRejectedValue({
      code: 'rule_broken',
      message: 'Check-out needs a zero balance; the folio shows 70.00 EUR',
      breach: { rule: 'check_out_with_balance', balance: { EUR: 7000 } },
    });
    renderInDesk(<TodayScreen />);

    await userEvent.click(await screen.findByRole('button', { name: 'Check out Lea Weber' }));

    expect(await screen.findByRole('alert')).toHaveTextContent('Check-out needs a zero balance');
    expect(screen.getByText('Settle the folio, then check out again.')).toBeInTheDocument();
  });

  it('shows the count of all in-house stays and links to the rest when the list is cut', async () => {
    const shown = Array.from({ length: 3 }, (_, i) => reservation({ id: `h-${i}`, guest_name: `Guest ${i}`, status: 'checked_in' }));
    vi.mocked(api.today).mockResolvedValue({ business_date: '2026-03-14', arrivals: [], departures: [], in_house: shown, in_house_total: 9_985 });
    renderInDesk(<TodayScreen />);

    const inHouse = within(await screen.findByRole('region', { name: /In house/ }));
    expect(await inHouse.findAllByRole('listitem')).toHaveLength(3);
    expect(inHouse.getByRole('heading', { name: 'In house 9985' })).toBeInTheDocument();
    expect(inHouse.getByText(/The first 3 of 9985 by name/)).toBeInTheDocument();
    expect(inHouse.getByRole('link', { name: 'All 9985' })).toHaveAttribute('href', '#/reservations?status=checked_in');
  });

  it('says nothing more when every in-house stay is listed', async () => {
    renderInDesk(<TodayScreen />);

    const inHouse = within(await screen.findByRole('region', { name: /In house/ }));
    expect(await inHouse.findByText('Lea Weber')).toBeInTheDocument();
    expect(inHouse.queryByText(/The first/)).not.toBeInTheDocument();
  });

  it('opens a walk-in', async () => {
    renderInDesk(<TodayScreen />);

    await userEvent.click(screen.getByRole('button', { name: 'Walk-in' }));

    expect(window.location.hash).toBe('#/reservations/walk-in');
  });
});
