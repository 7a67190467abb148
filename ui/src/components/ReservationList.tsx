import { useVirtualizer } from '@tanstack/react-virtual';
import { useEffect, useRef } from 'react';

import { shortDate } from '../dates.ts';
import type { Reservation } from '../records.ts';
import { StatusBadge } from './StatusBadge.tsx';

/** Height of one row in pixels; fixed so 50,000 rows need no measuring. */
export const ROW_HEIGHT = 44;

export interface ReservationListProps {
  /** How many reservations match. */
  total: number;
  /** The reservation at a position, once its page is loaded. */
  rowAt: (index: number) => Reservation | undefined;
  /** Asks for the rows of a window as the list scrolls to it. */
  onRange?: (start: number, end: number) => void;
  onOpen: (reservation: Reservation) => void;
  roomNumber: (reservation: Reservation) => string | undefined;
}

/**
 * Search results as a virtualised list: only the rows in view (and a few beyond) are in the
 * document, so 50,000 matches scroll as smoothly as 50.
 */
export function ReservationList({ total, rowAt, onRange, onOpen, roomNumber }: ReservationListProps) {
  const scroller = useRef<HTMLDivElement>(null);
  const virtualizer = useVirtualizer({
    count: total,
    getScrollElement: () => scroller.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 8,
  });
  const items = virtualizer.getVirtualItems();
  const first = items[0]?.index ?? 0;
  const last = items[items.length - 1]?.index ?? 0;

  useEffect(() => {
    if (total > 0) {
      onRange?.(first, last + 1);
    }
  }, [first, last, total, onRange]);

  return (
    <div className="reservation-list">
      <div className="reservation-list__head" aria-hidden="true">
        <span>Confirmation</span>
        <span>Guest</span>
        <span>Room</span>
        <span>Arrival</span>
        <span>Departure</span>
        <span>Status</span>
      </div>
      <div ref={scroller} className="reservation-list__scroller" tabIndex={-1}>
        <ul
          role="list"
          aria-label={`Reservations, ${total} found`}
          className="reservation-list__rows"
          style={{ height: virtualizer.getTotalSize() }}
        >
          {items.map((item) => {
            const reservation = rowAt(item.index);
            return (
              <li
                key={item.key}
                className="reservation-list__row"
                aria-setsize={total}
                aria-posinset={item.index + 1}
                style={{ height: ROW_HEIGHT, transform: `translateY(${item.start}px)` }}
              >
                {reservation === undefined ? (
                  <span className="reservation-list__loading">Loading…</span>
                ) : (
                  <button type="button" className="reservation-list__open" onClick={() => onOpen(reservation)}>
                    <span className="mono">{reservation.confirmation}</span>
                    <span>{reservation.guest_name}</span>
                    <span>{roomNumber(reservation) ?? '—'}</span>
                    <span>{shortDate(reservation.arrival)}</span>
                    <span>{shortDate(reservation.departure)}</span>
                    <StatusBadge status={reservation.status} />
                  </button>
                )}
              </li>
            );
          })}
        </ul>
      </div>
    </div>
  );
}
