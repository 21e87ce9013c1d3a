// Browser tests of the dashboard's live behaviour against a real hub: the STALE state (数据中断)
// when the hub stops answering, reconnect with backoff and resume with `since` (the hub answers
// `recovered`), a fresh snapshot after a hub restart, and kiosk mode (the scaled 1920×1080 canvas,
// the playlist, and the jump to a hall when one of its alerts fires — skipped without alerting).

import {
  Hub, browser, test, skip, run, ev, text, waitUntil, assert, assertEq, log, screenshot, ACCOUNTS,
} from './cwweb.mjs';

const hub = new Hub();
let seq = 0;
const issue = (hall, ticket, atS = '08:45') => ev(hall, ++seq, 'ticket.issued', atS, { ticket, biz: 'A', channel: 'kiosk', priority: 'normal' }, 'live');

async function loggedIn(b, user = 'admin') {
  const r = await b.context.request.post(hub.base + '/api/v1/login', { data: { user, password: ACCOUNTS[user] } });
  assertEq(r.status(), 200, 'login');
}

async function kpi(page, key) { return text(page, `.v-city [data-kpi="${key}"]`); }

function noErrors(b, where) {
  assert(b.errors.length === 0, `console errors on ${where}: ${JSON.stringify(b.errors.slice(0, 5))}`);
}

// A browser logs the failed WebSocket handshakes and fetches of a page whose hub is down; those are
// what this file provokes, so they are allowed here (and only here).
const allowOutage = (e) => /WebSocket connection to .* failed|ERR_CONNECTION_REFUSED|ERR_EMPTY_RESPONSE|Failed to fetch/.test(e.text);

test('hub starts', async () => {
  await hub.start();
  await hub.ingest([issue('LH-03', 'A001'), issue('LH-03', 'A002')]);
});

test('STALE when the hub stops answering; resume with since (recovered) when it is back', async () => {
  const b = await browser({ allow: allowOutage });
  try {
    const { page } = b;
    await loggedIn(b);
    await page.goto(hub.base + '/#/city');
    await waitUntil(async () => (await kpi(page, 'issued')) === '2', 10000, 'issued = 2');
    assert(await page.$eval('.stale-banner', (el) => el.hidden), 'no banner while live');
    assertEq(await page.$eval('.conn', (el) => el.dataset.conn), 'live', 'connection pill');
    // Freeze the hub: the page's pings go unanswered; after 15 s without traffic it gives up on
    // the connection, shows 数据中断 and retries with backoff.
    hub.proc.kill('SIGSTOP');
    const t0 = Date.now();
    try {
      await waitUntil(() => page.$eval('.stale-banner', (el) => !el.hidden), 25000, 'the STALE banner');
      log(`frozen hub: STALE shown after ${Date.now() - t0} ms`);
      assertEq(await page.$eval('.conn', (el) => el.dataset.conn), 'stale', 'connection pill');
      assert((await text(page, '.conn')).includes('数据中断'), 'pill says 数据中断');
      // the age badges follow on the page's next redraw (at most a second later)
      await waitUntil(async () => (await page.$$eval('.v-city .age.stale', (els) => els.length)) >= 4,
        3000, 'panel age badges turn stale (at least 4)');
      await screenshot(page, 'dashboard-stale.png');
    } finally {
      hub.proc.kill('SIGCONT');
    }
    // The hub answers again: the page reconnects, resumes from its last rev and sees new events.
    await waitUntil(() => page.$eval('.stale-banner', (el) => el.hidden), 20000, 'banner gone after the hub is back');
    await hub.ingest([issue('LH-05', 'A001')]);
    await waitUntil(async () => (await kpi(page, 'issued')) === '3', 3000, 'issued = 3 after resume');
    const stats = await page.evaluate(() => window.__cw.live.stats);
    assert(stats.recovered >= 1, `the hub answered the resume with recovered: ${JSON.stringify(stats)}`);
    noErrors(b, 'stale/resume');
  } finally {
    await b.close();
  }
});

test('hub restart: STALE at once, then a fresh snapshot of the new epoch', async () => {
  const b = await browser({ allow: allowOutage });
  try {
    const { page } = b;
    await loggedIn(b);
    await page.goto(hub.base + '/#/city');
    await waitUntil(async () => (await kpi(page, 'issued')) === '3', 10000, 'issued = 3');
    const epoch0 = await page.evaluate(() => window.__cw.live.hello.epoch);
    await hub.stop('SIGKILL');
    await waitUntil(() => page.$eval('.stale-banner', (el) => !el.hidden), 5000, 'STALE right after the hub died');
    await hub.start();
    await waitUntil(() => page.$eval('.stale-banner', (el) => el.hidden), 20000, 'live again');
    const epoch1 = await page.evaluate(() => window.__cw.live.hello.epoch);
    assert(epoch1 && epoch1 !== epoch0, `a new epoch after the restart (${epoch0} -> ${epoch1})`);
    await hub.ingest([issue('LH-05', 'A002')]);
    await waitUntil(async () => (await kpi(page, 'issued')) === '4', 3000, 'issued = 4 after the restart');
    noErrors(b, 'restart');
  } finally {
    await b.close();
  }
});

