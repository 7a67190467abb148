import { useState, type FormEvent } from 'react';

import { createGuest, searchGuests, updateGuest } from '../api.ts';
import { ErrorNotice } from '../components/ErrorNotice.tsx';
import { Field } from '../components/Field.tsx';
import { useAction, useLoad } from '../desk.tsx';
import type { Guest } from '../records.ts';

/** Guest profiles: search, contact details, preferences, tags and notes. */
export function GuestsScreen() {
  const [text, setText] = useState('');
  const guests = useLoad<Guest[]>(() => searchGuests(text.trim()), [text], ['guest']);
  const [selected, setSelected] = useState<string | undefined>(undefined);
  const [creating, setCreating] = useState(false);
  const guest = guests.data?.find((g) => g.id === selected);

  return (
    <section className="screen" aria-labelledby="guests-title">
      <div className="screen__title-row">
        <h1 id="guests-title">Guests</h1>
        <button type="button" className="primary" onClick={() => setCreating(true)}>
          New guest
        </button>
      </div>
      <div className="two-columns">
        <div>
          <div className="field">
            <label htmlFor="guest-search">Search guests</label>
            <input id="guest-search" type="search" value={text} onChange={(e) => setText(e.target.value)} placeholder="Name, email or loyalty number" />
          </div>
          <ErrorNotice error={guests.error} />
          <ul className="pick-list" aria-label="Guests found">
            {(guests.data ?? []).map((g) => (
              <li key={g.id}>
                <button type="button" aria-pressed={g.id === selected} onClick={() => { setSelected(g.id); setCreating(false); }}>
                  {g.last_name}, {g.first_name}
                  {g.loyalty_tier !== null && <span className="badge">{g.loyalty_tier}</span>}
                </button>
              </li>
            ))}
          </ul>
        </div>
        <div>
          {creating ? (
            <NewGuestForm onCreated={(g) => { setCreating(false); setSelected(g.id); guests.reload(); }} />
          ) : guest !== undefined ? (
            <GuestProfile key={guest.id} guest={guest} />
          ) : (
            <p className="muted">Choose a guest to see the profile.</p>
          )}
        </div>
      </div>
    </section>
  );
}

function NewGuestForm({ onCreated }: { onCreated: (guest: Guest) => void }) {
  const [first, setFirst] = useState('');
  const [last, setLast] = useState('');
  const [email, setEmail] = useState('');
  const [phone, setPhone] = useState('');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const action = useAction();
  const err = (field: string) => errors[field] ?? (action.error?.field === field ? action.error.message : undefined);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const found: Record<string, string> = {};
    if (first.trim() === '') found.first_name = "Enter the guest's first name";
    if (last.trim() === '') found.last_name = "Enter the guest's last name";
    if (email.trim() !== '' && !/^\S+@\S+\.\S+$/.test(email.trim())) found.email = 'Enter an email like name@example.com';
    setErrors(found);
    if (Object.keys(found).length > 0) return;
    const created = await action.run(() =>
      createGuest({
        first_name: first.trim(),
        last_name: last.trim(),
        email: email.trim() === '' ? null : email.trim(),
        phone: phone.trim() === '' ? null : phone.trim(),
        loyalty_number: null,
        loyalty_tier: null,
        preferences: [],
        tags: [],
        note: null,
      }),
    );
    if (created !== undefined) onCreated(created);
  };
  return (
    <form className="panel" onSubmit={submit} noValidate aria-label="New guest">
      <h2>New guest</h2>
      <Field label="First name" error={err('first_name')}>{(p) => <input {...p} value={first} onChange={(e) => setFirst(e.target.value)} />}</Field>
      <Field label="Last name" error={err('last_name')}>{(p) => <input {...p} value={last} onChange={(e) => setLast(e.target.value)} />}</Field>
      <Field label="Email" error={err('email')}>{(p) => <input {...p} type="email" value={email} onChange={(e) => setEmail(e.target.value)} />}</Field>
      <Field label="Phone" error={err('phone')}>{(p) => <input {...p} type="tel" value={phone} onChange={(e) => setPhone(e.target.value)} />}</Field>
      {action.error?.field === undefined && <ErrorNotice error={action.error} />}
      <button type="submit" className="primary" disabled={action.busy}>Create guest</button>
    </form>
  );
}

