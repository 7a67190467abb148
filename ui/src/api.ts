// The one typed module between the UI and the Rust side: every Tauri command and event the
// UI uses is wrapped here, so components never call `invoke` or `listen` with a string name.
// docs/ui-commands.md is the contract this file implements; keep the two in step.
//
// Argument objects use camelCase top-level keys (Tauri converts them to the command's
// snake_case parameters); the values inside them, and every return value and event payload,
// keep the snake_case field names of the Rust structs.

import { invoke, type InvokeArgs } from '@tauri-apps/api/core';
import { listen, type UnlistenFn } from '@tauri-apps/api/event';

import type {
  Availability,
  Cleaning,
  EntityKind,
  Fields,
  FolioPosting,
  Guest,
  HlcText,
  HousekeepingTask,
  InventoryItem,
  IsoDate,
  IssueSeverity,
  MaintenanceReport,
  MaintenanceStatus,
  Occupancy,
  PaymentMethod,
  PosOrder,
  Property,
  RequestStatus,
  Reservation,
  ReservationStatus,
  Role,
  Room,
  RoomType,
  ServiceRequest,
  TaskStatus,
  Uuid,
} from './records.ts';

// ---------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------

/**
 * The error codes a command may send, on the wire in snake_case. The first ones come from
 * `device::Error::code`; the session and staleness ones from the Tauri shell.
 */
export const ERROR_CODES = [
  'invalid_input',
  'not_found',
  'rule_broken',
  'read_only',
  'not_allowed',
  'stale_blocked',
  'not_enrolled',
  'not_signed_in',
  'sign_in_locked',
  'server_unreachable',
  'storage',
  'internal',
] as const;

/** What kind of failure a command reported; the UI branches on it, never on the message. */
export type ErrorCode = (typeof ERROR_CODES)[number];

/** A command's failure: `{ code, message, field?, breach? }`. */
export class AppError extends Error {
  readonly code: ErrorCode;
  /** The input field at fault (`departure`, `adults`...), shown beside that field. */
  readonly field: string | undefined;
  /** For `rule_broken`: the broken rule and what is needed to settle it. */
  readonly breach: RuleBreach | undefined;

  constructor(code: ErrorCode, message: string, field?: string, breach?: RuleBreach) {
    super(message);
    this.name = 'AppError';
    this.code = code;
    this.field = field;
    this.breach = breach;
  }
}

function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && (ERROR_CODES as readonly string[]).includes(value);
}

/**
 * Turns whatever a rejected `invoke` gave into an `AppError`.
 *
 * Commands reject with the serialised `{ code, message, field? }`; Tauri itself rejects with a
 * bare string (an unknown command, arguments that do not deserialise, a permission denied), and
 * a newer backend may send a code this UI does not know yet: those become `internal`, keeping
 * their message.
 */
export function toAppError(reason: unknown): AppError {
  if (reason instanceof AppError) {
    return reason;
  }
  if (typeof reason === 'object' && reason !== null) {
    const { code, message, field, breach } = reason as {
      code?: unknown;
      message?: unknown;
      field?: unknown;
      breach?: unknown;
    };
    if (typeof message === 'string') {
      return new AppError(
        isErrorCode(code) ? code : 'internal',
        message,
        typeof field === 'string' ? field : undefined,
        typeof breach === 'object' && breach !== null ? (breach as RuleBreach) : undefined,
      );
    }
  }
  if (typeof reason === 'string') {
    return new AppError('internal', reason);
  }
  return new AppError('internal', `Unexpected error: ${String(reason)}`);
}

const sessionLostListeners = new Set<(error: AppError) => void>();

/**
 * Calls `listener` whenever a command finds nobody signed in (the session ended under the
 * screen: signed out in another window, or the desk's sign-in was dropped) or the desk no
 * longer enrolled (`not_enrolled`: an administrator removed and wiped it); returns the
 * unsubscribe. The app then goes back to its sign-in or enrollment screen.
 */
export function onSessionLost(listener: (error: AppError) => void): () => void {
  sessionLostListeners.add(listener);
  return () => sessionLostListeners.delete(listener);
}

