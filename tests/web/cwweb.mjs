// cwweb: shared harness for the dashboard's browser tests (Playwright + Debian's chromium against a
// real citywall-hub on a free port with a temp sqlite file, like tests/integration/cwtest.py).
//
// A test file imports this module, registers tests with test(name, fn) and ends with
// `await run()`, which runs them in order, prints one line per test and a final line exactly
// "N passed, N failed", and exits non-zero when anything failed. A test may call skip(reason):
// it is reported as SKIP with the reason and counts as neither.
//
// Environment:
//   CW_SOURCE_DIR  repository root (default: two levels above this file)
//   CW_BUILD_DIR   build directory holding citywall-hub (default: $CW_SOURCE_DIR/build, else the
//                  newest $CW_SOURCE_DIR/build*/ with a citywall-hub)
//   CW_CHROMIUM    the browser (default /usr/bin/chromium)
//   CW_KEEP_TMP=1  keep temp dirs (hub db and log, browser profile)

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const SOURCE_DIR = process.env.CW_SOURCE_DIR || path.resolve(HERE, '..', '..');
export const DAY = '2026-11-23';
export const DEFAULT_CLOCK = `${DAY}T09:00:00+08:00@1`;
export const TOKEN_ALL = 'demo-hall';
export const TOKEN_WALL = 'demo-wall';
export const ACCOUNTS = { admin: 'admin', city: 'city', lh03: 'lh03' };
export const CHROMIUM = process.env.CW_CHROMIUM || '/usr/bin/chromium';
const KEEP = process.env.CW_KEEP_TMP === '1';

function findBuildDir() {
  if (process.env.CW_BUILD_DIR) return process.env.CW_BUILD_DIR;
  const def = path.join(SOURCE_DIR, 'build');
  if (fs.existsSync(path.join(def, 'citywall-hub'))) return def;
  let best = null, bestT = 0;
  for (const d of fs.readdirSync(SOURCE_DIR)) {
    if (!d.startsWith('build')) continue;
    const f = path.join(SOURCE_DIR, d, 'citywall-hub');
    try {
      const t = fs.statSync(f).mtimeMs;
      if (t > bestT) { best = path.join(SOURCE_DIR, d); bestT = t; }
    } catch (e) { /* no hub there */ }
  }
  return best || def;
}

export const BUILD_DIR = findBuildDir();
export const HUB_BIN = path.join(BUILD_DIR, 'citywall-hub');
export const DEMO_CONFIG = path.join(SOURCE_DIR, 'config', 'demo.yaml');
export const ARTIFACTS = path.join(BUILD_DIR, 'artifacts');

