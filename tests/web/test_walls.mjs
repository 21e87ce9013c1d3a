// Browser test of the walls page (上墙, assets/web/js/views/walls.js) against a real hub and a
// real wall host: the `city` user opens #/walls, sees wall `main` with its nine screens (the
// running host connected), puts LH-07 on the wall from the page, and the host
// (citywall-wall --wall main, bottom-middle screen of the 3x3 layout, under xvfb-run) presents
// a frame whose hero is LH-07 within 1 s of the click; the page's hero line and pin list
// follow the live topic wall/main. The `lh03` user has no Walls tab and the API answers 403.
// 数据中断: a hall silent for over 5 business minutes shows its data's age in the city ranking
// and in its map label.

import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import {
  Hub, browser, test, run, waitUntil, assert, assertEq, log, screenshot, ACCOUNTS, BUILD_DIR,
  SOURCE_DIR, TOKEN_WALL, allowLogin401, uiLogin, ev,
} from './cwweb.mjs';

const hub = new Hub({ clock: '2026-11-23T19:00:00+08:00@1' }); // every hall closed: no alert pins
let wall = null;
const present = () => path.join(hub.tmp, 'wall.present.jsonl');

function wallLines() {
  let txt = '';
  try { txt = fs.readFileSync(present(), 'utf8'); } catch (e) { return []; }
  return txt.split('\n').filter(Boolean).map((l) => { try { return JSON.parse(l); } catch (e) { return null; } })
    .filter((l) => l && l.wall_rev > 0);
}

test('hub and a wall host start', async () => {
  await hub.start();
  const env = { ...process.env, LP_NUM_THREADS: '2', ASAN_OPTIONS: (process.env.ASAN_OPTIONS ? process.env.ASAN_OPTIONS + ':' : '') + 'detect_leaks=0' };
  delete env.DISPLAY;
  wall = spawn('xvfb-run', ['-a', '-s', '-screen 0 1920x1080x24', path.join(BUILD_DIR, 'citywall-wall'),
    '--hub', `ws://127.0.0.1:${hub.port}`, '--token', TOKEN_WALL, '--layout', path.join(SOURCE_DIR, 'config', 'walls', '3x3.yaml'),
    '--viewport', '1944,2208,1920,1080', '--wall', 'main', '--windowed', '--present-log', present()],
  { env, stdio: ['ignore', 'ignore', fs.openSync(path.join(hub.tmp, 'wall.log'), 'w')], detached: true });
  // whatever happens to this file's tests, the wall (its own process group) goes with it
  process.on('exit', () => { try { process.kill(-wall.pid, 'SIGTERM'); } catch (e) { /* gone */ } });
  await waitUntil(() => wallLines().length > 0, 60000, 'the wall host showing wall/main');
});

test('city puts LH-07 on the wall from the dashboard; the wall shows it within 1 s', async () => {
  const b = await browser({ allow: allowLogin401 });
  try {
    const { page } = b;
    await page.goto(hub.base + '/#/walls');
    await uiLogin(page, 'city');
    await page.waitForSelector('[data-nav="walls"]');
    await page.goto(hub.base + '/#/walls');
    await page.waitForSelector('[data-wall="main"] .wt-cell[data-host="r3c2"]', { timeout: 10000 });
    // the host reports every 10 s: its cell turns connected
    await waitUntil(() => page.$eval('[data-host="r3c2"]', (el) => el.classList.contains('wt-ok')), 25000, 'r3c2 connected on the page');
    assertEq(await page.$$eval('.wt-cell', (els) => els.length), 9, 'nine screens');
    assert(await page.$eval('[data-host="r1c1"]', (el) => el.classList.contains('wt-off')), 'r1c1 has no host');
    // the host's own picture (its fleet report's thumbnail): 192 px wide, 16:9
    const thumb = await page.$eval('[data-host="r3c2"] img.wt-img', (el) => [el.naturalWidth, el.naturalHeight]);
    assertEq(JSON.stringify(thumb), JSON.stringify([192, 108]), 'thumbnail size (1920x1080 / 10)');
    await page.selectOption('[data-wall="main"] [data-f="hall"]', 'LH-07');
    const t0 = Date.now();
    await page.click('[data-wall="main"] [data-act="show"]');
    const ln = await waitUntil(() => wallLines().find((l) => l.hero === 'LH-07' && l.t_ms >= t0), 5000, 'LH-07 on the glass', 10);
    const ms = ln.t_ms - t0;
    log(`dashboard click -> wall glass: ${ms} ms`);
    assert(ms < 1000, `shown after ${ms} ms`);
    await waitUntil(async () => ((await page.textContent('[data-wall="main"] [data-f="hero"]')) || '').includes('上墙 · 东塍镇 · 操作员 city'), 5000, 'the page shows the hero');
    assert(await page.$('[data-wall-hero="LH-07"]'), 'the thumbnail marks the hero');
    await waitUntil(async () => ((await page.textContent('.wall-log')) || '').includes('LH-07'), 5000, 'the record listed');
    await screenshot(page, 'dashboard-walls.png');
    // a camera of its own choice: LH-07's window camera (config/demo.yaml)
    await page.selectOption('[data-wall="main"] [data-f="camera"]', 'LH-07-CAM-W01');
    await page.click('[data-wall="main"] [data-act="show"]');
    await waitUntil(async () => ((await page.textContent('[data-wall="main"] .wall-pins')) || '').includes('LH-07-CAM-W01'), 5000, 'the window camera pinned');
    // pause the tour from the page
    await page.click('[data-wall="main"] [data-act="tour"]');
    await waitUntil(async () => (await page.textContent('[data-wall="main"] [data-f="tour"]')) === '已暂停', 5000, 'tour paused');
    assert(b.errors.length === 0, `console errors: ${JSON.stringify(b.errors.slice(0, 5))}`);
  } finally {
    await b.close();
  }
});