/** A list the desk adds to and removes from (preferences, tags). */
function EditableList({ label, items, onAdd, onRemove }: { label: string; items: string[]; onAdd: (item: string) => void; onRemove: (item: string) => void }) {
  const [text, setText] = useState('');
  const id = `add-${label.toLowerCase()}`;
  return (
    <div className="editable-list">
      <h3>{label}</h3>
      <ul className="chips" aria-label={label}>
        {items.map((item) => (
          <li key={item} className="chip">
            {item}
            <button type="button" aria-label={`Remove ${item} from ${label.toLowerCase()}`} onClick={() => onRemove(item)}>×</button>
          </li>
        ))}
      </ul>
      <form
        className="inline-form"
        onSubmit={(e) => {
          e.preventDefault();
          if (text.trim() !== '') {
            onAdd(text.trim());
            setText('');
          }
        }}
      >
        <label htmlFor={id} className="visually-hidden">Add to {label.toLowerCase()}</label>
        <input id={id} value={text} onChange={(e) => setText(e.target.value)} placeholder={`Add to ${label.toLowerCase()}`} />
        <button type="submit">Add</button>
      </form>
    </div>
  );
}

/**
 * A contact field as the receptionist edits it: it follows the stored value (another desk
 * may change it meanwhile) until it is typed in, and only a typed value is saved.
 */
function useContactField(stored: string | null) {
  const [typed, setTyped] = useState<string | undefined>(undefined);
  const value = typed ?? stored ?? '';
  const trimmed = value.trim() === '' ? null : value.trim();
  return {
    value,
    set: setTyped,
    /** The new value when it differs from the stored one, else undefined (nothing to send). */
    change: typed !== undefined && trimmed !== stored ? trimmed : undefined,
    reset: () => setTyped(undefined),
  };
}

function GuestProfile({ guest }: { guest: Guest }) {
  const action = useAction();
  const email = useContactField(guest.email);
  const phone = useContactField(guest.phone);
  const [note, setNote] = useState('');
  const err = (field: string) => (action.error?.field === field ? action.error.message : undefined);
  const saveContact = async () => {
    const edit: { email?: string | null; phone?: string | null } = {};
    if (email.change !== undefined) edit.email = email.change;
    if (phone.change !== undefined) edit.phone = phone.change;
    if (Object.keys(edit).length === 0) return;
    const saved = await action.run(() => updateGuest(guest.id, edit));
    if (saved !== undefined) {
      email.reset();
      phone.reset();
    }
  };
  return (
    <article className="panel" aria-labelledby="guest-name">
      <h2 id="guest-name">{guest.first_name} {guest.last_name}</h2>
      {guest.loyalty_number !== null && <p className="muted">Loyalty {guest.loyalty_number} · {guest.loyalty_tier ?? ''}</p>}
      <form
        className="form-row"
        onSubmit={(e) => {
          e.preventDefault();
          void saveContact();
        }}
        aria-label="Contact details"
      >
        <Field label="Email" error={err('email')}>{(p) => <input {...p} type="email" value={email.value} onChange={(e) => email.set(e.target.value)} />}</Field>
        <Field label="Phone" error={err('phone')}>{(p) => <input {...p} type="tel" value={phone.value} onChange={(e) => phone.set(e.target.value)} />}</Field>
        <button type="submit" disabled={action.busy || (email.change === undefined && phone.change === undefined)}>Save contact</button>
      </form>
      <EditableList
        label="Preferences"
        items={guest.preferences}
        onAdd={(item) => void action.run(() => updateGuest(guest.id, { add_preferences: [item] }))}
        onRemove={(item) => void action.run(() => updateGuest(guest.id, { remove_preferences: [item] }))}
      />
      <EditableList
        label="Tags"
        items={guest.tags}
        onAdd={(item) => void action.run(() => updateGuest(guest.id, { add_tags: [item] }))}
        onRemove={(item) => void action.run(() => updateGuest(guest.id, { remove_tags: [item] }))}
      />
      <h3>Notes</h3>
      <ul className="notes">
        {guest.notes.map((n) => (
          <li key={n.id}><strong>{n.by}:</strong> {n.text}</li>
        ))}
      </ul>
      <form
        className="inline-form"
        onSubmit={(e) => {
          e.preventDefault();
          if (note.trim() !== '') void action.run(() => updateGuest(guest.id, { add_note: note.trim() })).then(() => setNote(''));
        }}
      >
        <label htmlFor="guest-note">Add a note</label>
        <input id="guest-note" value={note} onChange={(e) => setNote(e.target.value)} />
        <button type="submit">Add note</button>
      </form>
      {action.error?.field !== 'email' && action.error?.field !== 'phone' && <ErrorNotice error={action.error} />}
      <a className="button" href={`#/history/guest/${guest.id}`}>History</a>
    </article>
  );
}
