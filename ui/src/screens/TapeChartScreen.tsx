import { useState } from 'react';

import { tapeChart, type TapeChart } from '../api.ts';
import { ErrorNotice } from '../components/ErrorNotice.tsx';
import { addDays, daysBetween, shortDate } from '../dates.ts';
import { useDesk, useLoad } from '../desk.tsx';
import { words, type Reservation } from '../records.ts';

const DAYS = 14;

/** Where a stay's bar sits on a chart starting at `from`: first column and span, clipped. */
export function barSpan(stay: Pick<Reservation, 'arrival' | 'departure'>, from: string, days: number): { start: number; span: number } | undefined {
  const start = Math.max(0, daysBetween(from, stay.arrival));
  const end = Math.min(days, daysBetween(from, stay.departure));
  return end > start ? { start, span: end - start } : undefined;
}

/** Rooms by days, stays as bars coloured by status: the desk's picture at a glance. */
export function TapeChartScreen() {
  const { catalog } = useDesk();
  const [from, setFrom] = useState(() => addDays(catalog.business_date, -1));
  const chart = useLoad<TapeChart>(() => tapeChart(from, DAYS), [from], ['reservation', 'room']);
  const rooms = [...catalog.rooms].sort((a, b) => a.number.localeCompare(b.number, undefined, { numeric: true }));
  const days = Array.from({ length: DAYS }, (_, i) => addDays(from, i));
  const stays = chart.data?.stays.filter((s) => s.status !== 'cancelled' && s.status !== 'no_show') ?? [];
  const unassigned = stays.filter((s) => s.room_id === null);
  const grid = { gridTemplateColumns: `5rem repeat(${DAYS}, minmax(3rem, 1fr))` };

  return (
    <section className="screen" aria-labelledby="tape-title">
      <div className="screen__title-row">
        <h1 id="tape-title">Tape chart</h1>
        <div className="inline-form">
          <button type="button" onClick={() => setFrom(addDays(from, -7))}>← Week</button>
          <button type="button" onClick={() => setFrom(addDays(catalog.business_date, -1))}>Today</button>
          <button type="button" onClick={() => setFrom(addDays(from, 7))}>Week →</button>
        </div>
      </div>
      <ErrorNotice error={chart.error} />
      <div className="tape" role="table" aria-label={`Rooms by night from ${shortDate(from)}`}>
        <div className="tape__row tape__row--head" role="row" style={grid}>
          <span role="columnheader">Room</span>
          {days.map((day) => (
            <span role="columnheader" key={day} className={day === catalog.business_date ? 'tape__today' : undefined}>
              {shortDate(day)}
            </span>
          ))}
        </div>
        {rooms.map((room) => (
          <div className="tape__row" role="row" key={room.id} style={grid}>
            <span role="rowheader" className="tape__room">{room.number}</span>
            {stays
              .filter((stay) => stay.room_id === room.id)
              .map((stay) => {
                const bar = barSpan(stay, from, DAYS);
                return (
                  bar !== undefined && (
                    <a
                      role="cell"
                      key={stay.id}
                      href={`#/reservations/${stay.id}`}
                      className={`tape__bar tape__bar--${stay.status}`}
                      style={{ gridColumn: `${bar.start + 2} / span ${bar.span}` }}
                      title={`${stay.guest_name}, ${stay.confirmation}, ${words(stay.status)}, ${stay.arrival} to ${stay.departure}`}
                    >
                      {stay.guest_name} <span className="visually-hidden">({words(stay.status)})</span>
                    </a>
                  )
                );
              })}
          </div>
        ))}
      </div>
      <div className="legend" aria-label="Legend">
        {['tentative', 'confirmed', 'checked_in', 'checked_out'].map((status) => (
          <span key={status} className={`tape__bar tape__bar--${status} legend__item`}>{words(status)}</span>
        ))}
      </div>
      {unassigned.length > 0 && (
        <section className="panel">
          <h2>Without a room ({unassigned.length})</h2>
          <ul>
            {unassigned.map((s) => (
              <li key={s.id}><a href={`#/reservations/${s.id}`}>{s.guest_name}</a> · {shortDate(s.arrival)} – {shortDate(s.departure)}</li>
            ))}
          </ul>
        </section>
      )}
    </section>
  );
}