test('lh03 has no Walls tab and the API answers 403', async () => {
  const b = await browser({ allow: (e) => allowLogin401(e) || /status of 403/.test(e.text) });
  try {
    const { page } = b;
    await page.goto(hub.base + '/');
    await uiLogin(page, 'lh03');
    assertEq(await page.$('[data-nav="walls"]'), null, 'no Walls tab for lh03');
    const r = await page.evaluate(async () => {
      const a = await fetch('/api/v1/walls');
      const c = await fetch('/api/v1/walls/main/show', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ hall: 'LH-03' }) });
      return [a.status, c.status];
    });
    assertEq(JSON.stringify(r), JSON.stringify([403, 403]), 'GET and POST');
    // the page itself says so instead of offering controls
    await page.goto(hub.base + '/#/walls');
    await page.waitForSelector('.v-walls');
    assertEq(await page.$('[data-act="show"]'), null, 'no controls');
  } finally {
    await b.close();
  }
});

test('数据中断 with its age in the city ranking and on the map', async () => {
  // a second hub at 20x from 10:00 (halls open): LH-03 sends one heartbeat and then nothing; once
  // R15 says it is offline (5 business minutes) the page shows how old its data is
  const h2 = new Hub({ clock: '2026-11-23T10:00:00+08:00@20' });
  await h2.start();
  const b = await browser({ allow: allowLogin401 });
  try {
    await h2.ingest([ev('LH-03', 1, 'hall.heartbeat', '16:59', {})]); // clamped to the hub's now
    await waitUntil(async () => {
      const r = await fetch(h2.base + '/api/v1/snapshot', { headers: { Authorization: 'Bearer ' + TOKEN_WALL } });
      const j = await r.json();
      return ((j.halls || (j.data || {}).halls || {})['LH-03'] || {}).status === 'offline';
    }, 60000, 'R15 for LH-03', 250);
    const { page } = b;
    await page.goto(h2.base + '/#/city');
    await uiLogin(page, 'city');
    const txt = await waitUntil(async () => {
      const el = await page.$('[data-silent="LH-03"]');
      return el ? (await el.textContent()) : null;
    }, 10000, 'the ranking says 数据中断');
    assert(/^数据中断 \d+分(\d+秒)?$/.test(txt), txt);
    const mins = Number(/(\d+)分/.exec(txt)[1]);
    assert(mins >= 5 && mins <= 10, txt); // over 5 business minutes, the page came within ~15 s (5 min)
    assertEq(await page.$('[data-silent="LH-05"]'), null, 'LH-05 never sent: no age to show');
    const labels = await page.evaluate(() => {
      const out = [];
      for (const el of document.querySelectorAll('[_echarts_instance_]')) {
        const opt = window.echarts.getInstanceByDom(el).getOption();
        for (const s of opt.series || []) for (const d of s.data || []) if (d && d.label && d.label.formatter) out.push([d.name, d.label.formatter]);
      }
      return out;
    });
    const lh03 = labels.find(([n]) => n === 'LH-03');
    assert(lh03 && /\{s\|数据中断 \d+分/.test(lh03[1]), `map label of LH-03: ${JSON.stringify(lh03)}`);
    await screenshot(page, 'dashboard-data-age.png');
  } finally {
    await b.close();
    await h2.close();
  }
});

test('stop', async () => {
  if (wall) { try { process.kill(-wall.pid, 'SIGTERM'); } catch (e) { /* gone */ } }
  void ACCOUNTS;
});

await run();
