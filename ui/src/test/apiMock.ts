// Replaces every command wrapper of api.ts with a mock, for `vi.mock('…/api.ts', …)`.
// Errors stay real (AppError, toAppError); events subscribe to nothing; commands never
// answer unless a test says what they answer.

import { vi } from 'vitest';

const REAL = new Set(['AppError', 'toAppError', 'ERROR_CODES']);

export function mockApi(actual: Record<string, unknown>): Record<string, unknown> {
  const mocked: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(actual)) {
    if (REAL.has(name) || typeof value !== 'function') {
      mocked[name] = value;
    } else if (/^on[A-Z]/.test(name)) {
      mocked[name] = vi.fn(() => Promise.resolve(() => undefined));
    } else {
      mocked[name] = vi.fn(() => new Promise(() => undefined));
    }
  }
  return mocked;
}
