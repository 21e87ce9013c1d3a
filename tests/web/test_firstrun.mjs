// Browser tests of what a first-time operator hit on the dashboard (issue 12): the page's business
// clock at 60× (taken from the hub's hello, SPEC §4), and the rest of the dashboard items
// below, each with the values a person computed.

import fs from 'node:fs';
import path from 'node:path';
import {
  Hub, browser, test, run, waitUntil, assert, assertEq, log, screenshot, ACCOUNTS, SOURCE_DIR, ev, text,
} from './cwweb.mjs';

const START = '2026-11-23T09:30:00+08:00';
const SPEED = 60;
const hub60 = new Hub({ clock: `${START}@${SPEED}` });
let tSpawn = 0, tReady = 0;

async function loggedIn(b, hub, user = 'admin') {
  const r = await b.context.request.post(hub.base + '/api/v1/login', { data: { user, password: ACCOUNTS[user] } });
  assertEq(r.status(), 200, 'login');
}

test('hub at 60× starts', async () => {
  tSpawn = Date.now();
  await hub60.start();
  tReady = Date.now();
});

// The hub anchors START at a real instant in [tSpawn, tReady], so at real time t its business now
// lies in [START + (t − tReady)·60, START + (t − tSpawn)·60]. The page's bizNow() must lie in
// that window, widened by 1 s of real time each side (the hello's delivery and the page's
// timers on a loaded 2-core machine: 60 business seconds), from its first reading on — before the fix
// the page estimated the clock from two /history readings and lagged 3–5 business minutes for ~20 s.
test('page clock at 60× follows the hub from the first render (no lag)', async () => {
  const b = await browser();
  try {
    const { page } = b;
    await loggedIn(b, hub60);
    await page.goto(hub60.base + '/#/city');
    await waitUntil(async () => (await page.textContent('[data-clock-time]')) !== '--:--:--', 10000, 'the header clock');
    const start = Date.parse(START);
    for (let i = 0; i < 3; i++) {
      const t0 = Date.now();
      const biz = await page.evaluate(async () => (await import('/js/clock.js')).bizNow());
      const t1 = Date.now();
      const lo = start + (t0 - tReady) * SPEED - 1000 * SPEED;
      const hi = start + (t1 - tSpawn) * SPEED + 1000 * SPEED;
      log(`page bizNow ${new Date(biz).toISOString()}: ${((biz - lo) / 1000).toFixed(1)} s above the low bound, window ${((hi - lo) / 1000).toFixed(1)} s`);
      assert(biz >= lo && biz <= hi, `page clock ${biz} outside [${lo}, ${hi}] (business ms)`);
      const speed = await page.evaluate(async () => (await import('/js/clock.js')).bizSpeed());
      assertEq(speed, SPEED, 'page clock speed');
      await page.waitForTimeout(700);
    }
    // the header shows the same clock (HH:MM:SS in +08:00)
    const shown = await page.textContent('[data-clock-time]');
    const biz = await page.evaluate(async () => (await import('/js/clock.js')).bizNow());
    const d = new Date(biz + 8 * 3600e3);
    const exp = d.getUTCHours() * 3600 + d.getUTCMinutes() * 60 + d.getUTCSeconds();
    const [h, m, s] = shown.split(':').map(Number);
    assert(Math.abs(h * 3600 + m * 60 + s - exp) <= 2 * SPEED, `header ${shown} vs bizNow ${d.toISOString()}`);
    assertEq(b.errors, [], 'console errors');
  } finally {
    await b.close();
  }
});

