// The scenarios of issue 5's Quality section, each asserting what a receptionist sees.

import { strict as assert } from 'node:assert';
import { fileURLToPath } from 'node:url';

import { SYNC_TIMEOUT, UI_TIMEOUT } from './lib/desk.mjs';
import { waitFor } from './lib/proc.mjs';

/**
 * What the indicator reads once a new reservation is queued offline. The reservation form
 * makes two changes for a walk-up guest: the guest's profile and the reservation, and the
 * indicator counts changes (issue 5 writes "Offline, 1 queued": that holds for one change).
 */
const QUEUED_AFTER_NEW_RESERVATION = 'Offline, 2 queued';

/** After the server returns, a desk retries on its own (backoff); "sync now" after this long. */
const NUDGE_MS = 15_000;

/** The record id of the screen on show (`#/reservations/<id>`, `#/folio/<id>`...). */
function idOf(hash) {
  const id = hash.split('/').at(-1);
  assert.match(id ?? '', /^[0-9a-f-]{36}$/, `a record id in the location ${hash}`);
  return id;
}

// ------------------------------------------------------------------------------------------

async function offlineReservation(t) {
  const desk = await t.enrolledDesk('Desk 1');
  await desk.nav('Reservations');
  await desk.click('New reservation', undefined, { prefix: true });
  await desk.heading('New reservation');

  t.log('server down');
  await t.server.stop();

  const lastName = `Offline ${t.runId}`;
  await desk.fill('First name', 'Olga');
  await desk.fill('Last name', lastName);
  await desk.click('Create reservation');
  const title = await desk.heading('Reservation ');
  const id = idOf(await desk.hash());
  t.log(`created ${title} (${id}) while the server is down`);

  await desk.waitSync(QUEUED_AFTER_NEW_RESERVATION, { timeout: SYNC_TIMEOUT });
  await desk.screenshot('offline-queued');

  t.log('server up again');
  await t.server.start();
  await desk.waitSync('Synced', { timeout: 90_000, nudge: NUDGE_MS });
  await desk.screenshot('offline-then-synced');

  const onServer = await waitFor(() => t.server.record('reservation', id), {
    timeout: UI_TIMEOUT,
    message: `reservation ${id} on the server`,
  });
  assert.equal(onServer.guest_name, `Olga ${lastName}`, 'the guest name on the server');
  assert.equal(onServer.status, 'confirmed', 'the status on the server');
  assert.match(String(onServer.confirmation), /^H-\d{4}-\d+$/, `the server kept the provisional number ${onServer.confirmation}`);
  assert.match(String(onServer.provisional_confirmation), /^T-/, 'the provisional number is kept beside it');
  // The desk shows the number the server gave once it has synced.
  await desk.heading(`Reservation ${onServer.confirmation}`, SYNC_TIMEOUT);
  t.log(`on the server as ${onServer.confirmation}`);
}

/**
 * Waits for "Synced"; when the desk shows conflicts instead, fails with what the Sync center
 * lists (what a manager would read), so the report says which rule the server applied.
 */
async function expectSynced(desk, options = {}) {
  const reads = await desk.waitSync(/^(Synced|\d+ conflicts?)$/, options);
  if (reads !== 'Synced') {
    await desk.nav('Sync', 'Sync center');
    await desk.find('ul.conflict-list li', 'the conflicts listed');
    await desk.screenshot(`conflicts-${desk.name.replaceAll(' ', '-')}`);
    const lines = await reread(async () => {
      const read = [];
      for (const item of await desk.browser.$$('ul.conflict-list li')) {
        const title = await (await item.$('.conflict-list__title')).getText();
        const summary = await (await item.$('.muted')).getText();
        read.push(`${title}: ${summary}`);
      }
      return read;
    });
    throw new Error(`${desk.name} reads "${reads}" instead of "Synced": ${lines.join('; ')}`);
  }
  return reads;
}

// ------------------------------------------------------------------------------------------

/**
 * Reads the screen again when it changed under the reading (a list re-rendered after a sync
 * leaves the elements just found stale).
 */
