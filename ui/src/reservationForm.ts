// The reservation form's checks, mirroring sync-core's validation (schema.rs bounds and
// validate.rs record rules) so the receptionist sees a mistake before saving. The Rust side
// checks again; its `field` errors land beside the same fields.

import { isIsoDate } from './dates.ts';

/** What the form holds, as typed. */
export interface ReservationFormValues {
  first_name: string;
  last_name: string;
  room_type_id: string;
  arrival: string;
  departure: string;
  adults: string;
  children: string;
  rate_code: string;
  source: string;
  special_requests: string;
}

export type ReservationFormErrors = Partial<Record<keyof ReservationFormValues, string>>;

function count(text: string): number | undefined {
  return /^\d+$/.test(text.trim()) ? Number(text.trim()) : undefined;
}

/** Every problem of the form, by field; empty when it may be saved. */
export function validateReservation(values: ReservationFormValues): ReservationFormErrors {
  const errors: ReservationFormErrors = {};
  if (values.first_name.trim() === '') {
    errors.first_name = "Enter the guest's first name";
  } else if (values.first_name.trim().length > 100) {
    errors.first_name = 'At most 100 characters';
  }
  if (values.last_name.trim() === '') {
    errors.last_name = "Enter the guest's last name";
  } else if (values.last_name.trim().length > 100) {
    errors.last_name = 'At most 100 characters';
  }
  if (values.room_type_id === '') {
    errors.room_type_id = 'Choose a room type';
  }
  const arrivalOk = isIsoDate(values.arrival);
  const departureOk = isIsoDate(values.departure);
  if (!arrivalOk) {
    errors.arrival = 'Enter the arrival date';
  }
  if (!departureOk) {
    errors.departure = 'Enter the departure date';
  } else if (arrivalOk && values.departure <= values.arrival) {
    errors.departure = 'Departure must be after arrival';
  }
  const adults = count(values.adults);
  if (adults === undefined || adults < 1 || adults > 20) {
    errors.adults = 'Adults must be from 1 to 20';
  }
  const children = count(values.children);
  if (children === undefined || children > 20) {
    errors.children = 'Children must be from 0 to 20';
  }
  if (values.rate_code.trim() === '') {
    errors.rate_code = 'Enter a rate code';
  } else if (values.rate_code.trim().length > 32) {
    errors.rate_code = 'At most 32 characters';
  }
  if (values.source.trim().length > 64) {
    errors.source = 'At most 64 characters';
  }
  return errors;
}

/** Special requests typed one per line, trimmed and without repeats. */
export function requestList(text: string): string[] {
  return [...new Set(text.split('\n').map((line) => line.trim()).filter((line) => line !== ''))];
}
