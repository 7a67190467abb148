import { words } from '../records.ts';

/** A status as colour and text (never colour alone): `checked_in` reads "checked in". */
export function StatusBadge({ status, label }: { status: string; label?: string }) {
  return <span className={`badge badge--${status}`}>{label ?? words(status)}</span>;
}