async function reread(read, tries = 5) {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await read();
    } catch (error) {
      if (attempt >= tries || !/stale|wasn't found|no such element|not found/i.test(error.message)) {
        throw error;
      }
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
  }
}

/** The stays of one of Today's lists ("Arrivals", "In house"...), as on screen. */
function stays(desk, list) {
  return reread(() => readStays(desk, list));
}

async function readStays(desk, list) {
  const id = list.toLowerCase().replaceAll(' ', '-');
  const rows = await desk.browser.$$(`section[aria-labelledby="${id}"] li.stay-row`);
  const found = [];
  for (const row of rows) {
    const label = (await row.getAttribute('aria-label')) ?? '';
    const [name, confirmation, room] = label.split(', ');
    const link = await row.$('a.stay-row__guest');
    const id = idOf((await link.getAttribute('href')) ?? '');
    found.push({ name, confirmation, room: room?.replace(/^room /, ''), id });
  }
  return found;
}

/** Opens a guest's profile on the Guests screen; returns the guest's record id. */
async function openGuest(desk, { first, last }) {
  await desk.nav('Guests');
  await desk.fill('Search guests', last);
  const wanted = `${last}, ${first}`;
  // The list re-renders while the search runs: count and click by a fresh lookup each time.
  const xpath = `//ul[@aria-label="Guests found"]//button[normalize-space(.)="${wanted}" or starts-with(normalize-space(.), "${wanted} ")]`;
  const button = await waitFor(
    async () => {
      const count = (await desk.browser.$$(xpath)).length;
      return count === 1 ? desk.browser.$(xpath) : undefined;
    },
    { timeout: UI_TIMEOUT, message: `${desk.name}: exactly one guest "${wanted}" found` },
  );
  await button.click();
  await desk.seeText(`${first} ${last}`, 'article h2');
  const history = await desk.find('article a[href^="#/history/guest/"]', "the guest's History link");
  return idOf((await history.getAttribute('href')) ?? '');
}

async function contactForm(desk) {
  return desk.find('form[aria-label="Contact details"]', "the guest's contact details");
}

/** The email the guest's profile shows, opened afresh (the form keeps what it loaded). */
async function guestEmail(desk, guest) {
  // Another screen first: the Guests screen keeps its open profile (and its form) otherwise.
  await desk.nav('Today');
  await openGuest(desk, guest);
  return (await desk.control('Email', await contactForm(desk))).getValue();
}

async function setGuestEmail(desk, email) {
  const form = await contactForm(desk);
  await desk.fill('Email', email, form);
  await desk.click('Save contact', form);
}