// The map's shape (issue 12 item 4): the mainland's width / height on screen must be the real one,
// from the GeoJSON's lat/lng extent of its largest polygon: Δlng·cos(mid lat) / Δlat = 1.911 for
// 临海 (before the fix: 1.34 on the city view, stretched differently on 智能分流). Measured with
// ECharts' own projection of that polygon's extent corners on both maps of the dashboard.
async function mapAspect(page) {
  return page.evaluate(async () => {
    const g = await (await fetch('/map/linhai.geojson')).json();
    const polys = g.features[0].geometry.coordinates;
    const ring = polys.reduce((a, p) => (p[0].length > a.length ? p[0] : a), []);
    const xs = ring.map((p) => p[0]), ys = ring.map((p) => p[1]);
    const x0 = Math.min(...xs), x1 = Math.max(...xs), y0 = Math.min(...ys), y1 = Math.max(...ys);
    const real = ((x1 - x0) * Math.cos((((y0 + y1) / 2) * Math.PI) / 180)) / (y1 - y0);
    const inst = window.echarts.getInstanceByDom(document.querySelector('.map-chart'));
    const a = inst.convertToPixel({ geoIndex: 0 }, [x0, y1]), b = inst.convertToPixel({ geoIndex: 0 }, [x1, y0]);
    return { real, shown: (b[0] - a[0]) / (b[1] - a[1]), w: b[0] - a[0], h: b[1] - a[1] };
  });
}

test('map aspect: the mainland is as wide per high as on the ground (city view and 智能分流)', async () => {
  const b = await browser();
  try {
    const { page } = b;
    await loggedIn(b, hub60);
    for (const [hash, shot] of [['#/city', 'dashboard-city-map.png'], ['#/recommend', 'dashboard-recommend-map.png']]) {
      await page.goto(hub60.base + '/' + hash);
      await page.waitForSelector('.map-chart canvas', { timeout: 10000 });
      const r = await waitUntil(async () => {
        const v = await mapAspect(page).catch(() => null);
        return v && v.w > 100 ? v : null;
      }, 10000, `the map on ${hash}`);
      log(`${hash}: mainland ${r.w.toFixed(0)}×${r.h.toFixed(0)} px, ${r.shown.toFixed(3)} wide per high; real ${r.real.toFixed(3)}`);
      assert(Math.abs(r.real - 1.911) < 0.005, `real aspect ${r.real}`);
      assert(Math.abs(r.shown / r.real - 1) < 0.01, `${hash}: shown ${r.shown} vs real ${r.real}`);
      await screenshot(page, shot);
    }
    assertEq(b.errors, [], 'console errors');
  } finally {
    await b.close();
  }
});

// Alert evidence in the page's language (issue 12 item 6): a 1-star review at LH-03 by staff W2031
// at window A01 raises R10; its scope line names each id in Chinese ("评价 … · 窗口 A01 · 工号
// W2031"), no English key words, and in English after the language switch.
test('alert scope words follow the language setting', async () => {
  const at = (hm) => `2026-11-23T${hm}:00.000+08:00`;
  const now = Date.parse(START) + (Date.now() - tReady) * SPEED;
  const hm = new Date(now + 8 * 3600e3).toISOString().slice(11, 16); // business now, +08:00
  await hub60.ingest([
    ev('LH-03', 1, 'window.opened', at(hm), { window: 'A01', staff: 'W2031' }, 'fr'),
    ev('LH-03', 2, 'review.submitted', at(hm), { review: 'RV-FR-1', level: 1, channel: 'evaluator', window: 'A01', staff: 'W2031', real_name: false }, 'fr'),
  ]);
  const b = await browser();
  try {
    const { page } = b;
    await loggedIn(b, hub60);
    await page.goto(hub60.base + '/#/alerts');
    const row = 'tr[data-alert-id]:has(td.rule:text-matches("^R10"))';
    await page.waitForSelector(row, { timeout: 15000 });
    const zh = await text(page, `${row} td.sum .dimc`);
    log(`R10 scope (zh): ${zh}`);
    assert(!/\b(review|staff|window|category|camera|biz|item)\b/.test(zh), `English key words in "${zh}"`);
    assert(zh.includes('评价 RV-FR-1'), `review named in Chinese: "${zh}"`);
    await screenshot(page, 'dashboard-alerts.png');
    await page.click('[data-act="lang"]');
    await page.waitForSelector(row, { timeout: 10000 });
    const en = await text(page, `${row} td.sum .dimc`);
    log(`R10 scope (en): ${en}`);
    assert(en.includes('review RV-FR-1') && !/[评价窗口工号]/.test(en), `English scope: "${en}"`);
    await page.click('[data-act="lang"]'); // back to zh for the other tests (localStorage is per profile anyway)
    assertEq(b.errors, [], 'console errors');
  } finally {
    await b.close();
  }
});

