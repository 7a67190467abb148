import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';

import * as api from '../api.ts';
import { guest, renderInDesk, ROOMS } from '../test/fixtures.tsx';
import { GuestsScreen } from './GuestsScreen.tsx';
import { InventoryScreen } from './InventoryScreen.tsx';
import { MaintenanceScreen } from './MaintenanceScreen.tsx';
import { PosScreen } from './PosScreen.tsx';
import { ServiceRequestsScreen } from './ServiceRequestsScreen.tsx';

vi.mock('../api.ts', async (importOriginal) => (await import('../test/apiMock.ts')).mockApi(await importOriginal()));

describe('InventoryScreen', () => {
  it('adjusts a count by a typed delta, never by overwriting it', async () => {
    const towel = { id: 'i-1', property_id: 'p', sku: 'TWL-B', name: 'Bath towel', location: 'Linen room', quantity: 240 };
    vi.mocked(api.inventoryItems).mockResolvedValue([towel]);
    vi.mocked(api.adjustInventory).mockResolvedValue({ ...towel, quantity: 228 });
    renderInDesk(<InventoryScreen />);

    await userEvent.type(await screen.findByLabelText('Change Bath towel by'), '-12');
    await userEvent.click(screen.getByRole('button', { name: 'Apply' }));
    await userEvent.click(screen.getByRole('button', { name: 'One more Bath towel' }));

    expect(vi.mocked(api.adjustInventory).mock.calls).toEqual([
      ['i-1', -12],
      ['i-1', 1],
    ]);
  });

  it('refuses a delta that is not a whole number', async () => {
    vi.mocked(api.inventoryItems).mockResolvedValue([{ id: 'i-1', property_id: 'p', sku: 'S', name: 'Soap', location: 'L', quantity: 3 }]);
    renderInDesk(<InventoryScreen />);

    await userEvent.type(await screen.findByLabelText('Change Soap by'), '2.5');
    await userEvent.click(screen.getByRole('button', { name: 'Apply' }));

    expect(screen.getByRole('alert')).toHaveTextContent('Enter a whole number');
    expect(api.adjustInventory).not.toHaveBeenCalled();
  });
});

describe('GuestsScreen', () => {
  it('shows a profile with preferences, notes and tags, and adds a tag', async () => {
    const sarah = guest({ preferences: ['quiet room'], tags: ['vip'], notes: [{ id: 'n1', at: 'a', by: 'Ana Reis', text: 'Prefers late check-out' }] });
    vi.mocked(api.searchGuests).mockResolvedValue([sarah]);
    vi.mocked(api.updateGuest).mockResolvedValue(sarah);
    renderInDesk(<GuestsScreen />);

    await userEvent.click(await screen.findByRole('button', { name: /Johnson, Sarah/ }));
    expect(within(screen.getByRole('list', { name: 'Preferences' })).getByText('quiet room')).toBeInTheDocument();
    expect(screen.getByText('Prefers late check-out')).toBeInTheDocument();
    await userEvent.type(screen.getByLabelText('Add to tags'), 'returning{Enter}');

    expect(api.updateGuest).toHaveBeenCalledWith('g-1', { add_tags: ['returning'] });
  });

  it('saves only the contact detail the receptionist changed', async () => {
    const sarah = guest({ email: 'sarah@example.org', phone: '+351 210 000 000' });
    vi.mocked(api.searchGuests).mockResolvedValue([sarah]);
    vi.mocked(api.updateGuest).mockResolvedValue({ ...sarah, phone: '+351 910 000 000' });
    renderInDesk(<GuestsScreen />);

    await userEvent.click(await screen.findByRole('button', { name: /Johnson, Sarah/ }));
    expect(screen.getByRole('button', { name: 'Save contact' })).toBeDisabled();
    const phone = screen.getByLabelText('Phone');
    await userEvent.clear(phone);
    await userEvent.type(phone, '+351 910 000 000');
    await userEvent.click(screen.getByRole('button', { name: 'Save contact' }));

    // The email another desk may have changed meanwhile is not written back.
    expect(api.updateGuest).toHaveBeenCalledWith('g-1', { phone: '+351 910 000 000' });
  });
});

describe('ServiceRequestsScreen', () => {
  it('acknowledges a new request', async () => {
    vi.mocked(api.serviceRequests).mockResolvedValue([
      { id: 's-1', property_id: 'p', room_id: ROOMS[0]!.id, kind: 'towels', text: 'Two more', status: 'new' },
    ]);
    
    renderInDesk(<ServiceRequestsScreen />);

    await userEvent.click(await screen.findByRole('button', { name: 'Acknowledge' }));

    expect(api.progressServiceRequest).toHaveBeenCalledWith('s-1', 'acknowledged');
  });
});

describe('MaintenanceScreen', () => {
  it('moves an open report on', async () => {
    vi.mocked(api.maintenanceReports).mockResolvedValue([
      { id: 'm-1', property_id: 'p', room_id: ROOMS[1]!.id, description: 'Leak', severity: 'high', status: 'open', puts_out_of_order: true, reported_by: 'u', notes: [] },
    ]);
    renderInDesk(<MaintenanceScreen />);

    expect(await screen.findByRole('row', { name: /102 \(out of order\)/ })).toHaveTextContent('Leak');
    await userEvent.click(screen.getByRole('button', { name: 'Start work' }));

    expect(api.progressMaintenance).toHaveBeenCalledWith('m-1', 'in_progress');
  });
});

describe('PosScreen', () => {
  it('adds a line in minor units and shows the total', async () => {
    vi.mocked(api.today).mockResolvedValue({ business_date: '2026-03-14', arrivals: [], departures: [], in_house: [], in_house_total: 0 });
    vi.mocked(api.posOrders).mockResolvedValue([
      { id: 'o-1', property_id: 'p', outlet: 'Bar', currency: 'EUR', status: 'open', reservation_id: null, lines: [{ id: 'l1', item: 'Espresso', quantity: 2, unit_price_minor: 250 }] },
    ]);
    renderInDesk(<PosScreen />);

    expect(await screen.findByText('Total €5.00')).toBeInTheDocument();
    await userEvent.type(screen.getByLabelText('Item'), 'Water');
    await userEvent.type(screen.getByLabelText('Price (EUR)'), '2.20');
    await userEvent.click(screen.getByRole('button', { name: 'Add line' }));

    expect(api.addPosLine).toHaveBeenCalledWith('o-1', { item: 'Water', quantity: 1, unit_price_minor: 220 });
  });
});
