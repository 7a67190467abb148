import { screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it, vi } from 'vitest';

import * as api from '../api.ts';
import { CATALOG, guest, IDLE, renderInDesk, reservation, ROOMS } from '../test/fixtures.tsx';
import { ReservationForm, reservationEdit } from './ReservationScreen.tsx';

vi.mock('../api.ts', async (importOriginal) => (await import('../test/apiMock.ts')).mockApi(await importOriginal()));

beforeEach(() => {
  vi.mocked(api.freeRooms).mockResolvedValue([{ room_id: ROOMS[2]!.id, number: '305' }]);
});

function field(name: string) {
  return screen.getByLabelText(name);
}

async function typeInto(name: string, text: string) {
  await userEvent.clear(field(name));
  if (text !== '') {
    await userEvent.type(field(name), text);
  }
}

async function submit(name = 'Create reservation') {
  await userEvent.click(screen.getByRole('button', { name }));
}

/** The message shown beside a field, tied to it by aria-describedby. */
function messageBeside(name: string): string | null {
  const control = field(name);
  const ids = control.getAttribute('aria-describedby')?.split(' ') ?? [];
  const message = ids.map((id) => document.getElementById(id)).find((el) => el?.classList.contains('field__error'));
  return message?.textContent ?? null;
}

describe('ReservationForm validation', () => {
  it('asks for the names beside the name fields and saves nothing', async () => {
    renderInDesk(<ReservationForm reservation={undefined} walkIn={false} />);

    await submit();

    expect(messageBeside('First name')).toBe("Enter the guest's first name");
    expect(messageBeside('Last name')).toBe("Enter the guest's last name");
    expect(field('First name')).toHaveAttribute('aria-invalid', 'true');
    expect(api.createGuest).not.toHaveBeenCalled();
    expect(api.createReservation).not.toHaveBeenCalled();
  });

  it('says departure must be after arrival, beside the departure', async () => {
    renderInDesk(<ReservationForm reservation={undefined} walkIn={false} />);
    await typeInto('First name', 'Sarah');
    await typeInto('Last name', 'Johnson');
    await typeInto('Arrival', '2026-03-20');
    await typeInto('Departure', '2026-03-20');

    await submit();

    expect(messageBeside('Departure')).toBe('Departure must be after arrival');
    expect(messageBeside('Arrival')).toBeNull();
  });

  it.each([
    ['0', 'Adults must be from 1 to 20'],
    ['21', 'Adults must be from 1 to 20'],
    ['two', 'Adults must be from 1 to 20'],
  ])('refuses %s adults', async (adults, message) => {
    renderInDesk(<ReservationForm reservation={undefined} walkIn={false} />);
    await typeInto('Adults', adults);

    await submit();

    expect(messageBeside('Adults')).toBe(message);
  });

  it('clears a message once the field is corrected', async () => {
    renderInDesk(<ReservationForm reservation={undefined} walkIn={false} />);
    await submit();
    expect(messageBeside('First name')).not.toBeNull();

    await typeInto('First name', 'Sarah');

    expect(messageBeside('First name')).toBeNull();
  });

  it('creates the guest, then the reservation with the room picked among the free ones', async () => {
    vi.mocked(api.createGuest).mockResolvedValue(guest({ id: 'g-9' }));
    vi.mocked(api.createReservation).mockResolvedValue(reservation({ id: 'r-9', confirmation: 'T-K7Q-0001' }));
    renderInDesk(<ReservationForm reservation={undefined} walkIn={false} />);
    await typeInto('First name', 'Sarah');
    await typeInto('Last name', 'Johnson');
    await typeInto('Departure', '2026-03-17');
    await userEvent.selectOptions(field('Room'), await screen.findByRole('option', { name: /^305 · / }));

    await submit();

    expect(api.freeRooms).toHaveBeenLastCalledWith({ roomTypeId: ROOMS[2]!.room_type_id, arrival: '2026-03-14', departure: '2026-03-17', moving: null });
    expect(api.createGuest).toHaveBeenCalledWith(expect.objectContaining({ first_name: 'Sarah', last_name: 'Johnson' }));
    expect(api.createReservation).toHaveBeenCalledWith(
      expect.objectContaining({
        guest_id: 'g-9',
        guest_name: 'Sarah Johnson',
        room_id: ROOMS[2]!.id,
        arrival: '2026-03-14',
        departure: '2026-03-17',
        adults: 1,
        children: 0,
        confirmed: true,
      }),
    );
  });

  it('shows an error the Rust side names by field beside that field', async () => {
    vi.mocked(api.updateReservation).mockRejectedValue({
      code: 'invalid_input',
      field: 'departure',
      message: 'The stay is longer than the property allows',
    });
    renderInDesk(<ReservationForm reservation={reservation()} walkIn={false} />);
    await typeInto('Departure', '2027-03-16');

    await submit('Save changes');

    expect(await screen.findByText('The stay is longer than the property allows')).toBeInTheDocument();
    expect(messageBeside('Departure')).toBe('The stay is longer than the property allows');
    expect(api.updateReservation).toHaveBeenCalledWith('r-42', { departure: '2027-03-16' });
  });

  it('sends only the fields the receptionist changed', () => {
    const stay = reservation({ special_requests: ['crib'] });
    const values = {
      first_name: 'Sarah',
      last_name: 'Johnson',
      room_type_id: stay.room_type_id,
      arrival: stay.arrival,
      departure: stay.departure,
      adults: '3',
      children: '0',
      rate_code: 'BAR',
      source: 'phone',
      special_requests: 'late check-in',
    };

    expect(reservationEdit(stay, values)).toEqual({ adults: 3, add_requests: ['late check-in'], remove_requests: ['crib'] });
  });

  it('sends a walk-in as one step, and a refused one leaves nothing to retry but the same form', async () => {
    vi.mocked(api.createGuest).mockResolvedValue(guest({ id: 'g-9' }));
    vi.mocked(api.checkInWalkIn)
      .mockRejectedValueOnce({ code: 'rule_broken', message: 'Check-in not allowed: room 305 is not clean' })
      .mockResolvedValueOnce(reservation({ id: 'r-9', status: 'checked_in' }));
    renderInDesk(<ReservationForm reservation={undefined} walkIn />);
    await typeInto('First name', 'Walk');
    await typeInto('Last name', 'In');
    await userEvent.selectOptions(field('Room'), await screen.findByRole('option', { name: /^305 · / }));

    await submit('Create and check in');
    expect(await screen.findByText('Check-in not allowed: room 305 is not clean')).toBeInTheDocument();
    await submit('Create and check in');

    expect(api.createReservation).not.toHaveBeenCalled();
    expect(api.checkIn).not.toHaveBeenCalled();
    expect(api.createGuest).toHaveBeenCalledTimes(1);
    expect(api.checkInWalkIn).toHaveBeenCalledTimes(2);
    expect(vi.mocked(api.checkInWalkIn).mock.calls[1]![0]).toMatchObject({ guest_id: 'g-9', room_id: ROOMS[2]!.id });
    expect(window.location.hash).toBe('#/today');
  });

  it('shows beside each free room whether a guest can go in now', async () => {
    vi.mocked(api.freeRooms).mockResolvedValue([
      { room_id: ROOMS[2]!.id, number: '305' },
      { room_id: ROOMS[3]!.id, number: '306' },
    ]);
    renderInDesk(<ReservationForm reservation={undefined} walkIn />, {
      catalog: { ...CATALOG, rooms: [ROOMS[0]!, ROOMS[1]!, ROOMS[2]!, { ...ROOMS[3]!, cleaning: 'dirty' }] },
    });

    expect(await screen.findByRole('option', { name: '305 · ready, clean' })).toBeInTheDocument();
    expect(screen.getByRole('option', { name: '306 · dirty' })).toBeInTheDocument();
  });

  it('asks for a room for a walk-in', async () => {
    renderInDesk(<ReservationForm reservation={undefined} walkIn />);
    await typeInto('First name', 'Walk');
    await typeInto('Last name', 'In');

    await submit('Create and check in');

    expect(messageBeside('Room')).toBe('A walk-in needs a room');
    expect(api.createReservation).not.toHaveBeenCalled();
  });

  it('shows a read-only stay without a save button', () => {
    renderInDesk(<ReservationForm reservation={reservation({ status: 'checked_out' })} walkIn={false} />);

    expect(screen.getByText(/checked out and can no longer be changed/)).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Save changes' })).not.toBeInTheDocument();
  });

  it('undoes a check-in made by mistake on the arrival day, and reinstates a check-out', async () => {
    vi.mocked(api.undoCheckIn).mockResolvedValue(reservation({ status: 'confirmed' }));
    vi.mocked(api.reinstateCheckOut).mockResolvedValue(reservation({ status: 'checked_in' }));
    const { unmount } = renderInDesk(<ReservationForm reservation={reservation({ status: 'checked_in' })} walkIn={false} />);
    await userEvent.click(screen.getByRole('button', { name: 'Undo check-in' }));
    expect(api.undoCheckIn).toHaveBeenCalledWith('r-42');
    unmount();

    renderInDesk(<ReservationForm reservation={reservation({ status: 'checked_out' })} walkIn={false} />);
    await userEvent.click(screen.getByRole('button', { name: 'Reinstate check-out' }));
    expect(api.reinstateCheckOut).toHaveBeenCalledWith('r-42');
  });

  it('offers no undo once the arrival day is past', () => {
    renderInDesk(<ReservationForm reservation={reservation({ status: 'checked_in', arrival: '2026-03-13' })} walkIn={false} />);
    expect(screen.queryByRole('button', { name: 'Undo check-in' })).not.toBeInTheDocument();
  });

  it('disables check-in and says why when the stale-data policy blocks it', () => {
    renderInDesk(<ReservationForm reservation={reservation()} walkIn={false} />, {
      sync: {
        ...IDLE,
        state: 'offline',
        freshness: [{ entity: 'room', freshness: 'critical', age_secs: 4000 }],
        operations: [{ operation: 'check_in', verdict: 'block', message: 'Room status last synced 66 minutes ago' }],
      },
    });

    expect(screen.getByRole('button', { name: 'Check in' })).toBeDisabled();
    expect(screen.getByText('Room status last synced 66 minutes ago')).toBeInTheDocument();
  });
});
