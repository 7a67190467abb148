import { describe, expect, it, vi } from 'vitest';

import { balanceLines, balanceOf, formatMoney, minorDigits, parseMoney } from './money.ts';

describe('formatMoney', () => {
  it.each<[number, string, string]>([
    [12345, 'EUR', '€123.45'],
    [5, 'EUR', '€0.05'],
    [0, 'EUR', '€0.00'],
    [-500, 'EUR', '-€5.00'],
    [123456789, 'USD', '$1,234,567.89'],
    [1500, 'JPY', '¥1,500'],
    [12345, 'BHD', 'BHD 12.345'],
  ])('%i minor units of %s read %s', (minor, currency, text) => {
    expect(formatMoney(minor, currency).replace(/\u00a0/g, ' ')).toBe(text);
  });

  it('knows the minor digits of a currency', () => {
    expect(minorDigits('EUR')).toBe(2);
    expect(minorDigits('JPY')).toBe(0);
    expect(minorDigits('KWD')).toBe(3);
  });

  it('makes a currency format once, however many amounts it formats', () => {
    formatMoney(1, 'CHF');
    const made = vi.spyOn(Intl, 'NumberFormat');

    for (let minor = 0; minor < 500; minor += 1) {
      formatMoney(minor, 'CHF');
    }

    expect(made).not.toHaveBeenCalled();
    made.mockRestore();
  });

  it('falls back to plain digits for a code Intl refuses', () => {
    expect(formatMoney(1234, 'not a code')).toBe('12.34 not a code');
  });
});

describe('parseMoney', () => {
  it.each<[string, string, number]>([
    ['12.50', 'EUR', 1250],
    ['12,5', 'EUR', 1250],
    ['1 200', 'EUR', 120000],
    ['0.01', 'EUR', 1],
    ['1500', 'JPY', 1500],
  ])('reads "%s" %s as %i minor units', (text, currency, minor) => {
    expect(parseMoney(text, currency)).toEqual({ minor });
  });

  it.each(['', 'abc', '12.345', '-5', '0', '0.00'])('refuses "%s"', (text) => {
    expect(parseMoney(text, 'EUR')).toHaveProperty('error');
  });

  it('refuses decimals for a currency without minor units', () => {
    expect(parseMoney('12.5', 'JPY')).toEqual({ error: 'Enter a whole amount of JPY' });
  });
});

describe('balanceLines', () => {
  it('shows one zero line in the property currency when settled', () => {
    expect(balanceLines({}, 'EUR')).toEqual([{ currency: 'EUR', minor: 0, text: '€0.00' }]);
    expect(balanceLines({ EUR: 0 }, 'EUR')).toEqual([{ currency: 'EUR', minor: 0, text: '€0.00' }]);
  });

  it('shows each currency owed, sorted, and leaves settled ones out', () => {
    expect(balanceLines({ USD: 1000, EUR: 23050, GBP: 0 }, 'EUR').map((line) => line.text)).toEqual(['€230.50', '$10.00']);
  });
});

describe('balanceOf', () => {
  it('is charges minus payments per currency, settled currencies left out', () => {
    const charge = (amount_minor: number, currency = 'EUR') => ({ kind: 'charge' as const, amount_minor, currency });
    const payment = (amount_minor: number, currency = 'EUR') => ({ kind: 'payment' as const, amount_minor, currency });
    expect(balanceOf([charge(12000), payment(5000), charge(-1000)])).toEqual({ EUR: 6000 });
    expect(balanceOf([charge(500, 'USD'), payment(500, 'USD'), charge(100)])).toEqual({ EUR: 100 });
    expect(balanceOf([])).toEqual({});
  });
});
