import { freeRooms, type FreeRoom } from '../api.ts';
import type { Room } from '../records.ts';
import { isIsoDate } from '../dates.ts';
import { useLoad, useRoomLookup } from '../desk.tsx';
import { readinessLabel } from '../roomReadiness.ts';
import { ErrorNotice } from './ErrorNotice.tsx';

export interface RoomPickerProps {
  roomTypeId: string;
  arrival: string;
  departure: string;
  /** The stay choosing a room, so its own nights do not count against it. */
  moving: string | null;
  value: string;
  onChange: (roomId: string) => void;
  error?: string | undefined;
}

/** `305 · ready, clean`: the room number with whether a guest can go in now. */
function withReadiness(number: string, room: Room | undefined): string {
  return room === undefined ? number : `${number} · ${readinessLabel(room)}`;
}

/** Only the rooms of the type that are free for every night of the stay (`free_rooms`). */
export function RoomPicker({ roomTypeId, arrival, departure, moving, value, onChange, error }: RoomPickerProps) {
  const ready = roomTypeId !== '' && isIsoDate(arrival) && isIsoDate(departure) && departure > arrival;
  const rooms = useLoad<FreeRoom[]>(
    () => (ready ? freeRooms({ roomTypeId, arrival, departure, moving }) : Promise.resolve([])),
    [ready, roomTypeId, arrival, departure, moving],
    ['reservation', 'room'],
  );
  const options = rooms.data ?? [];
  const roomOf = useRoomLookup();
  return (
    <div className={`field${error !== undefined ? ' field--invalid' : ''}`}>
      <label htmlFor="room-picker">Room</label>
      <select
        id="room-picker"
        value={value}
        onChange={(event) => onChange(event.target.value)}
        disabled={!ready}
        aria-invalid={error !== undefined}
        aria-describedby={error !== undefined ? 'room-picker-error' : 'room-picker-hint'}
      >
        <option value="">{ready ? 'Not assigned' : 'Choose type and dates first'}</option>
        {options.map((room) => (
          <option key={room.room_id} value={room.room_id}>
            {withReadiness(room.number, roomOf(room.room_id))}
          </option>
        ))}
      </select>
      <span id="room-picker-hint" className="field__hint">
        {ready && !rooms.loading ? `${options.length} room(s) free for those nights` : ''}
      </span>
      {error !== undefined && (
        <span id="room-picker-error" className="field__error" role="alert">
          {error}
        </span>
      )}
      <ErrorNotice error={rooms.error} />
    </div>
  );
}
