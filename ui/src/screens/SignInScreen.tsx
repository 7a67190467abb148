import { useState, type FormEvent } from 'react';

import { signIn, type EnrolledDevice, type SessionState } from '../api.ts';
import { ErrorNotice } from '../components/ErrorNotice.tsx';
import { Field } from '../components/Field.tsx';
import { useAction } from '../desk.tsx';

/** Staff sign-in on an enrolled device. */
export function SignInScreen({ device, onSignedIn }: { device: EnrolledDevice; onSignedIn: (state: SessionState) => void }) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | undefined>(undefined);
  const action = useAction();

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (username.trim() === '' || password === '') {
      setError('Enter your user name and password');
      return;
    }
    setError(undefined);
    const state = await action.run(() => signIn(username.trim(), password));
    if (state !== undefined) {
      onSignedIn(state);
    } else {
      setPassword('');
    }
  };

  return (
    <main className="gate">
      <p className="product-name">Frontdesk</p>
      <form className="panel gate__form" onSubmit={submit} noValidate aria-labelledby="sign-in-title">
        <h1 id="sign-in-title">Sign in</h1>
        <p className="muted">
          {device.property_name} · {device.name}
        </p>
        <Field label="User name" error={error}>
          {(p) => <input {...p} autoFocus autoComplete="username" value={username} onChange={(e) => setUsername(e.target.value)} />}
        </Field>
        <Field label="Password">
          {(p) => (
            <input {...p} type="password" autoComplete="current-password" value={password} onChange={(e) => setPassword(e.target.value)} />
          )}
        </Field>
        <ErrorNotice error={action.error} />
        <button type="submit" className="primary" disabled={action.busy}>
          Sign in
        </button>
      </form>
    </main>
  );
}
