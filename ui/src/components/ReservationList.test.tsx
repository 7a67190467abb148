import { render, screen } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import { reservation } from '../test/fixtures.tsx';
import { ReservationList, ROW_HEIGHT } from './ReservationList.tsx';

const VIEWPORT = 600;
const TOTAL = 50_000;

// jsdom lays nothing out: give the scroller a height so the virtualiser has a window to fill.
const original = Object.getOwnPropertyDescriptor(HTMLElement.prototype, 'clientHeight');
beforeEach(() => {
  Object.defineProperty(HTMLElement.prototype, 'clientHeight', { configurable: true, get: () => VIEWPORT });
});
afterEach(() => {
  if (original !== undefined) {
    Object.defineProperty(HTMLElement.prototype, 'clientHeight', original);
  }
});

const rowAt = (index: number) =>
  reservation({ id: `r-${index}`, confirmation: `H-2026-${String(index).padStart(5, '0')}`, guest_name: `Guest ${index}` });

describe('ReservationList', () => {
  it('renders only a window of rows for 50,000 reservations', () => {
    const onRange = vi.fn();
    render(<ReservationList total={TOTAL} rowAt={rowAt} onRange={onRange} onOpen={vi.fn()} roomNumber={() => undefined} />);

    const rows = screen.getAllByRole('listitem');
    expect(rows.length).toBeGreaterThan(VIEWPORT / ROW_HEIGHT - 1);
    expect(rows.length).toBeLessThan(40);
    expect(screen.getByText('Guest 0')).toBeInTheDocument();
    expect(screen.queryByText('Guest 49999')).not.toBeInTheDocument();
    expect(screen.getByRole('list', { name: 'Reservations, 50000 found' })).toHaveStyle({ height: `${TOTAL * ROW_HEIGHT}px` });
    expect(rows[0]).toHaveAttribute('aria-setsize', String(TOTAL));
    expect(onRange).toHaveBeenCalledWith(0, rows.length);
  });

  it('shows a placeholder for rows whose page is not loaded yet', () => {
    render(
      <ReservationList total={TOTAL} rowAt={(i) => (i < 3 ? rowAt(i) : undefined)} onOpen={vi.fn()} roomNumber={() => undefined} />,
    );

    expect(screen.getAllByText(/^Guest \d+$/)).toHaveLength(3);
    expect(screen.getAllByText('Loading…').length).toBeGreaterThan(0);
  });

  it('opens the reservation a row shows', () => {
    const onOpen = vi.fn();
    render(<ReservationList total={10} rowAt={rowAt} onOpen={onOpen} roomNumber={() => '305'} />);

    screen.getByRole('button', { name: /Guest 4/ }).click();

    expect(onOpen).toHaveBeenCalledWith(expect.objectContaining({ id: 'r-4' }));
    expect(screen.getAllByText('305')).toHaveLength(10);
  });
});
