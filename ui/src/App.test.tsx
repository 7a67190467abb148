import { act, cleanup, render, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it, vi } from 'vitest';

import * as api from './api.ts';
import { App, sameSyncState } from './App.tsx';
import { CATALOG, DESK_USER, IDLE } from './test/fixtures.tsx';

vi.mock('./api.ts', async (importOriginal) => (await import('./test/apiMock.ts')).mockApi(await importOriginal()));

const DEVICE: api.EnrolledDevice = {
  id: 'd-1',
  name: 'Front desk 1',
  property_id: 'p-1',
  property_name: 'Hotel Lisboa',
  server_url: 'https://sync.lisboa.example',
};
const SIGNED_IN: api.SessionState = { device: DEVICE, user: DESK_USER };

let statusHandler: ((state: api.SyncState) => void) | undefined;
let sessionLost: ((error: api.AppError) => void) | undefined;
let deviceWiped: (() => void) | undefined;
let progressHandler: ((progress: api.SyncProgress) => void) | undefined;

beforeEach(() => {
  statusHandler = undefined;
  sessionLost = undefined;
  deviceWiped = undefined;
  vi.mocked(api.onSessionLost).mockImplementation((listener) => {
    sessionLost = listener;
    return () => undefined;
  });
  vi.mocked(api.onDeviceWiped).mockImplementation((handler) => {
    deviceWiped = handler;
    return Promise.resolve(() => undefined);
  });
  progressHandler = undefined;
  vi.mocked(api.catalog).mockResolvedValue(CATALOG);
  vi.mocked(api.today).mockResolvedValue({ business_date: '2026-03-14', arrivals: [], departures: [], in_house: [], in_house_total: 0 });
  vi.mocked(api.onSyncStatus).mockImplementation((handler) => {
    statusHandler = handler;
    return Promise.resolve(() => undefined);
  });
  vi.mocked(api.onSyncProgress).mockImplementation((handler) => {
    progressHandler = handler;
    return Promise.resolve(() => undefined);
  });
});

async function signedIn() {
  vi.mocked(api.sessionState).mockResolvedValue(SIGNED_IN);
  render(<App />);
  await screen.findByRole('heading', { level: 1, name: /^Today/ });
}

describe('a session that ends under the screen', () => {
  it('goes back to the sign-in screen when a command finds nobody signed in', async () => {
    await signedIn();
    vi.mocked(api.sessionState).mockResolvedValue({ device: DEVICE, user: null });
    act(() => sessionLost?.(new api.AppError('not_signed_in', 'Sign in first')));

    expect(await screen.findByRole('heading', { name: 'Sign in' })).toBeInTheDocument();
    expect(screen.queryByRole('heading', { level: 1, name: /^Today/ })).not.toBeInTheDocument();
  });

  it('goes to the enrollment screen, saying why, when the administrator wiped the desk', async () => {
    await signedIn();
    vi.mocked(api.sessionState).mockResolvedValue({ device: null, user: null });
    act(() => deviceWiped?.());

    expect(await screen.findByRole('button', { name: 'Enroll device' })).toBeInTheDocument();
    expect(screen.getByRole('alert')).toHaveTextContent(
      'This desk was removed from the property by its administrator and its data was erased',
    );
    expect(screen.queryByRole('heading', { level: 1, name: /^Today/ })).not.toBeInTheDocument();
  });

  it('goes to the enrollment screen when signing in finds the desk wiped', async () => {
    vi.mocked(api.sessionState).mockResolvedValue({ device: DEVICE, user: null });
    render(<App />);
    await screen.findByRole('heading', { name: 'Sign in' });
    vi.mocked(api.sessionState).mockResolvedValue({ device: null, user: null });
    act(() =>
      sessionLost?.(
        new api.AppError(
          'not_enrolled',
          'This desk was removed from the property by its administrator and its data was erased: enroll it again with a new code',
        ),
      ),
    );

    expect(await screen.findByRole('button', { name: 'Enroll device' })).toBeInTheDocument();
    expect(screen.getByRole('alert')).toHaveTextContent('enroll it again with a new code');
  });
});