async function call<T>(command: string, args?: InvokeArgs): Promise<T> {
  try {
    return await invoke<T>(command, args);
  } catch (reason) {
    const error = toAppError(reason);
    if (error.code === 'not_signed_in' || error.code === 'not_enrolled') {
      for (const listener of sessionLostListeners) {
        listener(error);
      }
    }
    throw error;
  }
}

// ---------------------------------------------------------------------------------------
// App, session and property
// ---------------------------------------------------------------------------------------

/** What this build is; mirrors `AppInfo` in src-tauri/src/commands.rs (camelCase, as it was). */
export interface AppInfo {
  name: string;
  version: string;
  protocolVersion: number;
}

/** The product name, the app version and the sync protocol version of the running app. */
export function appInfo(): Promise<AppInfo> {
  return call<AppInfo>('app_info');
}

/** The member of staff signed in on this device. */
export interface SignedInUser {
  id: Uuid;
  username: string;
  display_name: string;
  role: Role;
}

/** This device's enrollment. */
export interface EnrolledDevice {
  id: Uuid;
  name: string;
  property_id: Uuid;
  property_name: string;
  server_url: string;
}

/** Where the app is in first run → sign-in → work. */
export interface SessionState {
  /** None until the device is enrolled: the app shows the enroll screen. */
  device: EnrolledDevice | null;
  /** None until someone signs in. */
  user: SignedInUser | null;
  /**
   * Why setting this desk up at start (from flags or a provisioning file) failed, as the
   * serialised `{code, message, field?}`; only `session_state` says it.
   */
  provisioning_error?: { code: string; message: string; field?: string } | null;
}

export function sessionState(): Promise<SessionState> {
  return call<SessionState>('session_state');
}

export interface EnrollInput {
  serverUrl: string;
  code: string;
  deviceName: string;
}

/** Enrolls this device to the property of `serverUrl` with a one-time code. */
export function enroll(input: EnrollInput): Promise<SessionState> {
  return call<SessionState>('enroll', { serverUrl: input.serverUrl, code: input.code, deviceName: input.deviceName });
}

export function signIn(username: string, password: string): Promise<SessionState> {
  return call<SessionState>('sign_in', { username, password });
}

export function signOut(): Promise<SessionState> {
  return call<SessionState>('sign_out');
}

/** What every screen needs to name things: the property, its room types, rooms and staff. */
export interface Catalog {
  property: Property;
  /** The property's business date. */
  business_date: IsoDate;
  room_types: RoomType[];
  rooms: Room[];
  staff: StaffSummary[];
  devices: DeviceSummary[];
}

export interface StaffSummary {
  id: Uuid;
  display_name: string;
  role: Role;
}

export interface DeviceSummary {
  id: Uuid;
  name: string;
}

export function catalog(): Promise<Catalog> {
  return call<Catalog>('catalog');
}

// ---------------------------------------------------------------------------------------
// Reservations
// ---------------------------------------------------------------------------------------

/** The front desk's day. */
export interface Today {
  business_date: IsoDate;
  arrivals: Reservation[];
  departures: Reservation[];
  /** The first in-house stays by name: at most 200 (`IN_HOUSE_SHOWN` in src-tauri/src/commands.rs). */
  in_house: Reservation[];
  /** How many stays are in house in all; more than `in_house` holds when the list was cut. */
  in_house_total: number;
}

export function today(): Promise<Today> {
  return call<Today>('today');
}

export interface ReservationQuery {
  /** Guest name, confirmation number or room number; empty for all. */
  text: string;
  /** Only these statuses; empty for all. */
  statuses: ReservationStatus[];
  /** Stays that have a night on or after this date. */
  from: IsoDate | null;
  /** Stays that arrive before this date. */
  to: IsoDate | null;
  offset: number;
  limit: number;
}

/** One window of the matches, arrival order; `total` counts all of them. */
export interface ReservationPage {
  total: number;
  offset: number;
  rows: Reservation[];
}

export function searchReservations(query: ReservationQuery): Promise<ReservationPage> {
  return call<ReservationPage>('search_reservations', { query });
}

export function getReservation(id: Uuid): Promise<Reservation> {
  return call<Reservation>('get_reservation', { id });
}

