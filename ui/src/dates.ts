// Calendar dates as `YYYY-MM-DD` text, computed in UTC so no time zone shifts a night.

import type { IsoDate } from './records.ts';

const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;

/** Whether the text is a real calendar date `YYYY-MM-DD`. */
export function isIsoDate(text: string): boolean {
  if (!ISO_DATE.test(text)) {
    return false;
  }
  const date = new Date(`${text}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) === text;
}

export function addDays(date: IsoDate, days: number): IsoDate {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

/** Whole days from `from` to `to` (nights of a stay). */
export function daysBetween(from: IsoDate, to: IsoDate): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000);
}

const formats = new Map<string, Intl.DateTimeFormat>();

/**
 * The date format of a locale and options, made once and kept. Never format with
 * `toLocaleDateString(locale, options)` or `new Intl.DateTimeFormat` per call in a list: each
 * call opens an ICU formatter of about 100 KB outside the JavaScript heap, which the
 * garbage collector does not count, so a list of thousands of stays grew the web view by
 * gigabytes at every render (`scripts/measure-app-memory.sh`).
 */
export function dateFormat(locale: string, options: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  const key = `${locale} ${JSON.stringify(options)}`;
  let format = formats.get(key);
  if (format === undefined) {
    format = new Intl.DateTimeFormat(locale, options);
    formats.set(key, format);
  }
  return format;
}

/** `2026-03-14` as `Sat 14 Mar`. */
export function shortDate(date: IsoDate): string {
  return dateFormat('en-GB', { weekday: 'short', day: 'numeric', month: 'short', timeZone: 'UTC' }).format(
    new Date(`${date}T00:00:00Z`),
  );
}

/** A moment as `14 Mar 2026, 09:58` (`medium`) or `14/03/2026, 09:58` (`short`), local time. */
export function dateTime(at: Date | number, dateStyle: 'medium' | 'short' = 'medium'): string {
  return dateFormat('en-GB', { dateStyle, timeStyle: 'short' }).format(at);
}
