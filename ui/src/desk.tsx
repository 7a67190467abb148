// What every screen of a signed-in desk shares: the property's catalog, the signed-in user,
// the worker's state, and loading data that reloads when the records it shows change.

import { createContext, useCallback, useContext, useEffect, useRef, useState } from 'react';

import { AppError, onDataChanged, toAppError, type Catalog, type OperationVerdict, type SignedInUser, type SyncState } from './api.ts';
import type { EntityKind, Room, Uuid } from './records.ts';

export interface Desk {
  catalog: Catalog;
  user: SignedInUser;
  sync: SyncState | undefined;
  /** Signs the user out and goes back to the sign-in screen. */
  signOut?: () => void;
}

const DeskContext = createContext<Desk | undefined>(undefined);

export const DeskProvider = DeskContext.Provider;

/** The desk of the signed-in user; screens render only inside one. */
export function useDesk(): Desk {
  const desk = useContext(DeskContext);
  if (desk === undefined) {
    throw new Error('useDesk needs a DeskProvider above it');
  }
  return desk;
}

/** The room with this id, if the catalog has it. */
export function useRoomLookup(): (id: Uuid | null) => Room | undefined {
  const { catalog } = useDesk();
  const byId = useRef(new Map<string, Room>());
  const source = useRef<Room[] | undefined>(undefined);
  if (source.current !== catalog.rooms) {
    byId.current = new Map(catalog.rooms.map((room) => [room.id, room]));
    source.current = catalog.rooms;
  }
  return useCallback((id: Uuid | null) => (id === null ? undefined : byId.current.get(id)), []);
}

/** The stale-data verdict of an operation (`check_in`...): a block disables its button and says why. */
export function useVerdict(operation: string): OperationVerdict | undefined {
  const { sync } = useDesk();
  return sync?.operations.find((verdict) => verdict.operation === operation);
}

export interface Loaded<T> {
  data: T | undefined;
  error: AppError | undefined;
  loading: boolean;
  reload: () => void;
}

/**
 * Loads data for a screen, again when `deps` change, and again when a `data-changed` event
 * names one of `kinds` (a local action, or changes pulled from the server).
 *
 * Reloads for events are coalesced: at most one per `DATA_CHANGED_WINDOW_MS` (see
 * `subscribeDataChanged`), and never a second one while a load is still under way: the
 * events that arrive meanwhile make one more load once it has answered. A screen that lists
 * many records thus holds one answer at a time, however many events a sync round sends.
 */
export function useLoad<T>(load: () => Promise<T>, deps: readonly unknown[], kinds: readonly EntityKind[]): Loaded<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<AppError | undefined>(undefined);
  const [loading, setLoading] = useState(true);
  const [generation, setGeneration] = useState(0);
  const reload = useCallback(() => setGeneration((g) => g + 1), []);
  const loadRef = useRef(load);
  loadRef.current = load;
  const inFlight = useRef(false);
  const again = useRef(false);

  useEffect(() => {
    let current = true;
    inFlight.current = true;
    setLoading(true);
    const settled = () => {
      inFlight.current = false;
      if (again.current) {
        again.current = false;
        reload();
      }
    };
    loadRef.current().then(
      (loaded) => {
        if (current) {
          setData(loaded);
          setError(undefined);
          setLoading(false);
          settled();
        }
      },
      (reason: unknown) => {
        if (current) {
          setError(toAppError(reason));
          setLoading(false);
          settled();
        }
      },
    );
    return () => {
      current = false;
    };
  }, [...deps, generation]);

  const kindsKey = kinds.join(',');
  useEffect(
    () =>
      kindsKey === ''
        ? undefined
        : subscribeDataChanged(kindsKey.split(','), () => {
            if (inFlight.current) {
              again.current = true;
            } else {
              reload();
            }
          }),
    [kindsKey, reload],
  );

  return { data, error, loading, reload };
}

/** The shortest time between two reloads of one subscriber for `data-changed` events. */
export const DATA_CHANGED_WINDOW_MS = 500;

/**
 * Throttles `run`: the first call runs at once, the calls within `windowMs` after a run are
 * gathered into one more run at the end of the window. A burst of any length thus runs it at
 * most twice per window, and the last call is always followed by a run.
 */
export function throttle(run: () => void, windowMs: number): { call: () => void; cancel: () => void } {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let pending = false;
  const cool = () => {
    timer = setTimeout(() => {
      if (pending) {
        pending = false;
        run();
        cool();
      } else {
        timer = undefined;
      }
    }, windowMs);
  };
  return {
    call: () => {
      if (timer === undefined) {
        run();
        cool();
      } else {
        pending = true;
      }
    },
    cancel: () => {
      clearTimeout(timer);
      timer = undefined;
      pending = false;
    },
  };
}

/**
 * Calls `handler` when a `data-changed` event names one of `kinds`, at most once per
 * `windowMs` (see `throttle`); returns the unsubscribe.
 */
export function subscribeDataChanged(
  kinds: readonly string[],
  handler: () => void,
  windowMs: number = DATA_CHANGED_WINDOW_MS,
): () => void {
  let unlisten: (() => void) | undefined;
  let stopped = false;
  const throttled = throttle(handler, windowMs);
  const subscription = onDataChanged((change) => {
    if (!stopped && change.entities.some((entity) => kinds.includes(entity))) {
      throttled.call();
    }
  });
  // A test double may return nothing; a real subscription is a promise of its unlisten.
  void Promise.resolve(subscription).then((stop) => {
    if (stopped) {
      stop?.();
    } else {
      unlisten = stop;
    }
  });
  return () => {
    stopped = true;
    throttled.cancel();
    unlisten?.();
  };
}

/** Runs an action, keeping its error for the screen and telling whether it is under way. */
export function useAction(): {
  busy: boolean;
  error: AppError | undefined;
  run: <T>(action: () => Promise<T>) => Promise<T | undefined>;
  clear: () => void;
} {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<AppError | undefined>(undefined);
  const run = useCallback(async <T,>(action: () => Promise<T>) => {
    setBusy(true);
    setError(undefined);
    try {
      return await action();
    } catch (reason) {
      setError(toAppError(reason));
      return undefined;
    } finally {
      setBusy(false);
    }
  }, []);
  const clear = useCallback(() => setError(undefined), []);
  return { busy, error, run, clear };
}
