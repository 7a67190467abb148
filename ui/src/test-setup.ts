import '@testing-library/jest-dom/vitest';
import { cleanup } from '@testing-library/react';
import { afterEach, vi } from 'vitest';

afterEach(() => {
  cleanup();
  // Back to each mock's own implementation (api.ts mocks: commands that never answer,
  // events that subscribe to nothing), with no calls remembered.
  vi.resetAllMocks();
  window.location.hash = '';
});
