import { describe, expect, it } from 'vitest';

import { href, mayOpen, parseRoute, type Route } from './routes.ts';

describe('routes', () => {
  it.each<[string, Route]>([
    ['', { screen: 'today' }],
    ['#/nowhere', { screen: 'today' }],
    ['#/reservations?status=nonsense', { screen: 'reservations' }],
    ['#/reservations', { screen: 'reservations' }],
    ['#/reservations?status=checked_in', { screen: 'reservations', status: 'checked_in' }],
    ['#/reservations/new', { screen: 'reservation', id: null, walkIn: false }],
    ['#/reservations/walk-in', { screen: 'reservation', id: null, walkIn: true }],
    ['#/reservations/r-42', { screen: 'reservation', id: 'r-42', walkIn: false }],
    ['#/folio/r-42', { screen: 'folio', reservationId: 'r-42' }],
    ['#/history/guest/g-1', { screen: 'history', entity: 'guest', id: 'g-1' }],
    ['#/sync/conflicts', { screen: 'sync', conflicts: true }],
    ['#/rooms', { screen: 'rooms' }],
  ])('%s is %o and back', (hash, route) => {
    expect(parseRoute(hash)).toEqual(route);
    if (hash.startsWith('#/') && hash !== '#/nowhere' && !hash.includes('nonsense')) {
      expect(href(route)).toBe(hash);
    }
  });
});

describe('who may open a screen on a shared desk', () => {
  it('keeps guests, stays, folios and money from housekeeping and maintenance', () => {
    for (const route of [
      { screen: 'guests' },
      { screen: 'folio', reservationId: 'r-1' },
      { screen: 'reservation', id: 'r-1', walkIn: false },
      { screen: 'reservations' },
      { screen: 'pos' },
      { screen: 'history', entity: 'guest', id: 'g-1' },
    ] as const) {
      expect(mayOpen('housekeeping', route), route.screen).toBe(false);
      expect(mayOpen('maintenance', route), route.screen).toBe(false);
      expect(mayOpen('front_desk', route), route.screen).toBe(true);
    }
  });

  it('leaves rooms and the settings screen to everyone', () => {
    expect(mayOpen('housekeeping', { screen: 'settings' })).toBe(true);
    expect(mayOpen('housekeeping', { screen: 'rooms' })).toBe(true);
    expect(mayOpen('housekeeping', { screen: 'history', entity: 'room', id: 'x' })).toBe(true);
  });
});
