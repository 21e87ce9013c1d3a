// main: the dashboard application. Checks the session (GET /api/v1/me) and shows the login page
// or the app: header (title, views, business clock, connection state, language, user), the
// STALE banner, and the current view chosen by the URL hash (#/city, #/hall/LH-03, #/alerts,
// #/cases, #/history, #/recommend). With ?kiosk=1 the page is a fixed 1920×1080 design canvas
// scaled to the screen that plays a playlist of views (?playlist=city:60,hall:30,alerts:20) and
// jumps to a hall when one of its alerts fires.

import { t, setLang, getLang } from './i18n.js';
import * as api from './api.js';
import { Live } from './live.js';
import { setLive, refreshAges, setText, throttle } from './ui.js';
import { echartsReady, setRenderScale } from './charts.js';
import { bizNow, fromHello } from './clock.js';
import { esc, shortHall, ageShort } from './fmt.js';
import { alertsFromTopic, sevRank } from './alertsmodel.js';
import { renderLogin } from './views/login.js';
import * as cityView from './views/city.js';
import * as hallView from './views/hall.js';
import * as alertsView from './views/alerts.js';
import * as casesView from './views/cases.js';
import * as historyView from './views/history.js';
import * as recommendView from './views/recommend.js';
import * as statsView from './views/stats.js';
import * as perfView from './views/perf.js';
import * as wallsView from './views/walls.js';
import * as provinceView from './views/province.js';

const params = new URLSearchParams(location.search);
const KIOSK = params.get('kiosk') === '1';
const VIEWS = { city: cityView, hall: hallView, alerts: alertsView, cases: casesView, history: historyView, recommend: recommendView, stats: statsView, perf: perfView, walls: wallsView, province: provinceView };
const NAV = ['province', 'city', 'hall', 'alerts', 'cases', 'history', 'stats', 'perf', 'recommend', 'walls'];
const NAV_ROLES = { walls: ['admin', 'city'] }; // views only some roles may open (上墙)
const WEEKDAYS_ZH = ['星期日', '星期一', '星期二', '星期三', '星期四', '星期五', '星期六'];
const WEEKDAYS_EN = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

const app = document.getElementById('app');
const stage = document.getElementById('stage');

const ctx = {
  kiosk: KIOSK,
  me: null,
  live: null,
  halls: [],
  hallById: new Map(),
  alerts: { available: null, list: [], fns: new Set() },
  nav: (hash) => { if (location.hash !== hash) location.hash = hash; else route(); },
  onAlerts(fn) { this.alerts.fns.add(fn); fn(this.alerts); return () => this.alerts.fns.delete(fn); },
  city: null,
};
window.__cw = ctx; // for tests and the console

let current = null; // {name, arg, inst}
let ticker = null;
let kiosk = null;