/** `device::ops::NewReservation`. */
export interface NewReservation {
  guest_id: Uuid;
  guest_name: string | null;
  room_type_id: Uuid;
  room_id: Uuid | null;
  arrival: IsoDate;
  departure: IsoDate;
  adults: number;
  children: number;
  rate_code: string;
  source: string;
  special_requests: string[];
  note: string | null;
  confirmed: boolean;
}

export function createReservation(input: NewReservation): Promise<Reservation> {
  return call<Reservation>('create_reservation', { input });
}

/** `device::ops::ReservationEdit`: absent or null leaves a field as it is. */
export interface ReservationEdit {
  guest_name?: string;
  room_type_id?: Uuid;
  arrival?: IsoDate;
  departure?: IsoDate;
  adults?: number;
  children?: number;
  rate_code?: string;
  source?: string;
  add_requests?: string[];
  remove_requests?: string[];
  add_note?: string;
}

export function updateReservation(id: Uuid, edit: ReservationEdit): Promise<Reservation> {
  return call<Reservation>('update_reservation', { id, edit });
}

/** A room offered for some nights (`invariants::FreeRoom`). */
export interface FreeRoom {
  room_id: Uuid;
  number: string;
}

export interface FreeRoomsQuery {
  roomTypeId: Uuid;
  arrival: IsoDate;
  departure: IsoDate;
  /** The stay looking for a room, so its own nights do not count against it. */
  moving: Uuid | null;
}

export function freeRooms(query: FreeRoomsQuery): Promise<FreeRoom[]> {
  return call<FreeRoom[]>('free_rooms', { ...query });
}

/** Assigns a room (or clears the assignment with null). */
export function assignRoom(id: Uuid, roomId: Uuid | null): Promise<Reservation> {
  return call<Reservation>('assign_room', { id, roomId });
}

/** A walk-in in one step: created and checked in, or nothing written. */
export function checkInWalkIn(input: NewReservation): Promise<Reservation> {
  return call<Reservation>('walk_in', { input });
}

export function checkIn(id: Uuid): Promise<Reservation> {
  return call<Reservation>('check_in', { id });
}

export function checkOut(id: Uuid): Promise<Reservation> {
  return call<Reservation>('check_out', { id });
}

/** Undoes a check-in made by mistake: on the arrival day, with nothing owed. */
export function undoCheckIn(id: Uuid): Promise<Reservation> {
  return call<Reservation>('undo_check_in', { id });
}

/** Reinstates a check-out made by mistake, while the stay runs and its room is free. */
export function reinstateCheckOut(id: Uuid): Promise<Reservation> {
  return call<Reservation>('reinstate_check_out', { id });
}

export function cancelReservation(id: Uuid, reason: string | null): Promise<Reservation> {
  return call<Reservation>('cancel_reservation', { id, reason });
}

export function markNoShow(id: Uuid): Promise<Reservation> {
  return call<Reservation>('mark_no_show', { id });
}

/** Stays with a night in `[from, from + days)`, for the tape chart. */
export interface TapeChart {
  from: IsoDate;
  days: number;
  stays: Reservation[];
}

export function tapeChart(from: IsoDate, days: number): Promise<TapeChart> {
  return call<TapeChart>('tape_chart', { from, days });
}

// ---------------------------------------------------------------------------------------
// Rooms and housekeeping
// ---------------------------------------------------------------------------------------

/** One room on the board (`device::queries::RoomBoardEntry`). */
export interface RoomBoardEntry {
  room: Room;
  in_house: Reservation | null;
  /** The desk and housekeeping disagree about occupancy. */
  mismatch: boolean;
}

export function roomBoard(): Promise<RoomBoardEntry[]> {
  return call<RoomBoardEntry[]>('room_board');
}

export function setRoomStatus(roomId: Uuid, cleaning: Cleaning): Promise<Room> {
  return call<Room>('set_room_status', { roomId, cleaning });
}

/** `device::ops::RoomBlock`: a room out of order or service for some nights, or available again. */
export interface RoomBlock {
  availability: Availability;
  /** First blocked night; today when null. */
  from: IsoDate | null;
  /** The night after the last blocked one; open-ended when null. */
  until: IsoDate | null;
  reason: string | null;
}

