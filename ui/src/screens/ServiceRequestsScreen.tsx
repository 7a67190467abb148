import { useState, type FormEvent } from 'react';

import { createServiceRequest, progressServiceRequest, serviceRequests } from '../api.ts';
import { ErrorNotice } from '../components/ErrorNotice.tsx';
import { Field } from '../components/Field.tsx';
import { StatusBadge } from '../components/StatusBadge.tsx';
import { useAction, useDesk, useLoad, useRoomLookup } from '../desk.tsx';
import type { ServiceRequest } from '../records.ts';

/** Guests' requests from their rooms: acknowledge, then done. */
export function ServiceRequestsScreen() {
  const { catalog } = useDesk();
  const requests = useLoad<ServiceRequest[]>(serviceRequests, [], ['service_request']);
  const roomOf = useRoomLookup();
  const action = useAction();
  const [room, setRoom] = useState('');
  const [kind, setKind] = useState('towels');
  const [text, setText] = useState('');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const found: Record<string, string> = {};
    if (room === '') found.room_id = 'Choose the room';
    if (kind.trim() === '') found.kind = 'Say what kind of request it is';
    setErrors(found);
    if (Object.keys(found).length > 0) return;
    const done = await action.run(() => createServiceRequest({ room_id: room, kind: kind.trim(), text: text.trim() }));
    if (done !== undefined) setText('');
  };
  const err = (field: string) => errors[field] ?? (action.error?.field === field ? action.error.message : undefined);
  return (
    <section className="screen" aria-labelledby="requests-title">
      <h1 id="requests-title">Service requests</h1>
      <form className="panel form-row" onSubmit={submit} noValidate aria-label="New request">
        <Field label="Room" error={err('room_id')}>
          {(p) => (
            <select {...p} value={room} onChange={(e) => setRoom(e.target.value)}>
              <option value="">Choose…</option>
              {catalog.rooms.map((r) => <option key={r.id} value={r.id}>{r.number}</option>)}
            </select>
          )}
        </Field>
        <Field label="Kind" error={err('kind')}>{(p) => <input {...p} value={kind} onChange={(e) => setKind(e.target.value)} />}</Field>
        <Field label="Details" error={err('text')}>{(p) => <input {...p} value={text} onChange={(e) => setText(e.target.value)} />}</Field>
        <button type="submit" className="primary" disabled={action.busy}>Add request</button>
      </form>
      <ErrorNotice error={requests.error ?? (action.error?.field === undefined ? action.error : undefined)} />
      <table className="table">
        <thead><tr><th scope="col">Room</th><th scope="col">Kind</th><th scope="col">Details</th><th scope="col">Status</th><th scope="col"><span className="visually-hidden">Actions</span></th></tr></thead>
        <tbody>
          {(requests.data ?? []).map((request) => (
            <tr key={request.id}>
              <td>{roomOf(request.room_id)?.number ?? '?'}</td>
              <td>{request.kind}</td>
              <td>{request.text}</td>
              <td><StatusBadge status={request.status} /></td>
              <td>
                {request.status === 'new' && (
                  <button type="button" disabled={action.busy} onClick={() => void action.run(() => progressServiceRequest(request.id, 'acknowledged'))}>Acknowledge</button>
                )}
                {request.status !== 'done' && (
                  <button type="button" disabled={action.busy} onClick={() => void action.run(() => progressServiceRequest(request.id, 'done'))}>Done</button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
