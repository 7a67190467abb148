import { screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it, vi } from 'vitest';

import * as api from '../api.ts';
import type { InventoryItem } from '../records.ts';
import { HOUSEKEEPER, renderInDesk } from '../test/fixtures.tsx';
import { InventoryScreen } from './InventoryScreen.tsx';

vi.mock('../api.ts', async (importOriginal) => (await import('../test/apiMock.ts')).mockApi(await importOriginal()));

const TOWELS: InventoryItem = { id: 'i-1', property_id: 'p', sku: 'TOWEL-L', name: 'Large towel', location: 'Floor 3', quantity: 40 };

beforeEach(() => {
  vi.mocked(api.inventoryItems).mockResolvedValue([TOWELS]);
  vi.mocked(api.createInventoryItem).mockImplementation((input) => Promise.resolve({ ...input, id: 'i-2', property_id: 'p' }));
});

describe('InventoryScreen', () => {
  it('adds an item with its first count', async () => {
    renderInDesk(<InventoryScreen />, { user: HOUSEKEEPER });
    await screen.findByText('Large towel');

    await userEvent.type(screen.getByLabelText('Item'), 'Bath robe');
    await userEvent.type(screen.getByLabelText('SKU'), 'ROBE');
    await userEvent.type(screen.getByLabelText('Location'), 'Floor 2');
    await userEvent.clear(screen.getByLabelText('Count'));
    await userEvent.type(screen.getByLabelText('Count'), '12');
    await userEvent.click(screen.getByRole('button', { name: 'Add item' }));

    expect(api.createInventoryItem).toHaveBeenCalledWith({ sku: 'ROBE', name: 'Bath robe', location: 'Floor 2', quantity: 12 });
    expect(api.inventoryItems).toHaveBeenCalledTimes(2);
  });

  it('says what is missing instead of sending a nameless item', async () => {
    renderInDesk(<InventoryScreen />, { user: HOUSEKEEPER });
    await screen.findByText('Large towel');

    await userEvent.click(screen.getByRole('button', { name: 'Add item' }));

    expect(screen.getByRole('alert')).toHaveTextContent('Give the item a name and a code (SKU)');
    expect(api.createInventoryItem).not.toHaveBeenCalled();
  });
});
