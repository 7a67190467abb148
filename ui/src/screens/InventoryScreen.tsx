import { useState } from 'react';

import { adjustInventory, inventoryItems } from '../api.ts';
import { ErrorNotice } from '../components/ErrorNotice.tsx';
import { useAction, useLoad } from '../desk.tsx';
import type { InventoryItem } from '../records.ts';

/** Stock counts changed by deltas, so counts from two devices add up. */
export function InventoryScreen() {
  const items = useLoad<InventoryItem[]>(inventoryItems, [], ['inventory_item']);
  return (
    <section className="screen" aria-labelledby="inventory-title">
      <h1 id="inventory-title">Inventory</h1>
      <ErrorNotice error={items.error} />
      <table className="table">
        <thead><tr><th scope="col">Item</th><th scope="col">SKU</th><th scope="col">Location</th><th scope="col" className="num">Count</th><th scope="col">Adjust</th></tr></thead>
        <tbody>
          {(items.data ?? []).map((item) => <InventoryRow key={item.id} item={item} />)}
        </tbody>
      </table>
    </section>
  );
}

function InventoryRow({ item }: { item: InventoryItem }) {
  const [delta, setDelta] = useState('');
  const [error, setError] = useState<string | undefined>(undefined);
  const action = useAction();
  const apply = (value: number) => {
    if (!Number.isInteger(value) || value === 0) {
      setError('Enter a whole number other than 0, like -3 or 12');
      return;
    }
    setError(undefined);
    void action.run(() => adjustInventory(item.id, value)).then((done) => done !== undefined && setDelta(''));
  };
  const id = `delta-${item.id}`;
  return (
    <tr>
      <th scope="row">{item.name}</th>
      <td className="mono">{item.sku}</td>
      <td>{item.location}</td>
      <td className="num">{item.quantity}</td>
      <td>
        <span className="inline-form">
          <button type="button" className="touch" aria-label={`One less ${item.name}`} onClick={() => apply(-1)}>−1</button>
          <button type="button" className="touch" aria-label={`One more ${item.name}`} onClick={() => apply(1)}>+1</button>
          <label htmlFor={id} className="visually-hidden">Change {item.name} by</label>
          <input id={id} inputMode="numeric" placeholder="±" size={5} value={delta} aria-invalid={error !== undefined} onChange={(e) => setDelta(e.target.value)} />
          <button type="button" disabled={action.busy} onClick={() => apply(Number(delta))}>Apply</button>
        </span>
        {error !== undefined && <span className="field__error" role="alert">{error}</span>}
        <ErrorNotice error={action.error} />
      </td>
    </tr>
  );
}
