// Browser tests of 统计分析 and 绩效考核 (docs/statistics.md) against a real hub holding the
// hand-computed fixture of tests/integration/statsfixture.py (its docstring says what happened;
// the events come from that module, so both suites check the same week): the week 2026-W41 on
// the page, drill-down into a hall, the export button's download, the 约谈 list. Screenshots
// under $CW_BUILD_DIR/artifacts/.

import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import {
  Hub, browser, uiLogin, allowLogin401, test, run, text, num, screenshot, waitUntil, assertEq,
  SOURCE_DIR, DEMO_CONFIG,
} from './cwweb.mjs';

const FIX = path.join(SOURCE_DIR, 'tests', 'integration');
const fixture = JSON.parse(execFileSync('/usr/bin/python3', ['-c',
  `import sys, json; sys.path.insert(0, ${JSON.stringify(FIX)}); import statsfixture as f; ` +
  'print(json.dumps({"events": f.events(), "edits": f.CONFIG_EDITS, "stats": f.STATS_SECTION}))'],
{ encoding: 'utf8' }));

const hub = new Hub({ clock: '2026-10-13T20:00:00+08:00@1' });
let br = null;
let page = null;

async function cell(row, col) {
  return text(page, `.st-tbl tr[data-key="${row}"] td[data-col="${col}"]`);
}

// One row's cells at once ({col: text}, the comparison note left out), read in one go: the
// table is redrawn whole when an answer comes.
async function cells(row) {
  return page.$$eval(`.st-tbl tr[data-key="${row}"] td[data-col]`, (tds) =>
    Object.fromEntries(tds.map((td) => [td.dataset.col, td.firstChild ? td.firstChild.textContent.trim() : ''])));
}

test('setup: the fixture in a hub, city logged in on 统计分析', async () => {
  let cfg = fs.readFileSync(DEMO_CONFIG, 'utf8');
  for (const [a, b] of fixture.edits) cfg = cfg.replace(a, b);
  hub.config = path.join(hub.tmp, 'config.yaml');
  fs.writeFileSync(hub.config, cfg.replace('map: ../assets', `map: ${SOURCE_DIR}/assets`) + fixture.stats);
  await hub.start();
  for (let i = 0; i < fixture.events.length; i += 200) await hub.ingest(fixture.events.slice(i, i + 200));
  br = await browser({ allow: allowLogin401 });
  ({ page } = br);
  await page.goto(hub.base + '/#/stats');
  await uiLogin(page, 'city');
  await page.goto(hub.base + '/#/stats');
  await page.waitForSelector('.v-stats .st-bar');
});

test('the week 2026-W41 per hall, with the previous week beside it', async () => {
  await page.selectOption('[data-f="kind"]', 'week');
  await page.fill('input[data-f="value"]', '2026-W41');
  await page.dispatchEvent('input[data-f="value"]', 'change');
  // LH-03: 21 issued, 20 finished, 一次办结率 18/20 = 90.0 %; LH-00: 46 issued
  await waitUntil(async () => (await cell('LH-03', 'issued')) === '21', 10000, 'LH-03 issued 21');
  const c = await cells('LH-03');
  assertEq(num(c.finished), 20, 'LH-03 finished');
  assertEq(c.done_rate, '90.0%', 'LH-03 一次办结率');
  assertEq(c.good_rate, '50.0%', 'LH-03 好评率 3/6');
  assertEq((await cells('LH-00')).issued, '46', 'LH-00 issued');
  // the city: 67 issued, 整改率 1/2 (R3 on time, R10 late), 回访率 2/3
  assertEq(await text(page, '[data-kpi="issued"]'), '67', 'city issued');
  assertEq(await text(page, '[data-kpi="rectify_rate"]'), '50.0%', 'city 整改率');
  assertEq(await text(page, '[data-kpi="contact_rate"]'), '66.7%', 'city 回访率');
  await screenshot(page, 'dashboard-stats-week.png');
});

test('drill down: LH-03 → its biz types', async () => {
  await page.click('.st-tbl tr[data-key="LH-03"]');
  // A: 14 + A900 = 15 issued, B: 6
  await waitUntil(async () => (await cell('A', 'issued')) === '15', 10000, 'biz A issued 15');
  assertEq(await cell('B', 'issued'), '6', 'biz B issued');
  await page.click('.crumbs a[data-go="city"]');
  await waitUntil(async () => (await cell('LH-00', 'issued')) === '46', 10000, 'back to the city');
});

test('export: the month report CSV downloads with the same numbers', async () => {
  await page.selectOption('[data-f="kind"]', 'month');
  await page.fill('input[data-f="value"]', '2026-10');
  await page.dispatchEvent('input[data-f="value"]', 'change');
  await page.waitForSelector('.st-export a[data-export="csv"][href*="monthly"]');
  const [dl] = await Promise.all([page.waitForEvent('download'), page.click('.st-export a[data-export="csv"]')]);
  const body = fs.readFileSync(await dl.path(), 'utf8');
  assertEq(body.charCodeAt(0), 0xfeff, 'UTF-8 BOM');
  // October, the city: 67 issued, 66 finished, 一次办结率 61/66 = 92.4 %; LH-03's row
  assertEq(/取号量,(\d+)/.exec(body)[1], '67', 'CSV 取号量');
  assertEq(/办结量,(\d+)/.exec(body)[1], '66', 'CSV 办结量');
  assertEq(/一次办结率\(%\),([\d.]+)/.exec(body)[1], '92.4', 'CSV 一次办结率');
  assertEq(/LH-03 [^,]*,(\d+),(\d+)/.exec(body).slice(1).join(','), '21,20', 'CSV LH-03 row');
});

test('绩效考核: October staff ranking and the 约谈 list', async () => {
  await page.goto(hub.base + '/#/perf');
  await page.fill('input[data-f="month"]', '2026-10');
  await page.dispatchEvent('input[data-f="month"]', 'change');
  // W2032 曹阳 was last in LH-03 in September and October -> 约谈; nobody else
  await waitUntil(async () => (await page.$$('[data-interview]')).length === 1, 10000, 'one 约谈 row');
  assertEq(await page.getAttribute('[data-interview]', 'data-interview'), 'W2032', '约谈 W2032');
  assertEq(await text(page, '.perf-tbl tr[data-who="W2031"] td:nth-child(11)'), '4 / 6', 'W2031 city rank');
  await screenshot(page, 'dashboard-perf.png');
});

test('告警中心: the alert history export downloads CSV', async () => {
  await page.goto(hub.base + '/#/alerts');
  await page.waitForSelector('a[data-export="alerts-history"]');
  const [dl] = await Promise.all([page.waitForEvent('download'), page.click('a[data-export="alerts-history"]')]);
  const body = fs.readFileSync(await dl.path(), 'utf8');
  assertEq(body.split('\r\n')[0], '\ufeffid,告警,时间,类型,状态,级别,用户,详情', 'CSV header');
});

test('no console errors; teardown', async () => {
  const errors = br ? br.errors : [];
  if (br) await br.close();
  assertEq(JSON.stringify(errors), '[]', 'console errors');
  await hub.close();
});

run();
