import type { AppError } from '../api.ts';

/** A failed action or load, in the receptionist's words; nothing when there is no error. */
export function ErrorNotice({ error }: { error: AppError | undefined }) {
  if (error === undefined) {
    return null;
  }
  return (
    <p className={`notice notice--error notice--${error.code}`} role="alert">
      {error.code === 'stale_blocked' ? 'Blocked: ' : ''}
      {error.message}
    </p>
  );
}
