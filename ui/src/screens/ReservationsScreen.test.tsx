import { screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import * as api from '../api.ts';
import { renderInDesk, reservation } from '../test/fixtures.tsx';
import { PAGE_SIZE, ReservationsScreen } from './ReservationsScreen.tsx';

vi.mock('../api.ts', async (importOriginal) => (await import('../test/apiMock.ts')).mockApi(await importOriginal()));

const original = Object.getOwnPropertyDescriptor(HTMLElement.prototype, 'clientHeight');
beforeEach(() => {
  Object.defineProperty(HTMLElement.prototype, 'clientHeight', { configurable: true, get: () => 600 });
  vi.mocked(api.searchReservations).mockImplementation((query) =>
    Promise.resolve({
      total: 50_000,
      offset: query.offset,
      rows: Array.from({ length: query.limit }, (_, i) =>
        reservation({ id: `r-${query.offset + i}`, guest_name: `Guest ${query.offset + i}` }),
      ),
    }),
  );
});
afterEach(() => {
  if (original !== undefined) {
    Object.defineProperty(HTMLElement.prototype, 'clientHeight', original);
  }
});

describe('ReservationsScreen', () => {
  it('asks for the first page only and shows how many match', async () => {
    renderInDesk(<ReservationsScreen />);

    expect(await screen.findByRole('list', { name: 'Reservations, 50000 found' })).toBeInTheDocument();
    expect(await screen.findByText('Guest 0')).toBeInTheDocument();
    expect(api.searchReservations).toHaveBeenCalledTimes(1);
    expect(api.searchReservations).toHaveBeenCalledWith({ text: '', statuses: [], from: null, to: null, offset: 0, limit: PAGE_SIZE });
  });

  it('starts with the status it is opened with', async () => {
    renderInDesk(<ReservationsScreen status="checked_in" />);

    expect(await screen.findByText('Guest 0')).toBeInTheDocument();
    expect(api.searchReservations).toHaveBeenCalledWith({
      text: '',
      statuses: ['checked_in'],
      from: null,
      to: null,
      offset: 0,
      limit: PAGE_SIZE,
    });
    expect(screen.getByLabelText('Status')).toHaveValue('checked_in');
  });

  it('searches by the typed text and the chosen status and dates', async () => {
    renderInDesk(<ReservationsScreen />);
    await screen.findByText('Guest 0');

    await userEvent.type(screen.getByRole('searchbox', { name: /Search/ }), '305');
    await userEvent.selectOptions(screen.getByLabelText('Status'), 'checked in');
    await userEvent.type(screen.getByLabelText('Staying from'), '2026-03-14');

    await vi.waitFor(() =>
      expect(api.searchReservations).toHaveBeenLastCalledWith({
        text: '305',
        statuses: ['checked_in'],
        from: '2026-03-14',
        to: null,
        offset: 0,
        limit: PAGE_SIZE,
      }),
    );
  });

  it('shows a search that failed', async () => {
    vi.mocked(api.searchReservations).mockRejectedValue({ code: 'storage', message: 'the local database failed' });
    renderInDesk(<ReservationsScreen />);

    expect(await screen.findByRole('alert')).toHaveTextContent('the local database failed');
  });
});
