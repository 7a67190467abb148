import { screen, within } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';

import * as api from '../api.ts';
import { renderInDesk } from '../test/fixtures.tsx';
import { fieldDiff, HistoryScreen } from './HistoryScreen.tsx';

vi.mock('../api.ts', async (importOriginal) => (await import('../test/apiMock.ts')).mockApi(await importOriginal()));

const CREATED: api.HistoryEntry = {
  op: 'insert',
  before: null,
  after: { email: 'sarah@old.example', tags: [] },
  user_id: 'u-1',
  user_name: 'Ana Reis',
  device_id: 'd-1',
  device_name: 'Front desk 1',
  hlc: '000001773482400000-00000-d1',
  at_ms: 1_773_482_400_000,
  origin: 'local',
};
const CHANGED: api.HistoryEntry = {
  ...CREATED,
  op: 'update',
  before: { email: 'sarah@old.example', tags: [] },
  after: { email: 'sarah@new.example', tags: ['vip'] },
  user_name: 'João Silva',
  device_name: 'Front desk 2',
  hlc: '000001773486000000-00000-d2',
  at_ms: 1_773_486_000_000,
  origin: 'server',
};

describe('fieldDiff', () => {
  it('lists only the fields whose value changed', () => {
    expect(fieldDiff({ before: { a: 1, b: [1] }, after: { a: 2, b: [1] } })).toEqual([{ field: 'a', before: 1, after: 2 }]);
  });
});

describe('HistoryScreen', () => {
  it('shows every version, newest first, with who, which device, when and what changed', async () => {
    vi.mocked(api.recordHistory).mockResolvedValue([CREATED, CHANGED]);
    renderInDesk(<HistoryScreen entity="guest" id="g-1" />);

    const versions = await screen.findAllByRole('listitem');
    expect(api.recordHistory).toHaveBeenCalledWith('guest', 'g-1');
    expect(versions[0]).toHaveTextContent('update by João Silva on Front desk 2');
    expect(versions[0]).toHaveTextContent('from server');
    const email = within(versions[0]!).getByRole('row', { name: /email/ });
    expect(within(email).getAllByRole('cell').map((c) => c.textContent)).toEqual(['sarah@old.example', 'sarah@new.example']);
    expect(within(versions[0]!).getByRole('row', { name: /tags/ })).toHaveTextContent('vip');
    expect(versions[1]).toHaveTextContent('insert by Ana Reis on Front desk 1');
  });
  it('keeps an edit that lost a merge in the version that carried it, with why', async () => {
    const lost: api.HistoryEntry = {
      ...CHANGED,
      before: { adults: 1 },
      after: { adults: 1 },
      superseded: [{ field: 'adults', value: 3, kept: 1, policy: 'last_writer_wins' }],
    };
    vi.mocked(api.recordHistory).mockResolvedValue([CREATED, lost]);
    renderInDesk(<HistoryScreen entity="reservation" id="r-1" />);

    const list = await screen.findByRole('list', { name: 'Edits that lost' });
    expect(within(list).getByText('Adults: 3 was replaced by 1 (a later edit from another desk came first)')).toBeInTheDocument();
  });
});
