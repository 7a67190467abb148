#!/usr/bin/env node
// End-to-end tests of the real Frontdesk app against a real sync server.
//
// Starts Xvfb on a free display, the sync server (a seeded demo hotel in a temporary SQLite
// file, on a free loopback port), one tauri-driver per desk (each drives WebKitWebDriver,
// which starts the real app binary with its own store), runs the scenarios, saves
// screenshots under results/e2e/, stops everything it started, and ends with the line
// "N passed, N failed". Exit code 0 only when every scenario passed.
//
// Usage: node run.mjs [scenario-name...]   (tests/e2e/run.sh builds and installs first)
// Environment: FRONTDESK_E2E_APP, FRONTDESK_E2E_SERVER (binaries; default from
// CARGO_TARGET_DIR), FRONTDESK_E2E_TIMEOUT (whole run, seconds, default 900),
// FRONTDESK_E2E_KEEP=1 keeps the temporary folder (stores, server database),
// FRONTDESK_E2E_TRACE=1 prints every change of the sync indicator.

import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

import { Desk, Driver } from './lib/desk.mjs';
import { freePort, killAllNow, start, stopAll, waitFor } from './lib/proc.mjs';
import { SyncServer } from './lib/server.mjs';
import { scenarios } from './scenarios.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const TARGET = process.env.CARGO_TARGET_DIR ?? join(ROOT, 'target');
const APP = process.env.FRONTDESK_E2E_APP ?? join(TARGET, 'debug', 'frontdesk');
const SERVER = process.env.FRONTDESK_E2E_SERVER ?? join(TARGET, 'debug', 'frontdesk-server');
const RESULTS = join(ROOT, 'results', 'e2e');
const LOGS = join(RESULTS, 'logs');
const RUN_TIMEOUT_S = Number(process.env.FRONTDESK_E2E_TIMEOUT ?? 900);
const SCENARIO_TIMEOUT_MS = 300_000;

const execFileAsync = promisify(execFile);
const log = (...parts) => console.log(`[e2e ${new Date().toISOString().slice(11, 19)}]`, ...parts);

let tmp;
let finishing = false;

async function cleanup() {
  await stopAll();
  if (tmp !== undefined && process.env.FRONTDESK_E2E_KEEP !== '1') {
    rmSync(tmp, { recursive: true, force: true });
  }
}

function bail(reason, code = 1) {
  if (finishing) {
    return;
  }
  finishing = true;
  console.error(`e2e: ${reason}`);
  const hard = setTimeout(() => {
    killAllNow();
    process.exit(code);
  }, 20_000);
  cleanup().finally(() => {
    clearTimeout(hard);
    console.log('0 passed, 1 failed');
    process.exit(code);
  });
}

process.on('SIGINT', () => bail('interrupted (SIGINT)', 130));
process.on('SIGTERM', () => bail('terminated (SIGTERM)', 143));
process.on('SIGHUP', () => bail('hung up (SIGHUP)', 129));
process.on('exit', killAllNow);
process.on('unhandledRejection', (reason) => {
  // A late rejection from a request of a scenario that already failed: report, go on.
  log(`unhandled rejection: ${reason?.message ?? reason}`);
});

function need(path, what) {
  if (!existsSync(path)) {
    throw new Error(`${what} not found at ${path}; build it first (tests/e2e/run.sh does)`);
  }
}

/** Xvfb on the first free display it finds itself (-displayfd). */
async function startXvfb() {
  const xvfb = start('Xvfb', 'Xvfb', ['-displayfd', '3', '-screen', '0', '1280x800x24', '-nolisten', 'tcp'], {
    log: join(LOGS, 'xvfb.log'),
    extraFds: 1,
  });
  let number = '';
  xvfb.child.stdio[3].on('data', (chunk) => {
    number += chunk.toString();
  });
  const display = await waitFor(
    () => {
      if (xvfb.done) {
        throw new Error(`Xvfb exited (${xvfb.exitCode}); see ${join(LOGS, 'xvfb.log')}`);
      }
      return number.includes('\n') ? `:${number.trim()}` : undefined;
    },
    { timeout: 15_000, message: 'Xvfb to report its display' },
  );
  return { xvfb, display };
}

