import { describe, expect, it } from 'vitest';

import type { Room } from './records.ts';
import { isReady, readiness, readinessLabel } from './roomReadiness.ts';

function room(patch: Partial<Room>): Room {
  return {
    id: 'r',
    property_id: 'p',
    number: '305',
    room_type_id: 't',
    floor: 3,
    cleaning: 'clean',
    occupancy: 'vacant',
    availability: 'available',
    blocked_from: null,
    blocked_until: null,
    blocked_reason: null,
    return_to: null,
    ...patch,
  };
}

describe('room readiness', () => {
  it('is ready only when vacant, available and clean or inspected', () => {
    expect(isReady(room({ cleaning: 'inspected' }))).toBe(true);
    expect(isReady(room({ cleaning: 'clean' }))).toBe(true);
    expect(isReady(room({ cleaning: 'dirty' }))).toBe(false);
    expect(isReady(room({ cleaning: 'pickup' }))).toBe(false);
    expect(isReady(room({ occupancy: 'occupied' }))).toBe(false);
    expect(isReady(room({ availability: 'out_of_order' }))).toBe(false);
  });

  it('names a block before a guest, and a guest before the cleaning', () => {
    expect(readiness(room({ availability: 'out_of_service', occupancy: 'occupied', cleaning: 'dirty' }))).toBe('blocked');
    expect(readiness(room({ occupancy: 'occupied', cleaning: 'dirty' }))).toBe('occupied');
    expect(readinessLabel(room({ cleaning: 'pickup' }))).toBe('needs a touch-up');
    expect(readinessLabel(room({ cleaning: 'inspected' }))).toBe('ready, inspected');
  });
});
