import { describe, expect, it } from 'vitest';

import { isReady, readiness, readinessLabel } from './roomReadiness.ts';
import { room as fixtureRoom } from './test/fixtures.tsx';

const room = (patch: Parameters<typeof fixtureRoom>[1]) => fixtureRoom('305', patch);

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
