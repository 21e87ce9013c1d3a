// ui: small DOM helpers shared by the views: panels with an age badge, the KPI strip, text
// updates that flash on change, frame-coalesced rendering, a modal dialog, and the registry of
// data ages ("更新于 N 秒前") that one ticker refreshes every second.

import { t } from './i18n.js';
import { ageText, ageShort, esc } from './fmt.js';

// ---- data ages ----------------------------------------------------------------------------

const restFresh = new Map();
let liveRef = null;

export function setLive(live) { liveRef = live; }

// Mark a REST-fed source (e.g. "rest:history") as current now.
export function touch(key) { restFresh.set(key, performance.now()); }

export function ageOf(key) {
  if (!key) return Infinity;
  if (key.startsWith('rest:')) {
    const v = restFresh.get(key);
    return v === undefined ? Infinity : (performance.now() - v) / 1000;
  }
  return liveRef ? liveRef.ageS(key) : Infinity;
}

function connDown() {
  return liveRef && liveRef.state !== 'live' && liveRef.everLive;
}

// Refresh every age badge ([data-age="key"], optional data-age-max seconds before "stale").
export function refreshAges(root = document) {
  const down = connDown();
  for (const el of root.querySelectorAll('[data-age]')) {
    const key = el.dataset.age;
    const a = ageOf(key);
    const max = Number(el.dataset.ageMax || 20);
    const live = !key.startsWith('rest:');
    const stale = Number.isFinite(a) ? (a > max || (live && down)) : (live && down);
    const txt = Number.isFinite(a) ? ageText(a) : t('age.none');
    const s = stale ? t('age.stale', { age: Number.isFinite(a) ? ageShort(a) : t('age.none') }) : txt;
    if (el.textContent !== s) el.textContent = s;
    el.classList.toggle('stale', !!stale);
  }
}

// ---- rendering ----------------------------------------------------------------------------

// Coalesce calls of fn into one per animation frame; returns kick().
export function perFrame(fn) {
  let queued = false;
  return () => {
    if (queued) return;
    queued = true;
    requestAnimationFrame(() => { queued = false; fn(); });
  };
}

// Run fn at most once per ms (leading and trailing edge); returns kick().
export function throttle(fn, ms) {
  let last = 0, timer = null;
  return () => {
    const now = performance.now();
    if (timer) return;
    const wait = Math.max(0, last + ms - now);
    timer = setTimeout(() => { timer = null; last = performance.now(); fn(); }, wait);
  };
}

// Set an element's text; when it changed (not the first time), flash it.
export function setText(el, s, flash = true) {
  if (!el) return;
  s = String(s);
  if (el.textContent === s) return;
  const first = el.textContent === '' || el.dataset.init !== '1';
  el.textContent = s;
  el.dataset.init = '1';
  // Flash a changed value, at most once every 5 s per element (a busy city changes constantly).
  const now = performance.now();
  if (flash && !first && !(now - (el.__flashAt || -1e9) < 5000)) {
    el.__flashAt = now;
    el.classList.remove('flash');
    void el.offsetWidth;
    el.classList.add('flash');
  }
}

export function setHTML(el, html) {
  if (el && el.__html !== html) {
    el.innerHTML = html;
    el.__html = html;
  }
}

// A panel: <section class="panel"> with a title bar (title, tools slot, age badge) and a body.
export function panel({ title, age, ageMax, cls = '', tools = '' }) {
  const sec = document.createElement('section');
  sec.className = 'panel ' + cls;
  sec.innerHTML =
    `<header class="panel-h"><h3>${esc(title)}</h3><div class="tools">${tools}</div>` +
    (age ? `<span class="age" data-age="${esc(age)}"${ageMax ? ` data-age-max="${ageMax}"` : ''}></span>` : '') +
    `</header><div class="panel-b"></div>`;
  return { el: sec, body: sec.querySelector('.panel-b'), tools: sec.querySelector('.tools'), head: sec.querySelector('.panel-h') };
}

// ---- KPI strip ----------------------------------------------------------------------------

