import { useEffect, useState, type FormEvent } from 'react';

import {
  assignRoom,
  cancelReservation,
  checkIn,
  createGuest,
  checkInWalkIn,
  createReservation,
  getReservation,
  markNoShow,
  reinstateCheckOut,
  undoCheckIn,
  updateReservation,
  type AppError,
  type ReservationEdit,
} from '../api.ts';
import { ErrorNotice } from '../components/ErrorNotice.tsx';
import { Field } from '../components/Field.tsx';
import { RoomPicker } from '../components/RoomPicker.tsx';
import { StatusBadge } from '../components/StatusBadge.tsx';
import { addDays } from '../dates.ts';
import { useAction, useDesk, useLoad, useRoomLookup, useVerdict } from '../desk.tsx';
import type { Reservation } from '../records.ts';
import {
  requestList,
  validateReservation,
  type ReservationFormErrors,
  type ReservationFormValues,
} from '../reservationForm.ts';
import { navigate } from '../routes.ts';

/** Which form field a Rust error names (`guest_name` is the two name fields). */
function formFieldOf(error: AppError | undefined): keyof ReservationFormValues | undefined {
  const field = error?.field;
  if (field === undefined) {
    return undefined;
  }
  if (field === 'guest_name' || field === 'guest_id') {
    return 'last_name';
  }
  const known: (keyof ReservationFormValues)[] = [
    'first_name',
    'last_name',
    'room_type_id',
    'arrival',
    'departure',
    'adults',
    'children',
    'rate_code',
    'source',
    'special_requests',
  ];
  return known.find((name) => name === field);
}

function valuesOf(reservation: Reservation): ReservationFormValues {
  const [first = '', ...rest] = reservation.guest_name.split(' ');
  return {
    first_name: first,
    last_name: rest.join(' '),
    room_type_id: reservation.room_type_id,
    arrival: reservation.arrival,
    departure: reservation.departure,
    adults: String(reservation.adults),
    children: String(reservation.children),
    rate_code: reservation.rate_code,
    source: reservation.source,
    special_requests: reservation.special_requests.join('\n'),
  };
}

/** Only what the receptionist changed, so an edit never contends for fields it did not touch. */
export function reservationEdit(reservation: Reservation, values: ReservationFormValues): ReservationEdit {
  const edit: ReservationEdit = {};
  const guestName = `${values.first_name.trim()} ${values.last_name.trim()}`;
  if (guestName !== reservation.guest_name) edit.guest_name = guestName;
  if (values.room_type_id !== reservation.room_type_id) edit.room_type_id = values.room_type_id;
  if (values.arrival !== reservation.arrival) edit.arrival = values.arrival;
  if (values.departure !== reservation.departure) edit.departure = values.departure;
  if (Number(values.adults) !== reservation.adults) edit.adults = Number(values.adults);
  if (Number(values.children) !== reservation.children) edit.children = Number(values.children);
  if (values.rate_code.trim() !== reservation.rate_code) edit.rate_code = values.rate_code.trim();
  if (values.source.trim() !== reservation.source) edit.source = values.source.trim();
  const requests = requestList(values.special_requests);
  const added = requests.filter((r) => !reservation.special_requests.includes(r));
  const removed = reservation.special_requests.filter((r) => !requests.includes(r));
  if (added.length > 0) edit.add_requests = added;
  if (removed.length > 0) edit.remove_requests = removed;
  return edit;
}

export interface ReservationScreenProps {
  /** The reservation to edit; none to create one. */
  id: string | null;
  /** Create and check in at once: a guest at the desk without a booking. */
  walkIn: boolean;
}

