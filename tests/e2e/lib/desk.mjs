// One front desk: the real app binary, started by tauri-driver (through WebKitWebDriver) with
// its own store file, and the few things a receptionist does and reads, found the way a
// receptionist finds them: by label, by button text, by the sync indicator's status role.

import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { remote } from 'webdriverio';

import { freePort, portOpen, start, waitFor } from './proc.mjs';

/** Default wait for anything on screen (the app answers in well under a second here). */
export const UI_TIMEOUT = 15_000;
/**
 * Wait for the sync state to change (a round, a reconnect after the server returns). A local
 * change is pushed at the worker's next tick (pull interval, 30 s by default), and a round
 * against a stopped server retries for a while before the desk reads "Offline".
 */
export const SYNC_TIMEOUT = 90_000;

/** A tauri-driver of its own per desk, so two desks can be open at once. */
export class Driver {
  constructor({ name, logDir, display, nativeDriver }) {
    this.name = name;
    this.log = join(logDir, `tauri-driver-${name}.log`);
    this.display = display;
    this.nativeDriver = nativeDriver;
  }

  async start() {
    this.port = await freePort();
    this.nativePort = await freePort();
    const args = ['--port', String(this.port), '--native-port', String(this.nativePort)];
    if (this.nativeDriver !== undefined) {
      args.push('--native-driver', this.nativeDriver);
    }
    this.process = start(`tauri-driver ${this.name}`, 'tauri-driver', args, {
      env: { ...process.env, DISPLAY: this.display },
      log: this.log,
    });
    await waitFor(
      async () => {
        if (this.process.done) {
          throw new Error(`tauri-driver exited (${this.process.exitCode}); see ${this.log}`);
        }
        return portOpen(this.port);
      },
      { timeout: 20_000, message: `tauri-driver listening on port ${this.port}` },
    );
  }

  async stop() {
    await this.process?.stop(5000);
  }
}

function xpathLiteral(text) {
  if (!text.includes('"')) {
    return `"${text}"`;
  }
  return `concat("${text.split('"').join('", \'"\', "')}")`;
}

export class Desk {
  /**
   * @param {object} options
   * @param {string} options.name how the desk is named in messages and on the server
   * @param {Driver} options.driver
   * @param {string} options.app absolute path of the app binary
   * @param {string} options.store the desk's SQLite file
   * @param {string} options.results folder of the screenshots
   */
  constructor({ name, driver, app, store, results }) {
    Object.assign(this, { name, driver, app, store, results });
    this.browser = undefined;
  }

  /**
   * Starts the app; with `enroll` ({server, code}) a new desk enrolls itself at start, from
   * flags, or with `enroll.file` from a provisioning file as property IT would roll it out.
   */
  async open({ enroll } = {}) {
    const args = ['--store', this.store, '--device-name', this.name];
    if (enroll?.file) {
      const file = `${this.store}.provisioning.toml`;
      await writeFile(file, `server = "${enroll.server}"\nenrollment_code = "${enroll.code}"\n`);
      args.push('--provisioning', file);
    } else if (enroll !== undefined) {
      args.push('--server', enroll.server, '--enroll-code', enroll.code);
    }
    this.browser = await remote({
      hostname: '127.0.0.1',
      port: this.driver.port,
      logLevel: 'error',
      connectionRetryTimeout: 90_000,
      connectionRetryCount: 0,
      waitforTimeout: UI_TIMEOUT,
      capabilities: {
        browserName: 'wry',
        // WebKitWebDriver speaks classic WebDriver only (no BiDi).
        'wdio:enforceWebDriverClassic': true,
        'tauri:options': { application: this.app, args },
      },
    });
    // The first screen: sign-in (or the desk itself when a session was kept).
    await waitFor(async () => (await this.browser.$('h1').isExisting()) || undefined, {
      timeout: 30_000,
      message: `${this.name}: the app's first screen`,
    });
    return this;
  }

  async close() {
    if (this.browser !== undefined) {
      const browser = this.browser;
      this.browser = undefined;
      await Promise.race([browser.deleteSession().catch(() => undefined), new Promise((r) => setTimeout(r, 15_000))]);
    }
  }

  // ---------------------------------------------------------------- finding things

  $(selector) {
    return this.browser.$(selector);
  }

  /** Waits for an element to exist (and returns it), with a message that says what. */
  async find(selector, what = selector, timeout = UI_TIMEOUT, scope = this.browser) {
    return waitFor(
      async () => {
        const element = await scope.$(selector);
        return (await element.isExisting()) ? element : undefined;
      },
      { timeout, message: `${this.name}: ${what}` },
    );
  }

  /** The form control labelled `label` (its <label for>), inside `scope` when given. */
  async control(label, scope) {
    const xpath = `${scope === undefined ? '//' : './/'}label[normalize-space(.)=${xpathLiteral(label)}]`;
    const labelElement = await this.find(xpath, `the field labelled "${label}"`, UI_TIMEOUT, scope ?? this.browser);
    const id = await labelElement.getAttribute('for');
    if (!id) {
      throw new Error(`${this.name}: the label "${label}" names no control`);
    }
    return this.find(`[id="${id}"]`, `the control of "${label}"`);
  }