async function twoDeskConflict(t) {
  const first = await t.enrolledDesk('Desk 2A');
  const second = await t.enrolledDesk('Desk 2B');

  // A guest in house, with a name no other guest has.
  await first.nav('Today');
  let guest;
  for (const stay of await stays(first, 'In house')) {
    const [given, ...family] = stay.name.split(' ');
    const candidate = { first: given, last: family.join(' ') };
    const found = await openGuest(first, candidate).then((id) => id, () => undefined);
    if (found !== undefined) {
      guest = { ...candidate, id: found, stay };
      break;
    }
    await first.nav('Today');
  }
  assert.ok(guest !== undefined, 'an in-house guest with a unique name');
  await openGuest(second, guest);
  const before = (await t.server.record('guest', guest.id))?.email ?? null;
  t.log(`guest ${guest.first} ${guest.last} (${guest.stay.confirmation}), email on the server: ${before}`);

  t.log('server down');
  await t.server.stop();
  const firstEmail = `desk-a.${t.runId}@example.com`;
  const secondEmail = `desk-b.${t.runId}@example.com`;
  const chosen = `agreed.${t.runId}@example.com`;
  await setGuestEmail(first, firstEmail);
  await setGuestEmail(second, secondEmail);
  await Promise.all([first.waitSync('Offline, 1 queued'), second.waitSync('Offline, 1 queued')]);

  // The second desk's receptionist hands over to the manager; the first desk syncs first.
  await second.signOut();
  t.log('server up again');
  await t.server.start();
  await first.waitSync('Synced', { timeout: 90_000, nudge: NUDGE_MS });
  assert.equal((await t.server.record('guest', guest.id)).email, firstEmail, "the first desk's email on the server");

  await second.signIn('manager');
  await second.waitSync('1 conflict', { timeout: 90_000, nudge: NUDGE_MS });
  await second.screenshot('conflict-indicator');
  await (await second.find('.sync-indicator__button', 'the sync indicator')).click();
  const dialog = await second.find('[role="dialog"]', 'the conflict dialog');
  const shown = await dialog.getText();
  for (const [what, value] of [["this desk's email", secondEmail], ["the server's email", firstEmail]]) {
    assert.ok(shown.includes(value), `the conflict dialog shows ${what} ${value}:\n${shown}`);
  }
  assert.ok(shown.includes(`${guest.first} ${guest.last}`) || shown.includes(guest.last), `the dialog names the guest:\n${shown}`);
  await second.screenshot('conflict');

  // Settle it with a value of neither side, typed by the manager.
  const option = await second.find(`.//label[normalize-space(.)="Type a value"]`, 'the "Type a value" choice', UI_TIMEOUT, dialog);
  await option.click();
  // The dialog labels fields by their name in words ("email").
  await second.fill('email', chosen, dialog);
  await waitFor(async () => (await (await dialog.$('section[aria-label="Preview of the result"]')).getText()).includes(chosen), {
    timeout: UI_TIMEOUT,
    message: 'the preview showing the typed email',
  });
  await second.screenshot('conflict-preview');
  await second.click('Apply:', dialog, { prefix: true });
  await waitFor(async () => !(await (await second.$('[role="dialog"]')).isExisting()), {
    timeout: SYNC_TIMEOUT,
    message: 'the conflict dialog to close once applied',
  });
  await second.waitSync('Synced', { timeout: 90_000, nudge: NUDGE_MS });

  assert.equal((await t.server.record('guest', guest.id)).email, chosen, 'the chosen email on the server');
  assert.equal(await guestEmail(second, guest), chosen, 'the email on the second desk');
  // The first desk hears of the resolution from the server (live stream, or its next pull).
  await waitFor(async () => (await guestEmail(first, guest)) === chosen, {
    timeout: 90_000,
    interval: 3000,
    message: `the first desk showing the chosen email ${chosen}`,
  });
  await first.waitSync('Synced');
}

// ------------------------------------------------------------------------------------------

/** Minor units of an amount as the folio shows it ("€12.50", "-€5.00", "€1,200.00"). */
function minorOf(text) {
  const match = /(-?)[^\d-]*([\d,]+)(?:\.(\d+))?/.exec(text);
  assert.ok(match, `an amount in "${text}"`);
  const minor = Number(match[2].replaceAll(',', '')) * 100 + Number((match[3] ?? '0').padEnd(2, '0').slice(0, 2));
  return match[1] === '-' ? -minor : minor;
}

async function folioBalance(desk) {
  const line = await desk.find('dl[aria-label="Balance"] dd', 'the folio balance');
  return (await line.getText()).trim();
}