// 403 / 404 pages (issue 12 item 7): lh03 (a hall manager of LH-03) opening another hall, or a
// hall that does not exist, gets a whole-view page with the code, what happened and the ways on —
// no empty widgets around a message in a corner; a bad URL in the address bar gets the hub's HTML
// page, not raw JSON.
test('403 / 404: whole-view pages for another hall, an unknown hall and a bad URL', async () => {
  const b = await browser({ allow: (e) => /status of 404/.test(e.text) && /\/api\/v1\/nope$/.test(e.url) });
  try {
    const { page } = b;
    await loggedIn(b, hub60, 'lh03');
    for (const [hall, code, words, shot] of [['LH-05', '403', '无权查看该大厅', 'dashboard-hall-403.png'], ['LH-99', '404', '未知大厅', 'dashboard-hall-404.png']]) {
      await page.goto(`${hub60.base}/#/hall/${hall}`);
      await page.waitForSelector(`.errpage[data-error="${code}"]`, { timeout: 10000 });
      assertEq(await text(page, '.errpage-t'), words, `${hall} title`);
      assert((await text(page, '.errpage-s')).includes(hall), `${hall} named`);
      assertEq(await page.$$eval('.panel, .kpis-row, .hall-grid', (els) => els.length), 0, `${hall}: no empty widgets`);
      const links = await page.$$eval('.errpage-a a', (as) => as.map((a) => a.getAttribute('href')));
      assertEq(links, ['#/hall/LH-03', '#/city'], `${hall}: the ways on`);
      await screenshot(page, shot);
    }
    const r = await page.goto(`${hub60.base}/api/v1/nope`);
    assertEq(r.status(), 404, 'bad URL status');
    assertEq(await text(page, '.errpage-t'), '页面不存在 · Page not found', 'bad URL page');
    await screenshot(page, 'hub-404.png');
    assertEq(b.errors, [], 'console errors (the hall pages make no failing request)');
  } finally {
    await b.close();
  }
});

// A new demo day (issue 12 item 7): scripts/run-demo starts every run on a fresh store, so an open
// page's session is gone. The login page says why (新的演示日) instead of nothing; a hub restart on
// the same store keeps the session (no login page), and a plain logout shows no notice.
test('login page says 新的演示日 after the store was reset; a restart keeps the session', async () => {
  const hub = new Hub();
  await hub.start();
  const b = await browser({ allow: (e) => /status of 401|WebSocket connection to .* failed|ERR_CONNECTION_REFUSED|Failed to fetch/.test(e.text) });
  try {
    const { page } = b;
    await page.goto(hub.base + '/');
    await page.fill('#login-user', 'city');
    await page.fill('#login-pass', ACCOUNTS.city);
    await page.click('.login-box button[type="submit"]');
    await page.waitForSelector('header.top', { timeout: 10000 });
    assertEq(await page.$('.login-notice'), null, 'no notice on a first login');
    await waitUntil(() => page.evaluate(() => localStorage.getItem('cw.store')), 5000, 'the store id remembered');
    // the same store again: still signed in after a reload
    await hub.stop();
    await hub.start();
    await page.reload();
    await page.waitForSelector('header.top', { timeout: 10000 });
    // a new demo day: the store file is gone
    await hub.stop();
    for (const f of [hub.db, hub.db + '-wal', hub.db + '-shm']) fs.rmSync(f, { force: true });
    await hub.start();
    await page.reload();
    await page.waitForSelector('.login-notice', { timeout: 10000 });
    assertEq(await page.$eval('.login-notice', (el) => el.dataset.notice), 'login.newday', 'notice key');
    assert((await text(page, '.login-notice')).startsWith('新的演示日'), 'the notice says 新的演示日');
    await screenshot(page, 'dashboard-login-newday.png');
    // sign in again, then out: no notice on the login page after a logout
    await page.fill('#login-user', 'city');
    await page.fill('#login-pass', ACCOUNTS.city);
    await page.click('.login-box button[type="submit"]');
    await page.waitForSelector('header.top', { timeout: 10000 });
    await page.click('[data-act="logout"]');
    await page.waitForSelector('#login-user', { timeout: 10000 });
    assertEq(await page.$('.login-notice'), null, 'no notice after a logout');
  } finally {
    await b.close();
    await hub.close();
  }
});

