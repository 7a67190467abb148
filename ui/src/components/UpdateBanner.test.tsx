import { render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';

import * as api from '../api.ts';
import { UpdateBanner } from './UpdateBanner.tsx';

vi.mock('../api.ts', async (importOriginal) => (await import('../test/apiMock.ts')).mockApi(await importOriginal()));

const OFFERED: api.UpdateStatus = {
  currentVersion: '0.1.0',
  available: { version: '0.2.0', notes: 'Folio windows', date: '2026-11-20T09:00:00Z' },
  checkedAt: '2026-11-23T08:00:00Z',
  error: null,
  installing: false,
};

describe('UpdateBanner', () => {
  it('says which version is offered, against the one the desk runs', () => {
    render(<UpdateBanner status={OFFERED} onLater={vi.fn()} />);

    const banner = screen.getByRole('status', { name: 'Update available' });
    expect(banner).toHaveTextContent('Frontdesk 0.2.0 is available (this desk runs 0.1.0): Folio windows');
  });

  it('shows nothing when no newer version is offered', () => {
    const { container } = render(<UpdateBanner status={{ ...OFFERED, available: null }} onLater={vi.fn()} />);

    expect(container).toBeEmptyDOMElement();
  });

  it('installs when asked, saying the app restarts and unsynced changes are kept', async () => {
    vi.mocked(api.installUpdate).mockReturnValue(new Promise(() => undefined));
    render(<UpdateBanner status={OFFERED} onLater={vi.fn()} />);

    await userEvent.click(screen.getByRole('button', { name: 'Install and restart' }));

    expect(api.installUpdate).toHaveBeenCalledTimes(1);
    expect(screen.getByRole('status')).toHaveTextContent('Installing Frontdesk 0.2.0… the app restarts when it is done');
    expect(screen.getByRole('status')).toHaveTextContent('Changes not yet synced are kept');
    expect(screen.queryByRole('button', { name: 'Install and restart' })).not.toBeInTheDocument();
  });

  it('shows why an installation failed and offers it again', async () => {
    vi.mocked(api.installUpdate).mockRejectedValue(
      new api.AppError('internal', "The downloaded update does not carry this app's release signature, so it was not installed."),
    );
    render(<UpdateBanner status={OFFERED} onLater={vi.fn()} />);

    await userEvent.click(screen.getByRole('button', { name: 'Install and restart' }));

    expect(await screen.findByRole('alert')).toHaveTextContent('does not carry this app\'s release signature');
    expect(screen.getByRole('button', { name: 'Install and restart' })).toBeEnabled();
  });

  it('can be put off until later', async () => {
    const later = vi.fn();
    render(<UpdateBanner status={OFFERED} onLater={later} />);

    await userEvent.click(screen.getByRole('button', { name: 'Later' }));

    expect(later).toHaveBeenCalledTimes(1);
    expect(api.installUpdate).not.toHaveBeenCalled();
  });
});
