// city: the city overview. KPI strip (city scope), the hall ranking, the 临海 map with one marker
// per hall coloured by status (size by people waiting), service-quality rings (the same numbers
// as the strip), the day's trend (GET /api/v1/history + the live city KPIs), and live alerts.
// Data: the `city` topic (and `alerts`); the trend refetches history every 60 s.

import { t } from '../i18n.js';
import { get } from '../api.js';
import { esc, int, pct, minutes, clock, has, shortHall, parseTime, dur } from '../fmt.js';
import { panel, kpiStrip, perFrame, throttle, setHTML, touch, ring, emptyState, statusDot } from '../ui.js';
import { makeChart, disposeChart, loadMap, geoLayers, placeLabels, textWidth, baseOption, timeAxis, valueAxis, C, STATUS_COLOR, FONT } from '../charts.js';
import { stripItems, stripValues } from '../kpis.js';
import { bizNow, bizAgeS } from '../clock.js';

const SORTS = {
  waiting: (k) => k.waiting ?? -1,
  avg_wait: (k) => k.avg_wait_s ?? -1,
  issued: (k) => k.issued ?? -1,
  good_rate: (k) => k.good_rate ?? -1,
};
let sortBy = 'waiting';
const STATUSES = ['ok', 'warn', 'alert', 'offline', 'closed'];

