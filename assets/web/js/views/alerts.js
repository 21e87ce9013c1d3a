// alerts: the alert centre (SPEC §6). Active alerts from the live `alerts` topic, history from
// GET /api/v1/alerts?state=all; acknowledge with a note (POST /api/v1/alerts/{id}/ack); silences
// (GET/POST/DELETE /api/v1/silences). When the hub has no alerting yet (the topic is unknown),
// the view says "alerting not available" and calls none of these endpoints.

import { t } from '../i18n.js';
import { get, post, del, asList } from '../api.js';
import { esc, shortHall, mdhm, dur, rfc3339, parseTime } from '../fmt.js';
import { panel, setHTML, emptyState, touch, dialog } from '../ui.js';
import { alertsFromRest, ruleName, RULES, alertText } from '../alertsmodel.js';
import { bizAgeS, bizNow } from '../clock.js';

let tab = 'active';

function localInput(ms) {
  // datetime-local value (city time, +08:00) of an instant.
  return rfc3339(ms).slice(0, 16);
}

export function mount(root, ctx) {
  root.innerHTML = `<div class="col col-l"></div><div class="col col-r"></div>`;
  const segs = `<div class="segs"><button class="seg${tab === 'active' ? ' on' : ''}" data-tab="active">${esc(t('alerts.active'))}</button>` +
    `<button class="seg${tab === 'history' ? ' on' : ''}" data-tab="history">${esc(t('alerts.history'))}</button></div>` +
    // the stored alert history as CSV (GET /alerts/history?format=csv, docs/statistics.md)
    `<a class="btn" data-export="alerts-history" download="citywall-alerts-history.csv" href="/api/v1/alerts/history?format=csv">${esc(t('alerts.export'))}</a>`;
  const pList = panel({ title: t('nav.alerts'), age: 'alerts', ageMax: 30, tools: segs, cls: 'p-alist' });
  const pNew = panel({ title: t('alerts.new_silence'), cls: 'p-newsil' });
  const pSil = panel({ title: t('alerts.silences'), age: 'rest:silences', ageMax: 60, cls: 'p-sils' });
  root.querySelector('.col-l').append(pList.el);
  root.querySelector('.col-r').append(pNew.el, pSil.el);
  pList.body.classList.add('scroll');
  pSil.body.classList.add('scroll');

  let history = null;
  let silences = null;
  const localAcks = new Map();
  let timer = null;

  pList.tools.addEventListener('click', (e) => {
    const b = e.target.closest('[data-tab]');
    if (!b) return;
    tab = b.dataset.tab;
    for (const x of pList.tools.querySelectorAll('[data-tab]')) x.classList.toggle('on', x === b);
    if (tab === 'history') loadHistory();
    renderList();
  });

  const ackCell = (a) => {
    const k = a.ack || localAcks.get(a.id);
    if (!k) return '';
    return `<div class="ackd">✓ ${esc(k.by || '')} ${k.at ? esc(mdhm(k.at)) : ''}<small>${esc(k.note || '')}</small></div>`;
  };

  const rowHtml = (a, withAck) => {
    const h = ctx.hallById.get(a.hall);
    const st = a.silenced ? 'silenced' : a.inhibited ? 'inhibited' : a.state;
    const end = a.resolved && st === 'resolved' ? parseTime(a.resolved) : NaN;
    const len = Number.isFinite(end) ? (end - parseTime(a.started)) / 1000 : bizAgeS(a.started);
    const escb = a.escalation ? ` <span class="escb" data-escalated="${a.escalation}">${esc(t('alerts.escalated'))} ${a.escalation}</span>` : '';
    return `<tr data-alert-id="${esc(a.id)}"><td><span class="sevb ${esc(a.severity)}">${esc(a.severity)}</span>${escb}</td>` +
      `<td class="rule">${esc(a.rule)} <span class="dimc">${esc(a.title || ruleName(a.rule))}</span></td>` +
      `<td>${esc(h ? shortHall(h.name) : a.hall || t('alerts.hub'))}</td>` +
      `<td class="sum">${esc(alertText(a, h))}${a.scope ? `<div class="dimc">${esc(a.scope)}</div>` : ''}</td>` +
      `<td class="dimc">${esc(mdhm(a.started))}</td><td class="num">${esc(dur(len))}</td>` +
      `<td><span class="stt ${esc(st)}">${esc(t('alerts.' + st) === 'alerts.' + st ? st : t('alerts.' + st))}</span></td>` +
      `<td>${ackCell(a)}</td>` +
      `<td>${withAck && st !== 'resolved' ? `<button class="btn small" data-ack="${esc(a.id)}">${esc(t('alerts.ack'))}</button>` : ''}</td></tr>`;
  };

  const renderList = () => {
    const a = ctx.alerts;
    if (a.available === false) { setHTML(pList.body, emptyState(t('alerts.unavailable'), t('alerts.unavailable.sub'))); return; }
    if (a.available === null) { setHTML(pList.body, emptyState(t('age.none'))); return; }
    const list = tab === 'active' ? a.list : (history || []);
    if (!list.length) { setHTML(pList.body, emptyState(tab === 'active' ? t('alerts.none') : t('history.empty'))); return; }
    setHTML(pList.body, `<table class="tbl alerts-tbl"><thead><tr><th>${esc(t('col.sev'))}</th><th>${esc(t('col.rule'))}</th><th>${esc(t('col.hall'))}</th>` +
      `<th>${esc(t('col.summary'))}</th><th>${esc(t('col.started'))}</th><th class="num">${esc(t('col.duration'))}</th><th>${esc(t('col.state'))}</th>` +
      `<th>${esc(t('col.ack'))}</th><th></th></tr></thead><tbody>${list.map((x) => rowHtml(x, true)).join('')}</tbody></table>`);
  };

  pList.body.addEventListener('click', (e) => {
    const b = e.target.closest('[data-ack]');
    if (!b) return;
    const id = b.dataset.ack;
    dialog({
      title: t('alerts.ack.title') + ' · ' + id,
      fields: [{ name: 'note', label: t('alerts.ack.note'), type: 'textarea' }],
      submit: t('alerts.ack.submit'),
      onSubmit: async (v) => {
        try {
          await post(`/api/v1/alerts/${encodeURIComponent(id)}/ack`, { note: v.note });
        } catch (err) {
          throw new Error(t('alerts.ack.failed', { e: err.message }));
        }
        localAcks.set(id, { by: ctx.me.user, at: rfc3339(bizNow()), note: v.note });
        renderList();
      },
    });
  });

  const loadHistory = async () => {
    if (ctx.alerts.available !== true) return;
    try {
      history = alertsFromRest(await get('/api/v1/alerts?state=all'))
        .sort((x, y) => String(y.started).localeCompare(String(x.started)));
      touch('rest:alerts');
    } catch (e) {
      history = [];
    }
    renderList();
  };

  // ---- silences

  const hallOpts = [['', t('alerts.silence.any')], ...ctx.halls.map((h) => [h.id, `${h.id} ${shortHall(h.name)}`])];
  const ruleOpts = [['', t('alerts.silence.any')], ...Object.keys(RULES).map((r) => [r, `${r} ${ruleName(r)}`])];
  const sel = (name, opts) => `<select name="${name}">${opts.map(([v, l]) => `<option value="${esc(v)}">${esc(l)}</option>`).join('')}</select>`;

  const renderForm = () => {
    if (ctx.alerts.available === false) { setHTML(pNew.body, emptyState(t('alerts.unavailable'))); return; }
    let form = pNew.body.querySelector('form');
    if (!form) {
      pNew.body.innerHTML = `<form class="form">` +
        `<label>${esc(t('alerts.silence.hall'))}</label>${sel('hall', hallOpts)}` +
        `<label>${esc(t('alerts.silence.rule'))}</label>${sel('rule', ruleOpts)}` +
        `<label>${esc(t('alerts.silence.repeat'))}</label>${sel('repeat', [['', t('alerts.silence.once')], ['workdays', t('alerts.silence.workdays')], ['all', t('alerts.silence.daily')]])}` +
        `<label data-once>${esc(t('alerts.silence.from'))}</label><input data-once name="from" type="datetime-local">` +
        `<label data-once>${esc(t('alerts.silence.to'))}</label><input data-once name="to" type="datetime-local">` +
        `<label data-rec hidden>${esc(t('alerts.silence.hours'))}</label><div data-rec hidden class="ctl"><input name="tfrom" type="time" value="12:00"><span>—</span><input name="tto" type="time" value="13:30"></div>` +
        `<label>${esc(t('alerts.silence.comment'))}</label><input name="comment" maxlength="200">` +
        `<div class="form-err"></div><button class="btn primary" type="submit">${esc(t('alerts.silence.create'))}</button></form>`;
      form = pNew.body.querySelector('form');
      const f = form.elements;
      f.from.addEventListener('input', () => { f.from.dataset.touched = '1'; });
      f.to.addEventListener('input', () => { f.to.dataset.touched = '1'; });
      f.repeat.addEventListener('change', () => {
        const rec = !!f.repeat.value;
        for (const el of form.querySelectorAll('[data-once]')) el.hidden = rec;
        for (const el of form.querySelectorAll('[data-rec]')) el.hidden = !rec;
      });
      form.onsubmit = async (e) => {
        e.preventDefault();
        const matchers = [];
        if (f.hall.value) matchers.push({ name: 'hall', value: f.hall.value, isRegex: false, isEqual: true });
        if (f.rule.value) matchers.push({ name: 'alertname', value: f.rule.value, isRegex: false, isEqual: true });
        if (!matchers.length) matchers.push({ name: 'alertname', value: '.+', isRegex: true, isEqual: true });
        const body = { matchers, comment: f.comment.value };
        if (f.repeat.value) body.recurrence = { days: f.repeat.value, from: f.tfrom.value, to: f.tto.value };
        else { body.startsAt = f.from.value + ':00+08:00'; body.endsAt = f.to.value + ':00+08:00'; }
        try {
          await post('/api/v1/silences', body);
          form.querySelector('.form-err').textContent = '';
          f.comment.value = '';
          loadSilences();
        } catch (err) {
          form.querySelector('.form-err').textContent = t('alerts.silence.failed', { e: err.message });
        }
      };
    }
    // Default window: business now to now + 2 h, until the user edits it.
    const now = bizNow();
    if (Number.isFinite(now)) {
      const f = form.elements;
      if (!f.from.dataset.touched) f.from.value = localInput(now);
      if (!f.to.dataset.touched) f.to.value = localInput(now + 2 * 3600000);
    }
  };

  const silText = (s) => {
    const ms = s.matchers || [];
    const parts = ms.map((m) => {
      if (m.name === 'hall') { const h = ctx.hallById.get(m.value); return h ? shortHall(h.name) : m.value; }
      if (m.name === 'alertname') return m.isRegex && m.value === '.+' ? t('alerts.silence.any') : `${m.value} ${ruleName(m.value)}`;
      return `${m.name}${m.isEqual === false ? '!=' : '='}${m.value}`;
    });
    return parts.length ? parts.join(' · ') : t('alerts.silence.any');
  };

  const renderSilences = () => {
    if (ctx.alerts.available === false) { setHTML(pSil.body, emptyState(t('alerts.unavailable'))); return; }
    if (!silences) { setHTML(pSil.body, emptyState(t('age.none'))); return; }
    if (!silences.length) { setHTML(pSil.body, emptyState(t('alerts.silence.none'))); return; }
    setHTML(pSil.body, silences.map((s) => {
      const from = s.startsAt || s.starts_at || s.from, to = s.endsAt || s.ends_at || s.to;
      const rec = s.recurrence || s.recurring;
      const st = (s.status && s.status.state) || '';
      const when = rec && typeof rec === 'object'
        ? `${t(rec.days === 'workdays' ? 'alerts.silence.workdays' : rec.days === 'all' ? 'alerts.silence.daily' : 'alerts.silence.days', { d: rec.days })} ${rec.from}–${rec.to}`
        : `${from ? mdhm(from) : ''} → ${to ? mdhm(to) : ''}`;
      return `<div class="sil${st === 'expired' ? ' expired' : ''}"><div class="sil-m"><b>${esc(silText(s))}</b>` +
        `${st ? `<span class="stt${st === 'active' ? ' silenced' : ''}">${esc(t('alerts.silence.' + st))}</span>` : ''}` +
        `<small>${esc(when)}</small>` +
        `<small>${esc(s.comment || '')}${s.createdBy || s.created_by ? ' · ' + esc(s.createdBy || s.created_by) : ''}</small></div>` +
        (st === 'expired' ? '' : `<button class="btn small danger" data-del="${esc(s.id)}">${esc(t('alerts.silence.delete'))}</button>`) + `</div>`;
    }).join(''));
  };

  pSil.body.addEventListener('click', async (e) => {
    const b = e.target.closest('[data-del]');
    if (!b) return;
    b.disabled = true;
    try {
      await del('/api/v1/silences/' + encodeURIComponent(b.dataset.del));
    } catch (err) {
      b.disabled = false;
      return;
    }
    loadSilences();
  });

  const loadSilences = async () => {
    if (ctx.alerts.available !== true) return;
    try {
      silences = asList(await get('/api/v1/silences'), 'silences', 'items');
      touch('rest:silences');
    } catch (e) {
      silences = [];
    }
    renderSilences();
  };

  let started = false;
  const onAlerts = () => {
    renderList();
    renderForm();
    renderSilences();
    if (ctx.alerts.available === true && !started) {
      started = true;
      loadSilences();
      if (tab === 'history') loadHistory();
      timer = setInterval(() => { loadSilences(); if (tab === 'history') loadHistory(); }, 15000);
    }
  };
  const unAlerts = ctx.onAlerts(onAlerts);

  return {
    tick() { if (tab === 'active') renderList(); },
    unmount() { unAlerts(); clearInterval(timer); },
  };
}