export function setRoomAvailability(roomId: Uuid, block: RoomBlock): Promise<Room> {
  return call<Room>('set_room_availability', { roomId, block });
}

/** The signed-in housekeeper's tasks, most urgent first. */
/** `device::queries::RoomToClear`: a room reported out of order that stays still hold. */
export interface RoomToClear {
  room_id: Uuid;
  room_number: string;
  report: MaintenanceReport;
  stays: Reservation[];
}

/** Rooms reported out of order whose stays the front desk must move first. */
export function roomsToClear(): Promise<RoomToClear[]> {
  return call<RoomToClear[]>('rooms_to_clear');
}

/** Open tasks nobody has taken yet, most urgent first. */
export function unassignedTasks(): Promise<HousekeepingTask[]> {
  return call<HousekeepingTask[]>('unassigned_tasks');
}

/** Makes today's housekeeping tasks from departures, stay-overs and arrivals; answers those made now. */
export function makeHousekeepingDay(): Promise<HousekeepingTask[]> {
  return call<HousekeepingTask[]>('make_housekeeping_day');
}

/** The signed-in user takes a task nobody has taken. */
export function takeTask(taskId: Uuid): Promise<HousekeepingTask> {
  return call<HousekeepingTask>('take_task', { taskId });
}

export function myTasks(): Promise<HousekeepingTask[]> {
  return call<HousekeepingTask[]>('my_tasks');
}

export function progressTask(taskId: Uuid, to: TaskStatus): Promise<HousekeepingTask> {
  return call<HousekeepingTask>('progress_task', { taskId, to });
}

// ---------------------------------------------------------------------------------------
// Folio
// ---------------------------------------------------------------------------------------

/** A stay's folio (`device::queries::Folio`); the balance is derived by the Rust side. */
export interface Folio {
  reservation_id: Uuid;
  postings: FolioPosting[];
  /** Charges minus payments per currency, minor units; empty when settled. */
  balance: Record<string, number>;
}

export function folio(reservationId: Uuid): Promise<Folio> {
  return call<Folio>('folio', { reservationId });
}

/** `device::ops::NewCharge`. */
export interface NewCharge {
  reservation_id: Uuid;
  amount_minor: number;
  currency: string;
  code: string;
  description: string;
  quantity: number;
  window: number | null;
}

export function postCharge(input: NewCharge): Promise<FolioPosting> {
  return call<FolioPosting>('post_charge', { input });
}

/** `device::ops::NewPayment`. */
export interface NewPayment {
  reservation_id: Uuid;
  amount_minor: number;
  currency: string;
  method: PaymentMethod;
  description: string | null;
  window: number | null;
}

export function postPayment(input: NewPayment): Promise<FolioPosting> {
  return call<FolioPosting>('post_payment', { input });
}

/** Posts the reversing correction of a posting; the reason is required. */
export function reversePosting(postingId: Uuid, reason: string): Promise<FolioPosting> {
  return call<FolioPosting>('reverse_posting', { postingId, reason });
}

// ---------------------------------------------------------------------------------------
// Guests
// ---------------------------------------------------------------------------------------

export function searchGuests(text: string): Promise<Guest[]> {
  return call<Guest[]>('search_guests', { text });
}

/** `device::ops::NewGuest`. */
export interface NewGuest {
  first_name: string;
  last_name: string;
  email: string | null;
  phone: string | null;
  loyalty_number: string | null;
  loyalty_tier: string | null;
  preferences: string[];
  tags: string[];
  note: string | null;
}

export function createGuest(input: NewGuest): Promise<Guest> {
  return call<Guest>('create_guest', { input });
}

/** `device::ops::GuestEdit`: absent leaves a field; null clears an optional one. */
export interface GuestEdit {
  first_name?: string;
  last_name?: string;
  email?: string | null;
  phone?: string | null;
  loyalty_number?: string | null;
  loyalty_tier?: string | null;
  add_preferences?: string[];
  remove_preferences?: string[];
  add_tags?: string[];
  remove_tags?: string[];
  add_note?: string;
}

export function updateGuest(id: Uuid, edit: GuestEdit): Promise<Guest> {
  return call<Guest>('update_guest', { id, edit });
}

// ---------------------------------------------------------------------------------------
// Maintenance, service requests, POS, inventory
// ---------------------------------------------------------------------------------------

