// browser_failover: the dashboard in headless Chromium on a cluster's hub a, for
// tests/fault/test_cluster_browser.py. Usage: node browser_failover.mjs BASE_URL USER [SHOT.png]
//
// Logs in as USER on BASE_URL (hub a), opens BASE_URL/#/city and records every value the KPI
// strip's 今日取号 card shows (a MutationObserver, so no value shown between two samples is
// missed). Prints one JSON line on stdout whenever the state below changes, and every second:
// {"t_ms": Date.now(), "state": live state, "hello": the connection in use has had its
// hello, "url": the hub in use, "home": on the page's own hub, "issued": the card's text, "topic_issued": the city topic's kpi.issued, "rev": the city
// topic's rev, "city_snapshots", "city_recovered": per the city topic, "moves",
// "banner": the banner's text ('' when hidden), "shown": every value the card showed so far,
// "errors": page errors}. Exits when stdin closes, after a screenshot to SHOT.png if given.

import { browser, ACCOUNTS } from '../web/cwweb.mjs';

const [base, user = 'city', shot] = process.argv.slice(2);
// the dead hub's resources (REST, a WebSocket attempt) fail by design: only page errors count
const b = await browser({ width: 1280, height: 720, allow: () => true });
const r = await b.context.request.post(base + '/api/v1/login', { data: { user, password: ACCOUNTS[user] } });
if (r.status() !== 200) {
  process.stderr.write(`browser_failover: login as ${user}: HTTP ${r.status()}\n`);
  process.exit(1);
}
await b.page.goto(base + '/#/city');
await b.page.waitForSelector('[data-kpi="issued"]', { timeout: 20000 });
await b.page.evaluate(() => {
  const el = document.querySelector('[data-kpi="issued"]');
  window.__shown = [el.textContent];
  new MutationObserver(() => {
    if (window.__shown[window.__shown.length - 1] !== el.textContent) window.__shown.push(el.textContent);
  }).observe(el, { childList: true, characterData: true, subtree: true });
});

let last = '', lastT = 0, stopping = false;
process.stdin.on('end', async () => {
  stopping = true;
  if (shot) await b.page.screenshot({ path: shot }).catch(() => {});
  await b.close();
  process.exit(0);
});
process.stdin.resume();

for (;;) {
  if (stopping) break;
  let s = null;
  try {
    s = await b.page.evaluate(() => {
      const l = window.__cw && window.__cw.live;
      if (!l) return null;
      const tp = l.topic('city');
      const ban = document.querySelector('.stale-banner');
      return {
        state: l.state, hello: !!l.hello, url: l.url, home: l.status().home,
        issued: (document.querySelector('[data-kpi="issued"]') || {}).textContent || '',
        topic_issued: tp && tp.data && tp.data.kpi ? tp.data.kpi.issued : null,
        rev: tp ? tp.rev : 0,
        city_snapshots: tp ? tp.snapshots : 0, city_recovered: tp ? tp.recovered : 0,
        moves: l.stats.moves,
        banner: ban && !ban.hidden ? ban.textContent : '',
        shown: window.__shown || [],
      };
    });
  } catch (e) { /* navigating */ }
  if (s) {
    s.errors = b.errors.filter((e) => e.text.startsWith('pageerror'));
    const key = JSON.stringify(s);
    const now = Date.now();
    if (key !== last || now - lastT >= 1000) {
      process.stdout.write(JSON.stringify({ t_ms: now, ...s }) + '\n');
      last = key;
      lastT = now;
    }
  }
  await new Promise((res) => setTimeout(res, 30));
}
