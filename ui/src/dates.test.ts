import { afterEach, describe, expect, it, vi } from 'vitest';

import { addDays, dateFormat, dateTime, daysBetween, shortDate } from './dates.ts';

afterEach(() => {
  vi.restoreAllMocks();
});

describe('dates', () => {
  it('reads a date short, whatever the time zone', () => {
    expect(shortDate('2026-03-14')).toBe('Sat 14 Mar');
    expect(shortDate('2026-11-23')).toBe('Mon 23 Nov');
  });

  it('reads a moment in the medium or short style', () => {
    const at = new Date(2026, 2, 14, 9, 58);
    expect(dateTime(at)).toBe('14 Mar 2026, 09:58');
    expect(dateTime(at.getTime(), 'short')).toBe('14/03/2026, 09:58');
  });

  it('makes each date format once, however many dates it formats', () => {
    const made = vi.spyOn(Intl, 'DateTimeFormat');
    const first = dateFormat('en-GB', { year: 'numeric', timeZone: 'UTC' });

    for (let day = 0; day < 1_000; day += 1) {
      shortDate(addDays('2026-01-01', day));
      dateTime(day * 86_400_000);
    }

    expect(dateFormat('en-GB', { year: 'numeric', timeZone: 'UTC' })).toBe(first);
    // At most this one, and the two of shortDate and dateTime when first asked for here.
    expect(made.mock.calls.length).toBeLessThanOrEqual(3);
  });

  it('counts nights and adds days across months', () => {
    expect(addDays('2026-02-27', 3)).toBe('2026-03-02');
    expect(daysBetween('2026-02-27', '2026-03-02')).toBe(3);
  });
});
