import { useCallback, useEffect, useRef, useState } from 'react';

import { searchReservations, toAppError, type AppError, type ReservationQuery } from '../api.ts';
import { ErrorNotice } from '../components/ErrorNotice.tsx';
import { ReservationList } from '../components/ReservationList.tsx';
import { subscribeDataChanged, useRoomLookup } from '../desk.tsx';
import { RESERVATION_STATUSES, words, type Reservation, type ReservationStatus } from '../records.ts';
import { navigate } from '../routes.ts';

/** Rows fetched per request as the list scrolls. */
export const PAGE_SIZE = 200;

/** Search box, filters and the virtualised list of every matching reservation; `status` starts the status filter. */
export function ReservationsScreen({ status: initialStatus }: { status?: ReservationStatus | undefined } = {}) {
  const [text, setText] = useState('');
  const [status, setStatus] = useState<ReservationStatus | ''>(initialStatus ?? '');
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const [total, setTotal] = useState(0);
  const [generation, setGeneration] = useState(0);
  const [error, setError] = useState<AppError | undefined>(undefined);
  const pages = useRef(new Map<number, Reservation[]>());
  const asked = useRef(new Set<number>());
  const [, setLoadedPages] = useState(0);
  const roomOf = useRoomLookup();

  const query = useCallback(
    (offset: number): ReservationQuery => ({
      text: text.trim(),
      statuses: status === '' ? [] : [status],
      from: from === '' ? null : from,
      to: to === '' ? null : to,
      offset,
      limit: PAGE_SIZE,
    }),
    [text, status, from, to],
  );

  const fetchPage = useCallback(
    (page: number, current: () => boolean) => {
      asked.current.add(page);
      searchReservations(query(page * PAGE_SIZE)).then(
        (result) => {
          if (!current()) {
            return;
          }
          pages.current.set(page, result.rows);
          setTotal(result.total);
          setLoadedPages((n) => n + 1);
          setError(undefined);
        },
        (reason: unknown) => {
          asked.current.delete(page);
          if (current()) {
            setError(toAppError(reason));
          }
        },
      );
    },
    [query],
  );

  // A new search starts from its first page, after a short pause while typing.
  const live = useRef(0);
  useEffect(() => {
    const ticket = ++live.current;
    const timer = setTimeout(() => {
      pages.current = new Map();
      asked.current = new Set();
      fetchPage(0, () => live.current === ticket);
    }, 150);
    return () => clearTimeout(timer);
  }, [fetchPage, generation]);

  useEffect(() => subscribeDataChanged(['reservation'], () => setGeneration((g) => g + 1)), []);

  const onRange = useCallback(
    (start: number, end: number) => {
      const ticket = live.current;
      for (let page = Math.floor(start / PAGE_SIZE); page <= Math.floor((end - 1) / PAGE_SIZE); page += 1) {
        if (!asked.current.has(page)) {
          fetchPage(page, () => live.current === ticket);
        }
      }
    },
    [fetchPage],
  );

  const rowAt = useCallback((index: number) => pages.current.get(Math.floor(index / PAGE_SIZE))?.[index % PAGE_SIZE], []);

  return (
    <section className="screen" aria-labelledby="reservations-title">
      <div className="screen__title-row">
        <h1 id="reservations-title">Reservations</h1>
        <button type="button" className="primary" onClick={() => navigate({ screen: 'reservation', id: null, walkIn: false })}>
          New reservation <kbd>n</kbd>
        </button>
      </div>
      <form className="filters" role="search" onSubmit={(event) => event.preventDefault()}>
        <div className="field field--grow">
          <label htmlFor="reservation-search">
            Search <kbd>/</kbd>
          </label>
          <input
            id="reservation-search"
            type="search"
            placeholder="Name, confirmation number or room"
            value={text}
            onChange={(event) => setText(event.target.value)}
          />
        </div>
        <div className="field">
          <label htmlFor="reservation-status">Status</label>
          <select id="reservation-status" value={status} onChange={(event) => setStatus(event.target.value as ReservationStatus | '')}>
            <option value="">Any status</option>
            {RESERVATION_STATUSES.map((value) => (
              <option key={value} value={value}>
                {words(value)}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="reservation-from">Staying from</label>
          <input id="reservation-from" type="date" value={from} onChange={(event) => setFrom(event.target.value)} />
        </div>
        <div className="field">
          <label htmlFor="reservation-to">Arriving before</label>
          <input id="reservation-to" type="date" value={to} onChange={(event) => setTo(event.target.value)} />
        </div>
      </form>
      <ErrorNotice error={error} />
      <ReservationList
        total={total}
        rowAt={rowAt}
        onRange={onRange}
        onOpen={(reservation) => navigate({ screen: 'reservation', id: reservation.id, walkIn: false })}
        roomNumber={(reservation) => roomOf(reservation.room_id)?.number}
      />
    </section>
  );
}
