import { useState } from 'react';

import { maintenanceReports, progressMaintenance } from '../api.ts';
import { ErrorNotice } from '../components/ErrorNotice.tsx';
import { StatusBadge } from '../components/StatusBadge.tsx';
import { useAction, useDesk, useLoad, useRoomLookup } from '../desk.tsx';
import type { MaintenanceReport, MaintenanceStatus } from '../records.ts';
import { IssueForm } from './HousekeepingMode.tsx';

const NEXT: Record<MaintenanceStatus, { to: MaintenanceStatus; label: string } | undefined> = {
  open: { to: 'in_progress', label: 'Start work' },
  in_progress: { to: 'resolved', label: 'Mark resolved' },
  resolved: undefined,
};

/** Maintenance reports: open, in progress, resolved; and a new report for any room. */
export function MaintenanceScreen() {
  const { catalog } = useDesk();
  const reports = useLoad<MaintenanceReport[]>(maintenanceReports, [], ['maintenance_report']);
  const roomOf = useRoomLookup();
  const action = useAction();
  const [room, setRoom] = useState('');
  const [reporting, setReporting] = useState(false);
  return (
    <section className="screen" aria-labelledby="maintenance-title">
      <h1 id="maintenance-title">Maintenance</h1>
      <div className="inline-form">
        <label htmlFor="report-room">Report an issue in room</label>
        <select id="report-room" value={room} onChange={(e) => { setRoom(e.target.value); setReporting(e.target.value !== ''); }}>
          <option value="">Choose…</option>
          {catalog.rooms.map((r) => <option key={r.id} value={r.id}>{r.number}</option>)}
        </select>
      </div>
      {reporting && room !== '' && (
        <IssueForm roomId={room} roomNumber={roomOf(room)?.number ?? ''} onDone={() => { setReporting(false); setRoom(''); }} />
      )}
      <ErrorNotice error={reports.error ?? action.error} />
      <table className="table">
        <thead>
          <tr><th scope="col">Room</th><th scope="col">Issue</th><th scope="col">Severity</th><th scope="col">Status</th><th scope="col"><span className="visually-hidden">Actions</span></th></tr>
        </thead>
        <tbody>
          {(reports.data ?? []).map((report) => {
            const next = NEXT[report.status];
            return (
              <tr key={report.id}>
                <td>{roomOf(report.room_id)?.number ?? '?'}{report.puts_out_of_order ? ' (out of order)' : ''}</td>
                <td>{report.description}</td>
                <td><StatusBadge status={report.severity} /></td>
                <td><StatusBadge status={report.status} /></td>
                <td>
                  {next !== undefined && (
                    <button type="button" disabled={action.busy} onClick={() => void action.run(() => progressMaintenance(report.id, next.to))}>
                      {next.label}
                    </button>
                  )}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </section>
  );
}
