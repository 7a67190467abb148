import { useEffect, useState, type FormEvent } from 'react';

import {
  checkForUpdate,
  getSettings,
  installUpdate,
  saveSettings,
  updateStatus,
  type AutoResolve,
  type Settings,
  type StaleAction,
  type SyncSettings,
  type UpdateStatus,
} from '../api.ts';
import { ErrorNotice } from '../components/ErrorNotice.tsx';
import { Field } from '../components/Field.tsx';
import { dateTime } from '../dates.ts';
import { useAction, useDesk, useLoad } from '../desk.tsx';
import { words, type EntityKind } from '../records.ts';

/** Kinds whose conflicts a device may settle by itself, by a configured side. */
const AUTO_KINDS: EntityKind[] = ['reservation', 'guest', 'room', 'housekeeping_task', 'maintenance_report', 'service_request', 'pos_order', 'inventory_item'];

/** Server, device and the sync worker's settings. */
export function SettingsScreen() {
  const desk = useDesk();
  // The desk's own settings change it for everyone who uses it: a manager's.
  const manager = desk.user.role === 'manager';
  const loaded = useLoad<Settings>(getSettings, [], []);
  const [draft, setDraft] = useState<SyncSettings | undefined>(undefined);
  const [saved, setSaved] = useState(false);
  const save = useAction();

  useEffect(() => {
    if (loaded.data !== undefined) {
      setDraft(loaded.data.sync);
    }
  }, [loaded.data]);

  if (loaded.data === undefined || draft === undefined) {
    return (
      <section className="screen">
        <h1>Settings</h1>
        {loaded.error !== undefined ? <ErrorNotice error={loaded.error} /> : <p>Loading…</p>}
      </section>
    );
  }
  const settings = loaded.data;
  const fieldError = (field: string) => (save.error?.field === field ? save.error.message : undefined);
  const update = (change: Partial<SyncSettings>) => {
    setDraft({ ...draft, ...change });
    setSaved(false);
  };
  const setNumber = (key: 'pull_interval' | 'batch_size' | 'max_retries' | 'max_queue') => (text: string) =>
    update({ [key]: Number(text) } as Partial<SyncSettings>);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const done = await save.run(() => saveSettings(draft));
    if (done !== undefined) {
      setSaved(true);
      loaded.reload();
    }
  };

  return (
    <section className="screen" aria-labelledby="settings-title">
      <h1 id="settings-title">Settings</h1>
      <dl className="facts">
        <div>
          <dt>Server</dt>
          <dd className="mono">{settings.server_url}</dd>
        </div>
        <div>
          <dt>Device</dt>
          <dd>
            {settings.device_name} <span className="muted mono">{settings.device_id}</span>
          </dd>
        </div>
      </dl>
      <form className="panel settings-form" onSubmit={submit} noValidate aria-label="Sync settings">
        <h2>Sync</h2>
        {!manager && <p className="muted">Only a manager changes how this desk syncs.</p>}
        <fieldset disabled={!manager} className="settings-form__fields">
        <label className="check">
          <input type="checkbox" checked={draft.enabled} onChange={(e) => update({ enabled: e.target.checked })} /> Sync enabled
        </label>
        <label className="check">
          <input type="checkbox" checked={draft.pause_on_metered} onChange={(e) => update({ pause_on_metered: e.target.checked })} /> Pause
          on metered connections
        </label>
        <div className="form-row">
          <Field label="Pull interval (seconds)" error={fieldError('pull_interval')}>
            {(p) => <input {...p} inputMode="numeric" value={draft.pull_interval} onChange={(e) => setNumber('pull_interval')(e.target.value)} />}
          </Field>
          <Field label="Batch size" error={fieldError('batch_size')}>
            {(p) => <input {...p} inputMode="numeric" value={draft.batch_size} onChange={(e) => setNumber('batch_size')(e.target.value)} />}
          </Field>
          <Field label="Retries per round" error={fieldError('max_retries')}>
            {(p) => <input {...p} inputMode="numeric" value={draft.max_retries} onChange={(e) => setNumber('max_retries')(e.target.value)} />}
          </Field>
          <Field label="Warn at queue length" error={fieldError('max_queue')}>
            {(p) => <input {...p} inputMode="numeric" value={draft.max_queue} onChange={(e) => setNumber('max_queue')(e.target.value)} />}
          </Field>
          <Field label="Sign out when idle (minutes, 0 for never)" error={fieldError('idle_sign_out')}>
            {(p) => (
              <input
                {...p}
                inputMode="numeric"
                value={Math.round(draft.idle_sign_out / 60)}
                onChange={(e) => update({ idle_sign_out: Number(e.target.value.replace(/\D/g, '')) * 60 })}
              />
            )}
          </Field>
        </div>
        <h3>Settle conflicts without asking</h3>
        <div className="form-row">
          {AUTO_KINDS.map((kind) => (
            <Field key={kind} label={words(kind)} error={fieldError(`auto_resolve.${kind}`)}>
              {(p) => (
                <select
                  {...p}
                  value={draft.auto_resolve[kind] ?? 'ask'}
                  onChange={(e) => update({ auto_resolve: { ...draft.auto_resolve, [kind]: e.target.value as AutoResolve } })}
                >
                  <option value="ask">Ask a person</option>
                  <option value="keep_server">Keep the server's</option>
                  <option value="keep_device">Keep this device's</option>
                </select>
              )}
            </Field>
          ))}
        </div>
        <h3>Stale data</h3>
        <table className="table">
          <thead>
            <tr>
              <th scope="col">Data</th>
              <th scope="col">Warn after (min)</th>
              <th scope="col">Critical after (min)</th>
              <th scope="col">When critical</th>
              <th scope="col">Operations</th>
            </tr>
          </thead>
          <tbody>
            {draft.stale_policies.map((policy, index) => {
              const change = (patch: Partial<typeof policy>) =>
                update({ stale_policies: draft.stale_policies.map((p, i) => (i === index ? { ...p, ...patch } : p)) });
              return (
                <tr key={policy.entity}>
                  <th scope="row">{words(policy.entity)}</th>
                  <td>
                    <input
                      aria-label={`${words(policy.entity)}: warn after minutes`}
                      inputMode="numeric"
                      value={policy.warn_after / 60}
                      onChange={(e) => change({ warn_after: Number(e.target.value) * 60 })}
                    />
                  </td>
                  <td>
                    <input
                      aria-label={`${words(policy.entity)}: critical after minutes`}
                      inputMode="numeric"
                      value={policy.critical_after / 60}
                      onChange={(e) => change({ critical_after: Number(e.target.value) * 60 })}
                    />
                  </td>
                  <td>
                    <select
                      aria-label={`${words(policy.entity)}: when critical`}
                      value={policy.when_critical}
                      onChange={(e) => change({ when_critical: e.target.value as StaleAction })}
                    >
                      <option value="warn">Warn</option>
                      <option value="block">Block</option>
                    </select>
                  </td>
                  <td>{policy.operations.map(words).join(', ')}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
        {save.error?.field === undefined && <ErrorNotice error={save.error} />}
        {save.error?.field !== undefined && !['pull_interval', 'batch_size', 'max_retries', 'max_queue', 'idle_sign_out'].includes(save.error.field) && (
          <ErrorNotice error={save.error} />
        )}
        {saved && <p role="status">Settings saved.</p>}
        </fieldset>
        {manager && (
          <button type="submit" className="primary" disabled={save.busy}>
            Save settings
          </button>
        )}
      </form>
      <SoftwareUpdate />
      <button type="button" className="danger" onClick={() => desk.signOut?.()}>
        Sign out
      </button>
    </section>
  );
}

/** The version this desk runs, and the newer one the property's server offers, if any. */
function SoftwareUpdate() {
  const [status, setStatus] = useState<UpdateStatus | undefined>(undefined);
  const check = useAction();
  const install = useAction();
  useEffect(() => {
    let current = true;
    updateStatus().then((loaded) => current && setStatus(loaded), () => undefined);
    return () => {
      current = false;
    };
  }, []);
  const runCheck = async () => {
    const checked = await check.run(checkForUpdate);
    if (checked !== undefined) {
      setStatus(checked);
    }
  };
  const available = status?.available ?? null;
  return (
    <section className="panel" aria-labelledby="software-update-title">
      <h2 id="software-update-title">Software update</h2>
      <dl className="facts">
        <div>
          <dt>This desk runs</dt>
          <dd>Frontdesk {status?.currentVersion ?? '…'}</dd>
        </div>
        <div>
          <dt>Last checked</dt>
          <dd>{status?.checkedAt != null ? dateTime(new Date(status.checkedAt)) : 'not yet'}</dd>
        </div>
      </dl>
      {available !== null ? (
        <p role="status">
          Frontdesk {available.version} is available{available.notes !== '' ? `: ${available.notes}` : '.'}
        </p>
      ) : (
        status?.checkedAt != null && <p role="status">This desk runs the newest version its server offers.</p>
      )}
      {status?.error != null && check.error === undefined && install.error === undefined && (
        <p className="notice notice--error" role="alert">
          {status.error}
        </p>
      )}
      <ErrorNotice error={check.error ?? install.error} />
      <div className="actions">
        <button type="button" onClick={() => void runCheck()} disabled={check.busy || install.busy}>
          {check.busy ? 'Checking…' : 'Check for updates'}
        </button>
        {available !== null && (
          <button type="button" className="primary" onClick={() => void install.run(installUpdate)} disabled={install.busy}>
            {install.busy ? `Installing ${available.version}…` : 'Install and restart'}
          </button>
        )}
      </div>
    </section>
  );
}
