// province_page: the dashboard's 全省一张网 view in headless Chromium, for
// tests/integration/test_province.py. Usage: node province_page.mjs BASE_URL SHOT.png
//
// Logs in as admin, opens BASE_URL/#/province, waits until the cities' table has a row per
// city, writes a screenshot to SHOT.png and prints one JSON line: {"nav": [tab texts],
// "title": the header's title, "doc_title": the page's <title>,
// "rows": [[cell texts]...], "strip": [KPI strip texts], "errors": [console errors]}.

import { browser, ACCOUNTS } from './cwweb.mjs';

const [base, shot] = process.argv.slice(2);
const b = await browser({ width: 1920, height: 1080 });
try {
  const r = await b.context.request.post(base + '/api/v1/login', { data: { user: 'admin', password: ACCOUNTS.admin } });
  if (r.status() !== 200) throw new Error('login: HTTP ' + r.status());
  await b.page.goto(base + '/#/province');
  await b.page.waitForSelector('.prov-tbl tbody tr', { timeout: 20000 });
  await b.page.waitForFunction(() => document.querySelector('.map-chart canvas'), null, { timeout: 20000 });
  await b.page.waitForTimeout(1200); // the map's first paint (ECharts animates), not a condition
  await b.page.screenshot({ path: shot });
  const out = await b.page.evaluate(() => ({
    nav: [...document.querySelectorAll('[data-nav]')].map((a) => a.textContent.trim()),
    title: document.querySelector('header.top h1').textContent.trim(),
    doc_title: document.title,
    rows: [...document.querySelectorAll('.prov-tbl tbody tr')].map((tr) => [...tr.children].map((td) => td.textContent.trim())),
    strip: [...document.querySelectorAll('.kpis-row .kpi')].map((k) => k.textContent.replace(/\s+/g, ' ').trim()),
  }));
  out.errors = b.errors;
  process.stdout.write(JSON.stringify(out) + '\n');
} finally {
  await b.close();
}
