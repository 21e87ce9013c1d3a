// fmt: number, duration, rate and time formatting shared by every view, so that one KPI always
// reads the same wherever it appears (the KPI strip, the rings, the tables). Absent values render
// as an em dash, never as 0.

import { t, getLang } from './i18n.js';

export const DASH = '—';

export function has(v) { return typeof v === 'number' && Number.isFinite(v); }

export function esc(s) {
  return String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));
}

export function int(v) {
  if (!has(v)) return DASH;
  return Math.round(v).toLocaleString(getLang() === 'en' ? 'en-US' : 'zh-CN');
}

// A rate in [0, 1] as a percentage with one decimal ("84.6%").
export function pct(v, digits = 1) {
  if (!has(v)) return DASH;
  return (v * 100).toFixed(digits) + '%';
}

// A duration for people, the one rule of docs/decisions.md ("Durations"), the same as the wall's
// common/cwfmt.c (both tested against tests/fixtures/durations.json). Never a clock time:
//   < 1 min "33秒" / "33 s"; < 1 h "12分15秒" / "12 min 15 s" ("12分" when :00);
//   < 1 day "3小时29分" / "3 h 29 min" (seconds dropped); then "2天4小时" / "2 d 4 h".
export function dur(v, lang = getLang()) {
  if (v === null || v === undefined || !Number.isFinite(Number(v))) return DASH;
  const s = Math.max(0, Math.floor(Number(v) + 0.5));
  const en = lang === 'en';
  if (s < 60) return en ? `${s} s` : `${s}秒`;
  let a, b, ua, ub;
  if (s < 3600) { a = Math.floor(s / 60); b = s % 60; ua = en ? ' min' : '分'; ub = en ? ' s' : '秒'; }
  else if (s < 86400) { a = Math.floor(s / 3600); b = Math.floor((s % 3600) / 60); ua = en ? ' h' : '小时'; ub = en ? ' min' : '分'; }
  else { a = Math.floor(s / 86400); b = Math.floor((s % 86400) / 3600); ua = en ? ' d' : '天'; ub = en ? ' h' : '小时'; }
  if (b === 0) return `${a}${ua}`;
  return en ? `${a}${ua} ${b}${ub}` : `${a}${ua}${b}${ub}`;
}

// The age text of a panel badge, from seconds.
export function ageText(sec) {
  if (!has(sec)) return t('age.none');
  const s = Math.max(0, Math.floor(sec));
  if (s < 1) return t('age.now');
  if (s < 60) return t('age.s', { n: s });
  if (s < 3600) return t('age.m', { n: Math.floor(s / 60) });
  return t('age.h', { n: Math.floor(s / 3600) });
}

// A short age ("15 秒前", "3 分钟前") for the STALE badge.
export function ageShort(sec) {
  const s = Math.max(0, Math.floor(sec));
  const en = getLang() === 'en';
  if (s < 60) return en ? `${s} s ago` : `${s} 秒前`;
  if (s < 3600) return en ? `${Math.floor(s / 60)} min ago` : `${Math.floor(s / 60)} 分钟前`;
  return en ? `${Math.floor(s / 3600)} h ago` : `${Math.floor(s / 3600)} 小时前`;
}

export function parseTime(s) {
  if (!s) return NaN;
  const v = Date.parse(s);
  return Number.isFinite(v) ? v : NaN;
}

// "09:12" of an RFC 3339 string, in the city's zone (+08:00: the hub sends local offsets).
export function hhmm(s, withSec = false) {
  const m = /T(\d\d):(\d\d)(?::(\d\d))?/.exec(s || '');
  if (!m) return DASH;
  return withSec ? `${m[1]}:${m[2]}:${m[3] || '00'}` : `${m[1]}:${m[2]}`;
}

// "11-23 09:12" of an RFC 3339 string.
export function mdhm(s) {
  const m = /^\d{4}-(\d\d)-(\d\d)T(\d\d):(\d\d)/.exec(s || '');
  return m ? `${m[1]}-${m[2]} ${m[3]}:${m[4]}` : DASH;
}

// The short display name of a hall: "江南街道便民服务中心" -> "江南街道".
export function shortHall(name) {
  if (!name) return DASH;
  return name.replace(/便民服务(中心|站|点)$/, '').replace(/^临海市行政服务中心$/, '市行政服务中心') || name;
}

// An instant (ms) as RFC 3339 with the +08:00 offset of the demo city.
export function rfc3339(ms, offsetMin = 480) {
  const d = new Date(ms + offsetMin * 60000);
  const p = (x, n = 2) => String(x).padStart(n, '0');
  const sign = offsetMin >= 0 ? '+' : '-';
  const oh = p(Math.floor(Math.abs(offsetMin) / 60)), om = p(Math.abs(offsetMin) % 60);
  return `${d.getUTCFullYear()}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())}T${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}${sign}${oh}:${om}`;
}
