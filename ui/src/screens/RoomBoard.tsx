import { useState } from 'react';

import { roomBoard, setRoomAvailability, setRoomStatus, type RoomBoardEntry } from '../api.ts';
import { ErrorNotice } from '../components/ErrorNotice.tsx';
import { StatusBadge } from '../components/StatusBadge.tsx';
import { useAction, useDesk, useLoad, useVerdict } from '../desk.tsx';
import { words, type Availability, type Cleaning, type Room } from '../records.ts';

const CLEANING: Cleaning[] = ['dirty', 'pickup', 'clean', 'inspected'];

/** Every room's cleaning, occupancy and availability, as colour and text. */
export function RoomBoard() {
  const { catalog } = useDesk();
  const board = useLoad<RoomBoardEntry[]>(roomBoard, [], ['room', 'reservation']);
  const [floor, setFloor] = useState<string>('');
  const action = useAction();
  const verdict = useVerdict('change_room_status');
  const blocked = verdict?.verdict === 'block';
  const typeCode = (id: string) => catalog.room_types.find((type) => type.id === id)?.code ?? '';
  const floors = [...new Set((board.data ?? []).map((entry) => entry.room.floor))].sort((a, b) => a - b);
  const entries = (board.data ?? []).filter((entry) => floor === '' || String(entry.room.floor) === floor);

  return (
    <section className="screen" aria-labelledby="rooms-title">
      <div className="screen__title-row">
        <h1 id="rooms-title">Room board</h1>
        <div className="field">
          <label htmlFor="floor-filter">Floor</label>
          <select id="floor-filter" value={floor} onChange={(e) => setFloor(e.target.value)}>
            <option value="">All floors</option>
            {floors.map((f) => (
              <option key={f} value={String(f)}>
                {f}
              </option>
            ))}
          </select>
        </div>
        <a className="button" href="#/housekeeping">
          Housekeeping mode
        </a>
      </div>
      {verdict !== undefined && <p className={`notice notice--${verdict.verdict}`}>{verdict.message}</p>}
      <ErrorNotice error={board.error ?? action.error} />
      <ul className="room-grid" aria-label="Rooms">
        {entries.map(({ room, in_house, mismatch }) => (
          <li key={room.id} className={`room-card room-card--${room.cleaning} room-card--${room.availability}`}>
            <div className="room-card__head">
              <span className="room-card__number">{room.number}</span>
              <span className="muted">{typeCode(room.room_type_id)}</span>
            </div>
            <div className="room-card__facets">
              <StatusBadge status={room.cleaning} />
              <StatusBadge status={room.occupancy} />
              {room.availability !== 'available' && <StatusBadge status={room.availability} />}
            </div>
            {in_house !== null && <div className="room-card__guest">{in_house.guest_name}</div>}
            {room.blocked_reason !== null && room.availability !== 'available' && (
              <div className="muted">{room.blocked_reason}</div>
            )}
            {mismatch && (
              <div className="notice notice--warn" role="note">
                Desk and housekeeping disagree
              </div>
            )}
            <label className="visually-hidden" htmlFor={`cleaning-${room.id}`}>
              Cleaning status of room {room.number}
            </label>
            <RoomBlockControl room={room} disabled={blocked || action.busy} run={action.run} today={catalog.business_date} />
            <select
              id={`cleaning-${room.id}`}
              value={room.cleaning}
              disabled={blocked || action.busy}
              title={blocked ? verdict.message : undefined}
              onChange={(e) => void action.run(() => setRoomStatus(room.id, e.target.value as Cleaning))}
            >
              {CLEANING.map((value) => (
                <option key={value} value={value}>
                  {words(value)}
                </option>
              ))}
            </select>
          </li>
        ))}
      </ul>
    </section>
  );
}

/**
 * Takes a room out of order or out of service (from a night, optionally until one, with a
 * reason the housekeepers read), or makes it available again. The desk refuses a block over
 * nights a stay holds, saying which.
 */
function RoomBlockControl({
  room,
  disabled,
  run,
  today,
}: {
  room: Room;
  disabled: boolean;
  run: <T>(action: () => Promise<T>) => Promise<T | undefined>;
  today: string;
}) {
  const [open, setOpen] = useState(false);
  const [availability, setAvailability] = useState<Availability>('out_of_order');
  const [from, setFrom] = useState(today);
  const [until, setUntil] = useState('');
  const [reason, setReason] = useState('');
  const [missing, setMissing] = useState(false);
  if (room.availability !== 'available') {
    return (
      <button
        type="button"
        disabled={disabled}
        onClick={() => void run(() => setRoomAvailability(room.id, { availability: 'available', from: null, until: null, reason: null }))}
      >
        Make room {room.number} available
      </button>
    );
  }
  if (!open) {
    return (
      <button type="button" disabled={disabled} onClick={() => setOpen(true)}>
        Block room {room.number}
      </button>
    );
  }
  const id = (name: string) => `block-${name}-${room.id}`;
  return (
    <form
      className="inline-form"
      aria-label={`Block room ${room.number}`}
      onSubmit={(event) => {
        event.preventDefault();
        if (reason.trim() === '') {
          setMissing(true);
          return;
        }
        setMissing(false);
        void run(() =>
          setRoomAvailability(room.id, { availability, from: from === '' ? null : from, until: until === '' ? null : until, reason: reason.trim() }),
        ).then((saved) => {
          if (saved !== undefined) setOpen(false);
        });
      }}
    >
      <label htmlFor={id('kind')}>Block as</label>
      <select id={id('kind')} value={availability} onChange={(e) => setAvailability(e.target.value as Availability)}>
        <option value="out_of_order">out of order</option>
        <option value="out_of_service">out of service</option>
      </select>
      <label htmlFor={id('from')}>From</label>
      <input id={id('from')} type="date" value={from} onChange={(e) => setFrom(e.target.value)} />
      <label htmlFor={id('until')}>Until (optional)</label>
      <input id={id('until')} type="date" value={until} min={from} onChange={(e) => setUntil(e.target.value)} />
      <label htmlFor={id('reason')}>Reason</label>
      <input id={id('reason')} value={reason} aria-invalid={missing} onChange={(e) => setReason(e.target.value)} />
      {missing && <p role="alert">Say why the room is blocked: housekeeping and the desk read it</p>}
      <button type="submit" disabled={disabled}>
        Block
      </button>
      <button type="button" onClick={() => setOpen(false)}>
        Cancel
      </button>
    </form>
  );
}
