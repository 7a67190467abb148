// Hash routes: `#/reservations/<id>` survives a reload of the webview and needs no router.

import { useEffect, useState } from 'react';

import { RESERVATION_STATUSES, type EntityKind, type ReservationStatus, type Role } from './records.ts';

export type Route =
  | { screen: 'today' }
  /** The reservations list, optionally filtered to one status (`#/reservations?status=checked_in`). */
  | { screen: 'reservations'; status?: ReservationStatus }
  | { screen: 'reservation'; id: string | null; walkIn: boolean }
  | { screen: 'tape-chart' }
  | { screen: 'rooms' }
  | { screen: 'housekeeping' }
  | { screen: 'folio'; reservationId: string }
  | { screen: 'guests' }
  | { screen: 'maintenance' }
  | { screen: 'requests' }
  | { screen: 'pos' }
  | { screen: 'inventory' }
  | { screen: 'history'; entity: EntityKind; id: string }
  | { screen: 'settings' }
  | { screen: 'sync'; conflicts: boolean };

/** The route of a location hash; unknown hashes go to today. */
export function parseRoute(hash: string): Route {
  const [path = '', search = ''] = hash.replace(/^#\/?/, '').split('?', 2);
  const parts = path.split('/').filter((part) => part !== '').map(decodeURIComponent);
  const [first, second, third] = parts;
  switch (first) {
    case 'reservations':
      if (second === undefined) {
        const status = new URLSearchParams(search).get('status');
        return (RESERVATION_STATUSES as readonly (string | null)[]).includes(status)
          ? { screen: 'reservations', status: status as ReservationStatus }
          : { screen: 'reservations' };
      }
      if (second === 'new') {
        return { screen: 'reservation', id: null, walkIn: false };
      }
      if (second === 'walk-in') {
        return { screen: 'reservation', id: null, walkIn: true };
      }
      return { screen: 'reservation', id: second, walkIn: false };
    case 'tape-chart':
    case 'rooms':
    case 'housekeeping':
    case 'guests':
    case 'maintenance':
    case 'requests':
    case 'pos':
    case 'inventory':
    case 'settings':
      return { screen: first };
    case 'folio':
      return second === undefined ? { screen: 'today' } : { screen: 'folio', reservationId: second };
    case 'history':
      return second === undefined || third === undefined
        ? { screen: 'today' }
        : { screen: 'history', entity: second as EntityKind, id: third };
    case 'sync':
      return { screen: 'sync', conflicts: second === 'conflicts' };
    default:
      return { screen: 'today' };
  }
}

/** The hash of a route. */
export function href(route: Route): string {
  switch (route.screen) {
    case 'reservations':
      return route.status !== undefined ? `#/reservations?status=${route.status}` : '#/reservations';
    case 'reservation':
      return route.id !== null ? `#/reservations/${route.id}` : route.walkIn ? '#/reservations/walk-in' : '#/reservations/new';
    case 'folio':
      return `#/folio/${route.reservationId}`;
    case 'history':
      return `#/history/${route.entity}/${route.id}`;
    case 'sync':
      return route.conflicts ? '#/sync/conflicts' : '#/sync';
    default:
      return `#/${route.screen}`;
  }
}

export function navigate(route: Route): void {
  window.location.hash = href(route);
}

/** The current route, following the hash. */
export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(window.location.hash));
  useEffect(() => {
    const follow = () => setRoute(parseRoute(window.location.hash));
    window.addEventListener('hashchange', follow);
    return () => window.removeEventListener('hashchange', follow);
  }, []);
  return route;
}

const DESK: readonly Role[] = ['manager', 'front_desk'];

/**
 * Who may open a screen on a shared desk: guests, stays, folios and money are the front
 * desk's and the manager's. A route another role
 * left behind (a bookmark, the last screen before a sign-out) shows the role's home.
 */
export function mayOpen(role: Role, route: Route): boolean {
  switch (route.screen) {
    case 'today':
    case 'rooms':
    case 'maintenance':
    case 'requests':
    case 'inventory':
    case 'sync':
    case 'settings':
      return true;
    case 'housekeeping':
      return role !== 'maintenance';
    case 'history':
      return DESK.includes(role) || ['room', 'housekeeping_task', 'maintenance_report', 'service_request', 'inventory_item'].includes(route.entity);
    case 'reservations':
    case 'reservation':
    case 'tape-chart':
    case 'folio':
    case 'guests':
    case 'pos':
      return DESK.includes(role);
  }
}
