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

// Seconds as minutes with one decimal ("9.6").
export function minutes(v) {
  if (!has(v)) return DASH;
  return (v / 60).toFixed(1);
}

// Seconds as m:ss, or h:mm:ss from one hour ("12:05", "1:02:40").
export function clock(v) {
  if (!has(v)) return DASH;
  const s = Math.max(0, Math.round(v));
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), ss = s % 60;
  const p2 = (x) => String(x).padStart(2, '0');
  return h > 0 ? `${h}:${p2(m)}:${p2(ss)}` : `${m}:${p2(ss)}`;
}

// A coarse human duration: "45秒", "12分", "3时05分", "2天" (English: 45s, 12m, 3h05m, 2d).
export function dur(v) {
  if (!has(v)) return DASH;
  const s = Math.max(0, Math.round(v));
  const en = getLang() === 'en';
  if (s < 60) return en ? `${s}s` : `${s}秒`;
  if (s < 3600) return en ? `${Math.floor(s / 60)}m` : `${Math.floor(s / 60)}分`;
  if (s < 86400) {
    const h = Math.floor(s / 3600), m = String(Math.floor((s % 3600) / 60)).padStart(2, '0');
    return en ? `${h}h${m}m` : `${h}时${m}分`;
  }
  const d = Math.floor(s / 86400);
  return en ? `${d}d` : `${d}天`;
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