describe('first run', () => {
  it('enrolls the device, then asks for a sign-in', async () => {
    vi.mocked(api.sessionState).mockResolvedValue({ device: null, user: null });
    vi.mocked(api.enroll).mockResolvedValue({ device: DEVICE, user: null });
    render(<App />);

    await userEvent.type(await screen.findByLabelText('Server address'), 'https://sync.lisboa.example');
    await userEvent.type(screen.getByLabelText('Enrollment code'), 'K7Q-22');
    await userEvent.type(screen.getByLabelText('Device name'), 'Front desk 1');
    await userEvent.click(screen.getByRole('button', { name: 'Enroll device' }));

    expect(api.enroll).toHaveBeenCalledWith({ serverUrl: 'https://sync.lisboa.example', code: 'K7Q-22', deviceName: 'Front desk 1' });
    expect(await screen.findByRole('heading', { name: 'Sign in' })).toBeInTheDocument();
    expect(screen.getByText('Hotel Lisboa · Front desk 1')).toBeInTheDocument();
  });

  it('says why the automatic setup failed, and lets the desk be enrolled by hand', async () => {
    vi.mocked(api.sessionState).mockResolvedValue({
      device: null,
      user: null,
      provisioning_error: { code: 'invalid_input', message: 'The provisioning file cannot be used: provisioning.toml: unknown field `enroll`' },
    });
    render(<App />);

    expect(await screen.findByRole('alert')).toHaveTextContent('The automatic setup of this desk did not work: The provisioning file cannot be used');
    expect(screen.getByRole('button', { name: 'Enroll device' })).toBeEnabled();
  });

  it('says what is wrong beside each enrollment field', async () => {
    vi.mocked(api.sessionState).mockResolvedValue({ device: null, user: null });
    render(<App />);

    await userEvent.type(await screen.findByLabelText('Server address'), 'sync.lisboa');
    await userEvent.click(screen.getByRole('button', { name: 'Enroll device' }));

    expect(screen.getByLabelText('Server address')).toHaveAccessibleDescription(/Enter the server address/);
    expect(screen.getByLabelText('Enrollment code')).toHaveAccessibleDescription(/Enter the enrollment code/);
    expect(api.enroll).not.toHaveBeenCalled();
  });

  it('goes straight to sign-in on an enrolled device and signs in', async () => {
    vi.mocked(api.sessionState).mockResolvedValue({ device: DEVICE, user: null });
    vi.mocked(api.signIn).mockResolvedValue(SIGNED_IN);
    render(<App />);

    await userEvent.type(await screen.findByLabelText('User name'), 'ana');
    await userEvent.type(screen.getByLabelText('Password'), 'secret');
    await userEvent.click(screen.getByRole('button', { name: 'Sign in' }));

    expect(api.signIn).toHaveBeenCalledWith('ana', 'secret');
    expect(await screen.findByRole('heading', { level: 1, name: /^Today/ })).toBeInTheDocument();
  });

  it('shows a refused sign-in', async () => {
    vi.mocked(api.sessionState).mockResolvedValue({ device: DEVICE, user: null });
    vi.mocked(api.signIn).mockRejectedValue({ code: 'not_allowed', message: 'Wrong user name or password' });
    render(<App />);

    await userEvent.type(await screen.findByLabelText('User name'), 'ana');
    await userEvent.type(screen.getByLabelText('Password'), 'nope');
    await userEvent.click(screen.getByRole('button', { name: 'Sign in' }));

    expect(await screen.findByRole('alert')).toHaveTextContent('Wrong user name or password');
  });
});