async function checkInAndFolio(t) {
  const desk = await t.enrolledDesk('Desk 3');

  // Rooms ready for a guest: clean or inspected, and vacant, as the room board shows them.
  await desk.nav('Rooms', 'Room board');
  await desk.find('ul[aria-label="Rooms"] li.room-card', 'the room cards');
  await desk.screenshot('room-board');
  const ready = await reread(async () => {
    const found = new Set();
    for (const card of await desk.browser.$$('ul[aria-label="Rooms"] li.room-card')) {
      const classes = (await card.getAttribute('class')) ?? '';
      const vacant = await (await card.$('.room-card__facets .badge--vacant')).isExisting();
      if (/room-card--(clean|inspected)\b/.test(classes) && vacant) {
        found.add((await (await card.$('.room-card__number')).getText()).trim());
      }
    }
    return found;
  });
  t.log(`rooms ready: ${[...ready].join(' ')}`);

  await desk.nav('Today');
  await desk.find('section[aria-labelledby="arrivals"] li.stay-row', "today's arrivals");
  const arrivals = await stays(desk, 'Arrivals');
  const stay = arrivals.find((candidate) => ready.has(candidate.room));
  assert.ok(stay !== undefined, `an arrival today in a clean vacant room (arrivals: ${arrivals.map((a) => `${a.name} in ${a.room}`).join('; ')})`);
  t.log(`checking in ${stay.name} (${stay.confirmation}) to room ${stay.room}`);

  await desk.click(`Check in ${stay.name}`);
  await waitFor(async () => (await stays(desk, 'In house')).some((s) => s.id === stay.id), {
    timeout: UI_TIMEOUT,
    message: `${stay.name} listed in house`,
  });
  assert.ok(!(await stays(desk, 'Arrivals')).some((s) => s.id === stay.id), `${stay.name} no longer among the arrivals`);
  const row = `//section[@aria-labelledby="in-house"]//li[.//a[@href="#/reservations/${stay.id}"]]`;
  assert.match(await reread(async () => (await desk.find(row, `${stay.name} in house`)).getText()), /checked in/i, 'the stay reads "checked in"');
  await desk.screenshot('checked-in');

  await (await desk.find(`${row}//a[@href="#/folio/${stay.id}"]`, `the Folio link of ${stay.name}`)).click();
  await desk.heading(`Folio · ${stay.confirmation}`);
  const opening = minorOf(await folioBalance(desk));

  const charge = await desk.find('form[aria-label="Post a charge"]', 'the charge form');
  await desk.fill('Description', `Minibar ${t.runId}`, charge);
  const amountLabel = await (await charge.$('.//label[starts-with(normalize-space(.), "Amount (")]')).getText();
  await desk.fill(amountLabel.trim(), '12.50', charge);
  await desk.fill('Quantity', '1', charge);
  await desk.click('Post charge', charge);
  await desk.seeText(`Minibar ${t.runId}`, 'main table');
  await waitFor(async () => minorOf(await folioBalance(desk)) === opening + 1250, {
    timeout: UI_TIMEOUT,
    message: `the balance to grow by 12.50 from ${opening / 100}`,
  });
  t.log(`balance after the charge: ${await folioBalance(desk)}`);

  const payment = await desk.find('form[aria-label="Take a cash payment"]', 'the payment form');
  const cashLabel = await (await payment.$('.//label[starts-with(normalize-space(.), "Cash received (")]')).getText();
  await desk.fill(cashLabel.trim(), '12.50', payment);
  await desk.click('Take payment', payment);
  await desk.seeText('Cash payment', 'main table');
  await waitFor(async () => minorOf(await folioBalance(desk)) === opening, {
    timeout: UI_TIMEOUT,
    message: `the balance back to ${opening / 100} after the cash payment`,
  });
  t.log(`balance after the payment: ${await folioBalance(desk)}`);
  await desk.screenshot('folio');

  // The server took all of it: no conflict, nothing queued, the stay checked in there.
  await expectSynced(desk, { nudge: NUDGE_MS });
  const onServer = await t.server.record('reservation', stay.id);
  assert.equal(onServer.status, 'checked_in', 'the stay checked in on the server');
}

// ------------------------------------------------------------------------------------------

const SCREENS = [
  ['Today', 'Today', 'today'],
  ['Reservations', 'Reservations', 'reservations'],
  ['Tape chart', 'Tape chart', 'tape-chart'],
  ['Rooms', 'Room board', 'room-board'],
  ['Housekeeping', 'My rooms', 'housekeeping'],
  ['Guests', 'Guests', 'guests'],
  ['POS', 'POS', 'pos'],
  ['Sync', 'Sync center', 'sync-center'],
  ['Settings', 'Settings', 'settings'],
];

