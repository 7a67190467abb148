import { render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it, vi } from 'vitest';

import * as api from '../api.ts';
import type { SignedInUser } from '../api.ts';
import { CATALOG, DESK_USER, IDLE } from '../test/fixtures.tsx';
import { DeskProvider } from '../desk.tsx';
import { SettingsScreen } from './SettingsScreen.tsx';

vi.mock('../api.ts', async (importOriginal) => (await import('../test/apiMock.ts')).mockApi(await importOriginal()));

const SETTINGS: api.Settings = {
  server_url: 'https://sync.lisboa.example',
  device_name: 'Front desk 1',
  device_id: 'd-1',
  sync: {
    enabled: true,
    pull_interval: 30,
    batch_size: 1000,
    max_retries: 5,
    backoff_base: 500,
    backoff_max: 60000,
    auto_resolve: {},
    max_queue: 100000,
    stale_policies: [
      { entity: 'room', warn_after: 60, critical_after: 1800, operations: ['check_in', 'assign_room'], when_critical: 'warn' },
    ],
    pause_on_metered: false,
    idle_sign_out: 900,
  },
};

beforeEach(() => {
  vi.mocked(api.getSettings).mockResolvedValue(SETTINGS);
  vi.mocked(api.saveSettings).mockResolvedValue(SETTINGS);
});

const MANAGER: SignedInUser = { ...DESK_USER, id: 'u-2', username: 'marta', display_name: 'Marta', role: 'manager' };

function show(signOut = vi.fn(), user: SignedInUser = MANAGER) {
  render(
    <DeskProvider value={{ catalog: CATALOG, user, sync: IDLE, signOut }}>
      <SettingsScreen />
    </DeskProvider>,
  );
  return signOut;
}

describe('SettingsScreen', () => {
  it('shows the server and the device', async () => {
    show();

    expect(await screen.findByText('https://sync.lisboa.example')).toBeInTheDocument();
    expect(screen.getByText('Front desk 1')).toBeInTheDocument();
  });

  it('saves the interval, auto-resolve and stale policy the manager set', async () => {
    show();
    const interval = await screen.findByLabelText('Pull interval (seconds)');

    await userEvent.clear(interval);
    await userEvent.type(interval, '60');
    await userEvent.click(screen.getByLabelText('Sync enabled'));
    await userEvent.selectOptions(screen.getByLabelText('inventory item'), "Keep the server's");
    await userEvent.selectOptions(screen.getByLabelText('room: when critical'), 'Block');
    await userEvent.click(screen.getByRole('button', { name: 'Save settings' }));

    expect(api.saveSettings).toHaveBeenCalledWith({
      ...SETTINGS.sync,
      enabled: false,
      pull_interval: 60,
      auto_resolve: { inventory_item: 'keep_server' },
      stale_policies: [{ ...SETTINGS.sync.stale_policies[0]!, when_critical: 'block' }],
    });
    expect(await screen.findByText('Settings saved.')).toBeInTheDocument();
  });

  it('lets only a manager change how the desk syncs', async () => {
    show(vi.fn(), DESK_USER);

    expect(await screen.findByText("Only a manager changes how this desk syncs.")).toBeInTheDocument();
    expect(screen.getByLabelText('Pull interval (seconds)')).toBeDisabled();
    expect(screen.queryByRole('button', { name: 'Save settings' })).not.toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Check for updates' })).toBeEnabled();
  });

  it('shows a refused setting beside its field', async () => {
    vi.mocked(api.saveSettings).mockRejectedValue({ code: 'invalid_input', field: 'batch_size', message: 'must be from 1 to 10000' });
    show();

    await userEvent.click(await screen.findByRole('button', { name: 'Save settings' }));

    expect(await screen.findByLabelText('Batch size')).toHaveAccessibleDescription('must be from 1 to 10000');
  });

  it('signs out', async () => {
    const signOut = show();

    await userEvent.click(await screen.findByRole('button', { name: 'Sign out' }));

    expect(signOut).toHaveBeenCalled();
  });

  it('checks for updates on request and says what the server offers', async () => {
    const before: api.UpdateStatus = { currentVersion: '0.1.0', available: null, checkedAt: null, error: null, installing: false };
    vi.mocked(api.updateStatus).mockResolvedValue(before);
    vi.mocked(api.checkForUpdate).mockResolvedValue({
      ...before,
      available: { version: '0.2.0', notes: 'Folio windows', date: null },
      checkedAt: '2026-11-23T08:00:00Z',
    });
    show();
    const panel = await screen.findByRole('region', { name: 'Software update' });
    expect(await within(panel).findByText('Frontdesk 0.1.0')).toBeInTheDocument();
    expect(panel).toHaveTextContent('Last checkednot yet');
    expect(screen.queryByRole('button', { name: 'Install and restart' })).not.toBeInTheDocument();

    await userEvent.click(screen.getByRole('button', { name: 'Check for updates' }));

    expect(await screen.findByText('Frontdesk 0.2.0 is available: Folio windows')).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Install and restart' })).toBeEnabled();
  });

  it("says why the last check failed, in the updater's words", async () => {
    vi.mocked(api.updateStatus).mockResolvedValue({
      currentVersion: '0.1.0',
      available: null,
      checkedAt: null,
      error: 'Updates are only fetched over HTTPS, and this desk\'s server address starts with http://.',
      installing: false,
    });
    show();

    expect(await screen.findByRole('alert')).toHaveTextContent('Updates are only fetched over HTTPS');
  });
});