  /** Types `value` into the field labelled `label`, replacing what was there. */
  async fill(label, value, scope) {
    const element = await this.control(label, scope);
    await element.setValue(value);
    if ((await element.getValue()) !== value) {
      // Select everything and type over it, as a person would.
      await element.click();
      await this.browser.keys(['Control', 'a']);
      await this.browser.keys('Backspace');
      await element.addValue(value);
    }
    const now = await element.getValue();
    if (now !== value) {
      throw new Error(`${this.name}: the field "${label}" reads "${now}" after typing "${value}"`);
    }
    return element;
  }

  /**
   * The button whose visible text or accessible name is `text` (or starts with it, with
   * `prefix`: "New reservation" also shows its key, "n").
   */
  async button(text, scope, { prefix = false } = {}) {
    const literal = xpathLiteral(text);
    const root = scope === undefined ? '//' : './/';
    const xpath = prefix
      ? `${root}button[starts-with(normalize-space(.), ${literal}) or starts-with(@aria-label, ${literal})]`
      : `${root}button[normalize-space(.)=${literal} or @aria-label=${literal}]`;
    return this.find(xpath, `the button "${text}"`, UI_TIMEOUT, scope ?? this.browser);
  }

  async click(text, scope, options) {
    const element = await this.button(text, scope, options);
    await waitFor(async () => element.isEnabled(), { timeout: UI_TIMEOUT, message: `${this.name}: the button "${text}" enabled` });
    await element.click();
  }

  /** Goes to a screen with the header's navigation, and waits for its heading. */
  async nav(label, heading = label) {
    const link = await this.find(
      `//nav[@aria-label="Screens"]//a[normalize-space(.)=${xpathLiteral(label)}]`,
      `the "${label}" link in the navigation`,
    );
    await link.click();
    return this.heading(heading);
  }

  /** Waits for the screen's heading to start with `text`, and returns its whole text. */
  async heading(text, timeout = UI_TIMEOUT) {
    return waitFor(
      async () => {
        const h1 = await this.browser.$('main h1');
        if (!(await h1.isExisting())) {
          return undefined;
        }
        const shown = await h1.getText();
        return shown.startsWith(text) ? shown : undefined;
      },
      { timeout, message: `${this.name}: the screen "${text}"` },
    );
  }

  async text(selector = 'body') {
    const element = await this.browser.$(selector);
    return (await element.isExisting()) ? element.getText() : '';
  }

  /** Waits until `text` shows anywhere inside `selector`. */
  async seeText(text, selector = 'main', timeout = UI_TIMEOUT) {
    return waitFor(async () => (await this.text(selector)).includes(text), {
      timeout,
      message: `${this.name}: "${text}" shown in ${selector}`,
    });
  }

  /** The location hash (`#/reservations/<id>`), which names the record on screen. */
  async hash() {
    const url = await this.browser.getUrl();
    const at = url.indexOf('#');
    return at === -1 ? '' : url.slice(at);
  }

  // ---------------------------------------------------------------- session and sync

  async signIn(username, password = 'demo-password') {
    await this.heading('Sign in', 30_000);
    await this.fill('User name', username);
    await this.fill('Password', password);
    await this.click('Sign in');
    await this.find('.app-header .sync-indicator', `${username} signed in (the header's sync indicator)`, 30_000);
  }

  async signOut() {
    await this.click('Sign out');
    await this.heading('Sign in');
  }

  /** What the header's sync indicator says (its short text, e.g. "Offline, 1 queued"). */
  async syncText() {
    const element = await this.browser.$('[role="status"].sync-indicator .sync-indicator__text');
    return (await element.isExisting()) ? (await element.getText()).trim() : undefined;
  }

  /**
   * Waits for the indicator to read `expected` exactly (a string) or to match it (a RegExp).
   * `nudge` (ms) clicks the indicator ("sync now") after that long without it, as a
   * receptionist would do once the connection is back.
   */
  async waitSync(expected, { timeout = SYNC_TIMEOUT, nudge } = {}) {
    const started = Date.now();
    let nudged = false;
    let last;
    try {
      return await waitFor(
        async () => {
          const now = await this.syncText();
          if (now !== last && process.env.FRONTDESK_E2E_TRACE === '1') {
            console.log(`    ${this.name} indicator: ${now} (+${Date.now() - started} ms)`);
          }
          last = now;
          const ok = typeof expected === 'string' ? last === expected : expected.test(last ?? '');
          if (!ok && nudge !== undefined && !nudged && Date.now() - started > nudge && !/conflict/.test(last ?? '')) {
            nudged = true;
            await (await this.browser.$('.sync-indicator__button')).click();
          }
          return ok ? last : undefined;
        },
        { timeout, interval: 300, message: `${this.name}: the sync indicator reading "${expected}"` },
      );
    } catch (error) {
      throw new Error(`${error.message}; it reads "${last}"`);
    }
  }

  // ---------------------------------------------------------------- evidence

  async screenshot(name) {
    const path = join(this.results, `${name}.png`);
    await this.browser.saveScreenshot(path);
    return path;
  }
}
