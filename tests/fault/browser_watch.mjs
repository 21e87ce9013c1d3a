// browser_watch: the dashboard in headless Chromium as a live client for the fault suite
// (tests/fault/test_reconnect.py). Usage: node browser_watch.mjs BASE_URL USER
//
// Logs in as USER, opens BASE_URL/#/city and prints one JSON line on stdout when its live
// state changes, and every second: {"t_ms": Date.now(), "state": "live"|"down"|"connecting",
// "age_s": seconds since the city topic was last known current (null: never)}. Exits when
// stdin closes.

import { watchCity } from '../web/cwweb.mjs';

const [base, user = 'city'] = process.argv.slice(2);
await watchCity({
  name: 'browser_watch', base, user,
  sample: () => {
    const l = window.__cw && window.__cw.live;
    if (!l) return null;
    const a = l.ageS('city');
    return { state: l.state, age_s: Number.isFinite(a) ? Math.round(a * 100) / 100 : null };
  },
  key: (s) => s.state + (s.age_s !== null && s.age_s < 1.5 ? ':fresh' : ':old'),
});
