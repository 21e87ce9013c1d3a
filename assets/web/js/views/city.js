// city: the city overview. KPI strip (city scope), the hall ranking, the 临海 map with one marker
// per hall coloured by status (size by people waiting), service-quality rings (the same numbers
// as the strip), the day's trend (GET /api/v1/history + the live city KPIs), and live alerts.
// Data: the `city` topic (and `alerts`); the trend refetches history every 60 s.

import { t } from '../i18n.js';
import { esc, int, pct, has, shortHall, dur } from '../fmt.js';
import { panel, kpiStrip, perFrame, throttle, setHTML, ring, emptyState, statusDot } from '../ui.js';
import { makeChart, disposeChart, loadMap, geoLayers, placeLabels, textWidth, baseOption, C, STATUS_COLOR, FONT } from '../charts.js';
import { stripItems, stripValues } from '../kpis.js';
import { alertText } from '../alertsmodel.js';
import { makeTrend } from '../trend.js';
import { bizAgeS } from '../clock.js';

const SORTS = {
  waiting: (k) => k.waiting ?? -1,
  avg_wait: (k) => k.avg_wait_s ?? -1,
  issued: (k) => k.issued ?? -1,
  good_rate: (k) => k.good_rate ?? -1,
};
let sortBy = 'waiting';
const STATUSES = ['ok', 'warn', 'alert', 'offline', 'closed'];

