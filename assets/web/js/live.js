// live: the /live WebSocket client (SPEC §4, subprotocol citywall-live.v1).
//
// One connection per page. Views watch topics ("city", "hall/LH-03", "alerts"); the client
// subscribes to what is watched, keeps each topic's state (snapshot + RFC 7396 merge-patch
// deltas), and calls the watchers after every change. When the connection drops it reconnects
// with exponential backoff (0.25 s doubling to 2 s, +0-30 % jitter, forever) and resumes every
// topic with {"since": {"epoch", "rev"}} so that only missed changes come back.
//
// Freshness: a topic's state is known current at the instant of its last message, and at every
// pong after it (the hub handles a connection's messages in order, so a pong means every earlier
// change has been sent). The page pings every second; no traffic for 4 s counts as a dead
// connection, and so does a ping left unanswered for 4 s (a stalled hub, a blackhole, a link
// that is half-open in either direction). An attempt that has not brought `hello` within 5 s is
// abandoned (a stalled hub's kernel still accepts connections, and the browser would wait far
// longer for the upgrade). ageS(topic) is the seconds since the state was last known current.
//
// Cluster failover (docs/cluster.md "Browsers"): given several hub URLs (`urls`, the page's own
// hub first), every lost connection moves the next attempt to the next hub in the list. The
// hubs of a cluster share the log's epoch and revs, so the resume with `since` works there too
// and brings `recovered` rather than a snapshot. home() goes back to the page's own hub (the
// app calls it once that hub answers again, so that its REST calls work again). stats.moves
// counts the moves; `url` is the hub in use.

