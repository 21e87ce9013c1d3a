// clock: the hub's business clock (SPEC §1 --clock START@SPEED) as seen by the page. Durations
// such as "serving for 12分05秒" and the clock in the header follow business time, not the
// browser's. The hub's /live hello carries {"now", "speed"} (SPEC §4): each hello (every
// (re)connection) anchors the clock; between hellos the page extrapolates with
// performance.now(). Nothing is guessed from /history readings (at 60× two readings lagged the
// page 3–5 business minutes for ~20 s, and alerts "started in the future").

import { parseTime } from './fmt.js';

const st = { biz: NaN, perf: 0, speed: 1 };

// Business time now in epoch ms (NaN until the first hello).
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

// Anchor the clock at a hello {"now": RFC 3339, "speed": n}, received now.
export function fromHello(hello) {
  const now = parseTime(hello && hello.now);
  const speed = Number(hello && hello.speed);
  if (!Number.isFinite(now)) return;
  st.biz = now;
  st.perf = performance.now();
  if (speed > 0) st.speed = speed;
}
