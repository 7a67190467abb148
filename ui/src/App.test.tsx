import { render, screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';

import { App } from './App.tsx';
import type { AppInfo } from './api.ts';

const INFO: AppInfo = { name: 'Frontdesk', version: '0.1.0', protocolVersion: 1 };

describe('App', () => {
  it('shows the product name, the sync state and today', () => {
    render(<App loadAppInfo={() => new Promise<AppInfo>(() => undefined)} />);

    expect(screen.getByRole('banner')).toHaveTextContent('Frontdesk');
    expect(screen.getByRole('heading', { level: 1, name: 'Today' })).toBeInTheDocument();
    expect(screen.getByRole('status', { name: /^Sync status:/ })).toBeInTheDocument();
  });

  it('admits it is not connected instead of claiming to be synced', () => {
    render(<App loadAppInfo={() => new Promise<AppInfo>(() => undefined)} />);

    const status = screen.getByRole('status');
    expect(status).toHaveTextContent('Offline');
    expect(status).toHaveTextContent('not connected to a server yet');
    expect(status).not.toHaveTextContent('Synced');
  });

  it('shows the version and protocol once the backend answers', async () => {
    render(<App loadAppInfo={() => Promise.resolve(INFO)} />);

    expect(await screen.findByText('v0.1.0 · protocol 1')).toBeInTheDocument();
  });

  it('still renders when the backend cannot be reached', async () => {
    render(<App loadAppInfo={() => Promise.reject(new Error('no backend'))} />);

    await Promise.resolve();
    expect(screen.getByRole('heading', { name: 'Today' })).toBeInTheDocument();
    expect(screen.queryByText(/protocol/)).not.toBeInTheDocument();
  });
});
