// province_page: the dashboard's 全省一张网 view in headless Chromium, for
// tests/integration/test_province.py. Usage: node province_page.mjs BASE_URL SHOT.png [CITY_SHOT.png [HALL_SHOT.png]]
//
// Logs in as admin, opens BASE_URL/#/province, waits until the cities' table has a row per
// city, writes a screenshot to SHOT.png; then clicks the first city's row (the drill-down),
// waits for its halls' table, writes CITY_SHOT.png, clicks a hall (the hall view), takes its
// link back to the city, opens the hall again and goes back with the browser,
// takes the back link to the province, and clicks 黄岩区 on the map. Prints one JSON line: {"nav": [tab texts],
// "rows": [[cell texts]...], "strip": [KPI strip texts], "city": {"hash", "title", "rows",
// "strip"}, "hall_hash": the URL hash after the hall's click, "hall_back": the hall view's link back
// {"text", "href"}, "hall_name", "hall_back_hash": the hash after that link, "back_rows": the cities' rows
// after the back link, "map_city": {"hash", "title", "ids", "rows"} after the map's click,
// "title": the header's title, "doc_title": the page's <title>, "errors": [console errors]}.

import { browser, ACCOUNTS } from './cwweb.mjs';

const [base, shot, cityShot, hallShot] = process.argv.slice(2);
const b = await browser({ width: 1920, height: 1080 });
const rowsOf = (sel) => b.page.evaluate((s) => [...document.querySelectorAll(s)].map((tr) => [...tr.children].map((td) => td.textContent.trim())), sel);
const stripOf = () => b.page.evaluate(() => [...document.querySelectorAll('.kpis-row .kpi')].map((k) => k.textContent.replace(/\s+/g, ' ').trim()));
try {
  const r = await b.context.request.post(base + '/api/v1/login', { data: { user: 'admin', password: ACCOUNTS.admin } });
  if (r.status() !== 200) throw new Error('login: HTTP ' + r.status());
  await b.page.goto(base + '/#/province');
  await b.page.waitForSelector('.prov-tbl tbody tr', { timeout: 20000 });
  await b.page.waitForFunction(() => document.querySelector('.map-chart canvas'), null, { timeout: 20000 });
  await b.page.waitForTimeout(1200); // the map's first paint (ECharts animates), not a condition
  await b.page.screenshot({ path: shot });
  const out = {
    nav: await b.page.evaluate(() => [...document.querySelectorAll('[data-nav]')].map((a) => a.textContent.trim())),
    title: await b.page.evaluate(() => document.querySelector('header.top h1').textContent.trim()),
    doc_title: await b.page.evaluate(() => document.title),
    rows: await rowsOf('.prov-tbl tbody tr'),
    strip: await stripOf(),
  };
  // the drill-down: the first city's row
  await b.page.click('.prov-tbl tbody tr[data-city]');
  await b.page.waitForSelector('.prov-halls tbody tr', { timeout: 20000 });
  // the strip and the title follow the province topic: until the title is the city's name
  await b.page.waitForFunction(() => { const h = document.querySelector('[data-prov-city]'); return h && h.textContent && !/^[a-z0-9_-]+$/.test(h.textContent); }, null, { timeout: 20000 });
  await b.page.waitForTimeout(1200); // the map's first paint, as above
  if (cityShot) await b.page.screenshot({ path: cityShot });
  out.city = {
    hash: await b.page.evaluate(() => location.hash),
    title: await b.page.evaluate(() => document.querySelector('[data-prov-city]').textContent.trim()),
    rows: await rowsOf('.prov-halls tbody tr'),
    ids: await b.page.evaluate(() => [...document.querySelectorAll('.prov-halls tbody tr')].map((tr) => tr.dataset.hall)),
    strip: await stripOf(),
  };
  // a hall's row opens the hall view, with a link back to the city (named once the province
  // topic is in); the browser's back returns to the city too
  await b.page.click('.prov-halls tbody tr[data-hall]');
  await b.page.waitForFunction(() => location.hash.startsWith('#/hall/') && document.querySelector('.hall-bar h2'), null, { timeout: 10000 });
  await b.page.waitForFunction(() => { const a = document.querySelector('.hall-back'); return a && !/c1$/.test(a.textContent); }, null, { timeout: 10000 });
  out.hall_hash = await b.page.evaluate(() => location.hash);
  out.hall_back = await b.page.evaluate(() => { const a = document.querySelector('.hall-back'); return { text: a.textContent, href: a.getAttribute('href') }; });
  out.hall_name = await b.page.evaluate(() => document.querySelector('.hall-bar h2').textContent);
  if (hallShot) await b.page.screenshot({ path: hallShot });
  await b.page.click('.hall-back');
  await b.page.waitForSelector('.prov-halls tbody tr', { timeout: 10000 });
  out.hall_back_hash = await b.page.evaluate(() => location.hash);
  await b.page.click('.prov-halls tbody tr[data-hall]');
  await b.page.waitForFunction(() => location.hash.startsWith('#/hall/'), null, { timeout: 10000 });
  await b.page.goBack();
  await b.page.waitForSelector('.prov-back', { timeout: 10000 });
  await b.page.click('.prov-back');
  await b.page.waitForSelector('.prov-tbl tbody tr[data-city]', { timeout: 10000 });
  out.back_hash = await b.page.evaluate(() => location.hash);
  out.back_rows = await rowsOf('.prov-tbl tbody tr');
  // the map: a click inside 黄岩区 (121.15 E, 28.60 N lies inside its outline) drills down too
  const pt = await b.page.waitForFunction(() => {
    const el = document.querySelector('.p-prov-map .map-chart');
    const ch = el && window.echarts.getInstanceByDom(el);
    if (!ch || !ch.getOption() || !ch.getOption().series || !ch.getOption().series.length) return null;
    const [x, y] = ch.convertToPixel({ seriesIndex: 0 }, [121.15, 28.60]);
    const r = el.getBoundingClientRect();
    return Number.isFinite(x) && Number.isFinite(y) ? [r.left + x, r.top + y] : null;
  }, null, { timeout: 10000 }).then((h) => h.jsonValue());
  await b.page.waitForTimeout(600); // the map's entry animation, not a condition
  await b.page.mouse.click(pt[0], pt[1]);
  await b.page.waitForFunction(() => location.hash.startsWith('#/province/') && document.querySelector('.prov-halls tbody tr'), null, { timeout: 10000 });
  await b.page.waitForFunction(() => { const h = document.querySelector('[data-prov-city]'); return h && !/^[a-z0-9_-]+$/.test(h.textContent); }, null, { timeout: 10000 });
  out.map_city = {
    hash: await b.page.evaluate(() => location.hash),
    title: await b.page.evaluate(() => document.querySelector('[data-prov-city]').textContent.trim()),
    ids: await b.page.evaluate(() => [...document.querySelectorAll('.prov-halls tbody tr')].map((tr) => tr.dataset.hall)),
    rows: await rowsOf('.prov-halls tbody tr'),
  };
  out.errors = b.errors;
  process.stdout.write(JSON.stringify(out) + '\n');
} finally {
  await b.close();
}
