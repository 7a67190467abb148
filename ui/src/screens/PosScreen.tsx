import { useState, type FormEvent } from 'react';

import { addPosLine, openPosOrder, payPosOrder, posOrders, postPosOrder, today, type Today } from '../api.ts';
import { ErrorNotice } from '../components/ErrorNotice.tsx';
import { Field } from '../components/Field.tsx';
import { StatusBadge } from '../components/StatusBadge.tsx';
import { useAction, useDesk, useLoad } from '../desk.tsx';
import { formatMoney, parseMoney } from '../money.ts';
import type { PosOrder } from '../records.ts';

function orderTotal(order: PosOrder): number {
  return order.lines.reduce((sum, line) => sum + line.unit_price_minor * line.quantity, 0);
}

/** Orders at the bar, restaurant or minibar: lines, then charged to a stay or paid in cash. */
export function PosScreen() {
  const { catalog } = useDesk();
  const orders = useLoad<PosOrder[]>(posOrders, [], ['pos_order']);
  const day = useLoad<Today>(today, [], ['reservation']);
  const action = useAction();
  const [outlet, setOutlet] = useState('Bar');
  const currency = catalog.property.currency;
  const inHouse = day.data?.in_house ?? [];

  return (
    <section className="screen" aria-labelledby="pos-title">
      <h1 id="pos-title">POS orders</h1>
      <form
        className="inline-form"
        onSubmit={(e) => {
          e.preventDefault();
          if (outlet.trim() !== '') void action.run(() => openPosOrder({ outlet: outlet.trim(), currency, reservation_id: null }));
        }}
      >
        <label htmlFor="pos-outlet">Outlet</label>
        <input id="pos-outlet" value={outlet} onChange={(e) => setOutlet(e.target.value)} />
        <button type="submit" className="primary" disabled={action.busy}>Open order</button>
      </form>
      <ErrorNotice error={orders.error ?? action.error} />
      <div className="card-grid">
        {(orders.data ?? []).map((order) => (
          <OrderCard key={order.id} order={order} inHouse={inHouse} />
        ))}
      </div>
    </section>
  );
}

function OrderCard({ order, inHouse }: { order: PosOrder; inHouse: Today['in_house'] }) {
  const action = useAction();
  const [item, setItem] = useState('');
  const [quantity, setQuantity] = useState('1');
  const [price, setPrice] = useState('');
  const [stay, setStay] = useState('');
  const [error, setError] = useState<string | undefined>(undefined);
  const open = order.status === 'open';
  const addLine = async (event: FormEvent) => {
    event.preventDefault();
    const money = parseMoney(price, order.currency);
    const qty = Number(quantity);
    if (item.trim() === '') return setError('Name the item');
    if (!Number.isInteger(qty) || qty < 1) return setError('Quantity must be a whole number from 1');
    if ('error' in money) return setError(money.error);
    setError(undefined);
    const done = await action.run(() => addPosLine(order.id, { item: item.trim(), quantity: qty, unit_price_minor: money.minor }));
    if (done !== undefined) {
      setItem('');
      setPrice('');
      setQuantity('1');
    }
  };
  return (
    <article className="panel" aria-label={`${order.outlet} order`}>
      <h2>{order.outlet} <StatusBadge status={order.status} /></h2>
      <ul>
        {order.lines.map((line) => (
          <li key={line.id}>{line.quantity} × {line.item} — {formatMoney(line.unit_price_minor * line.quantity, order.currency)}</li>
        ))}
      </ul>
      <p><strong>Total {formatMoney(orderTotal(order), order.currency)}</strong></p>
      {open && (
        <>
          <form className="form-row" onSubmit={addLine} noValidate aria-label="Add a line">
            <Field label="Item" error={error}>{(p) => <input {...p} value={item} onChange={(e) => setItem(e.target.value)} />}</Field>
            <Field label="Qty">{(p) => <input {...p} inputMode="numeric" value={quantity} onChange={(e) => setQuantity(e.target.value)} />}</Field>
            <Field label={`Price (${order.currency})`}>{(p) => <input {...p} inputMode="decimal" value={price} onChange={(e) => setPrice(e.target.value)} />}</Field>
            <button type="submit" disabled={action.busy}>Add line</button>
          </form>
          <div className="inline-form">
            <label htmlFor={`stay-${order.id}`}>Charge to stay</label>
            <select id={`stay-${order.id}`} value={stay} onChange={(e) => setStay(e.target.value)}>
              <option value="">Choose an in-house guest…</option>
              {inHouse.map((s) => <option key={s.id} value={s.id}>{s.guest_name} ({s.confirmation})</option>)}
            </select>
            <button type="button" disabled={stay === '' || order.lines.length === 0 || action.busy} onClick={() => void action.run(() => postPosOrder(order.id, stay))}>
              Post to folio
            </button>
            <button type="button" disabled={order.lines.length === 0 || action.busy} onClick={() => void action.run(() => payPosOrder(order.id, 'cash'))}>
              Paid in cash
            </button>
          </div>
        </>
      )}
      <ErrorNotice error={action.error} />
    </article>
  );
}
