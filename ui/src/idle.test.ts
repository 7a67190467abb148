import { renderHook } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import { useIdleSignOut } from './idle.ts';

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe('idle sign-out', () => {
  it('signs out after the idle time, and any key press or touch starts it again', () => {
    const signOut = vi.fn();
    renderHook(() => useIdleSignOut(600, signOut));

    vi.advanceTimersByTime(599_000);
    window.dispatchEvent(new KeyboardEvent('keydown', { key: 'a' }));
    vi.advanceTimersByTime(599_000);
    expect(signOut).not.toHaveBeenCalled();
    window.dispatchEvent(new Event('pointerdown'));
    vi.advanceTimersByTime(600_000);
    expect(signOut).toHaveBeenCalledTimes(1);
  });

  it('never signs out when the setting is zero', () => {
    const signOut = vi.fn();
    renderHook(() => useIdleSignOut(0, signOut));
    vi.advanceTimersByTime(24 * 3_600_000);
    expect(signOut).not.toHaveBeenCalled();
  });
});