export function maintenanceReports(): Promise<MaintenanceReport[]> {
  return call<MaintenanceReport[]>('maintenance_reports');
}

/** `device::ops::NewMaintenanceReport`. */
export interface NewMaintenanceReport {
  room_id: Uuid;
  description: string;
  severity: IssueSeverity;
  /** Also take the room out of order from today (until the date, or open-ended). */
  out_of_order: { until: IsoDate | null } | null;
}

export function reportMaintenance(input: NewMaintenanceReport): Promise<MaintenanceReport> {
  return call<MaintenanceReport>('report_maintenance', { input });
}

export function progressMaintenance(id: Uuid, to: MaintenanceStatus): Promise<MaintenanceReport> {
  return call<MaintenanceReport>('progress_maintenance', { id, to });
}

export function serviceRequests(): Promise<ServiceRequest[]> {
  return call<ServiceRequest[]>('service_requests');
}

/** `device::ops::NewServiceRequest`. */
export interface NewServiceRequest {
  room_id: Uuid;
  kind: string;
  text: string;
}

export function createServiceRequest(input: NewServiceRequest): Promise<ServiceRequest> {
  return call<ServiceRequest>('create_service_request', { input });
}

export function progressServiceRequest(id: Uuid, to: RequestStatus): Promise<ServiceRequest> {
  return call<ServiceRequest>('progress_service_request', { id, to });
}

export function posOrders(): Promise<PosOrder[]> {
  return call<PosOrder[]>('pos_orders');
}

/** `device::ops::NewPosOrder`. */
export interface NewPosOrder {
  outlet: string;
  currency: string;
  reservation_id: Uuid | null;
}

export function openPosOrder(input: NewPosOrder): Promise<PosOrder> {
  return call<PosOrder>('open_pos_order', { input });
}

/** `device::ops::NewPosLine`. */
export interface NewPosLine {
  item: string;
  quantity: number;
  unit_price_minor: number;
}

export function addPosLine(orderId: Uuid, line: NewPosLine): Promise<PosOrder> {
  return call<PosOrder>('add_pos_line', { orderId, line });
}

/** Charges the order to a stay's folio. */
export function postPosOrder(orderId: Uuid, reservationId: Uuid): Promise<PosOrder> {
  return call<PosOrder>('post_pos_order', { orderId, reservationId });
}

export function payPosOrder(orderId: Uuid, method: PaymentMethod): Promise<PosOrder> {
  return call<PosOrder>('pay_pos_order', { orderId, method });
}

export function inventoryItems(): Promise<InventoryItem[]> {
  return call<InventoryItem[]>('inventory_items');
}

/** Changes a count by a delta, so counts of two devices add up. */
/** `device::ops::NewInventoryItem`. */
export interface NewInventoryItem {
  sku: string;
  name: string;
  location: string;
  quantity: number;
}

/** Adds an item to the stock list with its first count. */
export function createInventoryItem(input: NewInventoryItem): Promise<InventoryItem> {
  return call<InventoryItem>('create_inventory_item', { input });
}

export function adjustInventory(itemId: Uuid, delta: number): Promise<InventoryItem> {
  return call<InventoryItem>('adjust_inventory', { itemId, delta });
}

// ---------------------------------------------------------------------------------------
// History
// ---------------------------------------------------------------------------------------

/** One version of a record (`device::queries::HistoryEntry` plus names). */
export interface HistoryEntry {
  /** `insert`, `update`, `delete` or a lifecycle action such as `check_in`. */
  op: string;
  /** The changed fields before the change (null for a creation). */
  before: Fields | null;
  /** The changed fields after the change. */
  after: Fields | null;
  user_id: Uuid;
  user_name: string | null;
  device_id: Uuid;
  device_name: string | null;
  hlc: HlcText;
  at_ms: number;
  /** `local` for this device's actions, `server` for pulled changes. */
  origin: 'local' | 'server';
  /** The author's values this version's merge settled against: edits that lost, kept here. */
  superseded?: Superseded[];
}

/** `sync_core::merge::Superseded`: a value that lost a merge to its field's policy. */
export interface Superseded {
  field: string;
  value: unknown;
  kept: unknown;
  policy: 'server_wins' | 'last_writer_wins' | 'priority';
}

