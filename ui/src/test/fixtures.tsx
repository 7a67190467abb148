// Records and a desk for component tests. Only api.ts is mocked in tests; these are the
// data the mocked commands answer with.

import { render, type RenderResult } from '@testing-library/react';
import type { ReactElement } from 'react';

import type { Catalog, ConflictView, SignedInUser, SyncState } from '../api.ts';
import { DeskProvider } from '../desk.tsx';
import type { Guest, Reservation, Room } from '../records.ts';

export const PROPERTY_ID = '00000000-0000-4000-8000-000000000001';
export const DOUBLE = '00000000-0000-4000-8000-0000000000d1';

export function room(number: string, overrides: Partial<Room> = {}): Room {
  return {
    id: `00000000-0000-4000-8000-000000000${number}`,
    property_id: PROPERTY_ID,
    number,
    room_type_id: DOUBLE,
    floor: Number(number[0]),
    cleaning: 'clean',
    occupancy: 'vacant',
    availability: 'available',
    blocked_from: null,
    blocked_until: null,
    blocked_reason: null,
    return_to: null,
    ...overrides,
  };
}

export const ROOMS = [room('101'), room('102'), room('305'), room('306')];

export const CATALOG: Catalog = {
  property: { id: PROPERTY_ID, code: 'LIS', name: 'Hotel Lisboa', timezone: 'Europe/Lisbon', currency: 'EUR' },
  business_date: '2026-03-14',
  room_types: [{ id: DOUBLE, property_id: PROPERTY_ID, code: 'DBL', name: 'Double', capacity: 2 }],
  rooms: ROOMS,
  staff: [],
  devices: [],
};

export const DESK_USER: SignedInUser = { id: 'u-1', username: 'ana', display_name: 'Ana Reis', role: 'front_desk' };
export const HOUSEKEEPER: SignedInUser = { id: 'u-2', username: 'rui', display_name: 'Rui Costa', role: 'housekeeping' };

export const IDLE: SyncState = {
  state: 'idle',
  pending: 0,
  failed: 0,
  held: 0,
  open_conflicts: 0,
  last_sync_at: '2026-03-14T09:58:00Z',
  reason: null,
  freshness: [],
  operations: [],
};

export function reservation(overrides: Partial<Reservation> = {}): Reservation {
  return {
    id: 'r-42',
    property_id: PROPERTY_ID,
    confirmation: 'H-2024-0042',
    guest_id: 'g-1',
    guest_name: 'Sarah Johnson',
    room_type_id: DOUBLE,
    room_id: null,
    arrival: '2026-03-14',
    departure: '2026-03-16',
    adults: 2,
    children: 0,
    rate_code: 'BAR',
    source: 'phone',
    special_requests: [],
    notes: [],
    status: 'confirmed',
    ...overrides,
  };
}

/** A conflict over a reservation's email-like manual field and its special requests. */
export function conflictView(overrides: Partial<ConflictView['conflict']> = {}, current?: ConflictView['current']): ConflictView {
  return {
    conflict: {
      id: 'c-1',
      entity: 'reservation',
      record_id: 'r-42',
      kind: 'data',
      severity: 'low',
      auto_resolvable: false,
      fields: [
        { field: 'source', base: 'phone', device: 'walk_in', server: 'email', reason: 'both_changed' },
        {
          field: 'special_requests',
          base: ['quiet room'],
          device: ['quiet room', 'late check-in'],
          server: ['quiet room', 'crib'],
          reason: 'both_changed',
        },
      ],
      device: { device_id: 'd-1', user_id: 'u-1', hlc: 'x', at: '2026-03-14T09:00:00Z' },
      server: { device_id: 'd-2', user_id: 'u-9', hlc: 'y', at: '2026-03-14T09:05:00Z' },
      mutation_id: 'm-1',
      device_changes: {},
      base_version: 3,
      server_version: 4,
      rule: null,
      summary: 'Both sides changed source, special_requests of this reservation',
      status: 'open',
      ...overrides,
    },
    title: 'Reservation H-2024-0042, Sarah Johnson',
    current: current === undefined ? { guest_name: 'Sarah Johnson', source: 'email', special_requests: ['quiet room', 'crib'], room_id: 'room-305' } : current,
    device_user: 'Ana Reis',
    device_name: 'Front desk 1',
    server_user: 'João Silva',
    server_device: 'Front desk 2',
  };
}

/** Renders inside a signed-in desk. */
export function renderInDesk(
  ui: ReactElement,
  { user = DESK_USER, sync = IDLE, catalog = CATALOG }: { user?: SignedInUser; sync?: SyncState; catalog?: Catalog } = {},
): RenderResult {
  return render(<DeskProvider value={{ catalog, user, sync }}>{ui}</DeskProvider>);
}

export function guest(overrides: Partial<Guest> = {}): Guest {
  return {
    id: 'g-1',
    property_id: PROPERTY_ID,
    first_name: 'Sarah',
    last_name: 'Johnson',
    email: null,
    phone: null,
    loyalty_number: null,
    loyalty_tier: null,
    preferences: [],
    notes: [],
    tags: [],
    last_interaction_at: null,
    ...overrides,
  };
}