function withTimeout(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms / 1000} s`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

async function main() {
  const only = process.argv.slice(2);
  const chosen = only.length === 0 ? scenarios : scenarios.filter((s) => only.includes(s.name));
  if (chosen.length === 0) {
    throw new Error(`no scenario named ${only.join(', ')}; known: ${scenarios.map((s) => s.name).join(', ')}`);
  }
  need(APP, 'the app binary');
  need(SERVER, 'the server binary');

  mkdirSync(LOGS, { recursive: true });
  for (const name of readdirSync(RESULTS)) {
    if (name.endsWith('.png')) rmSync(join(RESULTS, name));
  }
  for (const name of readdirSync(LOGS)) rmSync(join(LOGS, name));
  tmp = mkdtempSync(join(tmpdir(), 'frontdesk-e2e-'));
  // Private copies, so a build running beside the suite cannot swap a binary mid-run.
  const app = join(tmp, 'frontdesk');
  const serverBinary = join(tmp, 'frontdesk-server');
  copyFileSync(APP, app);
  copyFileSync(SERVER, serverBinary);
  log(`app ${APP} (built ${statSync(APP).mtime.toISOString()}), temp ${tmp}`);

  const { display } = await startXvfb();
  log(`Xvfb on display ${display}`);

  const server = new SyncServer({ binary: serverBinary, dir: tmp, port: await freePort(), logDir: LOGS });
  log((await server.seed()).split('\n')[0]);
  await server.start();
  log(`sync server on ${server.url}`);

  const drivers = [];
  for (const name of ['a', 'b']) {
    const driver = new Driver({ name, logDir: LOGS, display, nativeDriver: process.env.FRONTDESK_E2E_NATIVE_DRIVER });
    await driver.start();
    drivers.push(driver);
  }
  log(`tauri-driver on ports ${drivers.map((d) => d.port).join(', ')}`);

  const results = [];
  for (const scenario of chosen) {
    // Desks keep their tauri-driver for the whole scenario (closed and opened again too).
    const created = [];
    const free = new Set(drivers);
    const context = {
      server,
      results: RESULTS,
      runId: Date.now().toString(36).slice(-5),
      log: (...parts) => log(`  ${scenario.name}:`, ...parts),
      /** A desk of its own (own store file, own tauri-driver), not started yet. */
      desk(name) {
        const driver = [...free][0];
        if (driver === undefined) {
          throw new Error('more desks open at once than tauri-drivers started');
        }
        free.delete(driver);
        const desk = new Desk({ name, driver, app, store: join(tmp, `${scenario.name}-${name.replaceAll(' ', '-')}.sqlite3`), results: RESULTS });
        created.push(desk);
        return desk;
      },
      /**
       * A new desk enrolled with a fresh code, `user` signed in, first sync done; `viaFile`:
       * enrolled by a provisioning file holding a rollout code, with no typing.
       */
      async enrolledDesk(name, user = 'frontdesk', { viaFile = false } = {}) {
        const desk = context.desk(name);
        const code = await server.enrollmentCode({ rollout: viaFile });
        await desk.open({ enroll: { server: server.url, code, file: viaFile } });
        await desk.signIn(user);
        await desk.waitSync('Synced', { nudge: 10_000 });
        return desk;
      },
    };
    const started = Date.now();
    log(`${scenario.name}: ${scenario.title}`);
    let failure;
    try {
      await withTimeout(scenario.run(context), SCENARIO_TIMEOUT_MS, scenario.name);
    } catch (error) {
      failure = error;
    }
    for (const desk of created) {
      if (failure !== undefined && desk.browser !== undefined) {
        await withTimeout(desk.screenshot(`failure-${scenario.name}-${desk.name.replaceAll(' ', '-')}`), 15_000, 'screenshot').catch(() => undefined);
      }
      await desk.close();
    }
    if (failure !== undefined) {
      // The whole virtual display too (ImageMagick), for failures outside a webview.
      await execFileAsync('import', ['-display', display, '-window', 'root', join(RESULTS, `failure-${scenario.name}-display.png`)], {
        timeout: 15_000,
      }).catch((error) => log(`no picture of the display: ${error.message.split('\n')[0]}`));
    }
    // A scenario that stopped the server and failed leaves it stopped: start it for the next.
    if (server.process === undefined) {
      await server.start().catch((error) => log(`could not restart the server: ${error.message}`));
    }
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    if (failure === undefined) {
      log(`PASS ${scenario.name} (${seconds} s)`);
    } else {
      log(`FAIL ${scenario.name} (${seconds} s): ${failure.stack ?? failure.message}`);
    }
    results.push({ name: scenario.name, failure, seconds });
  }
  return results;
}

const overall = setTimeout(() => bail(`the whole run took longer than ${RUN_TIMEOUT_S} s`), RUN_TIMEOUT_S * 1000);
const began = Date.now();
let results;
try {
  results = await main();
} catch (error) {
  clearTimeout(overall);
  if (!finishing) {
    finishing = true;
    console.error(`e2e: could not run the suite: ${error.stack ?? error.message}`);
    await cleanup();
    console.log('0 passed, 1 failed');
    process.exit(1);
  }
}
if (!finishing) {
  clearTimeout(overall);
  finishing = true;
  await cleanup();
  const passed = results.filter((r) => r.failure === undefined).length;
  const failed = results.length - passed;
  log(`screenshots and logs in ${RESULTS}; took ${((Date.now() - began) / 1000).toFixed(0)} s`);
  for (const r of results) {
    log(`${r.failure === undefined ? 'ok  ' : 'FAIL'} ${r.name} (${r.seconds} s)${r.failure === undefined ? '' : `: ${r.failure.message.split('\n')[0]}`}`);
  }
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed === 0 ? 0 : 1);
}
