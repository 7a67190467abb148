// Whether a room can take a guest now, in a receptionist's words: shown beside room
// numbers where a stay is given a room or checked in, so nobody picks a dirty room.

import type { Room } from './records.ts';

export type Readiness = 'inspected' | 'clean' | 'dirty' | 'touch_up' | 'occupied' | 'blocked';

/** The room's readiness: a block or a guest first, then its cleaning. */
export function readiness(room: Room): Readiness {
  if (room.availability !== 'available') {
    return 'blocked';
  }
  if (room.occupancy === 'occupied') {
    return 'occupied';
  }
  switch (room.cleaning) {
    case 'inspected':
      return 'inspected';
    case 'clean':
      return 'clean';
    case 'pickup':
      return 'touch_up';
    case 'dirty':
      return 'dirty';
  }
}

const WORDS: Record<Readiness, string> = {
  inspected: 'ready, inspected',
  clean: 'ready, clean',
  dirty: 'dirty',
  touch_up: 'needs a touch-up',
  occupied: 'occupied',
  blocked: 'blocked',
};

/** Whether a guest can be checked in to the room now. */
export function isReady(room: Room): boolean {
  const state = readiness(room);
  return state === 'inspected' || state === 'clean';
}

/** `ready, clean`, `dirty`, `occupied`…: the words shown beside the room number. */
export function readinessLabel(room: Room): string {
  return WORDS[readiness(room)];
}