test('kiosk: a 1920×1080 canvas scaled to the screen, playing its playlist', async () => {
  const b = await browser({ width: 1280, height: 720 });
  try {
    const { page } = b;
    await loggedIn(b);
    // alert_switch=off: the hub restarted by the test before raises R15 (数据中断, P2) for the
    // silent halls 10 s after its start, which would switch the screen away from its playlist
    await page.goto(hub.base + '/?kiosk=1&playlist=city:5,hall/LH-03:5&alert_switch=off');
    await page.waitForSelector('.v-city [data-kpi="issued"]');
    const box = await page.$eval('#app', (el) => { const r = el.getBoundingClientRect(); return [r.width, r.height, el.offsetWidth, el.offsetHeight]; });
    assertEq(box.map(Math.round), [1280, 720, 1920, 1080], 'the 1920×1080 canvas shown at 1280×720');
    assert(!(await page.$('nav.tabs')), 'no navigation in kiosk mode');
    const t0 = Date.now();
    await page.waitForSelector('.v-hall [data-hall-name]', { timeout: 9000 });
    const dwell = Date.now() - t0;
    assert(dwell > 2500, `the city view dwelt its 5 s (${dwell} ms after it showed)`);
    assertEq(await text(page, '[data-hall-name]'), '江南街道便民服务中心', 'second playlist item');
    await page.waitForSelector('.v-city', { timeout: 9000 });
    noErrors(b, 'kiosk');
  } finally {
    await b.close();
  }
});

test('kiosk: a firing alert switches the screen to its hall (not with alert_switch=off)', async () => {
  const b = await browser();
  try {
    const { page } = b;
    await loggedIn(b);
    // the silent halls' R15 (数据中断, P2) fire 10 s after the hub's (re)start: a screen opened
    // before them would switch to the first of them, not to the alert this test raises
    await waitUntil(async () => {
      const r = await hub.request('GET', '/api/v1/alerts', { token: 'demo-wall' });
      const list = Array.isArray(r.json) ? r.json : (r.json && r.json.alerts) || [];
      return list.some((a) => a.rule === 'R15' && a.state === 'firing');
    }, 30000, "the silent halls' R15 alerts firing");
    await page.goto(hub.base + '/?kiosk=1&playlist=city:600');
    await page.waitForSelector('.v-city [data-kpi="issued"]');
    const pinned = await b.context.newPage();
    await pinned.goto(hub.base + '/?kiosk=1&playlist=city:600&alert_switch=off');
    await pinned.waitForSelector('.v-city [data-kpi="issued"]');
    const available = await waitUntil(() => page.evaluate(() => window.__cw.alerts.available), 5000, 'alerts availability').catch(() => false);
    if (available !== true) skip('alerting not available: this hub has no `alerts` live topic (SPEC §6 not implemented yet)');
    // A sensitive bad review (R10 pages P1 at once: a 人身安全 threat on a 1-star review,
    // docs/alerts.md) at LH-07; an ordinary 差评 is a P3 case and does not switch the kiosk.
    await hub.ingest([ev('LH-07', ++seq, 'review.submitted', '08:55', { review: 'RV-KIOSK-1', level: 1, channel: 'evaluator', real_name: false, comment: '再不给办我就跳楼' }, 'live')]);
    await page.waitForSelector('.v-hall [data-hall-name]', { timeout: 5000 });
    assertEq(await text(page, '[data-hall-name]'), '东塍镇便民服务中心', 'the kiosk shows the hall of the alert');
    await screenshot(page, 'dashboard-kiosk-alert.png');
    // the pinned screen has the alert too (its switch would have run as the list arrived)
    await waitUntil(() => pinned.evaluate(() => window.__cw.alerts.list.some((a) => a.hall === 'LH-07')), 5000, 'the alert on the alert_switch=off screen');
    assert(await pinned.$('.v-city [data-kpi="issued"]'), 'alert_switch=off: still the city view');
    assert(!(await pinned.$('.v-hall')), 'alert_switch=off: no switch to the hall');
    noErrors(b, 'kiosk alert');
  } finally {
    await b.close();
  }
});

await run();
