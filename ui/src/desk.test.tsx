import { act, renderHook } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import * as api from './api.ts';
import { DATA_CHANGED_WINDOW_MS, subscribeDataChanged, throttle, useLoad } from './desk.tsx';
import type { EntityKind } from './records.ts';

vi.mock('./api.ts', async (importOriginal) => (await import('./test/apiMock.ts')).mockApi(await importOriginal()));

/** Sends a `data-changed` event to every subscriber so far. */
function emit(...entities: EntityKind[]) {
  for (const [handler] of vi.mocked(api.onDataChanged).mock.calls) {
    handler({ entities });
  }
}

beforeEach(() => {
  vi.useFakeTimers();
});

afterEach(() => {
  vi.useRealTimers();
});

describe('throttle', () => {
  it('runs the first call at once and gathers a burst into one more run at the end of the window', () => {
    const run = vi.fn();
    const throttled = throttle(run, 500);

    throttled.call();
    expect(run).toHaveBeenCalledTimes(1);
    for (let i = 0; i < 300; i += 1) {
      throttled.call();
    }
    expect(run).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(500);
    expect(run).toHaveBeenCalledTimes(2);
    vi.advanceTimersByTime(5_000);
    expect(run).toHaveBeenCalledTimes(2);
  });

  it('runs at most once per window while calls keep coming, and once after the last', () => {
    const run = vi.fn();
    const throttled = throttle(run, 500);

    // A call every 50 ms for 3 s: 60 calls.
    for (let t = 0; t < 3_000; t += 50) {
      throttled.call();
      vi.advanceTimersByTime(50);
    }
    vi.advanceTimersByTime(1_000);

    // The leading run, then one per window of 500 ms.
    expect(run.mock.calls.length).toBeGreaterThanOrEqual(6);
    expect(run.mock.calls.length).toBeLessThanOrEqual(8);
  });

  it('runs again at once after a quiet window, and not at all once cancelled', () => {
    const run = vi.fn();
    const throttled = throttle(run, 500);

    throttled.call();
    vi.advanceTimersByTime(600);
    throttled.call();
    expect(run).toHaveBeenCalledTimes(2);

    throttled.call();
    throttled.cancel();
    vi.advanceTimersByTime(1_000);
    expect(run).toHaveBeenCalledTimes(2);
  });
});

describe('subscribeDataChanged', () => {
  it('calls the handler for its kinds only, throttled', () => {
    const handler = vi.fn();
    const stop = subscribeDataChanged(['reservation'], handler);

    emit('room');
    expect(handler).not.toHaveBeenCalled();
    emit('reservation', 'guest');
    emit('reservation');
    emit('reservation');
    expect(handler).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(DATA_CHANGED_WINDOW_MS);
    expect(handler).toHaveBeenCalledTimes(2);

    stop();
    emit('reservation');
    vi.advanceTimersByTime(DATA_CHANGED_WINDOW_MS);
    expect(handler).toHaveBeenCalledTimes(2);
  });

  it('drops a run still waiting in its window when unsubscribed', () => {
    const handler = vi.fn();
    const stop = subscribeDataChanged(['reservation'], handler);

    emit('reservation');
    emit('reservation');
    stop();
    vi.advanceTimersByTime(DATA_CHANGED_WINDOW_MS);

    expect(handler).toHaveBeenCalledTimes(1);
  });
});

describe('useLoad', () => {
  /** A load whose answers the test gives, one per call. */
  function controlledLoad() {
    const answers: ((value: number) => void)[] = [];
    const load = vi.fn(() => new Promise<number>((resolve) => answers.push(resolve)));
    return { load, answer: async (value: number) => act(async () => answers[load.mock.calls.length - 1]?.(value)) };
  }

  it('reloads when its kinds change', async () => {
    const { load, answer } = controlledLoad();
    const { result } = renderHook(() => useLoad(load, [], ['reservation']));
    await answer(1);
    expect(result.current.data).toBe(1);

    act(() => emit('reservation'));
    expect(load).toHaveBeenCalledTimes(2);
    await answer(2);
    expect(result.current.data).toBe(2);
  });

  it('loads once more, not once per event, for events that arrive while a load is under way', async () => {
    const { load, answer } = controlledLoad();
    renderHook(() => useLoad(load, [], ['reservation']));
    expect(load).toHaveBeenCalledTimes(1);

    // A sync round's worth of events while the first load has not answered.
    act(() => {
      for (let i = 0; i < 200; i += 1) {
        emit('reservation');
        vi.advanceTimersByTime(DATA_CHANGED_WINDOW_MS);
      }
    });
    expect(load).toHaveBeenCalledTimes(1);

    await answer(1);
    expect(load).toHaveBeenCalledTimes(2);
    await answer(2);
    act(() => vi.advanceTimersByTime(10 * DATA_CHANGED_WINDOW_MS));
    expect(load).toHaveBeenCalledTimes(2);
  });

  it('subscribes to nothing without kinds', () => {
    const { load } = controlledLoad();
    renderHook(() => useLoad(load, [], []));

    expect(api.onDataChanged).not.toHaveBeenCalled();
  });
});
