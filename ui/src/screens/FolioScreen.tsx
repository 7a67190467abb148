import { useState, type FormEvent } from 'react';

import { folio, getReservation, postCharge, postPayment, reversePosting, type Folio } from '../api.ts';
import { ErrorNotice } from '../components/ErrorNotice.tsx';
import { Field } from '../components/Field.tsx';
import { dateTime } from '../dates.ts';
import { useAction, useDesk, useLoad } from '../desk.tsx';
import { balanceLines, balanceOf, formatMoney, parseMoney } from '../money.ts';
import type { FolioPosting, Reservation } from '../records.ts';

/** The derived balance of a folio, one line per currency owed. */
export function FolioBalance({ balance, currency }: { balance: Folio['balance']; currency: string }) {
  const lines = balanceLines(balance, currency);
  return (
    <dl className="folio-balance" aria-label="Balance">
      <dt>Balance</dt>
      {lines.map((line) => (
        <dd key={line.currency} className={line.minor > 0 ? 'owed' : line.minor < 0 ? 'credit' : 'settled'}>
          {line.text}
          {line.minor < 0 ? ' (credit)' : ''}
        </dd>
      ))}
    </dl>
  );
}

/** Folio windows a stay can have (`folio_posting.window`, 1 to 9). */
const MAX_WINDOWS = 9;

/**
 * The charges and payments of a stay, its balance, and the desk's postings, by folio
 * window: window 1 is the guest's; more windows split the bill (the room to a company,
 * extras to the guest), each with its own balance, the header with the stay's.
 */
export function FolioScreen({ reservationId }: { reservationId: string }) {
  const { catalog } = useDesk();
  const currency = catalog.property.currency;
  const stay = useLoad<Reservation>(() => getReservation(reservationId), [reservationId], ['reservation']);
  const loaded = useLoad<Folio>(() => folio(reservationId), [reservationId], ['folio_posting']);
  const [window, setWindow] = useState(1);
  const [opened, setOpened] = useState<number[]>([]);
  const postings = loaded.data?.postings ?? [];
  const windows = [...new Set([1, ...postings.map((p) => p.window), ...opened])].sort((a, b) => a - b);
  const shown = postings.filter((p) => p.window === window);
  const reversed = new Set(postings.map((p) => p.reverses).filter((id) => id !== null));
  const next = windows.length < MAX_WINDOWS ? Math.max(...windows) + 1 : undefined;

  return (
    <section className="screen" aria-labelledby="folio-title">
      <div className="screen__title-row">
        <h1 id="folio-title">
          Folio{stay.data !== undefined ? ` · ${stay.data.confirmation}, ${stay.data.guest_name}` : ''}
        </h1>
        {loaded.data !== undefined && <FolioBalance balance={loaded.data.balance} currency={currency} />}
      </div>
      <ErrorNotice error={loaded.error ?? stay.error} />
      <div className="folio-windows" role="tablist" aria-label="Folio windows">
        {windows.map((w) => (
          <button key={w} type="button" role="tab" aria-selected={w === window} onClick={() => setWindow(w)}>
            Window {w} · {balanceLines(balanceOf(postings.filter((p) => p.window === w)), currency).map((line) => line.text).join(', ')}
          </button>
        ))}
        {next !== undefined && (
          <button
            type="button"
            onClick={() => {
              setOpened((open) => [...open, next]);
              setWindow(next);
            }}
          >
            New window
          </button>
        )}
      </div>
      <table className="table">
        <caption className="visually-hidden">Postings</caption>
        <thead>
          <tr>
            <th scope="col">Posted</th>
            <th scope="col">Code</th>
            <th scope="col">Description</th>
            <th scope="col">Qty</th>
            <th scope="col" className="num">
              Charge
            </th>
            <th scope="col" className="num">
              Payment
            </th>
            <th scope="col">Correction</th>
          </tr>
        </thead>
        <tbody>
          {shown.map((posting) => (
            <PostingRow key={posting.id} posting={posting} reversed={reversed.has(posting.id)} />
          ))}
          {loaded.data !== undefined && shown.length === 0 && (
            <tr>
              <td colSpan={7}>Nothing posted on window {window} yet.</td>
            </tr>
          )}
        </tbody>
      </table>
      <div className="two-columns">
        <ChargeForm reservationId={reservationId} currency={currency} window={window} />
        <PaymentForm reservationId={reservationId} currency={currency} window={window} />
      </div>
    </section>
  );
}

function postedAt(hlc: string): string {
  const ms = Number(hlc.slice(0, 18));
  return Number.isFinite(ms) && ms > 0 ? dateTime(ms, 'short') : '';
}

