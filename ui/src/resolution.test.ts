import { describe, expect, it } from 'vitest';

import { buildChoice, mergeField, parseTyped, previewRecord, sameValue } from './resolution.ts';
import { conflictView } from './test/fixtures.tsx';

describe('mergeField', () => {
  it('takes the side that changed when the other kept the base', () => {
    expect(mergeField({ base: 'a', device: 'b', server: 'a' })).toBe('b');
    expect(mergeField({ base: 'a', device: 'a', server: 'c' })).toBe('c');
  });

  it('settles the same change on both sides', () => {
    expect(mergeField({ base: 'a', device: 'z', server: 'z' })).toBe('z');
  });

  it('cannot merge two different edits of one text', () => {
    expect(mergeField({ base: 'a', device: 'b', server: 'c' })).toBeUndefined();
  });

  it('merges lists: base plus both additions minus both removals', () => {
    expect(
      mergeField({ base: ['quiet', 'high floor', 'feather-free'], device: ['quiet', 'feather-free', 'crib'], server: ['quiet', 'high floor', 'late'] }),
    ).toEqual(['quiet', 'late', 'crib']);
  });

  it('merges notes by id in time order', () => {
    const a = { id: 'n1', at: '1', by: 'A', text: 'first' };
    const b = { id: 'n2', at: '2', by: 'B', text: 'device' };
    const c = { id: 'n3', at: '3', by: 'C', text: 'server' };
    expect(mergeField({ base: [a], device: [a, b], server: [a, c] })).toEqual([a, b, c]);
  });
});

describe('buildChoice', () => {
  const inputs = { pick: {}, custom: {}, roomId: '' };

  it('sends keep_device and keep_server as they are', () => {
    expect(buildChoice(conflictView(), 'keep_device', inputs)).toEqual({ choice: 'keep_device' });
    expect(buildChoice(conflictView(), 'keep_server', inputs)).toEqual({ choice: 'keep_server' });
  });

  it('refuses a merge that cannot be made', () => {
    expect(buildChoice(conflictView(), 'merge', inputs)).toHaveProperty('error');
  });

  it('refuses to move a stay to a room that is not free', () => {
    expect(buildChoice(conflictView(), 'move_stay', { ...inputs, roomId: 'room-999' })).toHaveProperty('error');
  });
});

describe('previewRecord', () => {
  it('overlays the values a choice writes on the current record', () => {
    expect(previewRecord(conflictView(), { choice: 'custom', values: { source: 'agent' } })).toEqual({
      guest_name: 'Sarah Johnson',
      source: 'agent',
      special_requests: ['quiet room', 'crib'],
      room_id: 'room-305',
    });
  });

  it('falls back to the server values when the record is not on this device', () => {
    expect(previewRecord(conflictView({}, null), { choice: 'keep_server' })).toEqual({
      source: 'email',
      special_requests: ['quiet room', 'crib'],
    });
  });
});

describe('parseTyped', () => {
  it('gives typed text the shape of the value it replaces', () => {
    expect(parseTyped('3', 2)).toBe(3);
    expect(parseTyped('a\n b \n\n', ['x'])).toEqual(['a', 'b']);
    expect(parseTyped('', null)).toBeNull();
    expect(parseTyped('x@example.com', 'old@example.com')).toBe('x@example.com');
  });
});

describe('sameValue', () => {
  it('ignores key order', () => {
    expect(sameValue({ a: 1, b: [1, 2] }, { b: [1, 2], a: 1 })).toBe(true);
    expect(sameValue([1, 2], [2, 1])).toBe(false);
  });
});
