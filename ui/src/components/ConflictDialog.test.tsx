import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it, vi } from 'vitest';

import * as api from '../api.ts';
import { conflictView, renderInDesk } from '../test/fixtures.tsx';
import { ConflictDialog } from './ConflictDialog.tsx';

vi.mock('../api.ts', async (importOriginal) => (await import('../test/apiMock.ts')).mockApi(await importOriginal()));

const resolve = vi.mocked(api.resolveConflict);

beforeEach(() => {
  resolve.mockResolvedValue(undefined);
});

function preview() {
  return within(screen.getByRole('region', { name: 'Preview of the result' }));
}

function previewValue(field: string) {
  return preview().getByText(field, { selector: 'dt' }).nextElementSibling?.textContent;
}

async function choose(label: string) {
  await userEvent.click(screen.getByRole('radio', { name: label }));
}

async function apply() {
  await userEvent.click(screen.getByRole('button', { name: /^Apply:/ }));
}

function show(view = conflictView(), onResolved = vi.fn()) {
  renderInDesk(<ConflictDialog view={view} onResolved={onResolved} onClose={vi.fn()} />);
  return { onResolved };
}

describe('ConflictDialog', () => {
  it('names the record and who made the other change, and when', () => {
    show();

    expect(screen.getByRole('dialog', { name: 'Reservation H-2024-0042, Sarah Johnson' })).toBeInTheDocument();
    expect(screen.getByText(/João Silva on Front desk 2/)).toBeInTheDocument();
    expect(screen.getByText(/Ana Reis on Front desk 1/)).toBeInTheDocument();
  });

  it('shows base, device and server side by side and highlights what differs', () => {
    show();

    const table = within(screen.getByRole('table', { name: 'Versions side by side' }));
    const row = table.getByRole('row', { name: /source/ });
    const cells = within(row).getAllByRole('cell');
    expect(cells.map((cell) => cell.textContent)).toEqual(['phone', 'walk_in', 'email']);
    expect(row).toHaveClass('differs');
    expect(cells[1]).toHaveClass('changed');
    expect(cells[0]).not.toHaveClass('changed');
  });

  it('keeps mine: sends keep_device and previews the device values', async () => {
    const { onResolved } = show();

    await choose('Keep mine');
    expect(previewValue('source')).toBe('walk_in');
    expect(previewValue('special requests')).toBe('quiet room; late check-in');
    expect(previewValue('guest name')).toBe('Sarah Johnson');
    await apply();

    expect(resolve).toHaveBeenCalledWith('c-1', { choice: 'keep_device' });
    expect(onResolved).toHaveBeenCalled();
  });

  it("uses the server's: sends keep_server and previews the record unchanged", async () => {
    show();

    await choose("Use the server's");
    expect(previewValue('source')).toBe('email');
    expect(preview().queryAllByText(/./, { selector: '[data-changed] dd' })).toHaveLength(0);
    await apply();

    expect(resolve).toHaveBeenCalledWith('c-1', { choice: 'keep_server' });
  });

  it('merges lists three-way and sends the merged values as a custom choice', async () => {
    const view = conflictView({
      fields: [
        {
          field: 'special_requests',
          base: ['quiet room', 'high floor'],
          device: ['quiet room', 'high floor', 'late check-in'],
          server: ['quiet room', 'crib'],
          reason: 'both_changed',
        },
      ],
    });
    show(view);

    await choose('Merge');
    expect(previewValue('special requests')).toBe('quiet room; crib; late check-in');
    await apply();

    expect(resolve).toHaveBeenCalledWith('c-1', {
      choice: 'custom',
      values: { special_requests: ['quiet room', 'crib', 'late check-in'] },
    });
  });

  it('does not offer a merge when two texts were changed differently', () => {
    show(conflictView({ fields: [{ field: 'source', base: 'phone', device: 'walk_in', server: 'email', reason: 'both_changed' }] }));

    expect(screen.queryByRole('radio', { name: 'Merge' })).not.toBeInTheDocument();
  });

  it('chooses field by field, waiting until every field has a side', async () => {
    show();

    await choose('Choose field by field');
    const applyButton = screen.getByRole('button', { name: /^Apply:/ });
    expect(applyButton).toBeDisabled();
    expect(preview().getByText(/Choose this device's or the server's value for source/)).toBeInTheDocument();

    await userEvent.click(within(screen.getByRole('radiogroup', { name: 'source' })).getByRole('radio', { name: /This device/ }));
    await userEvent.click(within(screen.getByRole('radiogroup', { name: 'special requests' })).getByRole('radio', { name: /Server/ }));

    expect(previewValue('source')).toBe('walk_in');
    expect(previewValue('special requests')).toBe('quiet room; crib');
    await apply();

    expect(resolve).toHaveBeenCalledWith('c-1', {
      choice: 'per_field',
      pick: { source: 'device', special_requests: 'server' },
    });
  });

  it('takes typed values in the shape of the field (text, list) and previews them', async () => {
    show();

    await choose('Type a value');
    const source = screen.getByRole('textbox', { name: 'source' });
    await userEvent.clear(source);
    await userEvent.type(source, 'travel agent');
    const requests = screen.getByRole('textbox', { name: 'special requests' });
    await userEvent.clear(requests);
    await userEvent.type(requests, 'crib{Enter}late check-in');

    expect(previewValue('source')).toBe('travel agent');
    expect(previewValue('special requests')).toBe('crib; late check-in');
    await apply();

    expect(resolve).toHaveBeenCalledWith('c-1', {
      choice: 'custom',
      values: { source: 'travel agent', special_requests: ['crib', 'late check-in'] },
    });
  });

  it('offers to move a double-booked stay to one of the free rooms only', async () => {
    const view = conflictView({
      kind: 'business_rule',
      severity: 'high',
      fields: [],
      device_changes: { room_id: { base: null, value: 'room-305' } },
      rule: {
        rule: 'double_booking',
        room_id: 'room-305',
        room_number: '305',
        with: ['r-7'],
        first_night: '2026-03-14',
        last_night: '2026-03-15',
        free_rooms: [
          { room_id: 'room-306', number: '306' },
          { room_id: 'room-410', number: '410' },
        ],
      },
      summary: 'Room 305 is held by 1 other stay(s) for nights 2026-03-14 to 2026-03-15; 2 room(s) of the type are free',
    });
    show(view);

    expect(screen.getByRole('radio', { name: 'Move this stay to another room' })).toBeChecked();
    expect(screen.getAllByRole('radio', { name: /^Room / }).map((r) => r.closest('label')?.textContent)).toEqual(['Room 306', 'Room 410']);
    expect(screen.getByRole('button', { name: /^Apply:/ })).toBeDisabled();

    await userEvent.click(screen.getByRole('radio', { name: 'Room 410' }));
    expect(previewValue('room id')).toBe('room-410');
    await apply();

    expect(resolve).toHaveBeenCalledWith('c-1', { choice: 'move_stay', room_id: 'room-410' });
  });

  it('keeps the dialog open and shows why when applying fails', async () => {
    resolve.mockRejectedValueOnce({ code: 'invalid_input', message: 'that room is not among the free rooms for those nights' });
    const { onResolved } = show();

    await apply();

    expect(await screen.findByRole('alert')).toHaveTextContent('that room is not among the free rooms');
    expect(onResolved).not.toHaveBeenCalled();
  });
});

describe('ConflictDialog choices offered', () => {
  it('offers neither a merge nor field choices when both sides hold the same value', () => {
    show(
      conflictView({
        kind: 'business_rule',
        fields: [{ field: 'room_id', base: null, device: 'room-305', server: 'room-305', reason: 'both_changed' }],
        rule: {
          rule: 'double_booking',
          room_id: 'room-305',
          room_number: '305',
          with: ['r-7'],
          first_night: '2026-03-14',
          last_night: '2026-03-15',
          free_rooms: [{ room_id: 'room-306', number: '306' }],
        },
      }),
    );

    expect(screen.getAllByRole('radio', { name: /^(Keep|Use|Merge|Choose|Type|Move)/ }).map((r) => r.closest('label')?.textContent)).toEqual([
      'Keep mine',
      "Use the server's",
      'Move this stay to another room',
    ]);
  });

  it('closes on Escape without resolving', async () => {
    const onClose = vi.fn();
    renderInDesk(<ConflictDialog view={conflictView()} onResolved={vi.fn()} onClose={onClose} />);

    await userEvent.keyboard('{Escape}');

    expect(onClose).toHaveBeenCalled();
    expect(resolve).not.toHaveBeenCalled();
  });
});
