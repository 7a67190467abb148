import { useState } from 'react';

import { roomBoard, setRoomStatus, type RoomBoardEntry } from '../api.ts';
import { ErrorNotice } from '../components/ErrorNotice.tsx';
import { StatusBadge } from '../components/StatusBadge.tsx';
import { useAction, useDesk, useLoad, useVerdict } from '../desk.tsx';
import { words, type Cleaning } from '../records.ts';

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
