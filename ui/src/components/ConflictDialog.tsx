import { useEffect, useId, useMemo, useRef, useState } from 'react';

import { resolveConflict, type ConflictView, type ResolutionChoice } from '../api.ts';
import { dateTime } from '../dates.ts';
import { useAction } from '../desk.tsx';
import { words, type Fields } from '../records.ts';
import {
  buildChoice,
  deviceValues,
  displayValue,
  freeRoomsOf,
  mergedValues,
  parseTyped,
  previewRecord,
  sameValue,
  typedText,
  type ChoiceKind,
} from '../resolution.ts';
import { ErrorNotice } from './ErrorNotice.tsx';

export interface ConflictDialogProps {
  view: ConflictView;
  /** Called once the resolution is applied. */
  onResolved: () => void;
  onClose: () => void;
  /** Shows a field value in words (a room id as its number...); raw otherwise. */
  describe?: (field: string, value: unknown) => string;
}

function when(at: string | undefined): string {
  if (at === undefined) {
    return '';
  }
  const date = new Date(at);
  return Number.isNaN(date.getTime()) ? at : dateTime(date);
}

const CHOICE_LABELS: Record<ChoiceKind, string> = {
  keep_device: 'Keep mine',
  keep_server: "Use the server's",
  merge: 'Merge',
  per_field: 'Choose field by field',
  custom: 'Type a value',
  move_stay: 'Move this stay to another room',
};

/**
 * One conflict: which record, this device's version and the server's beside the base they
 * started from, who made the other change, the ways to settle it and a preview of the record
 * each way leads to. Produces a `ResolutionChoice` of sync-core's conflict.rs.
 */
