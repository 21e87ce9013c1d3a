// trend: the day's trend chart shared by the city and hall views: people waiting and being served
// (lines) and tickets issued per 30 min (bars) on a 08:00–18:00 time axis, from the stored
// per-minute roll-ups (GET /api/v1/history, 5-minute steps) plus one live point (the topic's
// current KPIs at the business clock's now). History is refetched every 60 s.

import { t } from './i18n.js';
import { get } from './api.js';
import { int, has, parseTime } from './fmt.js';
import { touch } from './ui.js';
import { makeChart, disposeChart, baseOption, timeAxis, valueAxis, C } from './charts.js';
import { bizNow } from './clock.js';

const BUCKET = 30 * 60000;

// A trend chart in el for halls (ids; null = the whole city). Returns {render(day, kpi), dispose()}:
// render with the topic's day and current kpi (cheap; call it at most a few times a second).
export function makeTrend(el, halls, restKey = 'rest:trend') {
  const chart = makeChart(el);
  let hist = [];
  let histDay = null;
  let loading = false;
  let alive = true;
  let last = { day: null, kpi: {} };

  const load = async (day) => {
    if (!day || loading) return;
    loading = true;
    try {
      const docs = await Promise.all((halls || [null]).map((h) =>
        get(`/api/v1/history?from=${day}&step=300${h ? '&hall=' + encodeURIComponent(h) : ''}`)));
      const byT = new Map();
      for (const d of docs) {
        for (const p of (d && d.series) || []) {
          const t0 = parseTime(p.t);
          const acc = byT.get(t0) || { t: t0, kpi: {} };
          for (const key of ['waiting', 'serving', 'issued']) if (has(p.kpi && p.kpi[key])) acc.kpi[key] = (acc.kpi[key] || 0) + p.kpi[key];
          byT.set(t0, acc);
        }
      }
      if (!alive) return;
      hist = [...byT.values()].sort((a, b) => a.t - b.t);
      histDay = day;
      touch(restKey);
      draw();
    } catch (e) {
      /* keep what we had; the next refresh tries again */
    } finally {
      loading = false;
    }
  };

  const draw = () => {
    const { day, kpi } = last;
    if (!alive || !day) return;
    const now = bizNow();
    const pts = histDay === day ? hist.slice() : [];
    if (Number.isFinite(now) && (!pts.length || now > pts[pts.length - 1].t)) pts.push({ t: now, kpi: kpi || {} });
    const dayStart = parseTime(`${day}T00:00:00+08:00`);
    const xMin = dayStart + 8 * 3600000;
    let xMax = dayStart + 18 * 3600000;
    if (Number.isFinite(now) && now > xMax - 1800000) xMax = Math.ceil((now + 1800000) / 3600000) * 3600000;
    const shown = pts.filter((p) => p.t >= xMin);
    const issuedAt = (tt) => {
      let v = 0;
      for (const p of pts) { if (p.t > tt) break; if (has(p.kpi.issued)) v = p.kpi.issued; }
      return v;
    };
    const bars = [];
    const end = pts.length ? pts[pts.length - 1].t : xMin;
    for (let b = xMin; b < end; b += BUCKET) bars.push([b + BUCKET / 2, Math.max(0, issuedAt(Math.min(b + BUCKET, end)) - issuedAt(b))]);
    const opt = baseOption();
    const nIssued = t('trend.issued', { n: 30 });
    chart.setOption({
      ...opt,
      animation: false,
      legend: { ...opt.legend, data: [t('trend.waiting'), t('trend.serving'), nIssued] },
      grid: { left: 6, right: 12, top: 36, bottom: 4, containLabel: true },
      xAxis: timeAxis(xMin, xMax),
      yAxis: valueAxis({ splitNumber: 4 }),
      series: [
        {
          name: nIssued, type: 'bar', data: bars, barWidth: '55%', barMaxWidth: 14, z: 1,
          itemStyle: { color: { type: 'linear', x: 0, y: 0, x2: 0, y2: 1, colorStops: [{ offset: 0, color: 'rgba(167,139,250,0.85)' }, { offset: 1, color: 'rgba(167,139,250,0.15)' }] }, borderRadius: [2, 2, 0, 0] },
        },
        {
          name: t('trend.waiting'), type: 'line', showSymbol: false, smooth: 0.25, z: 3,
          data: shown.map((p) => [p.t, p.kpi.waiting ?? null]),
          lineStyle: { width: 2.2, color: C.cyan }, itemStyle: { color: C.cyan },
          areaStyle: { color: { type: 'linear', x: 0, y: 0, x2: 0, y2: 1, colorStops: [{ offset: 0, color: 'rgba(58,209,255,0.35)' }, { offset: 1, color: 'rgba(58,209,255,0.02)' }] } },
          endLabel: { show: true, color: C.cyan, fontSize: 13, fontWeight: 'bold', formatter: (p) => int(p.value[1]) },
          labelLayout: { moveOverlap: 'shiftY' },
        },
        {
          name: t('trend.serving'), type: 'line', showSymbol: false, smooth: 0.25, z: 2,
          data: shown.map((p) => [p.t, p.kpi.serving ?? null]),
          lineStyle: { width: 2, color: C.green }, itemStyle: { color: C.green },
          endLabel: { show: true, color: C.green, fontSize: 13, fontWeight: 'bold', formatter: (p) => int(p.value[1]) },
          labelLayout: { moveOverlap: 'shiftY' },
        },
      ],
    }, { notMerge: true });
  };

  const timer = setInterval(() => load(last.day), 60000);

  return {
    render(day, kpi) {
      last = { day, kpi };
      if (day && histDay !== day) load(day);
      draw();
    },
    dispose() {
      alive = false;
      clearInterval(timer);
      disposeChart(chart);
    },
  };
}
