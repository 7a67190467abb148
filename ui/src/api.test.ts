import { invoke } from '@tauri-apps/api/core';
import { listen } from '@tauri-apps/api/event';
import { beforeEach, describe, expect, it, vi } from 'vitest';

import * as api from './api.ts';
import { AppError, appInfo, toAppError } from './api.ts';

// Only this file replaces the Tauri bridge: the wrappers are what is under test here.
vi.mock('@tauri-apps/api/core', () => ({ invoke: vi.fn() }));
vi.mock('@tauri-apps/api/event', () => ({ listen: vi.fn() }));

const invokeMock = vi.mocked(invoke);
const listenMock = vi.mocked(listen);

beforeEach(() => {
  invokeMock.mockReset();
  invokeMock.mockResolvedValue(undefined);
});

describe('onSessionLost', () => {
  it('hears a command that found nobody signed in, and nothing else', async () => {
    const lost = vi.fn();
    const stop = api.onSessionLost(lost);
    invokeMock.mockRejectedValueOnce({ code: 'not_found', message: 'no such reservation' });
    await expect(api.today()).rejects.toMatchObject({ code: 'not_found' });
    expect(lost).not.toHaveBeenCalled();
    invokeMock.mockRejectedValueOnce({ code: 'not_signed_in', message: 'Sign in first' });
    await expect(api.today()).rejects.toMatchObject({ code: 'not_signed_in' });
    expect(lost).toHaveBeenCalledTimes(1);
    stop();
    invokeMock.mockRejectedValueOnce({ code: 'not_signed_in', message: 'Sign in first' });
    await expect(api.today()).rejects.toMatchObject({ code: 'not_signed_in' });
    expect(lost).toHaveBeenCalledTimes(1);
  });
});

describe('appInfo', () => {
  it('invokes the app_info command and returns its answer', async () => {
    const info = { name: 'Frontdesk', version: '0.1.0', protocolVersion: 1 };
    invokeMock.mockResolvedValueOnce(info);

    await expect(appInfo()).resolves.toEqual(info);
    expect(invokeMock).toHaveBeenCalledWith('app_info', undefined);
  });

  it('rejects with the AppError the command sent', async () => {
    invokeMock.mockRejectedValueOnce({ code: 'not_found', message: 'no such reservation' });

    const failure = appInfo();

    await expect(failure).rejects.toBeInstanceOf(AppError);
    await expect(failure).rejects.toMatchObject({ code: 'not_found', message: 'no such reservation' });
  });

  it('turns a bare string rejection from Tauri into an internal AppError', async () => {
    invokeMock.mockRejectedValueOnce('Command app_info not found');

    await expect(appInfo()).rejects.toMatchObject({
      name: 'AppError',
      code: 'internal',
      message: 'Command app_info not found',
    });
  });
});

describe('toAppError', () => {
  it.each(['invalid_input', 'not_found', 'internal'] as const)('keeps the known code %s', (code) => {
    expect(toAppError({ code, message: 'm' })).toMatchObject({ code, message: 'm' });
  });

  it('maps a code this UI does not know to internal, keeping the message', () => {
    expect(toAppError({ code: 'quota_exceeded', message: 'too many devices' })).toMatchObject({
      code: 'internal',
      message: 'too many devices',
    });
  });

  it('maps a thrown Error to internal with its message', () => {
    expect(toAppError(new TypeError('window.__TAURI_INTERNALS__ is undefined'))).toMatchObject({
      code: 'internal',
      message: 'window.__TAURI_INTERNALS__ is undefined',
    });
  });

  it('maps anything else to internal', () => {
    expect(toAppError(42)).toMatchObject({ code: 'internal', message: 'Unexpected error: 42' });
  });

  it.each([
    'rule_broken',
    'read_only',
    'not_allowed',
    'stale_blocked',
    'not_enrolled',
    'not_signed_in',
    'sign_in_locked',
    'server_unreachable',
    'storage',
  ] as const)(
    'keeps the code %s the desk acts on',
    (code) => {
      expect(toAppError({ code, message: 'm' }).code).toBe(code);
    },
  );

  it('keeps the field an input error names, for the message beside it', () => {
    expect(toAppError({ code: 'invalid_input', message: 'Departure must be after arrival', field: 'departure' })).toMatchObject({
      code: 'invalid_input',
      field: 'departure',
    });
    expect(toAppError({ code: 'invalid_input', message: 'm', field: null }).field).toBeUndefined();
  });

  it('keeps the broken rule of a rule_broken error', () => {
    const breach = { rule: 'check_out_with_balance', balance: { EUR: 7000 } };
    expect(toAppError({ code: 'rule_broken', message: 'm', breach }).breach).toEqual(breach);
  });

  it('returns an AppError unchanged', () => {
    const error = new AppError('invalid_input', 'departure before arrival');
    expect(toAppError(error)).toBe(error);
  });
});