export function mount(root, ctx) {
  root.innerHTML = `<div class="kpis-row"></div><div class="city-grid"><div class="col col-l"></div><div class="col col-c"></div><div class="col col-r"></div></div>`;
  const updKpis = kpiStrip(root.querySelector('.kpis-row'), stripItems(), 'city');

  const sortTools = Object.keys(SORTS).map((k) => `<button class="seg${k === sortBy ? ' on' : ''}" data-sort="${k}">${esc(t('rank.' + k))}</button>`).join('');
  const pRank = panel({ title: t('panel.ranking'), age: 'city', tools: `<div class="segs">${sortTools}</div>`, cls: 'p-rank' });
  const pMap = panel({ title: t('panel.map'), age: 'city', cls: 'p-map' });
  const pQual = panel({ title: t('panel.quality'), age: 'city', cls: 'p-quality' });
  const pTrend = panel({ title: t('panel.trend'), age: 'city', cls: 'p-trend' });
  const pAlerts = panel({ title: t('panel.alerts'), age: 'alerts', ageMax: 30, cls: 'p-alerts' });
  root.querySelector('.col-l').append(pRank.el);
  root.querySelector('.col-c').append(pMap.el, pQual.el);
  root.querySelector('.col-r').append(pTrend.el, pAlerts.el);

  pRank.tools.addEventListener('click', (e) => {
    const b = e.target.closest('[data-sort]');
    if (!b) return;
    sortBy = b.dataset.sort;
    for (const x of pRank.tools.querySelectorAll('[data-sort]')) x.classList.toggle('on', x === b);
    kick();
  });
  pRank.body.addEventListener('click', (e) => {
    const tr = e.target.closest('[data-hall]');
    if (tr && !ctx.kiosk) ctx.nav('#/hall/' + tr.dataset.hall);
  });

  pMap.body.innerHTML = `<div class="chart map-chart"></div><div class="map-legend"></div>`;
  const mapChart = makeChart(pMap.body.querySelector('.map-chart'));
  let mapReady = false;
  let geoSet = false;
  mapChart.on('click', (p) => {
    if (p.componentType === 'series' && p.data && p.data.name && !ctx.kiosk) ctx.nav('#/hall/' + p.data.name);
  });

  pTrend.body.innerHTML = `<div class="chart trend-chart"></div>`;
  const trendChart = makeChart(pTrend.body.querySelector('.trend-chart'));
  let hist = [];
  let histDay = null;

  let data = null;

  const renderText = () => {
    if (!data) return;
    const k = data.kpi || {};
    updKpis(stripValues(k));
    renderRanking();
    renderQuality(k);
    renderLegend();
  };

  const renderRanking = () => {
    const halls = Object.entries(data.halls || {});
    const key = SORTS[sortBy];
    halls.sort(([ia, a], [ib, b]) => key(b.kpi || {}) - key(a.kpi || {}) || ia.localeCompare(ib));
    const maxW = Math.max(1, ...halls.map(([, h]) => (h.kpi && h.kpi.waiting) || 0));
    const rows = halls.map(([id, h], i) => {
      const k = h.kpi || {};
      const w = k.waiting || 0;
      const long = k.max_wait_live_s;
      const sla = long > 1800 ? 'bad' : long > 1200 ? 'warn' : '';
      return `<tr data-hall="${esc(id)}"><td class="rk">${i + 1}</td>` +
        `<td class="nm">${statusDot(h.status)}<span>${esc(shortHall(h.name))}</span></td>` +
        `<td class="num wbar"><i style="width:${(w / maxW) * 100}%"></i><b data-hall-waiting="${esc(id)}">${int(k.waiting)}</b></td>` +
        `<td class="num ${sla}">${clock(long)}</td>` +
        `<td class="num">${minutes(k.avg_wait_s)}</td>` +
        `<td class="num">${int(k.windows_open)}<small>/${int(k.windows_planned)}</small></td>` +
        `<td class="num">${pct(k.good_rate)}</td></tr>`;
    }).join('');
    setHTML(pRank.body, `<table class="tbl rank"><thead><tr><th>#</th><th>${esc(t('col.hall'))}</th><th class="num">${esc(t('col.waiting'))}</th>` +
      `<th class="num">${esc(t('col.longest'))}</th><th class="num">${esc(t('col.avg_wait'))}<small>${esc(t('unit.min'))}</small></th>` +
      `<th class="num">${esc(t('col.windows'))}</th><th class="num">${esc(t('col.good_rate'))}</th></tr></thead><tbody>${rows}</tbody></table>`);
  };

  const renderQuality = (k) => {
    const staffed = has(k.windows_open) && k.windows_planned > 0 ? k.windows_open / k.windows_planned : undefined;
    const cams = has(k.cameras_online) && k.cameras_total > 0 ? k.cameras_online / k.cameras_total : undefined;
    setHTML(pQual.body, `<div class="rings">` +
      ring(k.good_rate, t('quality.good_rate'), has(k.reviews) ? t('kpi.sub.reviews', { n: int(k.reviews), s: has(k.score) ? k.score.toFixed(1) : '—' }) : '', k.good_rate < 0.8 ? 'warn' : 'good') +
      ring(k.satisfied_rate, t('quality.satisfied_rate'), has(k.reviews) ? t('quality.of', { a: int(Math.round(k.satisfied_rate * k.reviews)), b: int(k.reviews) }) : '', 'cyan') +
      ring(k.sl_60m, t('quality.sl'), has(k.avg_wait_s) ? `${t('kpi.avg_wait')} ${minutes(k.avg_wait_s)} ${t('unit.min')}` : '', k.sl_60m < 0.8 ? 'warn' : 'blue') +
      ring(staffed, t('quality.staffed'), has(k.windows_planned) ? t('quality.of', { a: int(k.windows_open), b: int(k.windows_planned) }) : '', staffed < 0.8 ? 'warn' : 'violet') +
      ring(cams, t('quality.cameras'), has(k.cameras_total) ? t('quality.of', { a: int(k.cameras_online), b: int(k.cameras_total) }) : '', cams < 0.9 ? 'warn' : 'good') +
      `</div>`);
  };

  const renderLegend = () => {
    const counts = Object.fromEntries(STATUSES.map((s) => [s, 0]));
    for (const h of Object.values(data.halls || {})) counts[h.status] = (counts[h.status] || 0) + 1;
    setHTML(pMap.body.querySelector('.map-legend'), STATUSES.map((s) =>
      `<span class="lg">${statusDot(s)}${esc(t('status.' + s))}<b>${counts[s] || 0}</b></span>`).join(''));
  };

  const radius = (w) => Math.min(20, 6 + 2.1 * Math.sqrt(Math.max(0, w || 0)));

  const renderMap = () => {
    if (!mapReady || !data) return;
    const items = [];
    for (const [id, h] of Object.entries(data.halls || {})) {
      const reg = ctx.hallById.get(id);
      if (!reg || !has(reg.lat) || !has(reg.lng)) continue;
      items.push({ id, h, reg });
    }
    if (!geoSet) { geoSet = true; mapChart.setOption({ ...baseOption(), tooltip: { trigger: 'item' }, geo: geoLayers({ silent: true, top: 14, bottom: 34 }), series: [] }); }
    const W = mapChart.getWidth(), H = mapChart.getHeight();
    const nameFont = `13px ${FONT}`, numFont = `bold 14px ${FONT}`;
    const pts = items.map(({ id, h, reg }) => {
      const [x, y] = mapChart.convertToPixel({ geoIndex: 0 }, [reg.lng, reg.lat]);
      const w = (h.kpi && h.kpi.waiting) || 0;
      const name = shortHall(h.name);
      const lw = textWidth(name, nameFont) + textWidth(String(w), numFont) + 6 + 12;
      return { x, y, r: radius(w) + 2, w: lw, h: 22, prio: id === 'LH-00' ? 100 : w };
    });
    const place = placeLabels(pts, { x0: 2, y0: 2, x1: W - 2, y1: H - 30 });
    const series = [{
      type: 'scatter',
      coordinateSystem: 'geo',
      geoIndex: 0,
      z: 6,
      data: items.map(({ id, h, reg }, i) => {
        const w = (h.kpi && h.kpi.waiting) || 0;
        const color = STATUS_COLOR[h.status] || C.grey;
        return {
          name: id,
          labelLine: { show: !!(place[i] && place[i].far) },
          value: [reg.lng, reg.lat, w],
          symbolSize: radius(w) * 2,
          itemStyle: { color, borderColor: 'rgba(255,255,255,0.85)', borderWidth: 1.2, shadowBlur: 14, shadowColor: color, opacity: h.status === 'closed' ? 0.7 : 1 },
          label: {
            show: true,
            formatter: `{n|${shortHall(h.name)}}{c|${w}}`,
            backgroundColor: 'rgba(4,18,52,0.78)',
            borderColor: color,
            borderWidth: 1,
            borderRadius: 3,
            padding: [3, 6],
            rich: {
              n: { color: '#e8f3ff', fontSize: 13, fontFamily: FONT, lineHeight: 16 },
              c: { color: h.status === 'ok' ? C.cyan : color, fontSize: 14, fontWeight: 'bold', fontFamily: FONT, padding: [0, 0, 0, 6], lineHeight: 16 },
            },
          },
        };
      }),
      labelLayout: (p) => {
        const q = place[p.dataIndex];
        if (!q) return {};
        return { x: p.rect.x + p.rect.width / 2 + q.dx, y: p.rect.y + p.rect.height / 2 + q.dy, align: 'center', verticalAlign: 'middle' };
      },
      labelLine: { show: true, smooth: false, lineStyle: { color: 'rgba(150,200,255,0.55)', width: 1 } },
      tooltip: {
        formatter: (p) => {
          const it = items[p.dataIndex];
          if (!it) return '';
          const k = it.h.kpi || {};
          return `<b>${esc(it.h.name)}</b> ${statusDot(it.h.status)}${esc(t('status.' + it.h.status))}<br>` +
            `${esc(t('kpi.waiting'))} <b>${int(k.waiting)}</b> · ${esc(t('col.longest'))} ${clock(k.max_wait_live_s)}<br>` +
            `${esc(t('kpi.avg_wait'))} ${minutes(k.avg_wait_s)} ${esc(t('unit.min'))} · ${esc(t('kpi.windows_open'))} ${int(k.windows_open)}/${int(k.windows_planned)}<br>` +
            `${esc(t('kpi.issued'))} ${int(k.issued)} · ${esc(t('kpi.good_rate'))} ${pct(k.good_rate)}`;
        },
      },
    }, {
      type: 'effectScatter',
      coordinateSystem: 'geo',
      geoIndex: 0,
      z: 5,
      silent: true,
      rippleEffect: { scale: 3, brushType: 'stroke', period: 3 },
      data: items.filter((it) => it.h.status === 'alert' || it.h.status === 'warn').map(({ id, h, reg }) => ({
        name: id, value: [reg.lng, reg.lat], symbolSize: radius((h.kpi && h.kpi.waiting) || 0) * 2,
        itemStyle: { color: STATUS_COLOR[h.status] },
      })),
    }];
    mapChart.setOption({ series }, { replaceMerge: ['series'] });
  };

  const loadTrend = async () => {
    if (!data || !data.day) return;
    const day = data.day;
    try {
      const halls = ctx.me.role === 'hall' ? ctx.me.halls : [null];
      const docs = await Promise.all(halls.map((h) => get(`/api/v1/history?from=${day}&step=300${h ? '&hall=' + encodeURIComponent(h) : ''}`)));
      const byT = new Map();
      for (const d of docs) {
        for (const p of (d && d.series) || []) {
          const t0 = parseTime(p.t);
          const acc = byT.get(t0) || { t: t0, kpi: {} };
          for (const key of ['waiting', 'serving', 'issued']) if (has(p.kpi && p.kpi[key])) acc.kpi[key] = (acc.kpi[key] || 0) + p.kpi[key];
          byT.set(t0, acc);
        }
      }
      hist = [...byT.values()].sort((a, b) => a.t - b.t);
      histDay = day;
      touch('rest:trend');
      renderTrend();
    } catch (e) {
      hist = [];
    }
  };

  const renderTrend = () => {
    if (!data) return;
    const day = data.day;
    if (histDay && histDay !== day) { loadTrend(); return; }
    const k = data.kpi || {};
    const now = bizNow();
    const pts = hist.slice();
    if (Number.isFinite(now) && (!pts.length || now > pts[pts.length - 1].t)) pts.push({ t: now, kpi: k, live: true });
    const dayStart = parseTime(`${day}T00:00:00+08:00`);
    const xMin = dayStart + 8 * 3600000;
    let xMax = dayStart + 18 * 3600000;
    if (Number.isFinite(now) && now > xMax - 1800000) xMax = Math.ceil((now + 1800000) / 3600000) * 3600000;
    const shown = pts.filter((p) => p.t >= xMin);
    const BUCKET = 30 * 60000;
    const bars = [];
    const issuedAt = (tt) => {
      let v = 0;
      for (const p of pts) { if (p.t <= tt && has(p.kpi.issued)) v = p.kpi.issued; else if (p.t > tt) break; }
      return v;
    };
    const last = pts.length ? pts[pts.length - 1].t : xMin;
    for (let b = xMin; b < last; b += BUCKET) {
      const end = Math.min(b + BUCKET, last);
      bars.push([b + BUCKET / 2, Math.max(0, issuedAt(end) - issuedAt(b))]);
    }
    const opt = baseOption();
    trendChart.setOption({
      ...opt,
      legend: { ...opt.legend, data: [t('trend.waiting'), t('trend.serving'), t('trend.issued', { n: 30 })] },
      grid: { left: 6, right: 12, top: 36, bottom: 4, containLabel: true },
      xAxis: timeAxis(xMin, xMax),
      yAxis: valueAxis(),
      series: [
        {
          name: t('trend.issued', { n: 30 }), type: 'bar', data: bars, barWidth: '55%', barMaxWidth: 14, z: 1,
          itemStyle: { color: { type: 'linear', x: 0, y: 0, x2: 0, y2: 1, colorStops: [{ offset: 0, color: 'rgba(167,139,250,0.85)' }, { offset: 1, color: 'rgba(167,139,250,0.15)' }] }, borderRadius: [2, 2, 0, 0] },
        },
        {
          name: t('trend.waiting'), type: 'line', showSymbol: false, smooth: 0.25, z: 3,
          data: shown.map((p) => [p.t, p.kpi.waiting ?? null]),
          lineStyle: { width: 2.2, color: C.cyan },
          itemStyle: { color: C.cyan },
          areaStyle: { color: { type: 'linear', x: 0, y: 0, x2: 0, y2: 1, colorStops: [{ offset: 0, color: 'rgba(58,209,255,0.35)' }, { offset: 1, color: 'rgba(58,209,255,0.02)' }] } },
          endLabel: { show: true, color: C.cyan, fontSize: 13, fontWeight: 'bold', formatter: (p) => int(p.value[1]) },
        },
        {
          name: t('trend.serving'), type: 'line', showSymbol: false, smooth: 0.25, z: 2,
          data: shown.map((p) => [p.t, p.kpi.serving ?? null]),
          lineStyle: { width: 2, color: C.green },
          itemStyle: { color: C.green },
          endLabel: { show: true, color: C.green, fontSize: 13, fontWeight: 'bold', formatter: (p) => int(p.value[1]) },
        },
      ],
    }, { notMerge: true });
  };

  const renderAlerts = (a) => {
    let html;
    if (a.available === false) html = emptyState(t('alerts.unavailable'), t('alerts.unavailable.sub'));
    else if (a.available === null) html = emptyState(t('age.none'));
    else if (!a.list.length) html = emptyState(t('alerts.none'));
    else {
      html = `<ul class="alist">` + a.list.slice(0, 30).map((x) => {
        const h = ctx.hallById.get(x.hall);
        return `<li class="al sev-${esc(x.severity)}" data-alert="${esc(x.id)}"><span class="sev">${esc(x.severity)}</span>` +
          `<span class="al-hall">${esc(h ? shortHall(h.name) : x.hall)}</span><span class="al-sum">${esc(x.summary || x.rule)}</span>` +
          `<span class="al-age">${dur(bizAgeS(x.started))}</span></li>`;
      }).join('') + `</ul>`;
    }
    setHTML(pAlerts.body, html);
  };

  const kickText = perFrame(renderText);
  const kickCharts = throttle(() => { renderMap(); renderTrend(); }, 1000);
  const kick = () => { kickText(); kickCharts(); };

  const unwatch = ctx.live.watch('city', (tp) => {
    if (!tp.data) return;
    const first = !data;
    data = tp.data;
    kick();
    if (first) loadTrend();
  });
  const unAlerts = ctx.onAlerts(renderAlerts);
  loadMap().then(() => { mapReady = true; renderMap(); }).catch(() => {
    pMap.body.querySelector('.map-chart').innerHTML = emptyState(t('err.load', { e: 'map' }));
  });
  const trendTimer = setInterval(loadTrend, 60000);

  return {
    tick() { renderAlerts(ctx.alerts); },
    unmount() {
      unwatch();
      unAlerts();
      clearInterval(trendTimer);
      disposeChart(mapChart);
      disposeChart(trendChart);
    },
  };
}
