import type { KeyboardEvent } from 'react';

import { checkIn, checkOut, roomsToClear, today, type RoomToClear, type Today } from '../api.ts';
import { ErrorNotice } from '../components/ErrorNotice.tsx';
import { StatusBadge } from '../components/StatusBadge.tsx';
import { shortDate } from '../dates.ts';
import { useAction, useLoad, useRoomLookup, useVerdict } from '../desk.tsx';
import type { Room } from '../records.ts';
import { isReady, readinessLabel } from '../roomReadiness.ts';
import type { Reservation } from '../records.ts';
import { href, navigate, type Route } from '../routes.ts';

/** Moves focus between the rows of a list with the arrow keys. */
function moveFocus(event: KeyboardEvent<HTMLElement>) {
  if (event.key !== 'ArrowDown' && event.key !== 'ArrowUp') {
    return;
  }
  const row = (event.target as HTMLElement).closest('li');
  const next = event.key === 'ArrowDown' ? row?.nextElementSibling : row?.previousElementSibling;
  if (next instanceof HTMLElement) {
    event.preventDefault();
    next.focus();
  }
}

interface StayListProps {
  title: string;
  stays: Reservation[];
  empty: string;
  /** The row's main action (check in, check out), also run by Enter on a selected row. */
  action?: { label: string; run: (stay: Reservation) => void; enabled: (stay: Reservation) => boolean; blockedBy?: string | undefined };
  /** How many stays there are in all, when `stays` holds only the first ones, and where the rest are. */
  more?: { total: number; route: Route } | undefined;
}

/** A list of stays for the day; rows are focusable, arrows move, Enter runs the action. */
export function StayList({ title, stays, empty, action, more }: StayListProps) {
  const roomOf = useRoomLookup();
  const id = title.toLowerCase().replaceAll(' ', '-');
  const total = Math.max(more?.total ?? 0, stays.length);
  return (
    <section className="panel stay-list" aria-labelledby={id}>
      <h2 id={id}>
        {title} <span className="count">{total}</span>
      </h2>
      {more !== undefined && total > stays.length && (
        <p className="muted stay-list__more">
          The first {stays.length} of {total} by name. <a href={href(more.route)}>All {total}</a>
        </p>
      )}
      {stays.length === 0 ? (
        <p className="muted">{empty}</p>
      ) : (
        <ul aria-labelledby={id}>
          {stays.map((stay) => {
            const can = action !== undefined && action.enabled(stay) && action.blockedBy === undefined;
            return (
              <li
                key={stay.id}
                tabIndex={0}
                className="stay-row"
                aria-label={`${stay.guest_name}, ${stay.confirmation}, room ${roomOf(stay.room_id)?.number ?? 'not assigned'}`}
                onKeyDown={(event) => {
                  moveFocus(event);
                  if (event.key === 'Enter' && event.target === event.currentTarget && action !== undefined && can) {
                    event.preventDefault();
                    action.run(stay);
                  }
                }}
              >
                <a href={`#/reservations/${stay.id}`} className="stay-row__guest" tabIndex={-1}>
                  {stay.guest_name}
                </a>
                <span className="mono">{stay.confirmation}</span>
                <RoomWithReadiness room={roomOf(stay.room_id)} showReadiness={stay.status === 'confirmed'} />
                <span className="muted">
                  {shortDate(stay.arrival)} – {shortDate(stay.departure)}
                </span>
                <StatusBadge status={stay.status} />
                <a href={`#/folio/${stay.id}`} className="button" tabIndex={-1}>
                  Folio
                </a>
                {action !== undefined && (
                  <button
                    type="button"
                    className="primary"
                    tabIndex={-1}
                    disabled={!can}
                    title={action.blockedBy}
                    onClick={() => action.run(stay)}
                    aria-label={`${action.label} ${stay.guest_name}`}
                  >
                    {action.label}
                  </button>
                )}
              </li>
            );
          })}
        </ul>
      )}
    </section>
  );
}

