// browser_watch: the dashboard in headless Chromium as a live client for the fault suite
// (tests/fault/test_reconnect.py). Usage: node browser_watch.mjs BASE_URL USER
//
// Logs in as USER, opens BASE_URL/#/city and prints one JSON line on stdout when its live
// state changes, and every second: {"t_ms": Date.now(), "state": "live"|"down"|"connecting",
// "age_s": seconds since the city topic was last known current (null: never)}. Exits when
// stdin closes.

import { browser, ACCOUNTS } from '../web/cwweb.mjs';

const [base, user = 'city'] = process.argv.slice(2);
const b = await browser({ width: 1280, height: 720, allow: () => true });
const r = await b.context.request.post(base + '/api/v1/login', { data: { user, password: ACCOUNTS[user] } });
if (r.status() !== 200) {
  process.stderr.write(`browser_watch: login as ${user}: HTTP ${r.status()}\n`);
  process.exit(1);
}
await b.page.goto(base + '/#/city');

let last = '', lastT = 0, stopping = false;
process.stdin.on('end', async () => {
  stopping = true;
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
      const a = l.ageS('city');
      return { state: l.state, age_s: Number.isFinite(a) ? Math.round(a * 100) / 100 : null };
    });
  } catch (e) { /* navigating */ }
  if (s) {
    const key = s.state + (s.age_s !== null && s.age_s < 1.5 ? ':fresh' : ':old');
    const now = Date.now();
    if (key !== last || now - lastT >= 1000) {
      process.stdout.write(JSON.stringify({ t_ms: now, ...s }) + '\n');
      last = key;
      lastT = now;
    }
  }
  await new Promise((res) => setTimeout(res, 50));
}