// The contract of docs/ui-commands.md: each wrapper invokes its command with these arguments.
describe('command wrappers', () => {
  const input = { any: 'input' } as never;
  it.each<[string, () => Promise<unknown>, string, Record<string, unknown> | undefined]>([
    ['sessionState', () => api.sessionState(), 'session_state', undefined],
    ['enroll', () => api.enroll({ serverUrl: 'https://s', code: 'C', deviceName: 'D' }), 'enroll', { serverUrl: 'https://s', code: 'C', deviceName: 'D' }],
    ['signIn', () => api.signIn('ana', 'pw'), 'sign_in', { username: 'ana', password: 'pw' }],
    ['signOut', () => api.signOut(), 'sign_out', undefined],
    ['catalog', () => api.catalog(), 'catalog', undefined],
    ['today', () => api.today(), 'today', undefined],
    ['searchReservations', () => api.searchReservations(input), 'search_reservations', { query: input }],
    ['getReservation', () => api.getReservation('r'), 'get_reservation', { id: 'r' }],
    ['createReservation', () => api.createReservation(input), 'create_reservation', { input }],
    ['updateReservation', () => api.updateReservation('r', { adults: 2 }), 'update_reservation', { id: 'r', edit: { adults: 2 } }],
    [
      'freeRooms',
      () => api.freeRooms({ roomTypeId: 't', arrival: '2026-03-14', departure: '2026-03-15', moving: null }),
      'free_rooms',
      { roomTypeId: 't', arrival: '2026-03-14', departure: '2026-03-15', moving: null },
    ],
    ['assignRoom', () => api.assignRoom('r', 'room'), 'assign_room', { id: 'r', roomId: 'room' }],
    ['checkIn', () => api.checkIn('r'), 'check_in', { id: 'r' }],
    ['checkOut', () => api.checkOut('r'), 'check_out', { id: 'r' }],
    ['undoCheckIn', () => api.undoCheckIn('r'), 'undo_check_in', { id: 'r' }],
    ['reinstateCheckOut', () => api.reinstateCheckOut('r'), 'reinstate_check_out', { id: 'r' }],
    ['cancelReservation', () => api.cancelReservation('r', 'guest called'), 'cancel_reservation', { id: 'r', reason: 'guest called' }],
    ['markNoShow', () => api.markNoShow('r'), 'mark_no_show', { id: 'r' }],
    ['tapeChart', () => api.tapeChart('2026-03-14', 14), 'tape_chart', { from: '2026-03-14', days: 14 }],
    ['roomBoard', () => api.roomBoard(), 'room_board', undefined],
    ['setRoomStatus', () => api.setRoomStatus('room', 'clean'), 'set_room_status', { roomId: 'room', cleaning: 'clean' }],
    [
      'setRoomAvailability',
      () => api.setRoomAvailability('room', { availability: 'out_of_order', from: null, until: null, reason: 'Leak' }),
      'set_room_availability',
      { roomId: 'room', block: { availability: 'out_of_order', from: null, until: null, reason: 'Leak' } },
    ],
    ['myTasks', () => api.myTasks(), 'my_tasks', undefined],
    ['progressTask', () => api.progressTask('t', 'done'), 'progress_task', { taskId: 't', to: 'done' }],
    ['folio', () => api.folio('r'), 'folio', { reservationId: 'r' }],
    ['postCharge', () => api.postCharge(input), 'post_charge', { input }],
    ['postPayment', () => api.postPayment(input), 'post_payment', { input }],
    ['reversePosting', () => api.reversePosting('p', 'twice'), 'reverse_posting', { postingId: 'p', reason: 'twice' }],
    ['searchGuests', () => api.searchGuests('sa'), 'search_guests', { text: 'sa' }],
    ['createGuest', () => api.createGuest(input), 'create_guest', { input }],
    ['updateGuest', () => api.updateGuest('g', { add_tags: ['vip'] }), 'update_guest', { id: 'g', edit: { add_tags: ['vip'] } }],
    ['maintenanceReports', () => api.maintenanceReports(), 'maintenance_reports', undefined],
    ['reportMaintenance', () => api.reportMaintenance(input), 'report_maintenance', { input }],
    ['progressMaintenance', () => api.progressMaintenance('m', 'resolved'), 'progress_maintenance', { id: 'm', to: 'resolved' }],
    ['serviceRequests', () => api.serviceRequests(), 'service_requests', undefined],
    ['createServiceRequest', () => api.createServiceRequest(input), 'create_service_request', { input }],
    ['progressServiceRequest', () => api.progressServiceRequest('s', 'done'), 'progress_service_request', { id: 's', to: 'done' }],
    ['posOrders', () => api.posOrders(), 'pos_orders', undefined],
    ['openPosOrder', () => api.openPosOrder(input), 'open_pos_order', { input }],
    ['addPosLine', () => api.addPosLine('o', input), 'add_pos_line', { orderId: 'o', line: input }],
    ['postPosOrder', () => api.postPosOrder('o', 'r'), 'post_pos_order', { orderId: 'o', reservationId: 'r' }],
    ['payPosOrder', () => api.payPosOrder('o', 'cash'), 'pay_pos_order', { orderId: 'o', method: 'cash' }],
    ['inventoryItems', () => api.inventoryItems(), 'inventory_items', undefined],
    ['adjustInventory', () => api.adjustInventory('i', -3), 'adjust_inventory', { itemId: 'i', delta: -3 }],
    ['recordHistory', () => api.recordHistory('guest', 'g'), 'record_history', { entity: 'guest', recordId: 'g' }],
    ['getSettings', () => api.getSettings(), 'get_settings', undefined],
    ['saveSettings', () => api.saveSettings(input), 'save_settings', { sync: input }],
    ['syncStatus', () => api.syncStatus(), 'sync_status', undefined],
    ['syncNow', () => api.syncNow(), 'sync_now', undefined],
    ['outbox', () => api.outbox(500), 'outbox', { limit: 500 }],
    ['retryMutation', () => api.retryMutation('m'), 'retry_mutation', { mutationId: 'm' }],
    ['conflicts', () => api.conflicts(), 'conflicts', undefined],
    [
      'resolveConflict',
      () => api.resolveConflict('c', { choice: 'move_stay', room_id: 'room' }),
      'resolve_conflict',
      { conflictId: 'c', resolution: { choice: 'move_stay', room_id: 'room' } },
    ],
    ['syncMetrics', () => api.syncMetrics(), 'sync_metrics', undefined],
    ['updateStatus', () => api.updateStatus(), 'update_status', undefined],
    ['checkForUpdate', () => api.checkForUpdate(), 'check_for_update', undefined],
    ['installUpdate', () => api.installUpdate(), 'install_update', undefined],
  ])('%s invokes %s', async (_name, call, command, args) => {
    await call();
    expect(invokeMock).toHaveBeenCalledWith(command, args);
  });
});

describe('event subscriptions', () => {
  it.each<[string, (handler: (payload: unknown) => void) => Promise<unknown>, string]>([
    ['onSyncStatus', api.onSyncStatus, 'sync-status'],
    ['onSyncProgress', api.onSyncProgress, 'sync-progress'],
    ['onSyncAlert', api.onSyncAlert, 'sync-alert'],
    ['onDataChanged', api.onDataChanged, 'data-changed'],
    ['onConflictsChanged', api.onConflictsChanged, 'conflicts-changed'],
  ])('%s listens to %s and hands over the payload', async (_name, subscribe, event) => {
    const unlisten = vi.fn();
    listenMock.mockResolvedValueOnce(unlisten);
    const handler = vi.fn();

    await expect(subscribe(handler)).resolves.toBe(unlisten);

    expect(listenMock).toHaveBeenCalledWith(event, expect.any(Function));
    const forward = listenMock.mock.calls[0]?.[1] as (e: { payload: unknown }) => void;
    forward({ payload: { open: 3 } });
    expect(handler).toHaveBeenCalledWith({ open: 3 });
  });
});