/** The desk's day: arrivals to check in, departures to check out, who is in house. */
export function TodayScreen() {
  const day = useLoad<Today>(today, [], ['reservation', 'room', 'folio_posting']);
  const act = useAction();
  const checkInVerdict = useVerdict('check_in');
  const checkOutVerdict = useVerdict('check_out');
  const blocked = (verdict: typeof checkInVerdict) => (verdict?.verdict === 'block' ? verdict.message : undefined);

  return (
    <section className="screen" aria-labelledby="today-title">
      <div className="screen__title-row">
        <h1 id="today-title">
          Today{day.data !== undefined ? ` · ${shortDate(day.data.business_date)}` : ''}
        </h1>
        <button type="button" className="primary" onClick={() => navigate({ screen: 'reservation', id: null, walkIn: true })}>
          Walk-in
        </button>
      </div>
      {[checkInVerdict, checkOutVerdict].map(
        (verdict) =>
          verdict !== undefined && (
            <p key={verdict.operation} className={`notice notice--${verdict.verdict}`}>
              {verdict.verdict === 'block' ? 'Blocked: ' : ''}
              {verdict.message}
            </p>
          ),
      )}
      <ErrorNotice error={day.error ?? act.error} />
      {act.error?.code === 'rule_broken' && act.error.breach?.rule === 'check_out_with_balance' && (
        <p className="muted">Settle the folio, then check out again.</p>
      )}
      <RoomsToClear />
      <div className="today-grid">
        <StayList
          title="Arrivals"
          stays={day.data?.arrivals ?? []}
          empty="No arrivals left today."
          action={{
            label: 'Check in',
            run: (stay) => void act.run(() => checkIn(stay.id)),
            enabled: (stay) => stay.status === 'confirmed' && stay.arrival <= (day.data?.business_date ?? stay.arrival) && !act.busy,
            blockedBy: blocked(checkInVerdict),
          }}
        />
        <StayList
          title="Departures"
          stays={day.data?.departures ?? []}
          empty="No departures left today."
          action={{
            label: 'Check out',
            run: (stay) => void act.run(() => checkOut(stay.id)),
            enabled: (stay) => stay.status === 'checked_in' && !act.busy,
            blockedBy: blocked(checkOutVerdict),
          }}
        />
        <StayList
          title="In house"
          stays={day.data?.in_house ?? []}
          empty="Nobody in house."
          more={{ total: day.data?.in_house_total ?? 0, route: { screen: 'reservations', status: 'checked_in' } }}
        />
      </div>
    </section>
  );
}

/** An arrival's room with whether it is ready for the guest (`Room 305 · dirty`). */
function RoomWithReadiness({ room, showReadiness }: { room: Room | undefined; showReadiness: boolean }) {
  if (room === undefined) {
    return <span>Room —</span>;
  }
  if (!showReadiness) {
    return <span>Room {room.number}</span>;
  }
  return (
    <span>
      Room {room.number}{' '}
      <span className={isReady(room) ? 'readiness readiness--ready' : 'readiness readiness--not-ready'}>
        · {readinessLabel(room)}
      </span>
    </span>
  );
}

/** Rooms housekeeping or maintenance reported out of order while stays still hold them:
 *  the front desk moves each stay to another room, then the room can be blocked. */
function RoomsToClear() {
  const rooms = useLoad<RoomToClear[]>(roomsToClear, [], ['maintenance_report', 'reservation', 'room']);
  const list = rooms.data ?? [];
  if (list.length === 0) {
    return null;
  }
  return (
    <section className="panel notice notice--warn" aria-labelledby="rooms-to-clear">
      <h2 id="rooms-to-clear">Reported out of order, still booked</h2>
      <ul>
        {list.map((room) => (
          <li key={room.report.id}>
            Room {room.room_number}: {room.report.description}. Move{' '}
            {room.stays.map((stay, index) => (
              <span key={stay.id}>
                {index > 0 && ', '}
                <a href={`#/reservations/${stay.id}`}>
                  {stay.guest_name} ({stay.confirmation})
                </a>
              </span>
            ))}{' '}
            to another room.
          </li>
        ))}
      </ul>
    </section>
  );
}
