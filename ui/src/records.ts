// The records of crates/sync-core/src/domain.rs as they cross to the UI: JSON objects with
// exactly the snake_case field names of the schema table. UUIDs are strings, dates are
// `YYYY-MM-DD`, money is integer minor units, clock stamps are HLC text
// (`000001763895925123-00007-<node uuid>`, sorts like time).

/** A UUID as text. */
export type Uuid = string;
/** A calendar date, `YYYY-MM-DD`. */
export type IsoDate = string;
/** A hybrid logical clock stamp as text. */
export type HlcText = string;

/** Every kind of record the stores hold (`EntityKind`). */
export const ENTITY_KINDS = [
  'property',
  'room_type',
  'room',
  'guest',
  'reservation',
  'folio_posting',
  'housekeeping_task',
  'maintenance_report',
  'service_request',
  'pos_order',
  'inventory_item',
  'staff_user',
  'device',
] as const;
export type EntityKind = (typeof ENTITY_KINDS)[number];

/** A record as a field map, as conflicts and history carry it. */
export type Fields = Record<string, unknown>;

export interface Property {
  id: Uuid;
  code: string;
  name: string;
  timezone: string;
  currency: string;
}

export interface RoomType {
  id: Uuid;
  property_id: Uuid;
  code: string;
  name: string;
  capacity: number;
}

export type Cleaning = 'dirty' | 'pickup' | 'clean' | 'inspected';
export type Occupancy = 'vacant' | 'occupied';
export type Availability = 'available' | 'out_of_service' | 'out_of_order';

export interface Room {
  id: Uuid;
  property_id: Uuid;
  number: string;
  room_type_id: Uuid;
  floor: number;
  cleaning: Cleaning;
  occupancy: Occupancy;
  availability: Availability;
  blocked_from: IsoDate | null;
  blocked_until: IsoDate | null;
  blocked_reason: string | null;
  return_to: Cleaning | null;
}

export interface Note {
  id: Uuid;
  at: HlcText;
  by: string;
  text: string;
}

export interface Guest {
  id: Uuid;
  property_id: Uuid;
  first_name: string;
  last_name: string;
  email: string | null;
  phone: string | null;
  loyalty_number: string | null;
  loyalty_tier: string | null;
  preferences: string[];
  notes: Note[];
  tags: string[];
  last_interaction_at: HlcText | null;
}

export const RESERVATION_STATUSES = [
  'tentative',
  'confirmed',
  'checked_in',
  'checked_out',
  'cancelled',
  'no_show',
] as const;
export type ReservationStatus = (typeof RESERVATION_STATUSES)[number];

export interface Reservation {
  id: Uuid;
  property_id: Uuid;
  confirmation: string;
  /** The provisional number given offline (`T-…`), once the server gave the property's own. */
  provisional_confirmation?: string;
  guest_id: Uuid;
  guest_name: string;
  room_type_id: Uuid;
  room_id: Uuid | null;
  arrival: IsoDate;
  departure: IsoDate;
  adults: number;
  children: number;
  rate_code: string;
  source: string;
  special_requests: string[];
  notes: Note[];
  status: ReservationStatus;
}

export type PostingKind = 'charge' | 'payment';
export type PaymentMethod = 'cash' | 'card' | 'transfer';

export interface FolioPosting {
  id: Uuid;
  property_id: Uuid;
  reservation_id: Uuid;
  window: number;
  kind: PostingKind;
  idempotency_key: string;
  amount_minor: number;
  currency: string;
  code: string;
  description: string;
  quantity: number;
  method: PaymentMethod | null;
  reverses: Uuid | null;
  reason: string | null;
  posted_by: Uuid;
  posted_at: HlcText;
}

export type TaskKind = 'checkout_clean' | 'stayover' | 'inspection' | 'turndown';
export type TaskStatus = 'pending' | 'in_progress' | 'done' | 'inspected';

export interface HousekeepingTask {
  id: Uuid;
  property_id: Uuid;
  room_id: Uuid;
  kind: TaskKind;
  assignee_id: Uuid | null;
  priority: number;
  status: TaskStatus;
  notes: Note[];
  /** The housekeeping day the task belongs to (null: made by hand). */
  day?: IsoDate | null;
}

export type IssueSeverity = 'low' | 'medium' | 'high' | 'urgent';
export type MaintenanceStatus = 'open' | 'in_progress' | 'resolved';

export interface MaintenanceReport {
  id: Uuid;
  property_id: Uuid;
  room_id: Uuid;
  description: string;
  severity: IssueSeverity;
  status: MaintenanceStatus;
  puts_out_of_order: boolean;
  reported_by: Uuid;
  notes: Note[];
}

export type RequestStatus = 'new' | 'acknowledged' | 'done';

export interface ServiceRequest {
  id: Uuid;
  property_id: Uuid;
  room_id: Uuid;
  kind: string;
  text: string;
  status: RequestStatus;
}

export type PosStatus = 'open' | 'posted' | 'paid' | 'void';

export interface PosLine {
  id: Uuid;
  item: string;
  quantity: number;
  unit_price_minor: number;
}

export interface PosOrder {
  id: Uuid;
  property_id: Uuid;
  outlet: string;
  lines: PosLine[];
  currency: string;
  status: PosStatus;
  reservation_id: Uuid | null;
}

export interface InventoryItem {
  id: Uuid;
  property_id: Uuid;
  sku: string;
  name: string;
  location: string;
  quantity: number;
}

export type Role = 'manager' | 'front_desk' | 'housekeeping' | 'maintenance';

export interface StaffUser {
  id: Uuid;
  property_id: Uuid;
  username: string;
  display_name: string;
  role: Role;
  active: boolean;
}

/** Words for a snake_case status or kind: `checked_in` reads "checked in". */
export function words(value: string): string {
  return value.replaceAll('_', ' ');
}
