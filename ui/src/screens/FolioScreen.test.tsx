import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it, vi } from 'vitest';

import * as api from '../api.ts';
import type { FolioPosting } from '../records.ts';
import { renderInDesk, reservation } from '../test/fixtures.tsx';
import { FolioBalance, FolioScreen } from './FolioScreen.tsx';

vi.mock('../api.ts', async (importOriginal) => (await import('../test/apiMock.ts')).mockApi(await importOriginal()));

function posting(overrides: Partial<FolioPosting>): FolioPosting {
  return {
    id: 'p-1',
    property_id: 'prop',
    reservation_id: 'r-42',
    window: 1,
    kind: 'charge',
    idempotency_key: 'k-1',
    amount_minor: 12000,
    currency: 'EUR',
    code: 'ROOM',
    description: 'Room night',
    quantity: 1,
    method: null,
    reverses: null,
    reason: null,
    posted_by: 'u-1',
    posted_at: '000001773482400000-00000-00000000-0000-0000-0000-000000000000',
    ...overrides,
  };
}

beforeEach(() => {
  vi.mocked(api.getReservation).mockResolvedValue(reservation());
  vi.mocked(api.folio).mockResolvedValue({
    reservation_id: 'r-42',
    postings: [posting({}), posting({ id: 'p-2', kind: 'payment', amount_minor: 5000, code: 'CASH', description: 'Cash payment', method: 'cash' })],
    balance: { EUR: 7000 },
  });
});

describe('FolioBalance', () => {
  it('formats the derived balance in the currency, from minor units', () => {
    renderInDesk(<FolioBalance balance={{ EUR: 123456 }} currency="EUR" />);

    expect(screen.getByRole('definition')).toHaveTextContent('€1,234.56');
  });

  it('reads a settled folio as zero and a credit as a credit', () => {
    const { rerender } = renderInDesk(<FolioBalance balance={{}} currency="EUR" />);
    expect(screen.getByRole('definition')).toHaveTextContent('€0.00');

    rerender(<FolioBalance balance={{ EUR: -250 }} currency="EUR" />);
    expect(screen.getByRole('definition')).toHaveTextContent('-€2.50 (credit)');
  });
});

describe('FolioScreen', () => {
  it('lists the postings with charges and payments apart, and the balance', async () => {
    renderInDesk(<FolioScreen reservationId="r-42" />);

    const row = await screen.findByRole('row', { name: /Room night/ });
    expect(within(row).getByText('€120.00')).toBeInTheDocument();
    expect(screen.getByRole('row', { name: /Cash payment/ })).toHaveTextContent('€50.00 (cash)');
    expect(screen.getByRole('definition')).toHaveTextContent('€70.00');
    expect(screen.getByRole('heading', { level: 1 })).toHaveTextContent('Folio · H-2024-0042, Sarah Johnson');
  });

  it('posts a charge in minor units of the property currency', async () => {
    vi.mocked(api.postCharge).mockResolvedValue(posting({ id: 'p-3' }));
    renderInDesk(<FolioScreen reservationId="r-42" />);
    const form = within(screen.getByRole('form', { name: 'Post a charge' }));

    await userEvent.type(form.getByLabelText('Description'), 'Minibar');
    await userEvent.type(form.getByLabelText('Amount (EUR)'), '12,50');
    await userEvent.click(form.getByRole('button', { name: 'Post charge' }));

    expect(api.postCharge).toHaveBeenCalledWith({
      reservation_id: 'r-42',
      amount_minor: 1250,
      currency: 'EUR',
      code: 'MISC',
      description: 'Minibar',
      quantity: 1,
      window: 1,
    });
  });

  it('splits the bill over windows, each with its balance, and posts on the chosen one', async () => {
    vi.mocked(api.folio).mockResolvedValue({
      reservation_id: 'r-42',
      postings: [
        posting({}),
        posting({ id: 'p-5', window: 2, code: 'BAR', description: 'Bar', amount_minor: 1800 }),
      ],
      balance: { EUR: 13800 },
    });
    vi.mocked(api.postPayment).mockResolvedValue(posting({ id: 'p-6', kind: 'payment' }));
    renderInDesk(<FolioScreen reservationId="r-42" />);

    const tabs = within(await screen.findByRole('tablist', { name: 'Folio windows' }));
    expect(await tabs.findByRole('tab', { name: 'Window 1 · €120.00' })).toHaveAttribute('aria-selected', 'true');
    expect(screen.getByRole('definition')).toHaveTextContent('€138.00');
    expect(screen.queryByRole('row', { name: /Bar/ })).not.toBeInTheDocument();

    await userEvent.click(tabs.getByRole('tab', { name: 'Window 2 · €18.00' }));
    expect(screen.getByRole('row', { name: /Bar/ })).toBeInTheDocument();
    expect(screen.queryByRole('row', { name: /Room night/ })).not.toBeInTheDocument();

    await userEvent.click(tabs.getByRole('button', { name: 'New window' }));
    expect(tabs.getByRole('tab', { name: 'Window 3 · €0.00' })).toHaveAttribute('aria-selected', 'true');
    const form = within(screen.getByRole('form', { name: 'Take a cash payment' }));
    await userEvent.type(form.getByLabelText('Cash received (EUR)'), '10');
    await userEvent.click(form.getByRole('button', { name: 'Take payment' }));
    expect(api.postPayment).toHaveBeenCalledWith(expect.objectContaining({ amount_minor: 1000, window: 3 }));
  });

  it('takes a cash payment', async () => {
    vi.mocked(api.postPayment).mockResolvedValue(posting({ id: 'p-4', kind: 'payment' }));
    renderInDesk(<FolioScreen reservationId="r-42" />);
    const form = within(screen.getByRole('form', { name: 'Take a cash payment' }));

    await userEvent.type(form.getByLabelText('Cash received (EUR)'), '70');
    await userEvent.click(form.getByRole('button', { name: 'Take payment' }));

    expect(api.postPayment).toHaveBeenCalledWith(expect.objectContaining({ amount_minor: 7000, method: 'cash', currency: 'EUR' }));
  });

  it('refuses an amount that is not money, beside the amount', async () => {
    renderInDesk(<FolioScreen reservationId="r-42" />);
    const form = within(screen.getByRole('form', { name: 'Take a cash payment' }));

    await userEvent.type(form.getByLabelText('Cash received (EUR)'), '12.345');
    await userEvent.click(form.getByRole('button', { name: 'Take payment' }));

    expect(form.getByRole('alert')).toHaveTextContent('at most 2 decimals');
    expect(api.postPayment).not.toHaveBeenCalled();
  });

  it('posts a reversing correction only with a reason', async () => {
    vi.mocked(api.reversePosting).mockResolvedValue(posting({ id: 'p-5', reverses: 'p-1' }));
    renderInDesk(<FolioScreen reservationId="r-42" />);

    await userEvent.click(await screen.findByRole('button', { name: 'Correct Room night €120.00' }));
    await userEvent.click(screen.getByRole('button', { name: 'Post reversal' }));
    expect(screen.getByRole('alert')).toHaveTextContent('A correction needs a reason');
    expect(api.reversePosting).not.toHaveBeenCalled();

    await userEvent.type(screen.getByLabelText('Reason'), 'Charged twice');
    await userEvent.click(screen.getByRole('button', { name: 'Post reversal' }));

    expect(api.reversePosting).toHaveBeenCalledWith('p-1', 'Charged twice');
  });
});