// 数据中断: a hall that should be sending (not closed) whose last event (heartbeats included)
// is older than 5 business minutes (the hub's R15 default): "数据中断 6分12秒", else ''. The
// wall says the same (display/model.c model_silent_label).
const SILENT_S = 300;
function silentLabel(h) {
  if (!h || h.status === 'closed' || !h.last_event_at) return '';
  const a = bizAgeS(h.last_event_at);
  return Number.isFinite(a) && a > SILENT_S ? t('silent.age', { age: dur(a) }) : '';
}

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
  const trend = makeTrend(pTrend.body.querySelector('.trend-chart'), ctx.me.role === 'hall' ? ctx.me.halls : null);

  let data = null;

  const renderText = () => {
    if (!data) return;
    renderRanking();
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
        `<td class="nm">${statusDot(h.status)}<span>${esc(shortHall(h.name))}</span>` +
        (silentLabel(h) ? `<em class="silent" data-silent="${esc(id)}">${esc(silentLabel(h))}</em>` : '') + `</td>` +
        `<td class="num wbar"><i style="width:${(w / maxW) * 100}%"></i><b data-hall-waiting="${esc(id)}">${int(k.waiting)}</b></td>` +
        `<td class="num ${sla}">${dur(long)}</td>` +
        `<td class="num">${dur(k.avg_wait_s)}</td>` +
        `<td class="num">${int(k.windows_open)}<small>/${int(k.windows_planned)}</small></td>` +
        `<td class="num">${pct(k.good_rate)}</td></tr>`;
    }).join('');
    setHTML(pRank.body, `<table class="tbl rank"><thead><tr><th>#</th><th>${esc(t('col.hall'))}</th><th class="num">${esc(t('col.waiting'))}</th>` +
      `<th class="num">${esc(t('col.longest'))}</th><th class="num">${esc(t('col.avg_wait'))}</th>` +
      `<th class="num">${esc(t('col.windows'))}</th><th class="num">${esc(t('col.good_rate'))}</th></tr></thead><tbody>${rows}</tbody></table>`);
  };

  const renderQuality = (k) => {
    const staffed = has(k.windows_open) && k.windows_planned > 0 ? k.windows_open / k.windows_planned : undefined;
    const cams = has(k.cameras_online) && k.cameras_total > 0 ? k.cameras_online / k.cameras_total : undefined;
    setHTML(pQual.body, `<div class="rings">` +
      ring(k.good_rate, t('quality.good_rate'), has(k.reviews) ? t('kpi.sub.reviews', { n: int(k.reviews), s: has(k.score) ? k.score.toFixed(1) : '—' }) : '', k.good_rate < 0.8 ? 'warn' : 'good') +
      ring(k.satisfied_rate, t('quality.satisfied_rate'), has(k.reviews) ? t('quality.of', { a: int(Math.round(k.satisfied_rate * k.reviews)), b: int(k.reviews) }) : '', 'cyan') +
      ring(k.sl_60m, t('quality.sl'), has(k.avg_wait_s) ? `${t('kpi.avg_wait')} ${dur(k.avg_wait_s)}` : '', k.sl_60m < 0.8 ? 'warn' : 'blue') +
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

  const radius = (w) => Math.min(16, 5 + 1.9 * Math.sqrt(Math.max(0, w || 0)));

  // Label places depend on the geometry only (reserved room for a 3-digit count and the largest
  // marker), so labels stay put while the numbers change; recomputed when the chart's size does.
  let placeKey = '';
  let place = [];
  const NAME_FONT = `13px ${FONT}`, NUM_FONT = `bold 14px ${FONT}`;
  const labelW = (name) => textWidth(name, NAME_FONT) + textWidth('888', NUM_FONT) + 6 + 12;

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
    // a silent hall's label has a second line (数据中断 and its age): placed again when that set
    // changes, first after the centre so that it is never the one left out
    const key = `${W}x${H}:${items.map((it) => it.id + (silentLabel(it.h) ? '!' : '')).join(',')}`;
    if (key !== placeKey) {
      placeKey = key;
      const pts = items.map(({ id, h, reg }) => {
        const [x, y] = mapChart.convertToPixel({ geoIndex: 0 }, [reg.lng, reg.lat]);
        const sl = silentLabel(h);
        const w = Math.max(labelW(shortHall(h.name)), sl ? textWidth(t('silent.age', { age: '88分88秒' }), `bold 12px ${FONT}`) + 12 : 0);
        return { x, y, r: 17, or: 11, w, h: sl ? 37 : 22, prio: id === 'LH-00' ? 100 : sl ? 50 : 0 };
      });
      place = placeLabels(pts, { x0: 2, y0: 2, x1: W - 2, y1: H - 30 });
      for (let i = 0; i < place.length; i++) place[i].w = pts[i].w;
    }
    const series = [{
      type: 'scatter',
      coordinateSystem: 'geo',
      geoIndex: 0,
      zlevel: 1, // markers and labels on their own canvas: the map layer (with its glow) never repaints
      animation: false,
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
            formatter: `{n|${shortHall(h.name)}}{c|${w}}` + (silentLabel(h) ? `\n{s|${silentLabel(h)}}` : ''),
            backgroundColor: 'rgba(4,18,52,0.78)',
            borderColor: color,
            borderWidth: 1,
            borderRadius: 3,
            padding: [3, 6],
            rich: {
              n: { color: '#e8f3ff', fontSize: 13, fontFamily: FONT, lineHeight: 16 },
              c: { color: h.status === 'ok' ? C.cyan : color, fontSize: 14, fontWeight: 'bold', fontFamily: FONT, padding: [0, 0, 0, 6], lineHeight: 16 },
              s: { color: '#ff8a8b', fontSize: 12, fontWeight: 'bold', fontFamily: FONT, lineHeight: 15 },
            },
          },
        };
      }),
      labelLayout: (p) => {
        const q = place[p.dataIndex];
        if (!q) return {};
        // Anchor the edge that faces the marker, so a shorter count keeps the label in place.
        const cx = p.rect.x + p.rect.width / 2 + q.dx, cy = p.rect.y + p.rect.height / 2 + q.dy;
        if (q.dx > q.w / 2) return { x: cx - q.w / 2, y: cy, align: 'left', verticalAlign: 'middle' };
        if (q.dx < -q.w / 2) return { x: cx + q.w / 2, y: cy, align: 'right', verticalAlign: 'middle' };
        return { x: cx, y: cy, align: 'center', verticalAlign: 'middle' };
      },
      labelLine: { show: true, smooth: false, lineStyle: { color: 'rgba(170,215,255,0.75)', width: 1.2 } },
      tooltip: {
        formatter: (p) => {
          const it = items[p.dataIndex];
          if (!it) return '';
          const k = it.h.kpi || {};
          return `<b>${esc(it.h.name)}</b> ${statusDot(it.h.status)}${esc(t('status.' + it.h.status))}<br>` +
            `${esc(t('kpi.waiting'))} <b>${int(k.waiting)}</b> · ${esc(t('col.longest'))} ${dur(k.max_wait_live_s)}<br>` +
            `${esc(t('kpi.avg_wait'))} ${dur(k.avg_wait_s)} · ${esc(t('kpi.windows_open'))} ${int(k.windows_open)}/${int(k.windows_planned)}<br>` +
            `${esc(t('kpi.issued'))} ${int(k.issued)} · ${esc(t('kpi.good_rate'))} ${pct(k.good_rate)}`;
        },
      },
    }, {
      // A static halo around halls in alert or warning (no per-frame ripple: a wall runs all day).
      type: 'scatter',
      coordinateSystem: 'geo',
      geoIndex: 0,
      zlevel: 1,
      z: 5,
      silent: true,
      animation: false,
      data: items.filter((it) => it.h.status === 'alert' || it.h.status === 'warn').map(({ id, h, reg }) => {
        const color = STATUS_COLOR[h.status];
        return {
          name: id, value: [reg.lng, reg.lat], symbolSize: radius((h.kpi && h.kpi.waiting) || 0) * 2 + 14,
          itemStyle: { color: h.status === 'alert' ? 'rgba(255,77,79,0.22)' : 'rgba(255,176,32,0.22)', borderColor: color, borderWidth: 1.5, shadowBlur: 12, shadowColor: color },
        };
      }),
    }];
    mapChart.setOption({ series }, { replaceMerge: ['series'] });
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
          `<span class="al-hall">${esc(h ? shortHall(h.name) : x.hall || t('alerts.hub'))}</span><span class="al-sum">${esc(alertText(x, h, true))}</span>` +
          `<span class="al-age">${dur(bizAgeS(x.started))}</span></li>`;
      }).join('') + `</ul>`;
    }
    setHTML(pAlerts.body, html);
  };

  let alive = true;
  // The KPI strip and the rings (the same numbers) follow every change in the same frame; the
  // per-hall parts (ranking, map, legend) and the trend together at most twice a second (the
  // first change after a quiet spell at once), so they never disagree with each other.
  const kickKpis = perFrame(() => {
    if (!alive || !data) return;
    updKpis(stripValues(data.kpi || {}));
    renderQuality(data.kpi || {});
  });
  const kickRest = throttle(() => {
    if (!alive || !data) return;
    renderText();
    renderMap();
    trend.render(data.day, data.kpi);
  }, 500);
  const kick = () => { kickKpis(); kickRest(); };

  const unwatch = ctx.live.watch('city', (tp) => {
    if (!tp.data) return;
    data = tp.data;
    kick();
  });
  const unAlerts = ctx.onAlerts(renderAlerts);
  loadMap().then(() => { if (alive) { mapReady = true; renderMap(); } }).catch(() => {
    pMap.body.querySelector('.map-chart').innerHTML = emptyState(t('err.load', { e: 'map' }));
  });

  return {
    tick() { renderAlerts(ctx.alerts); },
    unmount() {
      alive = false;
      unwatch();
      unAlerts();
      disposeChart(mapChart);
      trend.dispose();
    },
  };
}