function tokenFromFragment() {
  const m = /(?:^#|&)token=([^&]+)/.exec(location.hash);
  return m ? decodeURIComponent(m[1]) : null;
}

// ---- kiosk scaling ------------------------------------------------------------------------

function fitKiosk() {
  const s = Math.min(window.innerWidth / 1920, window.innerHeight / 1080);
  const x = (window.innerWidth - 1920 * s) / 2, y = (window.innerHeight - 1080 * s) / 2;
  app.style.transform = `translate(${x}px, ${y}px) scale(${s})`;
  return s;
}

// ---- boot ---------------------------------------------------------------------------------

async function boot() {
  setLang(getLang());
  document.body.classList.toggle('kiosk', KIOSK);
  if (KIOSK) {
    stage.classList.add('kiosk-stage');
    setRenderScale(fitKiosk());
    let last = 0;
    window.addEventListener('resize', () => {
      const s = fitKiosk();
      if (Math.abs(s - last) > 0.05) { last = s; setRenderScale(s); if (current) mountView(current.name, current.arg, true); }
    });
  }
  if (!echartsReady()) {
    app.innerHTML = `<div class="fatal">${esc(t('err.echarts'))}</div>`;
    return;
  }
  const tok = tokenFromFragment();
  if (tok) api.setToken(tok);
  api.onUnauthorized(() => showLogin());
  let me;
  try {
    me = await api.get('/api/v1/me', { quiet401: true });
  } catch (e) {
    if (e.status === 401 || e.status === 403) { showLogin(); return; }
    app.innerHTML = `<div class="fatal">${esc(t('err.load', { e: e.message }))}</div>`;
    setTimeout(boot, 5000);
    return;
  }
  await startApp(me);
}

// The hub's store identity (GET /readyz "store"), remembered with a working session: when the
// page lands on the login page again and the hub's store is another one, the data and the
// sessions were reset (scripts/run-demo starts each demo day on a fresh store): say so
// (新的演示日) rather than showing the login form with no word why.
const STORE_KEY = 'cw.store';
async function hubStore() {
  try {
    const r = await fetch('/readyz', { cache: 'no-store' });
    return r.ok ? ((await r.json()) || {}).store || null : null;
  } catch (e) { return null; }
}
async function rememberStore() {
  const s = await hubStore();
  try { if (s) localStorage.setItem(STORE_KEY, s); } catch (e) { /* storage disabled */ }
}
async function loginNotice() {
  let had = null;
  try { had = localStorage.getItem(STORE_KEY); } catch (e) { /* storage disabled */ }
  if (!had) return null;
  const now = await hubStore();
  return now && now !== had ? 'login.newday' : 'login.expired';
}

async function showLogin() {
  teardown();
  document.body.classList.add('at-login');
  const notice = await loginNotice();
  renderLogin(app, async () => {
    document.body.classList.remove('at-login');
    try {
      const me = await api.get('/api/v1/me');
      await startApp(me);
    } catch (e) {
      showLogin();
    }
  }, notice);
}

function teardown() {
  if (current && current.inst && current.inst.unmount) current.inst.unmount();
  current = null;
  if (ctx.live) ctx.live.stop();
  ctx.live = null;
  clearInterval(ticker);
  ticker = null;
  if (kiosk) kiosk.stop();
  kiosk = null;
  window.removeEventListener('hashchange', route);
}

async function startApp(me) {
  teardown();
  ctx.me = me;
  rememberStore();
  const halls = await api.get('/api/v1/halls');
  ctx.halls = (Array.isArray(halls) ? halls : api.asList(halls, 'halls')).sort((a, b) => a.id.localeCompare(b.id));
  ctx.hallById = new Map(ctx.halls.map((h) => [h.id, h]));
  const live = new Live({ token: api.getToken(), urls: liveUrls(me) });
  ctx.live = live;
  setLive(live);
  live.onHello(fromHello);
  live.onAny(throttle(() => refreshAges(app), 250));
  live.onAuthError(async () => {
    try { await api.get('/api/v1/me', { quiet401: true }); } catch (e) { if (e.status === 401) showLogin(); }
  });
  renderShell();
  live.onStatus(renderConn);
  // The city topic (header, kiosk) and alerts (nav badge, kiosk, panels) are watched all along.
  live.watch('city', (tp) => { ctx.city = tp.data; });
  live.watch('alerts', onAlertsTopic);
  live.start();
  window.addEventListener('hashchange', route);
  ticker = setInterval(tick, 1000);
  if (KIOSK) kiosk = new Kiosk();
  else route();
  tick();
}

// The cluster's hubs (GET /api/v1/me "hubs", config cluster.public_urls) as /live URLs, this
// page's own hub first, for the live connection's failover (docs/cluster.md "Browsers"). null
// (stay with the page's origin) when the hub lists none or the page came from an origin not in
// the list (a load balancer in front of the hubs: it does the failover).
function liveUrls(me) {
  const hubs = Array.isArray(me.hubs) ? me.hubs : [];
  const i = hubs.indexOf(location.origin);
  if (i < 0 || hubs.length < 2) return null;
  return hubs.slice(i).concat(hubs.slice(0, i)).map((u) => u.replace(/^http/, 'ws') + '/live');
}

function onAlertsTopic(tp) {
  const a = ctx.alerts;
  if (tp.error === 'unknown_topic') {
    a.available = false;
    a.list = [];
  } else if (tp.data) {
    a.available = true;
    a.list = alertsFromTopic(tp.data);
  }
  const n = a.list.length;
  const badge = app.querySelector('[data-nav="alerts"] .badge');
  if (badge) { badge.textContent = n ? String(n) : ''; badge.hidden = !n; badge.dataset.sev = n ? a.list[0].severity : ''; }
  for (const fn of a.fns) fn(a);
  if (kiosk) kiosk.onAlerts(a.list);
}

// ---- shell --------------------------------------------------------------------------------

// The header's title: the city's, or on a province hub the province's name (/api/v1/me).
function appTitle(me) {
  return me.province_name ? t('app.title.province', { name: me.province_name }) : t('app.title');
}

function renderShell() {
  const me = ctx.me;
  document.title = appTitle(me);
  const nav = NAV.filter((n) => (!NAV_ROLES[n] || NAV_ROLES[n].includes(me.role)) && (n !== 'province' || me.province)).map((n) => `<a href="#/${n === 'hall' ? 'hall/' + (me.halls[0] || '') : n}" data-nav="${n}">${esc(t('nav.' + n))}${n === 'alerts' ? '<span class="badge" hidden></span>' : ''}</a>`).join('');
  app.innerHTML =
    `<header class="top">` +
    `<div class="brand"><svg viewBox="0 0 32 32" aria-hidden="true"><path d="M6 24V13l5-4 5 4v11M16 24V9l5-3 5 3v15M4 24h24" fill="none" stroke="currentColor" stroke-width="2.2" stroke-linejoin="round"/></svg>` +
    `<div><h1>${esc(appTitle(me))}</h1><small>${esc(t('app.subtitle'))}</small></div></div>` +
    (KIOSK ? `<div class="kiosk-title"><span data-kiosk-title></span><i class="kiosk-bar"><b data-kiosk-progress></b></i></div>` : `<nav class="tabs">${nav}</nav>`) +
    `<div class="right">` +
    `<span class="conn" data-conn="connecting"><i></i><span data-conn-text>${esc(t('conn.connecting'))}</span></span>` +
    `<span class="bizclock"><b data-clock-time>--:--:--</b><small data-clock-date></small></span>` +
    (KIOSK ? '' : `<button class="btn ghost small" data-act="lang">${esc(t('lang.switch'))}</button>` +
      `<span class="user"><b>${esc(me.user)}</b><small>${esc(t('role.' + me.role))}</small></span>` +
      `<button class="btn ghost small" data-act="logout">${esc(t('user.logout'))}</button>`) +
    `</div></header>` +
    `<div class="stale-banner" hidden></div>` +
    `<main id="view"></main>` +
    `<div class="toast" hidden></div>`;
  const lang = app.querySelector('[data-act="lang"]');
  if (lang) lang.onclick = () => {
    setLang(getLang() === 'zh' ? 'en' : 'zh');
    renderShell();
    renderConn(ctx.live.status());
    onAlertsTopic(ctx.live.topic('alerts') || {});
    if (current) mountView(current.name, current.arg, true);
  };
  const out = app.querySelector('[data-act="logout"]');
  if (out) out.onclick = async () => {
    try { await api.post('/api/v1/logout'); } catch (e) { /* the session is gone either way */ }
    try { localStorage.removeItem(STORE_KEY); } catch (e) { /* storage disabled */ }
    location.hash = '';
    showLogin();
  };
  markNav();
}

function markNav() {
  for (const a of app.querySelectorAll('[data-nav]')) a.classList.toggle('on', !!current && a.dataset.nav === current.name);
  if (current && current.name === 'hall') {
    const a = app.querySelector('[data-nav="hall"]');
    if (a) a.setAttribute('href', '#/hall/' + current.arg);
  }
}

function renderConn(s) {
  const el = app.querySelector('.conn');
  if (!el) return;
  const state = s.state === 'live' ? 'live' : (s.state === 'connecting' ? 'connecting' : 'stale');
  el.dataset.conn = state;
  setText(el.querySelector('[data-conn-text]'), t(state === 'live' ? 'conn.live' : state === 'connecting' ? 'conn.connecting' : 'conn.stale'), false);
  document.body.classList.toggle('is-stale', state === 'stale');
  updateBanner();
}

function updateBanner() {
  const b = app.querySelector('.stale-banner');
  const live = ctx.live;
  if (!b || !live) return;
  const down = live.state !== 'live' && live.everLive;
  // live on another hub of the cluster: the live view goes on; REST calls still go to the
  // page's own hub, which is unreachable (decisions.md), so say so and offer the live hub
  const moved = !down && live.state === 'live' && !live.status().home;
  b.hidden = !down && !moved;
  b.classList.toggle('moved', moved);
  const a = live.ageS('city');
  if (down) setText(b, t('stale.banner', { n: live.attempt, age: Number.isFinite(a) ? ageShort(a).replace(/前$| ago$/, '') : '—' }), false);
  else if (moved) {
    const origin = live.url.replace(/^ws/, 'http').replace(/\/live$/, '');
    const key = origin + '|' + getLang();
    if (b.dataset.moved !== key) {
      b.dataset.moved = key;
      const hub = origin.replace(/^https?:\/\//, '');
      b.innerHTML = esc(t('moved.banner', { hub })) +
        ` <a href="${esc(origin + '/' + location.hash)}">${esc(t('moved.open', { hub }))}</a>`;
    }
  }
  if (!moved) delete b.dataset.moved;
}

// While live on another hub of the cluster, ask the page's own hub every 3 s whether it is
// back (GET /readyz, 200 once it serves with its NATS connection), and go home when it is.
let homeProbe = 0;
function probeHome() {
  const live = ctx.live;
  if (!live || live.state !== 'live' || live.status().home || performance.now() - homeProbe < 3000) return;
  homeProbe = performance.now();
  fetch('/readyz', { cache: 'no-store' }).then((r) => { if (r.ok && ctx.live === live) live.home(); }).catch(() => { /* still down */ });
}

function tick() {
  refreshAges(app);
  updateBanner();
  probeHome();
  const now = bizNow();
  if (Number.isFinite(now)) {
    const d = new Date(now + 8 * 3600000);
    const p = (x) => String(x).padStart(2, '0');
    setText(app.querySelector('[data-clock-time]'), `${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}`, false);
    const wd = getLang() === 'en' ? WEEKDAYS_EN : WEEKDAYS_ZH;
    setText(app.querySelector('[data-clock-date]'), `${d.getUTCFullYear()}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())} ${wd[d.getUTCDay()]}`, false);
  }
  if (current && current.inst && current.inst.tick) current.inst.tick();
  if (kiosk) kiosk.tick();
}

// ---- routing ------------------------------------------------------------------------------

function parseHash() {
  const m = /^#\/([a-z]+)(?:\/([^?&#]+))?/.exec(location.hash || '');
  if (!m || !VIEWS[m[1]]) return null;
  return { name: m[1], arg: m[2] ? decodeURIComponent(m[2]) : null };
}

function defaultRoute() {
  if (ctx.me.role === 'hall' && ctx.me.halls.length) return { name: 'hall', arg: ctx.me.halls[0] };
  return { name: 'city', arg: null };
}

function route() {
  if (KIOSK || !ctx.me) return;
  let r = parseHash();
  if (!r) {
    r = defaultRoute();
    history.replaceState(null, '', '#/' + r.name + (r.arg ? '/' + r.arg : ''));
  }
  if (r.name === 'hall' && !r.arg) r.arg = ctx.me.halls[0] || 'LH-00';
  mountView(r.name, r.arg);
}

export function mountView(name, arg, force = false) {
  if (!force && current && current.name === name && current.arg === arg) return;
  if (current && current.inst && current.inst.unmount) current.inst.unmount();
  const root = app.querySelector('#view');
  if (!root) return;
  root.innerHTML = '';
  root.className = 'view v-' + name;
  current = { name, arg, inst: null };
  current.inst = VIEWS[name].mount(root, ctx, arg) || {};
  markNav();
  refreshAges(app);
}

// ---- kiosk --------------------------------------------------------------------------------

class Kiosk {
  constructor() {
    const spec = params.get('playlist') || 'city:60,hall:30,alerts:20';
    this.items = spec.split(',').map((s) => {
      const [name, sec] = s.split(':');
      return { name: name.trim(), dwell: Math.max(5, Number(sec) || 30) };
    }).filter((it) => VIEWS[it.name.split('/')[0]]);
    if (!this.items.length) this.items = [{ name: 'city', dwell: 60 }];
    this.alertDwell = Math.max(5, Number(params.get('alert_dwell')) || 30);
    this.alertMax = params.get('alert_switch') || 'P2'; // 'off': a screen that never switches
    this.i = -1;
    this.hallCursor = -1;
    this.seen = null;
    this.override = null;
    this.next();
  }

  stop() { this.stopped = true; }

  pickHall() {
    const ids = ctx.halls.map((h) => h.id);
    if (!ids.length) return null;
    this.hallCursor = (this.hallCursor + 1) % ids.length;
    return ids[this.hallCursor];
  }

  show(name, arg, dwell, title) {
    this.until = performance.now() + dwell * 1000;
    this.dwell = dwell;
    mountView(name, arg, true);
    const hall = arg && ctx.hallById.get(arg);
    setText(app.querySelector('[data-kiosk-title]'), title || (t('nav.' + name) + (hall ? ' · ' + shortHall(hall.name) : '')), false);
  }

  next() {
    if (this.stopped) return;
    this.override = null;
    for (let k = 0; k < this.items.length; k++) {
      this.i = (this.i + 1) % this.items.length;
      const it = this.items[this.i];
      const [name, fixed] = it.name.split('/');
      if (name === 'alerts' && ctx.alerts.available === false) continue;
      if (name === 'hall') {
        const arg = fixed ? it.name.slice(5) : this.pickHall();
        if (!arg) continue;
        this.show('hall', arg, it.dwell);
      } else {
        this.show(name, null, it.dwell);
      }
      return;
    }
    this.show('city', null, 60);
  }

  // A newly firing alert at or above the switch severity moves the screen to its hall.
  onAlerts(list) {
    if (this.alertMax === 'off') return;
    const ids = new Set(list.map((a) => a.id));
    if (this.seen === null) { this.seen = ids; return; }
    const fresh = list.filter((a) => !this.seen.has(a.id) && a.hall && ctx.hallById.has(a.hall) && sevRank(a.severity) <= sevRank(this.alertMax));
    this.seen = ids;
    if (!fresh.length) return;
    const a = fresh[0];
    const hall = ctx.hallById.get(a.hall);
    this.override = a.id;
    this.show('hall', a.hall, this.alertDwell, `${a.severity} · ${shortHall(hall.name)} · ${a.summary || a.rule}`);
    const toast = app.querySelector('.toast');
    if (toast) {
      toast.textContent = t('alerts.switch', { hall: shortHall(hall.name) }) + (a.summary ? ' — ' + a.summary : '');
      toast.dataset.sev = a.severity;
      toast.hidden = false;
      clearTimeout(this.toastTimer);
      this.toastTimer = setTimeout(() => { toast.hidden = true; }, 8000);
    }
  }

  tick() {
    const left = this.until - performance.now();
    const bar = app.querySelector('[data-kiosk-progress]');
    if (bar) bar.style.width = `${Math.max(0, Math.min(100, 100 - (left / (this.dwell * 1000)) * 100))}%`;
    if (left <= 0) this.next();
  }
}

boot();
