// clock: the hub's business clock (SPEC §1 --clock START@SPEED) as seen by the page. Durations
// such as "serving for 12:05" and the clock in the header follow business time, not the
// browser's. The hub's hello may carry {"now", "speed"}; otherwise the page reads the hub's "now"
// from GET /api/v1/history (its default "to" is the hub's current business time) and estimates the
// speed from two readings. Between readings it extrapolates with performance.now().

import { get } from './api.js';
import { parseTime } from './fmt.js';

const st = { biz: NaN, perf: 0, speed: 1, samples: [], timer: null, histPath: null };

function setBase(bizMs, speed) {
  st.biz = bizMs;
  st.perf = performance.now();
  if (speed > 0) st.speed = speed;
}

// Business time now in epoch ms (NaN until the first reading).
export function bizNow() {
  if (!Number.isFinite(st.biz)) return NaN;
  return st.biz + (performance.now() - st.perf) * st.speed;
}

export function bizSpeed() { return st.speed; }

// Seconds of business time since an RFC 3339 instant (NaN when unknown).
export function bizAgeS(rfc) {
  const t0 = parseTime(rfc);
  const n = bizNow();
  if (!Number.isFinite(t0) || !Number.isFinite(n)) return NaN;
  return Math.max(0, (n - t0) / 1000);
}

export function fromHello(hello) {
  const now = parseTime(hello && hello.now);
  if (Number.isFinite(now)) setBase(now, Number(hello.speed) || st.speed);
}

// A plausible speed from two (perf, biz) readings: snapped to an integer when close to one.
function estimateSpeed() {
  const s = st.samples;
  if (s.length < 2) return st.speed;
  const a = s[0], b = s[s.length - 1];
  const dp = b.perf - a.perf, db = b.biz - a.biz;
  if (dp < 1500) return st.speed;
  let v = db / dp;
  if (!(v > 0)) return st.speed;
  const r = Math.round(v);
  if (r >= 1 && Math.abs(v - r) / r < 0.08) v = r;
  return v;
}

async function reading() {
  if (!st.histPath) return;
  const t0 = performance.now();
  const doc = await get(st.histPath);
  const t1 = performance.now();
  const to = parseTime(doc && doc.to);
  if (!Number.isFinite(to)) return;
  st.samples.push({ perf: (t0 + t1) / 2, biz: to });
  if (st.samples.length > 6) st.samples.shift();
  setBase(to, estimateSpeed());
  st.perf = (t0 + t1) / 2;
}

// Start reading the hub's clock: hall is a hall the user may see (hall accounts must name one),
// or null for the whole city.
export function startClock(hall) {
  st.histPath = '/api/v1/history?step=2678400' + (hall ? '&hall=' + encodeURIComponent(hall) : '');
  const once = () => reading().catch(() => {});
  once();
  setTimeout(once, 2500);
  clearInterval(st.timer);
  st.timer = setInterval(once, 30000);
}

export function stopClock() {
  clearInterval(st.timer);
  st.timer = null;
}
