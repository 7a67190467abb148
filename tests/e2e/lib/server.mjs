// The real sync server: a seeded demo property in a temporary SQLite file, served on a free
// loopback port, stopped and started again on the same port and database when a scenario
// takes it down. Its records are read back through its own HTTP API, as a throwaway
// manager device would (the server has no read command, and the API is what it promises).

import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { start, waitFor } from './proc.mjs';

const run = promisify(execFile);

export class SyncServer {
  constructor({ binary, dir, port, logDir }) {
    this.binary = binary;
    this.database = `sqlite://${join(dir, 'server.sqlite3')}`;
    this.port = port;
    this.url = `http://127.0.0.1:${port}`;
    this.log = join(logDir, 'server.log');
    // The folder IT fills with app releases (updates.dir); empty: nothing is offered.
    this.updatesDir = join(dir, 'updates');
    mkdirSync(this.updatesDir, { recursive: true });
    this.process = undefined;
    this.verifier = undefined;
  }

  env() {
    return {
      ...process.env,
      FRONTDESK_DATABASE: this.database,
      FRONTDESK_UPDATES_DIR: this.updatesDir,
      RUST_LOG: process.env.RUST_LOG ?? 'info',
    };
  }

  /**
   * Publishes `version` as IT would: `installer` and its `.sig` (from `fixtures`) copied into
   * the update folder, and a release.toml naming it for Linux desks.
   */
  publishRelease({ version, notes, fixtures, installer }) {
    copyFileSync(join(fixtures, installer), join(this.updatesDir, installer));
    copyFileSync(join(fixtures, `${installer}.sig`), join(this.updatesDir, `${installer}.sig`));
    writeFileSync(
      join(this.updatesDir, 'release.toml'),
      `version = "${version}"\nnotes = "${notes}"\n[platforms]\nlinux-x86_64 = "${installer}"\n`,
    );
  }

  /** Withdraws the published release: the desks are offered nothing again. */
  withdrawRelease() {
    rmSync(join(this.updatesDir, 'release.toml'), { force: true });
  }

  async admin(args) {
    try {
      const { stdout } = await run(this.binary, args, { env: this.env(), timeout: 60_000 });
      return stdout;
    } catch (error) {
      throw new Error(`frontdesk-server ${args.join(' ')} failed: ${error.stderr || error.message}`);
    }
  }

  /** Creates the demo hotel (rooms, staff with password demo-password, reservations). */
  async seed() {
    return this.admin(['seed-demo', '--property', 'DEMO']);
  }

  /** A fresh one-time enrollment code for one desk; `rollout`: one for many desks. */
  async enrollmentCode({ rollout = false } = {}) {
    const out = await this.admin(['enrollment-code', '--property', 'DEMO', ...(rollout ? ['--rollout'] : [])]);
    const code = out.split('\n').map((line) => line.trim()).filter((line) => line !== '').at(-1);
    if (code === undefined || !/^[A-Z0-9-]{6,}$/.test(code)) {
      throw new Error(`frontdesk-server enrollment-code printed no code: ${JSON.stringify(out)}`);
    }
    return code;
  }

  async health() {
    const response = await fetch(`${this.url}/v1/health`, { signal: AbortSignal.timeout(2000) });
    return response.ok;
  }

  async start() {
    if (this.process !== undefined && !this.process.done) {
      throw new Error('the server is already running');
    }
    const listen = `127.0.0.1:${this.port}`;
    this.process = start('frontdesk-server', this.binary, ['serve', '--listen', listen], { env: this.env(), log: this.log });
    await waitFor(
      async () => {
        if (this.process.done) {
          throw new Error(`frontdesk-server exited (${this.process.exitCode}); see ${this.log}`);
        }
        return this.health();
      },
      { timeout: 30_000, message: `the sync server answering on ${listen}` },
    );
  }

  async stop() {
    if (this.process === undefined) {
      return;
    }
    // SIGTERM, then SIGKILL after 3 s: the server's graceful shutdown waits for the desks'
    // live streams to end, which they do not while the desks are open.
    await this.process.stop(3000);
    this.process = undefined;
    await waitFor(async () => !(await this.health().catch(() => false)), {
      timeout: 10_000,
      message: 'the sync server to stop answering',
    });
  }

  async request(method, path, { body, headers = {} } = {}) {
    const response = await fetch(`${this.url}${path}`, {
      method,
      headers: { 'content-type': 'application/json', ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(15_000),
    });
    const text = await response.text();
    if (!response.ok) {
      throw new Error(`${method} ${path}: HTTP ${response.status} ${text.slice(0, 300)}`);
    }
    return text === '' ? undefined : JSON.parse(text);
  }

  /** A manager session on a throwaway device enrolled for reading records back. */
  async verifierToken() {
    if (this.verifier === undefined) {
      const code = await this.enrollmentCode();
      const device = await this.request('POST', '/v1/enroll', { body: { code, device_name: 'e2e verifier' } });
      const session = await this.request('POST', '/v1/sessions', {
        headers: { 'frontdesk-device': `${device.device_id}:${device.device_secret}` },
        body: { username: 'manager', password: 'demo-password' },
      });
      this.verifier = session.token;
    }
    return this.verifier;
  }

  /** The record as the server holds it now (its latest version), or undefined. */
  async record(entity, id) {
    const token = await this.verifierToken();
    const history = await this.request('GET', `/v1/records/${entity}/${id}/history`, {
      headers: { authorization: `Bearer ${token}` },
    });
    const versions = history?.versions ?? [];
    if (versions.length === 0 || versions.at(-1).after === null) {
      return undefined;
    }
    // Fold every version's fields, so the answer is whole whether a version carries the
    // whole record or only what changed.
    const record = {};
    for (const version of versions) {
      Object.assign(record, version.after ?? {});
    }
    return { ...record, _version: versions.at(-1).version, _device: versions.at(-1).device_name };
  }
}