export function mergePatch(target, patch) {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) return patch;
  const out = target !== null && typeof target === 'object' && !Array.isArray(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

const PROTO = 'citywall-live.v1';
const PING_MS = 1000;
const PONG_MS = 4000;
const DEAD_MS = 4000;
const CONNECT_MS = 5000;
const BACKOFF_MS = 250;
const BACKOFF_MAX_MS = 2000;

export class Live {
  constructor({ token = null, url = null, urls = null } = {}) {
    this.token = token;
    this.urls = urls && urls.length ? [...urls] : [url || `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/live`];
    this.urlIndex = 0;
    this.url = this.urls[0];
    this.topics = new Map();
    this.ws = null;
    this.hello = null;
    this.state = 'connecting';
    this.attempt = 0;
    this.downSince = null;
    this.lastRx = 0;
    this.lastPing = 0;
    this.statusFns = new Set();
    this.authFns = new Set();
    this.helloFns = new Set();
    this.anyFns = new Set();
    this.pingOut = 0;
    this.stopped = false;
    this.retryTimer = null;
    this.watchdog = setInterval(() => this._tick(), 250);
    this.stats = { messages: 0, deltas: 0, snapshots: 0, reconnects: 0, recovered: 0, moves: 0 };
  }

  start() {
    this._connect();
    return this;
  }

  stop() {
    this.stopped = true;
    clearInterval(this.watchdog);
    clearTimeout(this.retryTimer);
    if (this.ws) this.ws.close(1000);
  }

  // Back to the page's own hub (urls[0]) from another hub of the cluster, without a STALE
  // moment: the live state stays until the new connection's hello (or its failure, which moves
  // on round the list as any lost connection does).
  home() {
    if (this.urlIndex === 0 || this.stopped || this.state !== 'live') return;
    const ws = this.ws;
    this.ws = null;
    try { if (ws) ws.close(1000, 'home'); } catch (e) { /* already closing */ }
    this.pingOut = 0;
    for (const tp of this.topics.values()) tp.subscribed = false;
    this.urlIndex = 0;
    this.url = this.urls[0];
    this.stats.moves++;
    this._connect();
  }

  onStatus(fn) { this.statusFns.add(fn); fn(this.status()); return () => this.statusFns.delete(fn); }
  onAuthError(fn) { this.authFns.add(fn); return () => this.authFns.delete(fn); }
  onHello(fn) { this.helloFns.add(fn); return () => this.helloFns.delete(fn); }
  // fn() after any topic changed (e.g. to refresh age badges).
  onAny(fn) { this.anyFns.add(fn); return () => this.anyFns.delete(fn); }

  status() {
    return { state: this.state, attempt: this.attempt, downSince: this.downSince, hello: this.hello, url: this.url, home: this.urlIndex === 0 };
  }

  // Watch a topic: fn(topic) after every change ({name, data, rev, error}). Returns the unwatch
  // function; the topic is unsubscribed when nobody watches it any more.
  watch(name, fn) {
    let tp = this.topics.get(name);
    if (!tp) {
      tp = { name, data: null, rev: 0, epoch: null, error: null, fresh: 0, fns: new Set(), subscribed: false, snapshots: 0, recovered: 0 };
      this.topics.set(name, tp);
      this._subscribe(tp);
    }
    tp.fns.add(fn);
    if (tp.data !== null || tp.error) queueMicrotask(() => { if (tp.fns.has(fn)) fn(tp); });
    return () => {
      tp.fns.delete(fn);
      if (tp.fns.size === 0) {
        this.topics.delete(name);
        if (tp.subscribed) this._send({ op: 'unsubscribe', topics: [name] });
      }
    };
  }

  topic(name) { return this.topics.get(name) || null; }

  // Seconds since the topic's state was last known current (Infinity when never).
  ageS(name) {
    const tp = this.topics.get(name);
    if (!tp || !tp.fresh) return Infinity;
    return (performance.now() - tp.fresh) / 1000;
  }

  _status() {
    const s = this.status();
    for (const fn of this.statusFns) fn(s);
  }

  _send(msg) {
    if (this.ws && this.ws.readyState === WebSocket.OPEN) {
      this.ws.send(JSON.stringify(msg));
      return true;
    }
    return false;
  }

  _subscribe(tp) {
    if (!this.hello) return;
    const msg = { op: 'subscribe', topics: [tp.name] };
    if (tp.data !== null && tp.epoch && tp.rev) msg.since = { epoch: tp.epoch, rev: tp.rev };
    tp.error = null;
    tp.subscribed = this._send(msg);
  }

  _connect() {
    if (this.stopped) return;
    this.hello = null;
    let ws;
    try {
      ws = new WebSocket(this.url, PROTO);
    } catch (e) {
      this._closed();
      return;
    }
    this.ws = ws;
    this.connectAt = performance.now();
    ws.onopen = () => {
      this.lastRx = performance.now();
      if (this.token) ws.send(JSON.stringify({ op: 'auth', token: this.token }));
    };
    ws.onmessage = (ev) => {
      if (ws !== this.ws) return;
      this.lastRx = performance.now();
      let msg;
      try { msg = JSON.parse(ev.data); } catch (e) { return; }
      this._handle(msg);
    };
    ws.onclose = (ev) => {
      if (ws !== this.ws) return;
      this.ws = null;
      if (ev.code === 1008 || ev.code === 4001) for (const fn of this.authFns) fn({ code: 'closed_' + ev.code });
      this._closed();
    };
    ws.onerror = () => { /* onclose follows */ };
  }

  _closed() {
    this.pingOut = 0;
    for (const tp of this.topics.values()) tp.subscribed = false;
    this.hello = null;
    if (this.downSince === null) this.downSince = performance.now();
    this.state = this.attempt === 0 && !this.everLive ? 'connecting' : 'down';
    this.attempt++;
    if (this.urls.length > 1) { // a cluster: the next attempt goes to the next hub
      this.urlIndex = (this.urlIndex + 1) % this.urls.length;
      this.url = this.urls[this.urlIndex];
      this.stats.moves++;
    }
    this._status();
    if (this.stopped) return;
    const base = Math.min(BACKOFF_MAX_MS, BACKOFF_MS * 2 ** Math.min(this.attempt - 1, 5));
    const delay = base * (1 + Math.random() * 0.3);
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => { this.stats.reconnects++; this._connect(); }, delay);
  }

  _tick() {
    const now = performance.now();
    if (this.ws && !this.hello && now - this.connectAt > CONNECT_MS) {
      const ws = this.ws;
      this.ws = null;
      try { ws.close(); } catch (e) { /* already closing */ }
      this._closed();
      return;
    }
    if (this.ws && this.ws.readyState === WebSocket.OPEN) {
      if (now - this.lastRx > DEAD_MS || (this.pingOut && now - this.pingOut > PONG_MS)) {
        const ws = this.ws;
        this.ws = null;
        try { ws.close(4000, 'no traffic'); } catch (e) { /* already closing */ }
        this._closed();
        return;
      }
      if (this.hello && now - this.lastPing >= PING_MS) {
        this.lastPing = now;
        if (!this.pingOut) this.pingOut = now;
        this._send({ op: 'ping' });
      }
    }
  }

  _handle(msg) {
    this.stats.messages++;
    const now = performance.now();
    switch (msg.op) {
      case 'hello':
        this.hello = msg;
        this.state = 'live';
        this.everLive = true;
        this.attempt = 0;
        this.downSince = null;
        for (const fn of this.helloFns) fn(msg);
        for (const tp of this.topics.values()) this._subscribe(tp);
        this._status();
        break;
      case 'pong':
        this.pingOut = 0;
        for (const tp of this.topics.values()) if (tp.data !== null && tp.subscribed) tp.fresh = now;
        break;
      case 'snapshot':
      case 'delta': {
        const tp = this.topics.get(msg.topic);
        if (!tp) break;
        if (msg.op === 'snapshot') {
          this.stats.snapshots++;
          tp.snapshots++;
          tp.data = msg.data || {};
        } else {
          this.stats.deltas++;
          tp.data = mergePatch(tp.data || {}, msg.data || {});
        }
        tp.rev = msg.rev;
        if (msg.epoch) tp.epoch = msg.epoch;
        else if (this.hello) tp.epoch = this.hello.epoch;
        tp.error = null;
        tp.fresh = now;
        this._notify(tp);
        break;
      }
      case 'recovered': {
        const tp = this.topics.get(msg.topic);
        if (!tp) break;
        this.stats.recovered++;
        tp.recovered++;
        if (typeof msg.rev === 'number' && msg.rev > tp.rev) tp.rev = msg.rev;
        tp.fresh = now;
        this._notify(tp);
        break;
      }
      case 'error': {
        const code = msg.code || 'error';
        if (code === 'auth_required' || code === 'auth_failed') {
          for (const fn of this.authFns) fn(msg);
          break;
        }
        let name = msg.topic;
        if (!name) {
          const m = /'([^']+)'/.exec(msg.message || '');
          if (m) name = m[1];
        }
        const tp = name && this.topics.get(name);
        if (tp) {
          tp.error = code;
          tp.subscribed = false;
          this._notify(tp);
        }
        break;
      }
      default:
        break;
    }
  }

  _notify(tp) {
    for (const fn of [...tp.fns, ...this.anyFns]) {
      try { fn(tp); } catch (e) { setTimeout(() => { throw e; }); }
    }
  }
}