// The KPI change flash (issue 12 item 7) is a glow of the number itself, not a background block
// that reads as a text selection: while .flash is on, the background stays transparent and the
// text has a shadow.
test('KPI change flash: a glow, not a selection-like background', async () => {
  const b = await browser();
  try {
    const { page } = b;
    await loggedIn(b, hub60);
    await page.goto(hub60.base + '/#/city');
    await page.waitForSelector('.v-city [data-kpi="issued"]', { timeout: 10000 });
    const before = await text(page, '.v-city [data-kpi="issued"]');
    await page.waitForTimeout(300);
    const now = Date.parse(START) + (Date.now() - tReady) * SPEED;
    const hm = new Date(now + 8 * 3600e3).toISOString().slice(11, 19);
    await hub60.ingest([ev('LH-07', 1, 'ticket.issued', `2026-11-23T${hm}.000+08:00`, { ticket: 'A901', biz: 'A', channel: 'kiosk', priority: 'normal' }, 'flash')]);
    const style = await waitUntil(() => page.evaluate(() => {
      const el = document.querySelector('.v-city .flash');
      if (!el) return null;
      const cs = getComputedStyle(el);
      return { bg: cs.backgroundColor, shadow: cs.textShadow, text: el.textContent };
    }), 5000, 'a flashing KPI', 10);
    log(`flash: ${JSON.stringify(style)} (issued was ${before})`);
    assertEq(style.bg, 'rgba(0, 0, 0, 0)', 'no background block');
    assert(style.shadow && style.shadow !== 'none', `a glow (text-shadow ${style.shadow})`);
  } finally {
    await b.close();
  }
});

// Durations on the page (issue 12 item 5): a window card says what its time measures, with units
// ("已持续 2分"), never "12:15"; the queue table and KPI strip use the same rule.
test('window cards and queue tables show durations with units, not clock times', async () => {
  const b = await browser();
  try {
    const { page } = b;
    await loggedIn(b, hub60);
    const now = Date.parse(START) + (Date.now() - tReady) * SPEED;
    const at = (minAgo) => new Date(now - minAgo * 60000 + 8 * 3600e3).toISOString().slice(0, 19) + '.000+08:00';
    await hub60.ingest([
      ev('LH-03', 3, 'window.opened', at(20), { window: 'A02', staff: 'W2032' }, 'fr'),
      ev('LH-03', 4, 'ticket.issued', at(19), { ticket: 'A101', biz: 'A', channel: 'kiosk', priority: 'normal' }, 'fr'),
      ev('LH-03', 5, 'ticket.issued', at(18), { ticket: 'A102', biz: 'A', channel: 'kiosk', priority: 'normal' }, 'fr'),
      ev('LH-03', 6, 'ticket.called', at(12), { ticket: 'A101', window: 'A02', staff: 'W2032' }, 'fr'),
    ]);
    await page.goto(hub60.base + '/#/hall/LH-03');
    await page.waitForSelector('.v-hall [data-window="A02"].w-serving', { timeout: 10000 });
    const card = await text(page, '.v-hall [data-window="A02"] .win-f span');
    log(`window A02: "${card}"`);
    assert(/^已持续 \d+(分(\d+秒)?|小时(\d+分)?)$/.test(card), `window card duration "${card}"`);
    const cells = await page.$$eval('.v-hall .queues tbody td.num', (tds) => tds.map((td) => td.textContent.trim()));
    assert(!cells.some((c) => /\d+:\d\d/.test(c)), `no clock-like durations in the queue table: ${cells}`);
    assert(cells.some((c) => /\d+分/.test(c)), `a duration in minutes in the queue table: ${cells}`);
    await page.waitForTimeout(500);
    await screenshot(page, 'dashboard-hall.png');
  } finally {
    await b.close();
  }
});

