// What each choice of the conflict dialog writes, and the record it leads to. Mirrors
// `conflict::resolution_values` of sync-core so the preview shows what the Rust side will
// apply; the Rust side checks the choice again when it is applied.

import type { ConflictView, FieldClash, ResolutionChoice } from './api.ts';
import type { Fields } from './records.ts';

/** The dialog's actions; `merge` is sent as a `custom` choice with the merged values. */
export type ChoiceKind = 'keep_device' | 'keep_server' | 'merge' | 'per_field' | 'custom' | 'move_stay';

function canonical(value: unknown): string {
  if (Array.isArray(value)) {
    return `[${value.map(canonical).join(',')}]`;
  }
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

/** Whether two JSON values are the same, whatever the key order. */
export function sameValue(a: unknown, b: unknown): boolean {
  return canonical(a) === canonical(b);
}

function isTextList(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((item) => typeof item === 'string');
}

function isKeyedList(value: unknown): value is { id: string; at?: string }[] {
  return (
    Array.isArray(value) &&
    value.every((item) => typeof item === 'object' && item !== null && typeof (item as { id?: unknown }).id === 'string')
  );
}

/**
 * The value a three-way merge gives one contested field, or `undefined` when no merge can
 * settle it (two different edits of one text). Lists merge like sync-core's set merge (base
 * plus both sides' additions minus both sides' removals) and keyed lists like its append
 * (union by id, in time order).
 */
export function mergeField(clash: Pick<FieldClash, 'base' | 'device' | 'server'>): unknown {
  const { base, device, server } = clash;
  if (sameValue(device, server)) {
    return device;
  }
  if (sameValue(device, base)) {
    return server;
  }
  if (sameValue(server, base)) {
    return device;
  }
  const baseList = base === null || base === undefined ? [] : base;
  if (isTextList(baseList) && isTextList(device) && isTextList(server)) {
    const removed = new Set([
      ...baseList.filter((item) => !device.includes(item)),
      ...baseList.filter((item) => !server.includes(item)),
    ]);
    const merged = [...server, ...device.filter((item) => !server.includes(item))];
    return [...new Set(merged)].filter((item) => !removed.has(item));
  }
  if (isKeyedList(baseList) && isKeyedList(device) && isKeyedList(server)) {
    const byId = new Map<string, { id: string; at?: string }>();
    for (const item of [...server, ...device]) {
      if (!byId.has(item.id)) {
        byId.set(item.id, item);
      }
    }
    return [...byId.values()].sort((a, b) => (a.at ?? '').localeCompare(b.at ?? ''));
  }
  return undefined;
}

/** The merged values of every contested field, or `undefined` when one cannot merge. */
export function mergedValues(view: ConflictView): Fields | undefined {
  const { fields } = view.conflict;
  if (fields.length === 0) {
    return undefined;
  }
  const values: Fields = {};
  for (const clash of fields) {
    const merged = mergeField(clash);
    if (merged === undefined) {
      return undefined;
    }
    values[clash.field] = merged;
  }
  return values;
}

/** Whether the conflict offers moving the stay to a free room. */
export function freeRoomsOf(view: ConflictView) {
  const rule = view.conflict.rule;
  return rule !== null && (rule.rule === 'double_booking' || rule.rule === 'room_unavailable') ? rule.free_rooms : [];
}

/** The device's values: of the contested fields, or of its whole change when none is listed. */
export function deviceValues(view: ConflictView): Fields {
  const { fields, device_changes } = view.conflict;
  if (fields.length === 0) {
    return Object.fromEntries(Object.entries(device_changes).map(([field, change]) => [field, change.value]));
  }
  return Object.fromEntries(fields.map((clash) => [clash.field, clash.device]));
}

/** The dialog's inputs for the choices that need more than a click. */
export interface ChoiceInputs {
  pick: Record<string, 'device' | 'server'>;
  custom: Fields;
  roomId: string;
}

/**
 * The `ResolutionChoice` the dialog sends, or why it cannot be sent yet (a field without a
 * side, no room chosen, nothing to merge).
 */
export function buildChoice(view: ConflictView, kind: ChoiceKind, inputs: ChoiceInputs): ResolutionChoice | { error: string } {
  switch (kind) {
    case 'keep_device':
      return { choice: 'keep_device' };
    case 'keep_server':
      return { choice: 'keep_server' };
    case 'merge': {
      const values = mergedValues(view);
      return values === undefined
        ? { error: 'These changes cannot be merged automatically: choose a side or type a value' }
        : { choice: 'custom', values };
    }
    case 'per_field': {
      const missing = view.conflict.fields.find((clash) => inputs.pick[clash.field] === undefined);
      if (missing !== undefined) {
        return { error: `Choose this device's or the server's value for ${missing.field}` };
      }
      const pick: Record<string, 'device' | 'server'> = {};
      for (const clash of view.conflict.fields) {
        pick[clash.field] = inputs.pick[clash.field] ?? 'server';
      }
      return { choice: 'per_field', pick };
    }
    case 'custom':
      return { choice: 'custom', values: { ...inputs.custom } };
    case 'move_stay':
      if (!freeRoomsOf(view).some((room) => room.room_id === inputs.roomId)) {
        return { error: 'Choose one of the free rooms' };
      }
      return { choice: 'move_stay', room_id: inputs.roomId };
  }
}

/** The field values a choice writes onto the current record (`resolution_values`). */
export function choiceValues(view: ConflictView, choice: ResolutionChoice): Fields {
  switch (choice.choice) {
    case 'keep_device':
      return deviceValues(view);
    case 'keep_server':
      return {};
    case 'per_field':
      return Object.fromEntries(
        view.conflict.fields.map((clash) => [clash.field, choice.pick[clash.field] === 'device' ? clash.device : clash.server]),
      );
    case 'custom':
      return { ...choice.values };
    case 'move_stay':
      return { room_id: choice.room_id };
  }
}

/** The record as it will read once the choice is applied. */
export function previewRecord(view: ConflictView, choice: ResolutionChoice): Fields {
  const current: Fields =
    view.current ?? Object.fromEntries(view.conflict.fields.map((clash) => [clash.field, clash.server]));
  return { ...current, ...choiceValues(view, choice) };
}

/** A field value in words for the dialog and the history. */
export function displayValue(value: unknown): string {
  if (value === null || value === undefined || value === '') {
    return '—';
  }
  if (Array.isArray(value)) {
    if (value.length === 0) {
      return '—';
    }
    return value.map((item) => (typeof item === 'object' && item !== null && 'text' in item ? String(item.text) : displayValue(item))).join('; ');
  }
  if (typeof value === 'object') {
    return JSON.stringify(value);
  }
  return String(value);
}

/**
 * Text typed for a custom value, turned into the JSON shape of the value it replaces: a
 * number for numbers, a list (one per line) for lists, null for an empty optional text.
 */
export function parseTyped(text: string, like: unknown): unknown {
  if (typeof like === 'number') {
    const n = Number(text.trim());
    return text.trim() === '' || Number.isNaN(n) ? text : n;
  }
  if (typeof like === 'boolean') {
    return text.trim().toLowerCase() === 'true' || text.trim().toLowerCase() === 'yes';
  }
  if (isTextList(like)) {
    return text
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line !== '');
  }
  return text.trim() === '' && (like === null || like === undefined) ? null : text;
}

/** The typed text a value starts from in the custom editor. */
export function typedText(value: unknown): string {
  if (value === null || value === undefined) {
    return '';
  }
  if (isTextList(value)) {
    return value.join('\n');
  }
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}
