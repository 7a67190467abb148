import { useState, type FormEvent } from 'react';

import { enroll, type AppError, type SessionState } from '../api.ts';
import { ErrorNotice } from '../components/ErrorNotice.tsx';
import { Field } from '../components/Field.tsx';
import { useAction } from '../desk.tsx';

const FIELDS = { serverUrl: 'server_url', code: 'code', deviceName: 'device_name' } as const;

/**
 * First run: points this device at the property's sync server with an enrollment code.
 * `setupFailure`: why the automatic setup (flags or a provisioning file) did not enroll it.
 */
export function EnrollScreen({
  onEnrolled,
  setupFailure,
  removed,
}: {
  onEnrolled: (state: SessionState) => void;
  setupFailure?: AppError | undefined;
  /** Why this desk is not enrolled any more (its administrator removed and wiped it). */
  removed?: AppError | undefined;
}) {
  const [serverUrl, setServerUrl] = useState('');
  const [code, setCode] = useState('');
  const [deviceName, setDeviceName] = useState('');
  const [errors, setErrors] = useState<Partial<Record<keyof typeof FIELDS, string>>>({});
  const action = useAction();
  const serverError = (field: keyof typeof FIELDS) =>
    errors[field] ?? (action.error?.field === FIELDS[field] || action.error?.field === field ? action.error.message : undefined);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const found: typeof errors = {};
    if (!/^https?:\/\/\S+$/.test(serverUrl.trim())) {
      found.serverUrl = 'Enter the server address, like https://sync.hotel.example';
    }
    if (code.trim() === '') {
      found.code = 'Enter the enrollment code from the property manager';
    }
    if (deviceName.trim() === '') {
      found.deviceName = 'Name this device, like "Front desk 1"';
    }
    setErrors(found);
    if (Object.keys(found).length > 0) {
      return;
    }
    const state = await action.run(() => enroll({ serverUrl: serverUrl.trim(), code: code.trim(), deviceName: deviceName.trim() }));
    if (state !== undefined) {
      onEnrolled(state);
    }
  };

  return (
    <main className="gate">
      <p className="product-name">Frontdesk</p>
      <form className="panel gate__form" onSubmit={submit} noValidate aria-labelledby="enroll-title">
        <h1 id="enroll-title">Set up this device</h1>
        <p className="muted">Connect it to your property's sync server once; staff then sign in.</p>
        {removed !== undefined && action.error === undefined && (
          <div role="alert" className="notice notice--high">
            <p>{removed.message}.</p>
            <p>Ask your IT contact for a new enrollment code if this desk should work for the hotel again.</p>
          </div>
        )}
        {setupFailure !== undefined && action.error === undefined && (
          <div role="alert" className="notice notice--high">
            <p>The automatic setup of this desk did not work: {setupFailure.message}</p>
            <p>Enter the details below, or ask your IT contact to correct the provisioning.</p>
          </div>
        )}
        <Field label="Server address" error={serverError('serverUrl')}>
          {(p) => <input {...p} type="url" autoFocus value={serverUrl} onChange={(e) => setServerUrl(e.target.value)} />}
        </Field>
        <Field label="Enrollment code" error={serverError('code')}>
          {(p) => <input {...p} autoComplete="off" value={code} onChange={(e) => setCode(e.target.value)} />}
        </Field>
        <Field label="Device name" error={serverError('deviceName')}>
          {(p) => <input {...p} value={deviceName} onChange={(e) => setDeviceName(e.target.value)} />}
        </Field>
        {action.error?.field === undefined && <ErrorNotice error={action.error} />}
        <button type="submit" className="primary" disabled={action.busy}>
          {action.busy ? 'Enrolling…' : 'Enroll device'}
        </button>
      </form>
    </main>
  );
}
