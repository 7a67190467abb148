import { invoke } from '@tauri-apps/api/core';
import { beforeEach, describe, expect, it, vi } from 'vitest';

import { AppError, appInfo, toAppError } from './api.ts';

// Only this file replaces the Tauri bridge: the wrappers are what is under test here.
vi.mock('@tauri-apps/api/core', () => ({ invoke: vi.fn() }));

const invokeMock = vi.mocked(invoke);

beforeEach(() => {
  invokeMock.mockReset();
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

  it('returns an AppError unchanged', () => {
    const error = new AppError('invalid_input', 'departure before arrival');
    expect(toAppError(error)).toBe(error);
  });
});
