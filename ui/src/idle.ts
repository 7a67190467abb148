// A desk in a lobby is public: after a while with nobody at it, whoever was signed in
// is signed out, so the next person at the desk sees the sign-in screen.

import { useEffect } from 'react';

/** What counts as somebody at the desk. */
const ACTIVITY = ['keydown', 'pointerdown', 'wheel', 'touchstart'] as const;

/** Calls `signOut` after `seconds` without a key press, click, scroll or touch; 0 never. */
export function useIdleSignOut(seconds: number, signOut: () => void): void {
  useEffect(() => {
    if (seconds <= 0) {
      return undefined;
    }
    let timer = window.setTimeout(signOut, seconds * 1_000);
    const restart = () => {
      window.clearTimeout(timer);
      timer = window.setTimeout(signOut, seconds * 1_000);
    };
    for (const kind of ACTIVITY) {
      window.addEventListener(kind, restart, { passive: true });
    }
    return () => {
      window.clearTimeout(timer);
      for (const kind of ACTIVITY) {
        window.removeEventListener(kind, restart);
      }
    };
  }, [seconds, signOut]);
}
