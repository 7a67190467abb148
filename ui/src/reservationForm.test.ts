import { describe, expect, it } from 'vitest';

import { requestList, validateReservation, type ReservationFormValues } from './reservationForm.ts';

const VALID: ReservationFormValues = {
  first_name: 'Sarah',
  last_name: 'Johnson',
  room_type_id: 'dbl',
  arrival: '2026-03-14',
  departure: '2026-03-16',
  adults: '2',
  children: '0',
  rate_code: 'BAR',
  source: 'phone',
  special_requests: '',
};

describe('validateReservation', () => {
  it('accepts a complete reservation', () => {
    expect(validateReservation(VALID)).toEqual({});
  });

  it('accepts a back-to-back single night', () => {
    expect(validateReservation({ ...VALID, arrival: '2026-03-31', departure: '2026-04-01' })).toEqual({});
  });

  it.each<[Partial<ReservationFormValues>, keyof ReservationFormValues, string]>([
    [{ first_name: '  ' }, 'first_name', "Enter the guest's first name"],
    [{ last_name: '' }, 'last_name', "Enter the guest's last name"],
    [{ departure: '2026-03-14' }, 'departure', 'Departure must be after arrival'],
    [{ departure: '2026-03-10' }, 'departure', 'Departure must be after arrival'],
    [{ arrival: '2026-02-30' }, 'arrival', 'Enter the arrival date'],
    [{ adults: '0' }, 'adults', 'Adults must be from 1 to 20'],
    [{ adults: '21' }, 'adults', 'Adults must be from 1 to 20'],
    [{ adults: '1.5' }, 'adults', 'Adults must be from 1 to 20'],
    [{ children: '-1' }, 'children', 'Children must be from 0 to 20'],
    [{ rate_code: '' }, 'rate_code', 'Enter a rate code'],
    [{ room_type_id: '' }, 'room_type_id', 'Choose a room type'],
    [{ first_name: 'x'.repeat(101) }, 'first_name', 'At most 100 characters'],
  ])('%o is refused on %s: "%s"', (change, field, message) => {
    expect(validateReservation({ ...VALID, ...change })).toEqual({ [field]: message });
  });

  it('accepts the bounds of adults and children', () => {
    expect(validateReservation({ ...VALID, adults: '1', children: '20' })).toEqual({});
    expect(validateReservation({ ...VALID, adults: '20' })).toEqual({});
  });
});

describe('requestList', () => {
  it('keeps one request per non-empty line, without repeats', () => {
    expect(requestList(' crib \n\nquiet room\ncrib')).toEqual(['crib', 'quiet room']);
  });
});
