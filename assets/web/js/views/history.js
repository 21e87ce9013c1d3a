// history: pick a hall (or the whole city) and a day → that day's KPI curves from the stored
// per-minute roll-ups (GET /api/v1/history?hall=&from=&to=&step=): queues, cumulative tickets and
// finished, waits, service quality; the strip shows the day's last values.

import { t } from '../i18n.js';
import { get } from '../api.js';
import { esc, shortHall, has, parseTime } from '../fmt.js';
import { panel, kpiStrip, touch, emptyState } from '../ui.js';
import { makeChart, disposeChart, baseOption, timeAxis, valueAxis, C } from '../charts.js';
import { stripItems, stripValues } from '../kpis.js';
import { bizNow } from '../clock.js';

const sel = { hall: null, day: null, step: 300 };

function today() {
  const n = bizNow();
  const d = new Date((Number.isFinite(n) ? n : Date.now()) + 8 * 3600000);
  return d.toISOString().slice(0, 10);
}

export function mount(root, ctx) {
  const isHall = ctx.me.role === 'hall';
  if (!sel.hall || (sel.hall !== '*' && !ctx.hallById.has(sel.hall)) || (isHall && sel.hall === '*')) sel.hall = isHall ? ctx.me.halls[0] : '*';
  if (!sel.day) sel.day = (ctx.city && ctx.city.day) || today();
  const hallOpts = (isHall ? [] : [['*', t('history.city')]]).concat(ctx.halls.map((h) => [h.id, `${h.id} ${shortHall(h.name)}`]));
  const steps = [60, 300, 900, 1800, 3600];
  root.innerHTML =
    `<div class="hist-bar ctl">` +
    `<label>${esc(t('history.hall'))}</label><select data-f="hall">${hallOpts.map(([v, l]) => `<option value="${esc(v)}"${v === sel.hall ? ' selected' : ''}>${esc(l)}</option>`).join('')}</select>` +
    `<label>${esc(t('history.day'))}</label><input type="date" data-f="day" value="${esc(sel.day)}">` +
    `<label>${esc(t('history.step'))}</label><select data-f="step">${steps.map((s) => `<option value="${s}"${s === sel.step ? ' selected' : ''}>${esc(s < 3600 ? t('history.step.m', { n: s / 60 }) : t('history.step.h', { n: s / 3600 }))}</option>`).join('')}</select>` +
    `<span class="spacer" style="flex:1"></span><span class="age" data-age="rest:history" data-age-max="100000"></span></div>` +
    `<div class="kpis-row"></div><div class="hist-grid"></div>`;
  const upd = kpiStrip(root.querySelector('.kpis-row'), stripItems());
  const grid = root.querySelector('.hist-grid');
  const defs = [
    ['queue', t('history.queue')],
    ['volume', t('history.volume')],
    ['waits', t('history.waits')],
    ['quality', t('history.quality')],
  ];
  const charts = {};
  for (const [key, title] of defs) {
    const p = panel({ title, cls: 'p-hist' });
    p.body.innerHTML = '<div class="chart"></div>';
    grid.append(p.el);
    charts[key] = { chart: makeChart(p.body.querySelector('.chart')), body: p.body };
  }

  for (const el of root.querySelectorAll('[data-f]')) {
    el.addEventListener('change', () => {
      sel.hall = root.querySelector('[data-f="hall"]').value;
      sel.day = root.querySelector('[data-f="day"]').value || sel.day;
      sel.step = Number(root.querySelector('[data-f="step"]').value) || 300;
      load();
    });
  }

  const draw = (series) => {
    const dayStart = parseTime(`${sel.day}T00:00:00+08:00`);
    const pts = series.map((p) => ({ t: parseTime(p.t), k: p.kpi || {} })).filter((p) => Number.isFinite(p.t));
    let xMin = dayStart + 8 * 3600000, xMax = dayStart + 18 * 3600000;
    if (pts.length) {
      xMin = Math.min(xMin, Math.floor(pts[0].t / 3600000) * 3600000);
      xMax = Math.max(xMax, Math.ceil(pts[pts.length - 1].t / 3600000) * 3600000);
    }
    const line = (name, color, get, extra = {}) => ({
      name, type: 'line', showSymbol: false, smooth: 0.2, connectNulls: false,
      data: pts.map((p) => [p.t, get(p.k)]),
      lineStyle: { width: 2, color }, itemStyle: { color }, ...extra,
    });
    const v = (x) => (has(x) ? x : null);
    const area = (c) => ({ areaStyle: { color: { type: 'linear', x: 0, y: 0, x2: 0, y2: 1, colorStops: [{ offset: 0, color: c + '55' }, { offset: 1, color: c + '05' }] } } });
    const opt = (series, y = {}) => ({ ...baseOption(), grid: { left: 8, right: 16, top: 36, bottom: 4, containLabel: true }, xAxis: timeAxis(xMin, xMax), yAxis: valueAxis(y), series });
    charts.queue.chart.setOption(opt([
      line(t('series.waiting'), C.cyan, (k) => v(k.waiting), area(C.cyan)),
      line(t('series.serving'), C.green, (k) => v(k.serving)),
      line(t('kpi.over_sla'), C.red, (k) => v(k.over_sla_waiting)),
    ]), { notMerge: true });
    charts.volume.chart.setOption(opt([
      line(t('series.issued'), C.violet, (k) => v(k.issued), area(C.violet)),
      line(t('series.finished'), C.green, (k) => v(k.finished)),
    ]), { notMerge: true });
    const min = (x) => (has(x) ? Math.round((x / 60) * 10) / 10 : null);
    charts.waits.chart.setOption(opt([
      line(t('series.avg_wait'), C.cyan, (k) => min(k.avg_wait_s), area(C.cyan)),
      line(t('series.max_wait'), C.amber, (k) => min(k.max_wait_live_s)),
    ], { minInterval: 0 }), { notMerge: true });
    const pc = (x) => (has(x) ? Math.round(x * 1000) / 10 : null);
    charts.quality.chart.setOption(opt([
      line(t('series.sl'), '#4f9dff', (k) => pc(k.sl_60m)),
      line(t('series.good_rate'), C.green, (k) => pc(k.good_rate)),
    ], { min: 0, max: 100, minInterval: 0, interval: 20 }), { notMerge: true });
    upd(stripValues(pts.length ? pts[pts.length - 1].k : {}));
  };

  let seq = 0;
  const load = async () => {
    const my = ++seq;
    const from = sel.day;
    const next = new Date(parseTime(`${sel.day}T00:00:00+08:00`) + 86400000 + 8 * 3600000).toISOString().slice(0, 10);
    const q = `/api/v1/history?from=${from}&to=${next}&step=${sel.step}` + (sel.hall && sel.hall !== '*' ? `&hall=${encodeURIComponent(sel.hall)}` : '');
    try {
      const doc = await get(q);
      if (my !== seq) return;
      const series = (doc && doc.series) || [];
      touch('rest:history');
      for (const c of Object.values(charts)) {
        const e = c.body.querySelector('.empty');
        if (e) e.remove();
      }
      if (!series.length) for (const c of Object.values(charts)) c.body.insertAdjacentHTML('beforeend', emptyState(t('history.empty')));
      draw(series);
    } catch (e) {
      if (my !== seq) return;
      for (const c of Object.values(charts)) c.body.insertAdjacentHTML('beforeend', emptyState(t('err.load', { e: e.message })));
    }
  };
  load();

  return {
    unmount() { seq++; for (const c of Object.values(charts)) disposeChart(c.chart); },
  };
}
