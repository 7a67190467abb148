import { useState, type FormEvent } from 'react';

import { adjustInventory, createInventoryItem, inventoryItems } from '../api.ts';
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
      <NewItemForm onAdded={items.reload} />
    </section>
  );
}

/** Adds an item to the stock list: what it is, where it is kept, how many there are. */
function NewItemForm({ onAdded }: { onAdded: () => void }) {
  const [name, setName] = useState('');
  const [sku, setSku] = useState('');
  const [location, setLocation] = useState('');
  const [quantity, setQuantity] = useState('0');
  const [problem, setProblem] = useState<string | undefined>(undefined);
  const action = useAction();
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const count = Number(quantity);
    if (name.trim() === '' || sku.trim() === '') {
      setProblem('Give the item a name and a code (SKU)');
      return;
    }
    if (!Number.isInteger(count) || count < 0) {
      setProblem('The count is a whole number, 0 or more');
      return;
    }
    setProblem(undefined);
    void action
      .run(() => createInventoryItem({ sku: sku.trim(), name: name.trim(), location: location.trim(), quantity: count }))
      .then((added) => {
        if (added !== undefined) {
          setName('');
          setSku('');
          setLocation('');
          setQuantity('0');
          onAdded();
        }
      });
  };
  return (
    <form className="panel inline-form" aria-label="Add an item" onSubmit={submit}>
      <h2>Add an item</h2>
      <label>
        Item <input value={name} onChange={(e) => setName(e.target.value)} />
      </label>
      <label>
        SKU <input value={sku} onChange={(e) => setSku(e.target.value)} />
      </label>
      <label>
        Location <input value={location} onChange={(e) => setLocation(e.target.value)} />
      </label>
      <label>
        Count <input inputMode="numeric" value={quantity} onChange={(e) => setQuantity(e.target.value)} />
      </label>
      <button type="submit" className="primary touch" disabled={action.busy}>
        Add item
      </button>
      {problem !== undefined && (
        <span className="field__error" role="alert">
          {problem}
        </span>
      )}
      <ErrorNotice error={action.error} />
    </form>
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
