// Money as the desk reads it. Amounts cross as integer minor units with an ISO 4217 code;
// the number of minor digits comes from the currency (2 for EUR, 0 for JPY, 3 for BHD).

const formats = new Map<string, Intl.NumberFormat>();

/**
 * The currency format of a locale, currency and digits, made once and kept: a new ICU
 * formatter per amount costs memory the garbage collector does not see (see `dateFormat`).
 * Throws for a currency code Intl refuses.
 */
function currencyFormat(locale: string, currency: string, digits?: number): Intl.NumberFormat {
  const key = `${locale} ${currency} ${digits ?? ''}`;
  let format = formats.get(key);
  if (format === undefined) {
    format = new Intl.NumberFormat(locale, {
      style: 'currency',
      currency,
      ...(digits !== undefined ? { minimumFractionDigits: digits, maximumFractionDigits: digits } : {}),
    });
    formats.set(key, format);
  }
  return format;
}

/** Digits after the decimal point for a currency (2 when Intl does not know it). */
export function minorDigits(currency: string): number {
  try {
    return currencyFormat('en', currency).resolvedOptions().maximumFractionDigits ?? 2;
  } catch {
    return 2;
  }
}

/** `12345, "EUR"` as `€123.45`; negative amounts keep their sign: `-€5.00`. */
export function formatMoney(minor: number, currency: string, locale = 'en'): string {
  const digits = minorDigits(currency);
  const major = minor / 10 ** digits;
  try {
    return currencyFormat(locale, currency, digits).format(major);
  } catch {
    return `${major.toFixed(digits)} ${currency}`;
  }
}

/**
 * A typed amount (`12.5`, `12,50`, `1 200.00`) in minor units, or why it is not one.
 * Only positive amounts: a correction is a reversing posting, never a negative one.
 */
export function parseMoney(text: string, currency: string): { minor: number } | { error: string } {
  const digits = minorDigits(currency);
  const cleaned = text.trim().replaceAll(' ', '').replace(',', '.');
  if (cleaned === '') {
    return { error: 'Enter an amount' };
  }
  const pattern = digits === 0 ? /^\d+$/ : new RegExp(`^\\d+(\\.\\d{1,${digits}})?$`);
  if (!pattern.test(cleaned)) {
    return {
      error: digits === 0 ? `Enter a whole amount of ${currency}` : `Enter an amount like 12.50 (at most ${digits} decimals)`,
    };
  }
  const [whole = '0', fraction = ''] = cleaned.split('.');
  const minor = Number(whole) * 10 ** digits + Number(fraction.padEnd(digits, '0') || '0');
  if (minor <= 0) {
    return { error: 'The amount must be above zero' };
  }
  if (minor > 1_000_000_000) {
    return { error: 'The amount is too large for one posting' };
  }
  return { minor };
}

/**
 * Charges minus payments per currency, settled currencies left out: the derived balance of
 * `sync_core::invariants::balance`, for a part of a folio (one window).
 */
export function balanceOf(postings: readonly { kind: 'charge' | 'payment'; amount_minor: number; currency: string }[]): Record<string, number> {
  const totals: Record<string, number> = {};
  for (const posting of postings) {
    const signed = posting.kind === 'charge' ? posting.amount_minor : -posting.amount_minor;
    totals[posting.currency] = (totals[posting.currency] ?? 0) + signed;
  }
  return Object.fromEntries(Object.entries(totals).filter(([, minor]) => minor !== 0));
}

/**
 * The balance lines of a folio, one per currency, settled currencies left out. A folio
 * with nothing owed reads as one zero line in the property's currency.
 */
export function balanceLines(
  balance: Record<string, number>,
  propertyCurrency: string,
): { currency: string; minor: number; text: string }[] {
  const lines = Object.entries(balance)
    .filter(([, minor]) => minor !== 0)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([currency, minor]) => ({ currency, minor, text: formatMoney(minor, currency) }));
  return lines.length > 0 ? lines : [{ currency: propertyCurrency, minor: 0, text: formatMoney(0, propertyCurrency) }];
}
