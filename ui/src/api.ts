// The one typed module between the UI and the Rust side: every Tauri command and event the
// UI uses is wrapped here, so components never call `invoke` with a string name.

import { invoke, type InvokeArgs } from '@tauri-apps/api/core';

/** The error codes of `ErrorCode` in src-tauri/src/error.rs, on the wire in snake_case. */
export const ERROR_CODES = ['invalid_input', 'not_found', 'internal'] as const;

/** What kind of failure a command reported; the UI branches on it, never on the message. */
export type ErrorCode = (typeof ERROR_CODES)[number];

/** A command's failure, as `AppError { code, message }` in src-tauri/src/error.rs. */
export class AppError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string) {
    super(message);
    this.name = 'AppError';
    this.code = code;
  }
}

function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && (ERROR_CODES as readonly string[]).includes(value);
}

/**
 * Turns whatever a rejected `invoke` gave into an `AppError`.
 *
 * Commands reject with the serialised `{ code, message }`; Tauri itself rejects with a bare
 * string (an unknown command, arguments that do not deserialise, a permission denied), and a
 * newer backend may send a code this UI does not know yet: those become `internal`, keeping
 * their message.
 */
export function toAppError(reason: unknown): AppError {
  if (reason instanceof AppError) {
    return reason;
  }
  if (typeof reason === 'object' && reason !== null) {
    const { code, message } = reason as { code?: unknown; message?: unknown };
    if (typeof message === 'string') {
      return new AppError(isErrorCode(code) ? code : 'internal', message);
    }
  }
  if (typeof reason === 'string') {
    return new AppError('internal', reason);
  }
  return new AppError('internal', `Unexpected error: ${String(reason)}`);
}

async function call<T>(command: string, args?: InvokeArgs): Promise<T> {
  try {
    return await invoke<T>(command, args);
  } catch (reason) {
    throw toAppError(reason);
  }
}

/** What this build is; mirrors `AppInfo` in src-tauri/src/commands.rs. */
export interface AppInfo {
  name: string;
  version: string;
  protocolVersion: number;
}

/** The product name, the app version and the sync protocol version of the running app. */
export function appInfo(): Promise<AppInfo> {
  return call<AppInfo>('app_info');
}
