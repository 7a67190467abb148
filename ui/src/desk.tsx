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
 */
export function useLoad<T>(load: () => Promise<T>, deps: readonly unknown[], kinds: readonly EntityKind[]): Loaded<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<AppError | undefined>(undefined);
  const [loading, setLoading] = useState(true);
  const [generation, setGeneration] = useState(0);
  const reload = useCallback(() => setGeneration((g) => g + 1), []);
  const loadRef = useRef(load);
  loadRef.current = load;

  useEffect(() => {
    let current = true;
    setLoading(true);
    loadRef.current().then(
      (loaded) => {
        if (current) {
          setData(loaded);
          setError(undefined);
          setLoading(false);
        }
      },
      (reason: unknown) => {
        if (current) {
          setError(toAppError(reason));
          setLoading(false);
        }
      },
    );
    return () => {
      current = false;
    };
  }, [...deps, generation]);

  const kindsKey = kinds.join(',');
  useEffect(() => subscribeDataChanged(kindsKey.split(','), reload), [kindsKey, reload]);

  return { data, error, loading, reload };
}

/** Calls `handler` when a `data-changed` event names one of `kinds`; returns the unsubscribe. */
export function subscribeDataChanged(kinds: readonly string[], handler: () => void): () => void {
  let unlisten: (() => void) | undefined;
  let stopped = false;
  const subscription = onDataChanged((change) => {
    if (change.entities.some((entity) => kinds.includes(entity))) {
      handler();
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