/** `device::screens::SupersededView`: one of the signed-in user's edits that lost a merge. */
export interface SupersededEdit {
  id: number;
  entity: EntityKind;
  record_id: Uuid;
  field: string;
  value: unknown;
  kept: unknown;
  policy: Superseded['policy'];
  made_at_ms: number;
  seen: boolean;
  /** E.g. "Reservation H-2026-0042, Sarah Johnson". */
  title: string;
}

/** The signed-in user's edits that lost a merge to another desk's, newest first. */
export function supersededEdits(limit: number): Promise<SupersededEdit[]> {
  return call<SupersededEdit[]>('superseded_edits', { limit });
}

/** The signed-in user has seen their superseded edits. */
export function markSupersededSeen(): Promise<number> {
  return call<number>('mark_superseded_seen');
}

export function recordHistory(entity: EntityKind, recordId: Uuid): Promise<HistoryEntry[]> {
  return call<HistoryEntry[]>('record_history', { entity, recordId });
}

// ---------------------------------------------------------------------------------------
// Settings
// ---------------------------------------------------------------------------------------

export type AutoResolve = 'ask' | 'keep_server' | 'keep_device';
export type StaleAction = 'warn' | 'block';

/** `device::sync::settings::StalePolicy`; durations in seconds. */
export interface StalePolicy {
  entity: EntityKind;
  warn_after: number;
  critical_after: number;
  operations: string[];
  when_critical: StaleAction;
}

/** `device::sync::settings::SyncSettings`; `pull_interval` in seconds, backoff in ms. */
export interface SyncSettings {
  enabled: boolean;
  pull_interval: number;
  batch_size: number;
  max_retries: number;
  backoff_base: number;
  backoff_max: number;
  auto_resolve: Partial<Record<EntityKind, AutoResolve>>;
  max_queue: number;
  stale_policies: StalePolicy[];
  pause_on_metered: boolean;
  /** Seconds without a key press or touch after which the user is signed out; 0: never. */
  idle_sign_out: number;
}

export interface Settings {
  server_url: string;
  device_name: string;
  device_id: Uuid;
  sync: SyncSettings;
}

export function getSettings(): Promise<Settings> {
  return call<Settings>('get_settings');
}

/** Saves the sync settings; an invalid one fails with `invalid_input` and its `field`. */
export function saveSettings(sync: SyncSettings): Promise<Settings> {
  return call<Settings>('save_settings', { sync });
}

// ---------------------------------------------------------------------------------------
// Sync
// ---------------------------------------------------------------------------------------

export type Freshness = 'fresh' | 'stale' | 'critical';

/** `device::sync::staleness::KindFreshness`. */
export interface KindFreshness {
  entity: EntityKind;
  freshness: Freshness;
  age_secs: number | null;
}

/** An operation the stale-data policy warns about or blocks, and why. */
export interface OperationVerdict {
  /** `check_in`, `assign_room`, `change_room_status`, `create_reservation`, `check_out`, `progress_task`. */
  operation: string;
  verdict: 'warn' | 'block';
  message: string;
}

/** The worker's state: the `sync_status` command's answer and the `sync-status` event. */
export interface SyncState {
  /** What the worker is doing. `offline`: the server cannot be reached. */
  state: 'idle' | 'syncing' | 'offline' | 'error' | 'disabled';
  pending: number;
  failed: number;
  held: number;
  open_conflicts: number;
  /** RFC 3339 time of the last successful sync. */
  last_sync_at: string | null;
  /** Why the last round failed, for `error` and `offline`. */
  reason: string | null;
  freshness: KindFreshness[];
  /** Operations the stale-data policy warns about or blocks right now. */
  operations: OperationVerdict[];
}

export function syncStatus(): Promise<SyncState> {
  return call<SyncState>('sync_status');
}

/** Starts a sync round now; resolves when it is queued, not when it ends. */
export function syncNow(): Promise<void> {
  return call<void>('sync_now');
}