async function mainScreens(t) {
  // Enrolled the way property IT rolls desks out: a provisioning file with a rollout code.
  const desk = await t.enrolledDesk('Desk 4', 'frontdesk', { viaFile: true });
  const { statSync } = await import('node:fs');
  for (const [link, heading, file] of SCREENS) {
    await desk.nav(link, heading);
    // Let lists load before the picture is taken.
    await desk.browser.pause(500);
    const path = await desk.screenshot(`screen-${file}`);
    assert.ok(statSync(path).size > 10_000, `${path} holds a picture`);
  }
  // A folio of a guest in house.
  await desk.nav('Today');
  const [stay] = await stays(desk, 'In house');
  assert.ok(stay !== undefined, 'a guest in house');
  await (await desk.find(`section[aria-labelledby="in-house"] a[href="#/folio/${stay.id}"]`, 'the Folio link')).click();
  await desk.heading('Folio');
  await desk.browser.pause(500);
  const path = await desk.screenshot('screen-folio');
  assert.ok(statSync(path).size > 10_000, `${path} holds a picture`);

  // The window's capability (src-tauri/capabilities/main.json) grants the app's own commands
  // and nothing else: Tauri refuses a core window command before it reaches the app.
  const calls = await desk.browser.execute(async () => {
    const call = (command, args) =>
      window.__TAURI_INTERNALS__.invoke(command, args).then(
        (answer) => ({ ok: true, answer }),
        (error) => ({ ok: false, error: String(error?.message ?? error) }),
      );
    return { own: await call('app_info', {}), close: await call('plugin:window|close', { label: 'main' }) };
  });
  assert.ok(calls.own.ok, `the app's own command is allowed: ${JSON.stringify(calls.own)}`);
  assert.ok(!calls.close.ok, 'closing the window from the page is refused');
  assert.match(calls.close.error, /not allowed/, `refused by the capability: ${calls.close.error}`);
}

/** The signed stand-in release of the updater tests (signed with a test key, not the release key). */
const UPDATE_FIXTURES = fileURLToPath(new URL('../fixtures/updates', import.meta.url));

async function updateRefused(t) {
  const desk = await t.enrolledDesk('Desk 5');
  try {
    // IT puts version 0.2.0 in the server's update folder; its signature is by a key this
    // build does not trust (the test key of tests/fixtures/updates).
    t.server.publishRelease({ version: '0.2.0', notes: 'Folio windows', fixtures: UPDATE_FIXTURES, installer: 'frontdesk-0.2.0-test.bin' });
    await desk.nav('Settings');
    await desk.click('Check for updates');
    await desk.seeText('Frontdesk 0.2.0 is available: Folio windows');
    const banner = await desk.find('[aria-label="Update available"]', 'the update banner');
    assert.match(await banner.getText(), /Frontdesk 0\.2\.0 is available \(this desk runs 0\.1\.0\)/);
    await desk.screenshot('update-offered');

    // Installing downloads it and checks the signature first: refused, nothing installed,
    // the app keeps running and says why.
    await desk.click('Install and restart', banner);
    await waitFor(
      async () => (await desk.text('[aria-label="Update available"]')).includes("does not carry this app's release signature"),
      { timeout: UI_TIMEOUT, message: 'the refusal shown in the update banner' },
    );
    await desk.screenshot('update-refused');
    await desk.nav('Today');
    assert.ok((await desk.syncText()) !== undefined, 'the app is still running, signed in');
  } finally {
    t.server.withdrawRelease();
  }
}

export const scenarios = [
  {
    name: 'offline-reservation',
    title: 'create a reservation while the server is down, see it queued, then synced and on the server',
    run: offlineReservation,
  },
  {
    name: 'two-desk-conflict',
    title: "two desks change a guest's email offline; the second settles the conflict as manager",
    run: twoDeskConflict,
  },
  {
    name: 'check-in-and-folio',
    title: 'check in an arrival with a clean room, post a charge and a cash payment',
    run: checkInAndFolio,
  },
  {
    name: 'main-screens',
    title: 'screenshots of the main screens',
    run: mainScreens,
  },
  {
    name: 'update-refused',
    title: 'a release offered by the server is shown, and one not signed with the release key is refused at install',
    run: updateRefused,
  },
];