// 智能分流 at lunch (issue 12 item 7): every hall is closed 12:00-13:30, so each one says when it
// opens ("13:30 开门") instead of a faded 休息 on top of the list.
test('智能分流 at lunch: halls say when they open', async () => {
  const hub = new Hub({ clock: '2026-11-23T12:10:00+08:00@1' });
  await hub.start();
  const b = await browser();
  try {
    const { page } = b;
    await loggedIn(b, hub, 'city');
    await page.goto(hub.base + '/#/recommend');
    await page.waitForSelector('.recs .rec', { timeout: 10000 });
    const opens = await page.$$eval('.recs .rec .rec-opens', (els) => els.map((e) => e.textContent));
    const n = await page.$$eval('.recs .rec', (els) => els.length);
    assert(n > 1 && opens.length === n, `every listed hall closed with when it opens (${opens.length}/${n})`);
    assert(opens.every((o) => o === '13:30 开门'), `opens: ${opens}`);
    await page.waitForTimeout(800);
    await screenshot(page, 'dashboard-recommend-lunch.png');
  } finally {
    await b.close();
    await hub.close();
  }
});

// Every user-facing string has both forms (issue 12 item 6): the zh and en tables of i18n.js hold
// the same keys, and no English-only value hides in the zh table's scope/alert words.
test('i18n: the Chinese and English tables hold the same keys', async () => {
  const src = fs.readFileSync(path.join(SOURCE_DIR, 'assets/web/js/i18n.js'), 'utf8');
  const block = (a, b) => src.slice(src.indexOf(a), src.indexOf(b));
  const keys = (s) => new Set([...s.matchAll(/^  '([^']+)':/gm)].map((m) => m[1]));
  const zh = keys(block('const zh', 'const en')), en = keys(block('const en', 'const dicts'));
  assert(zh.size > 200, `zh keys ${zh.size}`);
  assertEq([...zh].filter((k) => !en.has(k)), [], 'keys only in Chinese');
  assertEq([...en].filter((k) => !zh.has(k)), [], 'keys only in English');
  for (const k of ['scope.window', 'scope.staff', 'scope.review', 'scope.category', 'win.for', 'rec.opens', 'login.newday']) {
    assert(zh.has(k), `zh ${k}`);
  }
});

// Durations: the dashboard's dur() against the same table as the wall's C (tests/unit/test_cwfmt.c).
test('durations: fmt.js dur() matches tests/fixtures/durations.json (zh and en)', async () => {
  const table = JSON.parse(fs.readFileSync(path.join(SOURCE_DIR, 'tests/fixtures/durations.json'), 'utf8')).vectors;
  assert(table.length >= 20, 'vectors');
  const b = await browser();
  try {
    const { page } = b;
    await page.goto(hub60.base + '/favicon.svg');
    const got = await page.evaluate(async (vs) => {
      const { dur } = await import('/js/fmt.js');
      return vs.map((v) => [dur(v.s, 'zh'), dur(v.s, 'en')]);
    }, table);
    table.forEach((v, i) => assertEq(got[i], [v.zh, v.en], `dur(${v.s})`));
  } finally {
    await b.close();
  }
});

// 督办 (issue 15): an escalated alert of the alerts topic carries its level into the list's row
// model, which the 告警中心 shows as a badge; a plain alert has none.
test('escalated alerts carry their 督办 level into the alert list', async () => {
  const b = await browser();
  try {
    const { page } = b;
    await page.goto(hub60.base + '/favicon.svg');
    const got = await page.evaluate(async () => {
      const { normAlert } = await import('/js/alertsmodel.js');
      const base = { id: 'R1:LH-03:A', rule: 'R1', severity: 'P2', hall: 'LH-03', state: 'firing' };
      return [normAlert({ ...base, escalated: true, escalation_level: 2 }).escalation,
        normAlert(base).escalation, normAlert({ ...base, escalated: false, escalation_level: 1 }).escalation];
    });
    assertEq(got, [2, 0, 0], 'escalation levels');
  } finally {
    await b.close();
  }
});

await run();