function PostingRow({ posting, reversed }: { posting: FolioPosting; reversed: boolean }) {
  const [reason, setReason] = useState<string | undefined>(undefined);
  const [reasonError, setReasonError] = useState<string | undefined>(undefined);
  const action = useAction();
  const amount = formatMoney(posting.amount_minor, posting.currency);
  const submit = async () => {
    if (reason === undefined || reason.trim() === '') {
      setReasonError('A correction needs a reason');
      return;
    }
    setReasonError(undefined);
    const done = await action.run(() => reversePosting(posting.id, reason.trim()));
    if (done !== undefined) {
      setReason(undefined);
    }
  };
  return (
    <tr className={posting.reverses !== null ? 'posting--correction' : reversed ? 'posting--reversed' : undefined}>
      <td>{postedAt(posting.posted_at)}</td>
      <td className="mono">{posting.code}</td>
      <td>
        {posting.description}
        {posting.reason !== null && <span className="muted"> — {posting.reason}</span>}
      </td>
      <td>{posting.quantity}</td>
      <td className="num">{posting.kind === 'charge' ? amount : ''}</td>
      <td className="num">
        {posting.kind === 'payment' ? amount : ''}
        {posting.method !== null ? ` (${posting.method})` : ''}
      </td>
      <td>
        {posting.reverses !== null ? (
          'correction'
        ) : reversed ? (
          'reversed'
        ) : reason === undefined ? (
          <button type="button" onClick={() => setReason('')} aria-label={`Correct ${posting.description} ${amount}`}>
            Correct…
          </button>
        ) : (
          <span className="inline-form">
            <Field label="Reason" error={reasonError ?? (action.error?.field === 'reason' ? action.error.message : undefined)}>
              {(p) => <input {...p} value={reason} onChange={(e) => setReason(e.target.value)} />}
            </Field>
            <button type="button" className="danger" disabled={action.busy} onClick={() => void submit()}>
              Post reversal
            </button>
            <button type="button" onClick={() => setReason(undefined)}>
              Back
            </button>
            {action.error?.field !== 'reason' && <ErrorNotice error={action.error} />}
          </span>
        )}
      </td>
    </tr>
  );
}

function ChargeForm({ reservationId, currency, window }: { reservationId: string; currency: string; window: number }) {
  const [code, setCode] = useState('MISC');
  const [description, setDescription] = useState('');
  const [amount, setAmount] = useState('');
  const [quantity, setQuantity] = useState('1');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const action = useAction();
  const fieldError = (field: string) => errors[field] ?? (action.error?.field === field ? action.error.message : undefined);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const found: Record<string, string> = {};
    const money = parseMoney(amount, currency);
    if ('error' in money) {
      found.amount_minor = money.error;
    }
    if (description.trim() === '') {
      found.description = 'Describe the charge';
    }
    if (code.trim() === '') {
      found.code = 'Enter a charge code';
    }
    const qty = Number(quantity);
    if (!Number.isInteger(qty) || qty < 1 || qty > 10_000) {
      found.quantity = 'Quantity must be from 1 to 10000';
    }
    setErrors(found);
    if (Object.keys(found).length > 0 || 'error' in money) {
      return;
    }
    const done = await action.run(() =>
      postCharge({
        reservation_id: reservationId,
        amount_minor: money.minor,
        currency,
        code: code.trim().toUpperCase(),
        description: description.trim(),
        quantity: qty,
        window,
      }),
    );
    if (done !== undefined) {
      setDescription('');
      setAmount('');
      setQuantity('1');
    }
  };

  return (
    <form className="panel" onSubmit={submit} noValidate aria-label="Post a charge">
      <h2>Post a charge on window {window}</h2>
      <Field label="Code" error={fieldError('code')}>
        {(p) => <input {...p} value={code} onChange={(e) => setCode(e.target.value)} />}
      </Field>
      <Field label="Description" error={fieldError('description')}>
        {(p) => <input {...p} value={description} onChange={(e) => setDescription(e.target.value)} />}
      </Field>
      <Field label={`Amount (${currency})`} error={fieldError('amount_minor')}>
        {(p) => <input {...p} inputMode="decimal" value={amount} onChange={(e) => setAmount(e.target.value)} />}
      </Field>
      <Field label="Quantity" error={fieldError('quantity')}>
        {(p) => <input {...p} inputMode="numeric" value={quantity} onChange={(e) => setQuantity(e.target.value)} />}
      </Field>
      {action.error?.field === undefined && <ErrorNotice error={action.error} />}
      <button type="submit" className="primary" disabled={action.busy}>
        Post charge
      </button>
    </form>
  );
}

function PaymentForm({ reservationId, currency, window }: { reservationId: string; currency: string; window: number }) {
  const [amount, setAmount] = useState('');
  const [error, setError] = useState<string | undefined>(undefined);
  const action = useAction();

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const money = parseMoney(amount, currency);
    if ('error' in money) {
      setError(money.error);
      return;
    }
    setError(undefined);
    const done = await action.run(() =>
      postPayment({
        reservation_id: reservationId,
        amount_minor: money.minor,
        currency,
        method: 'cash',
        description: 'Cash payment',
        window,
      }),
    );
    if (done !== undefined) {
      setAmount('');
    }
  };

  return (
    <form className="panel" onSubmit={submit} noValidate aria-label="Take a cash payment">
      <h2>Take a cash payment on window {window}</h2>
      <Field label={`Cash received (${currency})`} error={error ?? (action.error?.field !== undefined ? action.error.message : undefined)}>
        {(p) => <input {...p} inputMode="decimal" value={amount} onChange={(e) => setAmount(e.target.value)} />}
      </Field>
      {action.error?.field === undefined && <ErrorNotice error={action.error} />}
      <button type="submit" className="primary" disabled={action.busy}>
        Take payment
      </button>
    </form>
  );
}