/** A reservation's form and its actions, or a new reservation (or walk-in). */
export function ReservationScreen({ id, walkIn }: ReservationScreenProps) {
  const existing = useLoad(() => (id === null ? Promise.resolve(undefined) : getReservation(id)), [id], ['reservation']);
  if (id !== null && existing.data === undefined) {
    return (
      <section className="screen">
        <h1>Reservation</h1>
        {existing.error !== undefined ? <ErrorNotice error={existing.error} /> : <p>Loading…</p>}
      </section>
    );
  }
  return <ReservationForm key={existing.data?.id ?? 'new'} reservation={existing.data} walkIn={walkIn} />;
}

export interface ReservationFormProps {
  reservation: Reservation | undefined;
  walkIn: boolean;
}

/** Create or edit form with each validation message beside its field. */
export function ReservationForm({ reservation, walkIn }: ReservationFormProps) {
  const { catalog } = useDesk();
  const roomOf = useRoomLookup();
  const today = catalog.business_date;
  const [values, setValues] = useState<ReservationFormValues>(() =>
    reservation !== undefined
      ? valuesOf(reservation)
      : {
          first_name: '',
          last_name: '',
          room_type_id: catalog.room_types[0]?.id ?? '',
          arrival: today,
          departure: addDays(today, 1),
          adults: '1',
          children: '0',
          rate_code: 'BAR',
          source: walkIn ? 'walk_in' : 'front_desk',
          special_requests: '',
        },
  );
  const [roomId, setRoomId] = useState(reservation?.room_id ?? '');
  const [errors, setErrors] = useState<ReservationFormErrors>({});
  const [submitted, setSubmitted] = useState(false);
  const [guestId, setGuestId] = useState<string | undefined>(reservation?.guest_id);
  const [created, setCreated] = useState<Reservation | undefined>(undefined);
  const [cancelReason, setCancelReason] = useState<string | undefined>(undefined);
  const [saved, setSaved] = useState<string | undefined>(undefined);
  const save = useAction();
  const act = useAction();
  const checkInVerdict = useVerdict('check_in');
  const assignVerdict = useVerdict('assign_room');
  const createVerdict = useVerdict('create_reservation');

  const readOnly = reservation !== undefined && ['checked_out', 'cancelled', 'no_show'].includes(reservation.status);
  const serverField = formFieldOf(save.error);
  const shownErrors: ReservationFormErrors =
    serverField !== undefined && save.error !== undefined ? { ...errors, [serverField]: save.error.message } : errors;

  useEffect(() => {
    if (submitted) {
      setErrors(validateReservation(values));
    }
  }, [submitted, values]);

  const set = (field: keyof ReservationFormValues) => (value: string) => {
    setValues((old) => ({ ...old, [field]: value }));
    save.clear();
  };

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setSubmitted(true);
    const found = validateReservation(values);
    setErrors(found);
    if (Object.keys(found).length > 0) {
      return;
    }
    if (walkIn && roomId === '') {
      setErrors({ ...found });
      return;
    }
    const guestName = `${values.first_name.trim()} ${values.last_name.trim()}`;
    const done = await save.run(async () => {
      if (reservation === undefined && created !== undefined) {
        return created;
      }
      if (reservation === undefined) {
        let guest = guestId;
        if (guest === undefined) {
          const created = await createGuest({
            first_name: values.first_name.trim(),
            last_name: values.last_name.trim(),
            email: null,
            phone: null,
            loyalty_number: null,
            loyalty_tier: null,
            preferences: [],
            tags: [],
            note: null,
          });
          guest = created.id;
          setGuestId(guest);
        }
        const input = {
          guest_id: guest,
          guest_name: guestName,
          room_type_id: values.room_type_id,
          room_id: roomId === '' ? null : roomId,
          arrival: values.arrival,
          departure: values.departure,
          adults: Number(values.adults),
          children: Number(values.children),
          rate_code: values.rate_code.trim(),
          source: values.source.trim(),
          special_requests: requestList(values.special_requests),
          note: null,
          confirmed: true,
        };
        if (walkIn) {
          // Created and checked in at once, or nothing is written: a refused walk-in
          // leaves no stray booking, and the form can be sent again as it is.
          return checkInWalkIn(input);
        }
        const created = await createReservation(input);
        setCreated(created);
        return created;
      }
      const edit = reservationEdit(reservation, values);
      const updated = Object.keys(edit).length > 0 ? await updateReservation(reservation.id, edit) : reservation;
      if ((updated.room_id ?? '') !== roomId) {
        return assignRoom(reservation.id, roomId === '' ? null : roomId);
      }
      return updated;
    });
    if (done !== undefined) {
      setSaved(`Saved ${done.confirmation}`);
      if (walkIn) {
        navigate({ screen: 'today' });
      } else if (reservation === undefined) {
        navigate({ screen: 'reservation', id: done.id, walkIn: false });
      }
    }
  };

  const title = reservation === undefined ? (walkIn ? 'Walk-in' : 'New reservation') : `Reservation ${reservation.confirmation}`;
  const canCheckIn = reservation?.status === 'confirmed' && reservation.arrival <= today;
  const checkInBlocked = checkInVerdict?.verdict === 'block';

  return (
    <section className="screen" aria-labelledby="reservation-title">
      <div className="screen__title-row">
        <h1 id="reservation-title">{title}</h1>
        {reservation !== undefined && <StatusBadge status={reservation.status} />}
      </div>
      {reservation?.provisional_confirmation !== undefined && (
        <p className="muted">Booked offline as {reservation.provisional_confirmation}; still found by that number.</p>
      )}
      {readOnly && <p className="notice">This stay is {reservation?.status.replaceAll('_', ' ')} and can no longer be changed.</p>}
      {createVerdict !== undefined && reservation === undefined && (
        <p className={`notice notice--${createVerdict.verdict}`}>{createVerdict.message}</p>
      )}
      <form className="form-grid" onSubmit={submit} noValidate aria-label={title}>
        <fieldset disabled={readOnly || save.busy}>
          <legend>Guest</legend>
          <Field label="First name" error={shownErrors.first_name}>
            {(p) => <input {...p} autoComplete="off" value={values.first_name} onChange={(e) => set('first_name')(e.target.value)} />}
          </Field>
          <Field label="Last name" error={shownErrors.last_name}>
            {(p) => <input {...p} autoComplete="off" value={values.last_name} onChange={(e) => set('last_name')(e.target.value)} />}
          </Field>
        </fieldset>
        <fieldset disabled={readOnly || save.busy}>
          <legend>Stay</legend>
          <Field label="Room type" error={shownErrors.room_type_id}>
            {(p) => (
              <select {...p} value={values.room_type_id} onChange={(e) => set('room_type_id')(e.target.value)}>
                <option value="">Choose…</option>
                {catalog.room_types.map((type) => (
                  <option key={type.id} value={type.id}>
                    {type.code} · {type.name}
                  </option>
                ))}
              </select>
            )}
          </Field>
          <Field label="Arrival" error={shownErrors.arrival}>
            {(p) => <input {...p} type="date" value={values.arrival} onChange={(e) => set('arrival')(e.target.value)} />}
          </Field>
          <Field label="Departure" error={shownErrors.departure}>
            {(p) => <input {...p} type="date" value={values.departure} onChange={(e) => set('departure')(e.target.value)} />}
          </Field>
          <Field label="Adults" error={shownErrors.adults}>
            {(p) => <input {...p} inputMode="numeric" value={values.adults} onChange={(e) => set('adults')(e.target.value)} />}
          </Field>
          <Field label="Children" error={shownErrors.children}>
            {(p) => <input {...p} inputMode="numeric" value={values.children} onChange={(e) => set('children')(e.target.value)} />}
          </Field>
          <RoomPicker
            roomTypeId={values.room_type_id}
            arrival={values.arrival}
            departure={values.departure}
            moving={reservation?.id ?? null}
            value={roomId}
            onChange={(value) => {
              setRoomId(value);
              save.clear();
            }}
            error={
              save.error?.field === 'room_id'
                ? save.error.message
                : walkIn && submitted && roomId === ''
                  ? 'A walk-in needs a room'
                  : assignVerdict?.verdict === 'block'
                    ? assignVerdict.message
                    : undefined
            }
          />
          {reservation?.room_id != null && roomId !== reservation.room_id && (
            <p className="field__hint">Currently room {roomOf(reservation.room_id)?.number ?? '?'}</p>
          )}
        </fieldset>
        <fieldset disabled={readOnly || save.busy}>
          <legend>Booking</legend>
          <Field label="Rate code" error={shownErrors.rate_code}>
            {(p) => <input {...p} value={values.rate_code} onChange={(e) => set('rate_code')(e.target.value)} />}
          </Field>
          <Field label="Source" error={shownErrors.source}>
            {(p) => <input {...p} value={values.source} onChange={(e) => set('source')(e.target.value)} />}
          </Field>
          <Field label="Special requests" hint="One per line" error={shownErrors.special_requests}>
            {(p) => <textarea {...p} rows={3} value={values.special_requests} onChange={(e) => set('special_requests')(e.target.value)} />}
          </Field>
        </fieldset>
        {serverField === undefined && <ErrorNotice error={save.error} />}
        {saved !== undefined && <p role="status">{saved}</p>}
        <div className="actions">
          {!readOnly && (
            <button type="submit" className="primary" disabled={save.busy}>
              {reservation === undefined ? (walkIn ? 'Create and check in' : 'Create reservation') : 'Save changes'}
            </button>
          )}
        </div>
      </form>
      {reservation !== undefined && (
        <div className="actions" aria-label="Reservation actions" role="group">
          {canCheckIn && (
            <button
              type="button"
              className="primary"
              disabled={act.busy || checkInBlocked}
              title={checkInVerdict?.message}
              onClick={() => void act.run(() => checkIn(reservation.id))}
            >
              Check in
            </button>
          )}
          {reservation.status === 'checked_in' && reservation.arrival === today && (
            <button type="button" disabled={act.busy} onClick={() => void act.run(() => undoCheckIn(reservation.id))}>
              Undo check-in
            </button>
          )}
          {reservation.status === 'checked_out' && reservation.departure >= today && (
            <button type="button" disabled={act.busy} onClick={() => void act.run(() => reinstateCheckOut(reservation.id))}>
              Reinstate check-out
            </button>
          )}
          {['tentative', 'confirmed'].includes(reservation.status) && reservation.arrival <= today && (
            <button type="button" disabled={act.busy} onClick={() => void act.run(() => markNoShow(reservation.id))}>
              No-show
            </button>
          )}
          {['tentative', 'confirmed'].includes(reservation.status) &&
            (cancelReason === undefined ? (
              <button type="button" className="danger" onClick={() => setCancelReason('')}>
                Cancel reservation…
              </button>
            ) : (
              <span className="inline-form">
                <label htmlFor="cancel-reason">Reason for cancelling</label>
                <input id="cancel-reason" value={cancelReason} onChange={(e) => setCancelReason(e.target.value)} />
                <button
                  type="button"
                  className="danger"
                  disabled={act.busy}
                  onClick={() => void act.run(() => cancelReservation(reservation.id, cancelReason.trim() === '' ? null : cancelReason.trim()))}
                >
                  Confirm cancellation
                </button>
                <button type="button" onClick={() => setCancelReason(undefined)}>
                  Keep it
                </button>
              </span>
            ))}
          <a className="button" href={`#/folio/${reservation.id}`}>
            Folio
          </a>
          <a className="button" href={`#/history/reservation/${reservation.id}`}>
            History
          </a>
          {checkInBlocked && canCheckIn && <p className="notice notice--block">{checkInVerdict.message}</p>}
          <ErrorNotice error={act.error} />
        </div>
      )}
    </section>
  );
}