/** One mutation waiting in the outbox (`device::queries::OutboxEntry` plus a summary). */
export interface OutboxEntry {
  seq: number;
  mutation_id: Uuid;
  entity: EntityKind;
  record_id: Uuid;
  state: 'pending' | 'failed' | 'held';
  attempts: number;
  /** The server's message when it refused the change. */
  last_error: string | null;
  created_at_ms: number;
  /** E.g. "Check-in of H-2026-0042, Sarah Johnson". */
  summary: string;
}

export interface Outbox {
  counts: { pending: number; failed: number; held: number };
  entries: OutboxEntry[];
}

export function outbox(limit: number): Promise<Outbox> {
  return call<Outbox>('outbox', { limit });
}

/** Puts a failed mutation back in the queue and starts a sync round. */
export function retryMutation(mutationId: Uuid): Promise<void> {
  return call<void>('retry_mutation', { mutationId });
}

export type ConflictKind = 'data' | 'delete_update' | 'missing_entity' | 'dependency' | 'business_rule';
export type ConflictSeverity = 'low' | 'medium' | 'high' | 'critical';

/** Who made one side of a conflict (`conflict::Author`). */
export interface Author {
  device_id: Uuid;
  user_id: Uuid;
  hlc: HlcText;
  /** RFC 3339. */
  at: string;
}

/** `merge::FieldClash`: the contested field with its three values. */
export interface FieldClash {
  field: string;
  base: unknown;
  device: unknown;
  server: unknown;
  reason: 'both_changed' | 'shape';
  detail?: string;
}

/** `protocol::FieldChange`. */
export interface FieldChange {
  base: unknown;
  value: unknown;
}

/** `invariants::RuleBreach`, tagged by `rule`. */
export type RuleBreach =
  | {
      rule: 'double_booking';
      room_id: Uuid;
      room_number: string;
      with: Uuid[];
      first_night: IsoDate;
      last_night: IsoDate;
      free_rooms: FreeRoom[];
    }
  | { rule: 'room_unavailable'; room_id: Uuid; room_number: string; availability: Availability; free_rooms: FreeRoom[] }
  | { rule: 'check_in_precondition'; problems: string[] }
  | { rule: 'status_regression'; from: string; to: string }
  | { rule: 'read_only_record'; status: string }
  | { rule: 'check_out_with_balance'; balance: Record<string, number> }
  | { rule: 'occupancy_mismatch'; room_id: Uuid; occupancy: Occupancy; in_house: Uuid[] }
  | { rule: 'posting_over_corrected'; reverses: Uuid; left_minor: number; correction_minor: number; currency: string }
  | { rule: 'posting_on_closed_folio'; reservation_id: Uuid; balance: Record<string, number> }
  | { rule: 'in_house_room_change'; guest_room: string | null; stay_room: string | null }
  | { rule: 'undone_with_balance'; balance: Record<string, number> };

/** `conflict::Conflict`. */
export interface Conflict {
  id: Uuid;
  entity: EntityKind;
  record_id: Uuid;
  kind: ConflictKind;
  severity: ConflictSeverity;
  auto_resolvable: boolean;
  fields: FieldClash[];
  device: Author;
  server: Author | null;
  mutation_id: Uuid;
  device_changes: Record<string, FieldChange>;
  base_version: number | null;
  server_version: number | null;
  rule: RuleBreach | null;
  summary: string;
  status: 'open' | 'resolved';
}

/** A conflict as the dialog shows it: the conflict plus names and the current record. */
export interface ConflictView {
  conflict: Conflict;
  /** Names the record, e.g. "Reservation H-2024-0042, Sarah Johnson". */
  title: string;
  /** The record as this device holds it now (the server's side with all merged changes). */
  current: Fields | null;
  device_user: string | null;
  device_name: string | null;
  server_user: string | null;
  server_device: string | null;
}

export function conflicts(): Promise<ConflictView[]> {
  return call<ConflictView[]>('conflicts');
}

/** `conflict::ResolutionChoice`, tagged by `choice`. */
export type ResolutionChoice =
  | { choice: 'keep_device' }
  | { choice: 'keep_server' }
  | { choice: 'per_field'; pick: Record<string, 'device' | 'server'> }
  | { choice: 'custom'; values: Fields }
  | { choice: 'move_stay'; room_id: Uuid };