export function ConflictDialog({ view, onResolved, onClose, describe }: ConflictDialogProps) {
  const { conflict } = view;
  const titleId = useId();
  const dialog = useRef<HTMLDivElement>(null);
  const show = (field: string, value: unknown) => describe?.(field, value) ?? displayValue(value);
  const freeRooms = freeRoomsOf(view);
  const merged = useMemo(() => mergedValues(view), [view]);
  const clashes = conflict.fields.length > 0
    ? conflict.fields
    : Object.entries(conflict.device_changes).map(([field, change]) => ({
        field,
        base: change.base,
        device: change.value,
        server: view.current?.[field] ?? null,
        reason: 'both_changed' as const,
      }));

  // Field choices only where the sides differ; a merge only when it gives something
  // neither side has (otherwise it is "keep mine" or "use the server's" by another name).
  const sidesDiffer = conflict.fields.some((clash) => !sameValue(clash.device, clash.server));
  const serverSide = Object.fromEntries(conflict.fields.map((clash) => [clash.field, clash.server]));
  const mergeHelps = merged !== undefined && !sameValue(merged, serverSide) && !sameValue(merged, deviceValues(view));
  const available: ChoiceKind[] = [
    'keep_device',
    'keep_server',
    ...(mergeHelps ? (['merge'] as const) : []),
    ...(sidesDiffer ? (['per_field', 'custom'] as const) : []),
    ...(freeRooms.length > 0 ? (['move_stay'] as const) : []),
  ];
  const [kind, setKind] = useState<ChoiceKind>(freeRooms.length > 0 ? 'move_stay' : 'keep_device');
  const [pick, setPick] = useState<Record<string, 'device' | 'server'>>({});
  const [custom, setCustom] = useState<Record<string, string>>(() =>
    Object.fromEntries(Object.entries(deviceValues(view)).map(([field, value]) => [field, typedText(value)])),
  );
  const [roomId, setRoomId] = useState('');
  const apply = useAction();

  useEffect(() => {
    dialog.current?.focus();
  }, []);

  const customValues: Fields = Object.fromEntries(
    conflict.fields.map((clash) => [clash.field, parseTyped(custom[clash.field] ?? '', clash.device ?? clash.server)]),
  );
  const choice = buildChoice(view, kind, { pick, custom: customValues, roomId });
  const ready = !('error' in choice);
  const preview = ready ? previewRecord(view, choice as ResolutionChoice) : undefined;
  const before = view.current ?? {};

  const submit = async () => {
    if (!ready) {
      return;
    }
    const done = await apply.run(async () => {
      await resolveConflict(conflict.id, choice as ResolutionChoice);
      return true;
    });
    if (done === true) {
      onResolved();
    }
  };

  return (
    <div className="dialog-backdrop">
      <div
        ref={dialog}
        className="dialog"
        role="dialog"
        aria-modal="true"
        aria-labelledby={titleId}
        tabIndex={-1}
        onKeyDown={(event) => {
          if (event.key === 'Escape') {
            onClose();
          }
        }}
      >
        <header className="dialog__header">
          <h2 id={titleId}>{view.title}</h2>
          <button type="button" className="dialog__close" onClick={onClose} aria-label="Close">
            ×
          </button>
        </header>
        <p className={`notice notice--${conflict.severity}`}>{conflict.summary}</p>
        <dl className="conflict-authors">
          <div>
            <dt>Your change</dt>
            <dd>
              {view.device_user ?? 'this desk'}
              {view.device_name !== null ? ` on ${view.device_name}` : ''}, {when(conflict.device.at)}
            </dd>
          </div>
          {conflict.server !== null && (
            <div>
              <dt>Other change</dt>
              <dd>
                {view.server_user ?? 'someone'}
                {view.server_device !== null ? ` on ${view.server_device}` : ''}, {when(conflict.server.at)}
              </dd>
            </div>
          )}
        </dl>

        <table className="table conflict-sides">
          <caption>Versions side by side</caption>
          <thead>
            <tr>
              <th scope="col">Field</th>
              <th scope="col">Before (base)</th>
              <th scope="col">This device</th>
              <th scope="col">Server</th>
            </tr>
          </thead>
          <tbody>
            {clashes.map((clash) => {
              const deviceChanged = !sameValue(clash.device, clash.base);
              const serverChanged = !sameValue(clash.server, clash.base);
              return (
                <tr key={clash.field} className={!sameValue(clash.device, clash.server) ? 'differs' : undefined}>
                  <th scope="row">{words(clash.field)}</th>
                  <td>{show(clash.field, clash.base)}</td>
                  <td className={deviceChanged ? 'changed' : undefined} data-changed={deviceChanged || undefined}>
                    {show(clash.field, clash.device)}
                  </td>
                  <td className={serverChanged ? 'changed' : undefined} data-changed={serverChanged || undefined}>
                    {show(clash.field, clash.server)}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>

        <fieldset className="choices">
          <legend>How to settle it</legend>
          {available.map((option) => (
            <label key={option} className="choice">
              <input type="radio" name="resolution" value={option} checked={kind === option} onChange={() => setKind(option)} />
              {CHOICE_LABELS[option]}
            </label>
          ))}
        </fieldset>

        {kind === 'merge' && merged !== undefined && (
          <p className="muted">Merged automatically: both sides' additions kept, both sides' removals applied.</p>
        )}

        {kind === 'per_field' && (
          <fieldset className="per-field">
            <legend>Pick a side for each field</legend>
            {conflict.fields.map((clash) => (
              <div key={clash.field} role="radiogroup" aria-label={words(clash.field)} className="per-field__row">
                <span className="per-field__name">{words(clash.field)}</span>
                <label>
                  <input
                    type="radio"
                    name={`pick-${clash.field}`}
                    checked={pick[clash.field] === 'device'}
                    onChange={() => setPick((old) => ({ ...old, [clash.field]: 'device' }))}
                  />
                  This device: {show(clash.field, clash.device)}
                </label>
                <label>
                  <input
                    type="radio"
                    name={`pick-${clash.field}`}
                    checked={pick[clash.field] === 'server'}
                    onChange={() => setPick((old) => ({ ...old, [clash.field]: 'server' }))}
                  />
                  Server: {show(clash.field, clash.server)}
                </label>
              </div>
            ))}
          </fieldset>
        )}

        {kind === 'custom' && (
          <fieldset className="custom-values">
            <legend>Type the values to keep</legend>
            {conflict.fields.map((clash) => {
              const id = `custom-${clash.field}`;
              const multiline = Array.isArray(clash.device) || Array.isArray(clash.server);
              return (
                <div key={clash.field} className="field">
                  <label htmlFor={id}>{words(clash.field)}</label>
                  {multiline ? (
                    <textarea
                      id={id}
                      rows={3}
                      value={custom[clash.field] ?? ''}
                      onChange={(e) => setCustom((old) => ({ ...old, [clash.field]: e.target.value }))}
                    />
                  ) : (
                    <input
                      id={id}
                      value={custom[clash.field] ?? ''}
                      onChange={(e) => setCustom((old) => ({ ...old, [clash.field]: e.target.value }))}
                    />
                  )}
                </div>
              );
            })}
          </fieldset>
        )}

        {kind === 'move_stay' && (
          <fieldset className="move-stay">
            <legend>Free rooms of the same type for those nights</legend>
            {freeRooms.map((room) => (
              <label key={room.room_id} className="choice">
                <input
                  type="radio"
                  name="move-room"
                  value={room.room_id}
                  checked={roomId === room.room_id}
                  onChange={() => setRoomId(room.room_id)}
                />
                Room {room.number}
              </label>
            ))}
          </fieldset>
        )}

        <section className="preview" aria-label="Preview of the result">
          <h3>Result</h3>
          {preview === undefined ? (
            <p className="muted">{'error' in choice ? choice.error : ''}</p>
          ) : (
            <dl className="preview__fields">
              {Object.entries(preview).filter(([field]) => field !== 'id' && field !== 'property_id').map(([field, value]) => {
                const changes = !sameValue(value, before[field]);
                return (
                  <div key={field} className={changes ? 'preview__field changed' : 'preview__field'} data-changed={changes || undefined}>
                    <dt>{words(field)}</dt>
                    <dd>{show(field, value)}</dd>
                  </div>
                );
              })}
            </dl>
          )}
        </section>

        <ErrorNotice error={apply.error} />
        <div className="actions">
          <button type="button" className="primary" disabled={!ready || apply.busy} onClick={() => void submit()}>
            Apply: {CHOICE_LABELS[kind]}
          </button>
          <button type="button" onClick={onClose}>
            Decide later
          </button>
        </div>
      </div>
    </div>
  );
}