describe('header', () => {
  it('shows the product, the navigation and who is signed in', async () => {
    vi.mocked(api.appInfo).mockResolvedValue({ name: 'Frontdesk', version: '0.1.0', protocolVersion: 1 });
    await signedIn();

    expect(screen.getByRole('banner')).toHaveTextContent('Frontdesk');
    expect(await screen.findByText('v0.1.0 · protocol 1')).toBeInTheDocument();
    expect(screen.getByRole('navigation', { name: 'Screens' })).toHaveTextContent('Reservations');
    expect(screen.getByLabelText('Signed in as')).toHaveTextContent('Ana Reis');
  });

  it('admits it is not connected until the worker reports, then follows sync-status events', async () => {
    await signedIn();

    expect(screen.getByRole('status', { name: 'Sync status: Offline, not connected to a server yet' })).toBeInTheDocument();

    act(() => statusHandler?.({ ...IDLE, state: 'offline', pending: 1, last_sync_at: null }));
    expect(screen.getByRole('status', { name: /^Sync status: Offline, 1 queued/ })).toBeInTheDocument();

    act(() => statusHandler?.(IDLE));
    expect(screen.getByRole('status', { name: /^Sync status: Synced/ })).toBeInTheDocument();
  });

  it('syncs now when the indicator is clicked', async () => {
    vi.mocked(api.syncNow).mockResolvedValue(undefined);
    await signedIn();
    act(() => statusHandler?.(IDLE));

    await userEvent.click(screen.getByRole('button', { name: /Synced/ }));

    expect(api.syncNow).toHaveBeenCalledTimes(1);
  });

  it('opens the conflicts when the indicator shows some', async () => {
    await signedIn();
    act(() => statusHandler?.({ ...IDLE, open_conflicts: 2 }));

    await userEvent.click(screen.getByRole('button', { name: /2 conflicts/ }));

    expect(window.location.hash).toBe('#/sync/conflicts');
    expect(api.syncNow).not.toHaveBeenCalled();
  });

  it('shows sync progress from sync-progress events', async () => {
    await signedIn();

    act(() => progressHandler?.({ phase: 'push', done: 300, total: 1000 }));

    expect(screen.getByRole('progressbar', { name: 'Syncing: sending changes' })).toHaveAttribute('value', '300');
  });

  it('warns of stale data, louder when critical, naming blocked operations', async () => {
    await signedIn();

    act(() => statusHandler?.({ ...IDLE, freshness: [{ entity: 'reservation', freshness: 'stale', age_secs: 400 }] }));
    expect(screen.getByText(/Data may be out of date/).closest('.stale-banner')).toHaveTextContent('Reservations 7 min old');
    expect(screen.queryByText(/critically/)).not.toBeInTheDocument();

    act(() =>
      statusHandler?.({
        ...IDLE,
        freshness: [{ entity: 'room', freshness: 'critical', age_secs: 5400 }],
        operations: [{ operation: 'assign_room', verdict: 'block', message: 'Room status last synced 90 minutes ago' }],
      }),
    );
    const banner = screen.getByText(/Data critically out of date/).closest('.stale-banner');
    expect(banner).toHaveAttribute('role', 'alert');
    expect(banner).toHaveTextContent('assign room is blocked: Room status last synced 90 minutes ago');
  });

  it('signs out back to the sign-in screen', async () => {
    vi.mocked(api.signOut).mockResolvedValue({ device: DEVICE, user: null });
    await signedIn();

    await userEvent.click(screen.getByRole('button', { name: 'Sign out' }));

    expect(await screen.findByRole('heading', { name: 'Sign in' })).toBeInTheDocument();
  });

  it('shows the housekeeper who signs in next none of the receptionist\'s screens', async () => {
    vi.mocked(api.signOut).mockResolvedValue({ device: DEVICE, user: null });
    vi.mocked(api.searchGuests).mockResolvedValue([]);
    vi.mocked(api.myTasks).mockResolvedValue([]);
    window.location.hash = '#/guests';
    vi.mocked(api.sessionState).mockResolvedValue(SIGNED_IN);
    render(<App />);
    expect(await screen.findByRole('heading', { level: 1, name: 'Guests' })).toBeInTheDocument();

    await userEvent.click(screen.getByRole('button', { name: 'Sign out' }));
    expect(window.location.hash).toBe('#/today');

    // Whatever address the window is at, a housekeeper sees no guest screen.
    window.location.hash = '#/guests';
    vi.mocked(api.sessionState).mockResolvedValue({
      device: DEVICE,
      user: { ...DESK_USER, id: 'u-house', username: 'helena', display_name: 'Helena', role: 'housekeeping' },
    });
    cleanup();
    render(<App />);
    await screen.findByLabelText('Signed in as');
    expect(screen.queryByRole('heading', { level: 1, name: 'Guests' })).not.toBeInTheDocument();
    expect(screen.getByRole('navigation', { name: 'Screens' })).not.toHaveTextContent('Guests');
  });
});

describe('sync state', () => {
  it('is the same when the worker repeats itself, so the screen need not render again', () => {
    expect(sameSyncState(undefined, IDLE)).toBe(false);
    expect(sameSyncState(IDLE, { ...IDLE })).toBe(true);
    expect(sameSyncState(IDLE, { ...IDLE, pending: 1 })).toBe(false);
    expect(sameSyncState(IDLE, { ...IDLE, freshness: [{ entity: 'room', freshness: 'stale', age_secs: 400 }] })).toBe(false);
  });

  it('opens the reservations filtered by the status the route names', async () => {
    vi.mocked(api.searchReservations).mockResolvedValue({ total: 0, offset: 0, rows: [] });
    await signedIn();

    act(() => {
      window.location.hash = '#/reservations?status=checked_in';
      window.dispatchEvent(new HashChangeEvent('hashchange'));
    });

    expect(await screen.findByRole('heading', { level: 1, name: 'Reservations' })).toBeInTheDocument();
    expect(screen.getByLabelText(/^Status/)).toHaveValue('checked_in');
  });
});

describe('desk keys', () => {
  it('"/" opens the reservation search with the cursor in it', async () => {
    vi.mocked(api.searchReservations).mockResolvedValue({ total: 0, offset: 0, rows: [] });
    await signedIn();

    await userEvent.keyboard('/');

    await waitFor(() => expect(screen.getByRole('searchbox', { name: /Search/ })).toHaveFocus());
  });

  it('"n" starts a new reservation', async () => {
    await signedIn();

    await userEvent.keyboard('n');

    expect(await screen.findByRole('heading', { level: 1, name: 'New reservation' })).toBeInTheDocument();
  });

  it('does not steal keys typed into a field', async () => {
    vi.mocked(api.sessionState).mockResolvedValue({ device: DEVICE, user: null });
    render(<App />);

    await userEvent.type(await screen.findByLabelText('User name'), 'nina/');

    expect(screen.getByLabelText('User name')).toHaveValue('nina/');
    expect(window.location.hash).toBe('');
  });
});
