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

import { watchCity } from '../web/cwweb.mjs';

const [base, user = 'city', shot] = process.argv.slice(2);
await watchCity({
  name: 'browser_failover', base, user, shot, everyMs: 30,
  setup: async (page) => {
    await page.waitForSelector('[data-kpi="issued"]', { timeout: 20000 });
    await page.evaluate(() => {
      const el = document.querySelector('[data-kpi="issued"]');
      window.__shown = [el.textContent];
      new MutationObserver(() => {
        if (window.__shown[window.__shown.length - 1] !== el.textContent) window.__shown.push(el.textContent);
      }).observe(el, { childList: true, characterData: true, subtree: true });
    });
  },
  sample: () => {
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
  },
  // only page errors count: the dead hub's resources fail by design
  extra: (s, b) => { s.errors = b.errors.filter((e) => e.text.startsWith('pageerror')); },
  key: (s) => JSON.stringify(s),
});