/** Settles a conflict; the resolution syncs like any change. */
export function resolveConflict(conflictId: Uuid, resolution: ResolutionChoice): Promise<void> {
  return call<void>('resolve_conflict', { conflictId, resolution });
}

export interface SyncMetrics {
  rounds: number;
  failed_rounds: number;
  pushed: number;
  pulled: number;
  conflicts_raised: number;
  conflicts_resolved: number;
  /** Duration of the last round in milliseconds. */
  last_round_ms: number | null;
  last_sync_at: string | null;
  /** Age of the oldest queued change in seconds. */
  oldest_pending_secs: number | null;
}

export function syncMetrics(): Promise<SyncMetrics> {
  return call<SyncMetrics>('sync_metrics');
}

// ---------------------------------------------------------------------------------------
// Updates of the app (src-tauri/src/updates.rs)
// ---------------------------------------------------------------------------------------

/** A newer version the property's server offers this desk. */
export interface AvailableUpdate {
  version: string;
  notes: string;
  /** When the release was published (RFC 3339), if the server says. */
  date: string | null;
}

/** What the desk knows about updates; mirrors `UpdateStatus` (camelCase). */
export interface UpdateStatus {
  currentVersion: string;
  available: AvailableUpdate | null;
  /** When the last check answered. */
  checkedAt: string | null;
  /** Why the last check or installation failed. */
  error: string | null;
  installing: boolean;
}

export function updateStatus(): Promise<UpdateStatus> {
  return call<UpdateStatus>('update_status');
}

/** Asks the server now (the desk also asks at start and every six hours). */
export function checkForUpdate(): Promise<UpdateStatus> {
  return call<UpdateStatus>('check_for_update');
}

/**
 * Downloads the offered version, checks its signature, installs it and restarts the app into
 * it: the promise settles only when that failed.
 */
export function installUpdate(): Promise<void> {
  return call<void>('install_update');
}

// ---------------------------------------------------------------------------------------
// Events
// ---------------------------------------------------------------------------------------

/** Progress of a long sync round. */
export interface SyncProgress {
  phase: 'push' | 'pull';
  done: number;
  /** Unknown while pulling an unknown number of pages. */
  total: number | null;
}

export type AlertLevel = 'info' | 'warning' | 'critical';

/** `device::sync::health::Alert` with its level and sentence. */
export interface SyncAlert {
  level: AlertLevel;
  message: string;
  alert:
    | { alert: 'sync_failing'; level: AlertLevel; failures: number; reason: string }
    | { alert: 'recovered'; after_failures: number }
    | { alert: 'data_critically_stale'; entities: EntityKind[] }
    | { alert: 'new_conflicts'; count: number }
    | { alert: 'edits_superseded'; count: number }
    | { alert: 'queue_nearly_full'; queued: number; max: number };
}

export interface DataChanged {
  /** The kinds of record that changed (local action or pull). */
  entities: EntityKind[];
}

export interface ConflictsChanged {
  open: number;
}

function on<T>(event: string, handler: (payload: T) => void): Promise<UnlistenFn> {
  return listen<T>(event, (e) => handler(e.payload));
}

export function onSyncStatus(handler: (state: SyncState) => void): Promise<UnlistenFn> {
  return on('sync-status', handler);
}

export function onSyncProgress(handler: (progress: SyncProgress) => void): Promise<UnlistenFn> {
  return on('sync-progress', handler);
}

export function onSyncAlert(handler: (alert: SyncAlert) => void): Promise<UnlistenFn> {
  return on('sync-alert', handler);
}

export function onDataChanged(handler: (change: DataChanged) => void): Promise<UnlistenFn> {
  return on('data-changed', handler);
}

export function onConflictsChanged(handler: (change: ConflictsChanged) => void): Promise<UnlistenFn> {
  return on('conflicts-changed', handler);
}

/**
 * An administrator removed this desk with `revoke-device --wipe`: it erased its local data and
 * is no longer enrolled.
 */
export function onDeviceWiped(handler: () => void): Promise<UnlistenFn> {
  return on('device-wiped', handler);
}

/** A check found a version newer than this one. */
export function onUpdateAvailable(handler: (status: UpdateStatus) => void): Promise<UnlistenFn> {
  return on('update-available', handler);
}
