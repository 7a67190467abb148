// Processes the suite starts (Xvfb, the sync server, tauri-driver): each in its own process
// group, so stopping one also stops what it started (tauri-driver's WebKitWebDriver and the
// app), and every one of them is stopped when the suite ends, however it ends.

import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import net from 'node:net';

const running = new Set();

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Polls `check` until it returns a truthy value and returns that value; throws `message`
 * (with the last error seen) after `timeout` ms.
 */
export async function waitFor(check, { timeout, interval = 250, message }) {
  const deadline = Date.now() + timeout;
  let lastError;
  for (;;) {
    try {
      const value = await check();
      if (value) {
        return value;
      }
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= deadline) {
      const why = lastError === undefined ? '' : ` (last error: ${String(lastError.message ?? lastError).split('\n')[0]})`;
      throw new Error(`timed out after ${Math.round(timeout / 1000)} s: ${message}${why}`);
    }
    await sleep(interval);
  }
}

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Whether something accepts connections on 127.0.0.1:port. */
export function portOpen(port) {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.setTimeout(1000);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * Starts `command` in a new process group, its output appended to `log`. Returns a handle
 * with `exited` (a promise of the exit code) and `stop()`.
 */
export function start(name, command, args, { env = process.env, log, extraFds = 0 } = {}) {
  const out = log === undefined ? 'ignore' : createWriteStream(log, { flags: 'a' });
  const stdio = ['ignore', 'pipe', 'pipe', ...Array(extraFds).fill('pipe')];
  const child = spawn(command, args, { env, stdio, detached: true });
  const handle = {
    name,
    child,
    pid: child.pid,
    done: false,
    exitCode: undefined,
    exited: undefined,
    async stop(graceMs = 5000) {
      await stopHandle(handle, graceMs);
    },
  };
  handle.exited = new Promise((resolve) => {
    child.once('exit', (code, signal) => {
      handle.done = true;
      handle.exitCode = code ?? signal;
      running.delete(handle);
      resolve(handle.exitCode);
    });
    child.once('error', (error) => {
      handle.done = true;
      handle.exitCode = `failed to start: ${error.message}`;
      running.delete(handle);
      resolve(handle.exitCode);
    });
  });
  if (out !== 'ignore') {
    child.stdout.pipe(out, { end: false });
    child.stderr.pipe(out, { end: false });
  } else {
    child.stdout.resume();
    child.stderr.resume();
  }
  running.add(handle);
  return handle;
}

function signalGroup(pid, signal) {
  try {
    process.kill(-pid, signal);
    return true;
  } catch {
    try {
      process.kill(pid, signal);
      return true;
    } catch {
      return false;
    }
  }
}

async function stopHandle(handle, graceMs) {
  if (handle.pid === undefined) {
    return;
  }
  if (!handle.done) {
    signalGroup(handle.pid, 'SIGTERM');
    const timer = sleep(graceMs).then(() => 'timeout');
    if ((await Promise.race([handle.exited, timer])) === 'timeout') {
      signalGroup(handle.pid, 'SIGKILL');
      await Promise.race([handle.exited, sleep(2000)]);
    }
  }
  // Whatever the group leader left behind (the app under WebKitWebDriver) goes too.
  signalGroup(handle.pid, 'SIGKILL');
  running.delete(handle);
}

/** Stops every process the suite started, newest first. */
export async function stopAll() {
  for (const handle of [...running].reverse()) {
    await stopHandle(handle, 3000);
  }
}

/** Last resort when the process is exiting: no waiting possible, kill every group now. */
export function killAllNow() {
  for (const handle of running) {
    if (handle.pid !== undefined) {
      signalGroup(handle.pid, 'SIGKILL');
    }
  }
  running.clear();
}