// Build the strip: items [{key, label}]; returns update(values) where values[key] =
// {value, unit, sub, tone} (tone: '', 'good', 'warn', 'bad').
export function kpiStrip(container, items, ageKey) {
  container.classList.add('kpis');
  container.innerHTML = items.map((it) =>
    `<div class="kpi" data-kpi-card="${it.key}">` +
    `<div class="kpi-v"><span class="num" data-kpi="${it.key}"></span><span class="unit"></span></div>` +
    `<div class="kpi-l">${esc(it.label)}</div><div class="kpi-s"></div></div>`).join('');
  // The strip's age sits in the sub-line of its first card (今日取号 has no sub-line of its own).
  const ageCard = ageKey ? items[0].key : null;
  if (ageKey) container.querySelector('.kpi-s').innerHTML = `<span class="age kpis-age" data-age="${esc(ageKey)}"></span>`;
  const cards = {};
  for (const it of items) {
    const c = container.querySelector(`[data-kpi-card="${it.key}"]`);
    cards[it.key] = { c, num: c.querySelector('.num'), unit: c.querySelector('.unit'), sub: c.querySelector('.kpi-s') };
  }
  return (values) => {
    for (const it of items) {
      const v = values[it.key] || {};
      const k = cards[it.key];
      setText(k.num, v.value ?? '—');
      setText(k.unit, v.unit || '', false);
      if (it.key !== ageCard) setText(k.sub, v.sub || '', false);
      k.c.dataset.tone = v.tone || '';
    }
  };
}

// ---- dialog -------------------------------------------------------------------------------

// A modal form. fields: [{name, label, type: 'text'|'textarea'|'select'|'datetime-local', value,
// options: [[value, label]]}]. onSubmit(values) may throw to show an error and keep the dialog.
export function dialog({ title, fields, submit, onSubmit }) {
  const wrap = document.createElement('div');
  wrap.className = 'modal';
  wrap.innerHTML = `<form class="modal-box"><h3>${esc(title)}</h3>` +
    fields.map((f) => {
      const id = 'f-' + f.name;
      let input;
      if (f.type === 'textarea') input = `<textarea id="${id}" name="${f.name}" rows="3">${esc(f.value || '')}</textarea>`;
      else if (f.type === 'select') input = `<select id="${id}" name="${f.name}">${f.options.map(([v, l]) => `<option value="${esc(v)}"${v === f.value ? ' selected' : ''}>${esc(l)}</option>`).join('')}</select>`;
      else input = `<input id="${id}" name="${f.name}" type="${f.type || 'text'}" value="${esc(f.value || '')}">`;
      return `<label for="${id}">${esc(f.label)}</label>${input}`;
    }).join('') +
    `<div class="modal-err"></div><div class="modal-btns"><button type="button" class="btn ghost" data-act="cancel">${esc(t('alerts.cancel'))}</button>` +
    `<button type="submit" class="btn primary">${esc(submit)}</button></div></form>`;
  document.body.appendChild(wrap);
  const form = wrap.querySelector('form');
  const close = () => wrap.remove();
  wrap.querySelector('[data-act="cancel"]').onclick = close;
  wrap.addEventListener('keydown', (e) => { if (e.key === 'Escape') close(); });
  form.onsubmit = async (e) => {
    e.preventDefault();
    const vals = {};
    for (const f of fields) vals[f.name] = form.elements[f.name].value;
    const btn = form.querySelector('button[type="submit"]');
    btn.disabled = true;
    try {
      await onSubmit(vals);
      close();
    } catch (err) {
      wrap.querySelector('.modal-err').textContent = err.message || String(err);
      btn.disabled = false;
    }
  };
  const first = form.querySelector('input,textarea,select');
  if (first) first.focus();
  return close;
}

// ---- small renderers ----------------------------------------------------------------------

export function statusDot(status) {
  return `<i class="dot st-${esc(status || 'unknown')}"></i>`;
}

// A whole-view error page (403, 404): the code, what happened, and the ways on.
// actions: [{href, label}].
export function errorPage(code, title, sub = '', actions = []) {
  return `<div class="errpage" data-error="${esc(String(code))}"><div class="errpage-code">${esc(String(code))}</div>` +
    `<div class="errpage-t">${esc(title)}</div>${sub ? `<div class="errpage-s">${esc(sub)}</div>` : ''}` +
    `<div class="errpage-a">${actions.map((a) => `<a class="btn" href="${esc(a.href)}">${esc(a.label)}</a>`).join('')}</div></div>`;
}

export function emptyState(title, sub = '') {
  return `<div class="empty"><div class="empty-t">${esc(title)}</div>${sub ? `<div class="empty-s">${esc(sub)}</div>` : ''}</div>`;
}

// A ring (conic gradient) for a rate in [0,1].
export function ring(rate, label, detail, tone = '') {
  const ok = typeof rate === 'number' && Number.isFinite(rate);
  const deg = ok ? Math.max(0, Math.min(1, rate)) * 360 : 0;
  return `<div class="ring" data-tone="${tone}"><div class="ring-c" style="--deg:${deg}deg"><div class="ring-i">` +
    `<span class="ring-v">${ok ? (rate * 100).toFixed(1) : '—'}</span>${ok ? '<span class="ring-u">%</span>' : ''}</div></div>` +
    `<div class="ring-l">${esc(label)}</div><div class="ring-d">${esc(detail || '')}</div></div>`;
}