export function log(...a) { process.stderr.write(a.join(' ') + '\n'); }
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Poll pred() until truthy (returned) or the deadline; throws naming `what` (a string, or an
// async function called at the deadline, to say what was seen instead).
export async function waitUntil(pred, timeoutMs, what, intervalMs = 20) {
  const end = Date.now() + timeoutMs;
  let last;
  for (;;) {
    try {
      const v = await pred();
      if (v) return v;
    } catch (e) { last = e; }
    if (Date.now() >= end) {
      const w = typeof what === 'function' ? await what().catch((e) => `(${e.message})`) : what;
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${w}${last ? ': ' + last.message : ''}`);
    }
    await sleep(intervalMs);
  }
}

export function at(hhmm, day = DAY) {
  const p = hhmm.split(':');
  if (p.length === 2) p.push('00');
  return `${day}T${p[0]}:${p[1]}:${p[2]}.000+08:00`;
}

export function ev(hall, seq, type, atS, data, feed) {
  const e = { hall, seq, type, at: atS.includes('T') ? atS : at(atS), data };
  if (feed) e.feed = feed;
  return e;
}

export function assert(cond, msg) { if (!cond) throw new Error('assertion failed: ' + msg); }
export function assertEq(a, b, msg) {
  if (JSON.stringify(a) !== JSON.stringify(b)) throw new Error(`${msg}: expected ${JSON.stringify(b)}, got ${JSON.stringify(a)}`);
}

// ---- the hub --------------------------------------------------------------------------------

const hubs = new Set();

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.unref();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => resolve(p)); });
  });
}

export class Hub {
  constructor({ clock = DEFAULT_CLOCK, config = DEMO_CONFIG, extraArgs = [] } = {}) {
    this.clock = clock;
    this.config = config;
    this.extraArgs = extraArgs;
    this.tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cwweb-'));
    this.db = path.join(this.tmp, 'hub.db');
    this.port = null;
    this.proc = null;
    this.starts = 0;
    this.cookies = {};
    hubs.add(this);
  }

  get base() { return `http://127.0.0.1:${this.port}`; }

  async start(timeoutMs = 30000) {
    if (!fs.existsSync(HUB_BIN)) throw new Error(`citywall-hub not found at ${HUB_BIN} (set CW_BUILD_DIR)`);
    if (!this.port) this.port = await freePort();
    this.starts++;
    this.logPath = path.join(this.tmp, `hub-${this.starts}.log`);
    const out = fs.openSync(this.logPath, 'w');
    this.proc = spawn(HUB_BIN, ['--config', this.config, '--listen', `127.0.0.1:${this.port}`, '--db', this.db, '--clock', this.clock, ...this.extraArgs],
      { cwd: this.tmp, stdio: ['ignore', out, out] });
    fs.closeSync(out);
    const proc = this.proc;
    let exited = false;
    proc.on('exit', () => { exited = true; });
    await waitUntil(async () => {
      if (exited) throw new Error(`hub exited early: ${this.logTail()}`);
      try {
        const r = await fetch(this.base + '/readyz');
        return r.status === 200;
      } catch (e) { return false; }
    }, timeoutMs, 'hub /readyz');
    return this;
  }

  logTail() {
    try { return fs.readFileSync(this.logPath, 'utf8').slice(-2000); } catch (e) { return ''; }
  }

  async stop(signal = 'SIGTERM') {
    const p = this.proc;
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    const done = new Promise((r) => p.once('exit', r));
    p.kill(signal);
    const t = setTimeout(() => p.kill('SIGKILL'), 10000);
    await done;
    clearTimeout(t);
  }

  killSync() {
    if (this.proc && this.proc.exitCode === null && this.proc.signalCode === null) {
      try { this.proc.kill('SIGKILL'); } catch (e) { /* gone */ }
    }
  }

  async close() {
    await this.stop();
    hubs.delete(this);
    if (!KEEP) fs.rmSync(this.tmp, { recursive: true, force: true });
    else log(`kept ${this.tmp}`);
  }

  // One request; returns {status, json, headers}.
  async request(method, p, { body, token, cookie } = {}) {
    const headers = {};
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    if (token) headers.Authorization = 'Bearer ' + token;
    if (cookie) headers.Cookie = cookie;
    const r = await fetch(this.base + p, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await r.text();
    let json = null;
    try { json = text ? JSON.parse(text) : null; } catch (e) { json = null; }
    return { status: r.status, json, headers: r.headers };
  }

  async login(user) {
    const r = await fetch(this.base + '/api/v1/login', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ user, password: ACCOUNTS[user] }) });
    if (r.status !== 200) throw new Error(`login ${user}: ${r.status}`);
    const sc = r.headers.get('set-cookie') || '';
    const m = /cw_session=([^;]+)/.exec(sc);
    if (!m) throw new Error('login: no cw_session cookie');
    return 'cw_session=' + m[1];
  }

  async cookie(user) {
    if (!this.cookies[user]) this.cookies[user] = await this.login(user);
    return this.cookies[user];
  }

  // Post events that must all be accepted.
  async ingest(events, token = TOKEN_ALL) {
    const r = await this.request('POST', '/api/v1/events', { body: events, token });
    if (r.status !== 200 || (r.json.rejected && r.json.rejected.length) || r.json.accepted !== events.length) {
      throw new Error(`ingest: ${r.status} ${JSON.stringify(r.json).slice(0, 600)}`);
    }
    return r.json;
  }

  async hall(id) {
    const r = await this.request('GET', '/api/v1/halls/' + id, { token: TOKEN_WALL });
    if (r.status !== 200) throw new Error(`GET /halls/${id}: ${r.status}`);
    return r.json;
  }

  async snapshot(cookieUser = 'admin') {
    const r = await this.request('GET', '/api/v1/snapshot', { cookie: await this.cookie(cookieUser) });
    return r.json;
  }
}

function killAll() { for (const h of hubs) h.killSync(); }
process.on('exit', killAll);
for (const s of ['SIGINT', 'SIGTERM']) process.on(s, () => { killAll(); process.exit(130); });

// ---- the browser ----------------------------------------------------------------------------

let chromium = null;
function loadPlaywright() {
  if (chromium) return chromium;
  const req = createRequire(path.join(SOURCE_DIR, 'package.json'));
  ({ chromium } = req('playwright-core'));
  return chromium;
}

export const BROWSER_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
  '--disable-quic', '--no-first-run', '--disable-sync', '--lang=zh-CN', '--font-render-hinting=none'];

