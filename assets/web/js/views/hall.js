// hall: one hall's drill-down. KPI strip (hall scope); the queues per biz type (waiting, longest
// wait against the SLA, EWT, service level); the windows grid (state, staff, current ticket, for
// how long); camera status; the latest reviews; the hall's alerts. Data: the `hall/<id>` topic
// (the hub refuses another hall's topic to a hall account: the page shows "no access").

import { t, catName } from '../i18n.js';
import { esc, int, pct, has, shortHall, hhmm, dur } from '../fmt.js';
import { panel, kpiStrip, perFrame, throttle, setHTML, emptyState, statusDot, errorPage } from '../ui.js';
import { stripItems, stripValues } from '../kpis.js';
import { bizAgeS } from '../clock.js';
import { alertText } from '../alertsmodel.js';
import { makeTrend } from '../trend.js';
import { makeChart, disposeChart, baseOption, valueAxis, C } from '../charts.js';
import { hallBackLink } from './province_city.js';

const WIN_ORDER = { serving: 0, open: 1, paused: 2, closed: 3 };

export function mount(root, ctx, hallId) {
  const reg = ctx.hallById.get(hallId);
  const opts = ctx.halls.map((h) => `<option value="${esc(h.id)}"${h.id === hallId ? ' selected' : ''}>${esc(h.id)} ${esc(shortHall(h.name))}</option>`).join('');
  root.innerHTML =
    `<div class="hall-bar"><select data-hall-pick aria-label="${esc(t('hall.pick'))}"${ctx.kiosk ? ' hidden' : ''}>${opts}</select>` +
    `<h2 data-hall-name>${esc(reg ? reg.name : hallId)}</h2><span class="lvl">${esc(reg ? t('levels.' + reg.level) : '')}</span>` +
    `<span class="pill" data-hall-status></span><span class="meta" data-hall-last></span><span class="spacer"></span>` +
    `<span class="age" data-age="hall/${esc(hallId)}"></span></div>` +
    `<div class="kpis-row"></div>` +
    `<div class="hall-grid"><div class="col col-l"></div><div class="col col-c"></div><div class="col col-r"></div></div>`;
  const pick = root.querySelector('[data-hall-pick]');
  pick.onchange = () => ctx.nav('#/hall/' + pick.value);
  const topic = 'hall/' + hallId;

  // A whole-view 403 (another hall) or 404 (no such hall) with the ways on, as the hub answers
  // the hall's topic (forbidden / unknown_topic; over the live socket, so no failed request).
  const showError = (code) => {
    const mine = ctx.halls.length ? ctx.halls[0] : null;
    const actions = [{ href: '#/city', label: t('nav.city') }];
    if (mine && ctx.me && ctx.me.role === 'hall') actions.unshift({ href: '#/hall/' + mine.id, label: t('err.myhall', { v: shortHall(mine.name) }) });
    root.innerHTML = errorPage(code, code === 404 ? t('hall.unknown') : t('hall.forbidden'),
      code === 404 ? t('hall.unknown.sub', { v: hallId }) : t('hall.forbidden.sub', { v: hallId }), actions);
  };
  const errCode = (e) => (e === 'unknown_topic' ? 404 : 403);

  if (!reg) {
    // Not in this user's hall list (GET /api/v1/halls is scoped by the hub): ask the topic.
    root.querySelector('.kpis-row').hidden = true;
    root.querySelector('.hall-grid').innerHTML = emptyState(t('age.none'));
    const unwatchErr = ctx.live.watch(topic, (tp) => { if (tp.error) showError(errCode(tp.error)); else if (tp.data) showError(403); });
    return { unmount() { unwatchErr(); } };
  }

  const unBack = hallBackLink(root.querySelector('.hall-bar'), ctx); // from a province's city
  const updKpis = kpiStrip(root.querySelector('.kpis-row'), stripItems(), topic);
  const pQ = panel({ title: t('panel.queues'), age: topic, cls: 'p-queues' });
  const pCam = panel({ title: t('panel.cameras'), age: topic, cls: 'p-cams' });
  const pTrend = panel({ title: t('panel.trend'), age: topic, cls: 'p-htrend' });
  pTrend.body.innerHTML = '<div class="chart"></div>';
  const pWin = panel({ title: t('panel.windows'), age: topic, cls: 'p-wins', tools: '<div class="wins-sum"></div>' });
  const pPerf = panel({ title: t('panel.win_perf'), age: topic, cls: 'p-perf' });
  pPerf.body.innerHTML = '<div class="chart"></div>';
  const pRv = panel({ title: t('panel.reviews'), age: topic, cls: 'p-reviews' });
  const pAl = panel({ title: t('panel.hall_alerts'), age: 'alerts', ageMax: 30, cls: 'p-halerts' });
  root.querySelector('.col-l').append(pQ.el, pTrend.el, pCam.el);
  const trend = makeTrend(pTrend.body.querySelector('.chart'), [hallId], 'rest:trend-' + hallId);
  const kickTrend = throttle(() => { if (alive && data && !err) { trend.render(data.day, data.kpi); renderPerf(); } }, 1000);
  root.querySelector('.col-c').append(pWin.el);
  // Small halls: the windows grid leaves room for each window's output today.
  const sparse = reg.windows.length <= 16;
  if (sparse) root.querySelector('.col-c').append(pPerf.el);
  root.querySelector('.col-c').classList.toggle('with-perf', sparse);
  const perfChart = sparse ? makeChart(pPerf.body.querySelector('.chart')) : null;
  const renderPerf = () => {
    if (!perfChart || !data) return;
    const wins = data.windows || {};
    const ids = reg.windows.map((w) => w.id).filter((id) => wins[id]);
    const served = ids.map((id) => (wins[id].kpi && wins[id].kpi.served) || 0);
    const avg = ids.map((id) => { const v = wins[id].kpi && wins[id].kpi.avg_service_s; return has(v) ? Math.round(v / 6) / 10 : null; });
    const opt = baseOption();
    const axisX = (gi, show) => ({
      type: 'category', gridIndex: gi, data: ids, axisTick: { show: false },
      axisLine: { lineStyle: { color: C.faint } }, axisLabel: { show, color: C.text, fontSize: 13, fontWeight: 'bold' },
    });
    perfChart.setOption({
      ...opt,
      animation: false,
      tooltip: { ...opt.tooltip, trigger: 'axis', axisPointer: { type: 'shadow' } },
      legend: { ...opt.legend, data: [t('perf.served'), t('perf.avg_service')] },
      grid: [{ left: 8, right: 12, top: 34, height: '40%', containLabel: true }, { left: 8, right: 12, bottom: 4, height: '30%', containLabel: true }],
      xAxis: [axisX(0, false), axisX(1, true)],
      yAxis: [valueAxis({ gridIndex: 0, splitNumber: 3 }), valueAxis({ gridIndex: 1, splitNumber: 2, minInterval: 0 })],
      series: [
        {
          name: t('perf.served'), type: 'bar', xAxisIndex: 0, yAxisIndex: 0, data: served, barMaxWidth: 34,
          label: { show: true, position: 'top', color: '#fff', fontSize: 13 },
          itemStyle: { borderRadius: [3, 3, 0, 0], color: { type: 'linear', x: 0, y: 0, x2: 0, y2: 1, colorStops: [{ offset: 0, color: '#3ad1ff' }, { offset: 1, color: 'rgba(59,130,246,0.25)' }] } },
        },
        {
          name: t('perf.avg_service'), type: 'bar', xAxisIndex: 1, yAxisIndex: 1, data: avg, barMaxWidth: 34,
          label: { show: true, position: 'top', color: C.text, fontSize: 12, formatter: (p) => (p.value == null ? '' : p.value.toFixed(1)) },
          itemStyle: { borderRadius: [3, 3, 0, 0], color: { type: 'linear', x: 0, y: 0, x2: 0, y2: 1, colorStops: [{ offset: 0, color: '#a78bfa' }, { offset: 1, color: 'rgba(167,139,250,0.2)' }] } },
        },
      ],
    }, { notMerge: true });
  };
  root.querySelector('.col-r').append(pRv.el, pAl.el);

  let data = null;
  let err = null;

  const renderBar = () => {
    const st = data.status || 'unknown';
    const pill = root.querySelector('[data-hall-status]');
    pill.className = `pill st-${st}-p`;
    setHTML(pill, `${statusDot(st)}${esc(t('status.' + st))}`);
    const last = data.last_event_at;
    setHTML(root.querySelector('[data-hall-last]'), last ? esc(t('hall.last_event', { v: `${hhmm(last, true)} (${dur(bizAgeS(last))})` })) : '');
  };

  const renderQueues = () => {
    const biz = data.biz || {};
    const order = reg ? reg.biz.map((b) => b.id).filter((id) => biz[id]) : Object.keys(biz);
    for (const id of Object.keys(biz)) if (!order.includes(id)) order.push(id);
    const rows = order.map((id) => {
      const b = biz[id];
      const sla = b.sla_s || (reg && (reg.biz.find((x) => x.id === id) || {}).sla_s) || 1800;
      const long = b.max_wait_live_s;
      const frac = has(long) ? long / sla : 0;
      const cls = frac > 1 ? 'bad' : frac > 0.7 ? 'warn' : '';
      return `<tr><td><div class="q-biz"><span class="q-id">${esc(id)}</span><span>${esc(b.name || id)}</span><span class="q-cat">${esc(catName(b.category || ''))}</span></div></td>` +
        `<td class="num"><b>${int(b.waiting)}</b></td>` +
        `<td class="num ${cls}">${dur(long)}<span class="slbar"><i class="${cls}" style="width:${Math.min(100, frac * 100)}%"></i></span></td>` +
        `<td class="num">${dur(b.ewt_s)}</td>` +
        `<td class="num ${has(b.sl_60m) && b.sl_60m < 0.8 ? 'warn' : ''}">${pct(b.sl_60m, 0)}</td>` +
        `<td class="num">${dur(b.avg_wait_s)}</td>` +
        `<td class="num">${int(b.issued)}</td></tr>`;
    }).join('');
    setHTML(pQ.body, `<table class="tbl queues${order.length > 5 ? ' many' : ''}"><thead><tr><th>${esc(t('col.biz'))}</th><th class="num">${esc(t('col.waiting'))}</th>` +
      `<th class="num">${esc(t('col.longest'))}</th><th class="num">${esc(t('col.ewt'))}</th><th class="num">${esc(t('col.sl'))}</th>` +
      `<th class="num">${esc(t('col.avg_wait'))}</th><th class="num">${esc(t('col.issued'))}</th></tr></thead><tbody>${rows}</tbody></table>`);
  };

  // The windows grid: one element per window, kept across renders; a tile's DOM is touched only
  // when its content changed.
  let tileIds = '';
  const renderWindows = () => {
    const wins = data.windows || {};
    const ids = reg ? reg.windows.map((w) => w.id).filter((id) => wins[id]) : Object.keys(wins);
    for (const id of Object.keys(wins)) if (!ids.includes(id)) ids.push(id);
    if (ids.join(',') !== tileIds) {
      tileIds = ids.join(',');
      const density = ids.length > 24 ? ' dense' : ids.length <= 12 ? ' sparse' : '';
      pWin.body.innerHTML = `<div class="wins${density}">` + ids.map((id) => `<div class="win" data-window="${esc(id)}"></div>`).join('') + `</div>`;
    }
    const counts = { serving: 0, open: 0, paused: 0, closed: 0 };
    for (const id of ids) {
      const w = wins[id];
      const st = w.status || 'closed';
      counts[st] = (counts[st] || 0) + 1;
      const age = bizAgeS(w.since);
      const long = st === 'serving' ? age > 1800 : st === 'paused' ? age > 900 : false;
      const staff = w.staff_name || w.staff;
      const reason = w.reason ? (t('reason.' + w.reason) === 'reason.' + w.reason ? w.reason : t('reason.' + w.reason)) : '';
      const el = pWin.body.querySelector(`[data-window="${CSS.escape(id)}"]`);
      if (!el) continue;
      const cls = `win w-${st}`;
      if (el.className !== cls) el.className = cls;
      setHTML(el, `<div class="win-h"><b>${esc(id)}</b><span class="win-st">${esc(t('win.' + st))}${reason ? ' · ' + esc(reason) : ''}</span></div>` +
        `<div class="win-staff">${staff ? esc(staff) + (w.staff_name && w.staff ? `<small>${esc(w.staff)}</small>` : '') : '&nbsp;'}</div>` +
        `<div class="win-t">${w.ticket ? esc(w.ticket) : t('win.noticket')}</div>` +
        `<div class="win-f"><span class="${long ? 'long' : ''}">${st === 'closed' ? '' : esc(t('win.for', { v: dur(age) }))}</span><span>${esc(t('win.served', { n: int((w.kpi && w.kpi.served) || 0) }))}</span></div>`);
    }
    setHTML(pWin.tools.querySelector('.wins-sum'), ['serving', 'open', 'paused', 'closed'].map((s) => `<span>${esc(t('win.' + s))}<b>${counts[s] || 0}</b></span>`).join(''));
  };

  const renderCams = () => {
    const cams = data.cameras || {};
    const ids = reg ? reg.cameras.map((c) => c.id).filter((id) => cams[id]) : Object.keys(cams);
    for (const id of Object.keys(cams)) if (!ids.includes(id)) ids.push(id);
    if (!ids.length) { setHTML(pCam.body, emptyState(t('none'))); return; }
    setHTML(pCam.body, `<div class="cams${ids.length > 8 ? ' dense' : ''}">` + ids.map((id) => {
      const c = cams[id];
      const st = c.status || 'unknown';
      const since = st !== 'online' && c.since ? ' ' + dur(bizAgeS(c.since)) : '';
      return `<div class="cam c-${esc(st)}" title="${esc(id)} · ${esc(t('area.' + (c.area || 'window')))}">${statusDot(st)}<span class="cam-n">${esc(c.name || id)}<small>${esc(t('area.' + (c.area || 'window')))}</small></span>` +
        `<span class="cam-s">${esc(t('cam.' + st))}${esc(since)}</span></div>`;
    }).join('') + `</div>`);
  };

  const renderReviews = () => {
    const list = Array.isArray(data.reviews) ? data.reviews : [];
    if (!list.length) { setHTML(pRv.body, emptyState(t('review.none'))); return; }
    setHTML(pRv.body, `<ul class="reviews">` + list.slice(0, 12).map((r) => {
      const lv = Math.max(1, Math.min(5, r.level || 0));
      const bad = lv <= 2;
      const staff = r.staff_name || r.staff;
      return `<li class="rv${bad ? ' bad' : ''}"><div class="rv-h"><span class="stars">${'★'.repeat(lv)}<s>${'★'.repeat(5 - lv)}</s></span>` +
        `<span class="rv-lv">${esc(t('review.level.' + lv))}</span>` +
        `${r.window ? `<span>${esc(r.window)}</span>` : ''}${staff ? `<span>${esc(staff)}</span>` : ''}` +
        `${r.real_name ? `<span class="tag">${esc(t('review.realname'))}</span>` : ''}<span class="rv-t">${hhmm(r.at)}</span></div>` +
        (r.comment ? `<div class="rv-c">${esc(r.comment)}</div>` : '') + `</li>`;
    }).join('') + `</ul>`);
  };

  const renderAlerts = (a) => {
    let html;
    if (a.available === false) html = emptyState(t('alerts.unavailable'), t('alerts.unavailable.sub'));
    else {
      const mine = a.list.filter((x) => x.hall === hallId);
      html = !mine.length ? emptyState(t('alerts.none')) : `<ul class="alist">` + mine.map((x) =>
        `<li class="al sev-${esc(x.severity)}"><span class="sev">${esc(x.severity)}</span><span class="al-hall">${esc(x.title || x.rule)}</span>` +
        `<span class="al-sum">${esc(alertText(x, reg, true))}</span><span class="al-age">${dur(bizAgeS(x.started))}</span></li>`).join('') + `</ul>`;
    }
    setHTML(pAl.body, html);
  };

  let alive = true;
  const render = () => {
    if (!alive) return;
    if (err) {
      alive = false;
      showError(errCode(err));
      return;
    }
    if (!data) return;
    renderBar();
    renderQueues();
    renderWindows();
    renderCams();
    renderReviews();
  };
  // The KPI strip follows every change (next frame); the rest at most 4 times a second.
  const kickKpis = perFrame(() => { if (alive && data && !err) updKpis(stripValues(data.kpi)); });
  const kickRest = throttle(render, 250);
  const kick = () => { kickKpis(); kickRest(); };

  const unwatch = ctx.live.watch(topic, (tp) => {
    err = tp.error;
    if (tp.data) data = tp.data;
    kick();
    kickTrend();
  });
  const unAlerts = ctx.onAlerts(renderAlerts);

  return {
    tick() { if (alive && data && !err) { renderBar(); renderWindows(); renderCams(); renderAlerts(ctx.alerts); } },
    unmount() { alive = false; unwatch(); unAlerts(); unBack(); trend.dispose(); if (perfChart) disposeChart(perfChart); },
  };
}
