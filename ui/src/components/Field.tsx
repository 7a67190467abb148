import { useId, type ReactNode } from 'react';

export interface FieldProps {
  label: string;
  /** The message beside the field when its value is wrong. */
  error?: string | undefined;
  hint?: string;
  /** Renders the control with the ids that tie it to its label and message. */
  children: (control: { id: string; 'aria-invalid': boolean; 'aria-describedby': string | undefined }) => ReactNode;
}

/** A labelled form control with its validation message beside it. */
export function Field({ label, error, hint, children }: FieldProps) {
  const id = useId();
  const messageId = `${id}-message`;
  const hintId = `${id}-hint`;
  const describedBy = [error !== undefined ? messageId : undefined, hint !== undefined ? hintId : undefined]
    .filter((part) => part !== undefined)
    .join(' ');
  return (
    <div className={`field${error !== undefined ? ' field--invalid' : ''}`}>
      <label htmlFor={id}>{label}</label>
      {children({ id, 'aria-invalid': error !== undefined, 'aria-describedby': describedBy === '' ? undefined : describedBy })}
      {hint !== undefined && (
        <span id={hintId} className="field__hint">
          {hint}
        </span>
      )}
      {error !== undefined && (
        <span id={messageId} className="field__error" role="alert">
          {error}
        </span>
      )}
    </div>
  );
}