// A fresh browser profile (its own --user-data-dir): {context, page, errors, close()}. errors
// collects console errors and uncaught page errors, except those `allow` accepts.
export async function browser({ width = 1920, height = 1080, allow = () => false } = {}) {
  const cr = loadPlaywright();
  if (!fs.existsSync(CHROMIUM)) throw new Error(`no browser at ${CHROMIUM} (install chromium: scripts/setup)`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cwweb-profile-'));
  const context = await cr.launchPersistentContext(dir, {
    executablePath: CHROMIUM,
    headless: true,
    args: BROWSER_ARGS,
    viewport: { width, height },
    deviceScaleFactor: 1,
    locale: 'zh-CN',
    timezoneId: 'Asia/Shanghai',
  });
  const errors = [];
  const watch = (page) => {
    page.on('console', (m) => {
      if (m.type() !== 'error') return;
      const e = { text: m.text(), url: (m.location() || {}).url || '' };
      if (!allow(e)) errors.push(e);
    });
    page.on('pageerror', (err) => errors.push({ text: 'pageerror: ' + err.message, url: '' }));
  };
  context.on('page', watch);
  const page = context.pages()[0] || await context.newPage();
  watch(page);
  return {
    context,
    page,
    errors,
    async close() {
      await context.close().catch(() => {});
      if (!KEEP) fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

// The 401 of GET /api/v1/me on a page opened before login is how the page learns it must show
// the login form; browsers log it as a failed resource load. Nothing else is allowed.
export function allowLogin401(e) {
  return /status of 401/.test(e.text) && /\/api\/v1\/me$/.test(e.url);
}

// Log in through the login page (the page must show it).
export async function uiLogin(page, user) {
  await page.waitForSelector('#login-user', { timeout: 10000 });
  await page.fill('#login-user', user);
  await page.fill('#login-pass', ACCOUNTS[user]);
  await page.click('.login-box button[type="submit"]');
  await page.waitForSelector('header.top', { timeout: 10000 });
}

export async function text(page, sel) {
  const el = await page.$(sel);
  return el ? (await el.textContent()).trim() : null;
}

export function num(s) {
  if (s === null || s === undefined) return NaN;
  const v = Number(String(s).replace(/[,\s%]/g, ''));
  return Number.isFinite(v) ? v : NaN;
}

export async function screenshot(page, name) {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  const f = path.join(ARTIFACTS, name);
  await page.screenshot({ path: f });
  return f;
}

// ---- runner ---------------------------------------------------------------------------------

const tests = [];
class Skip extends Error {}

export function test(name, fn) { tests.push({ name, fn }); }
export function skip(reason) { throw new Skip(reason); }

export async function run() {
  const only = process.argv.slice(2);
  let passed = 0, failed = 0, skipped = 0;
  const t0 = Date.now();
  for (const tc of tests) {
    if (only.length && !only.some((w) => tc.name.includes(w))) continue;
    const s = Date.now();
    try {
      await tc.fn();
      passed++;
      console.log(`ok    ${tc.name} (${Date.now() - s} ms)`);
    } catch (e) {
      if (e instanceof Skip) {
        skipped++;
        console.log(`SKIP  ${tc.name}: ${e.message}`);
      } else {
        failed++;
        console.log(`FAIL  ${tc.name} (${Date.now() - s} ms)\n      ${(e && e.stack) || e}`);
      }
    }
  }
  for (const h of [...hubs]) await h.close().catch(() => {});
  log(`(${((Date.now() - t0) / 1000).toFixed(1)} s, ${skipped} skipped)`);
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
}

// The dashboard on BASE/#/city as a watched live client for the fault suite
// (tests/fault/browser_*.mjs): logs in as `user` (exit 1 when refused), opens the city page,
// runs `setup(page)` once, then samples `sample` in the page every `everyMs` and prints
// {"t_ms": Date.now(), ...sample} as one JSON line whenever key(sample) changes and at least
// every second. `extra(s, b)` may add fields on the Node side first. Exits when stdin closes,
// after a screenshot to `shot` if given.
export async function watchCity({ name, base, user = 'city', shot, setup, sample, key, extra,
                                  everyMs = 50 }) {
  // a dead hub's resources (REST, a WebSocket attempt) fail by design: nothing is refused
  const b = await browser({ width: 1280, height: 720, allow: () => true });
  const r = await b.context.request.post(base + '/api/v1/login',
                                         { data: { user, password: ACCOUNTS[user] } });
  if (r.status() !== 200) {
    process.stderr.write(`${name}: login as ${user}: HTTP ${r.status()}\n`);
    process.exit(1);
  }
  await b.page.goto(base + '/#/city');
  if (setup) await setup(b.page);
  let last = '', lastT = 0, stopping = false;
  process.stdin.on('end', async () => {
    stopping = true;
    if (shot) await b.page.screenshot({ path: shot }).catch(() => {});
    await b.close();
    process.exit(0);
  });
  process.stdin.resume();
  while (!stopping) {
    let s = null;
    try {
      s = await b.page.evaluate(sample);
    } catch (e) { /* navigating */ }
    if (s) {
      if (extra) extra(s, b);
      const k = key(s);
      const now = Date.now();
      if (k !== last || now - lastT >= 1000) {
        process.stdout.write(JSON.stringify({ t_ms: now, ...s }) + '\n');
        last = k;
        lastT = now;
      }
    }
    await sleep(everyMs);
  }
}
