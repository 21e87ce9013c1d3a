// province_city: a province hub's drill-down into one city (#/province/<city id>, docs/cluster.md
// "Province cascade"). A back link to the province, the city's KPI strip (the province topic's
// per-city sums), its halls' table (per hall: status, issued, waiting, average and longest wait,
// over SLA, open windows, finished, good rate; a row opens the hall view) and the 台州 map with
// the city's county outlined and its halls as markers sized by people waiting.
// Data: the `province` topic (the city's sums and hall ids) and the `city` topic (every hall of
// the province hub, the config holding every city's halls). A hall opened from here carries
// `?from=<city id>` in its hash, and the hall view shows a link back (hallBackLink).

import { t } from '../i18n.js';
import { esc, int, pct, has, dur, shortHall } from '../fmt.js';
import { panel, kpiStrip, throttle, setHTML, emptyState, statusDot } from '../ui.js';
import { makeChart, disposeChart, baseOption, C, STATUS_COLOR, FONT } from '../charts.js';
import { stripItems, stripValues } from '../kpis.js';
import { loadProvinceMap, PROVINCE_MAP } from './province.js';

// [minLng, minLat, maxLng, maxLat] of a GeoJSON feature's (or collection's) coordinates.
function bbox(geo) {
  const b = [Infinity, Infinity, -Infinity, -Infinity];
  const walk = (c) => {
    if (typeof c[0] === 'number') { b[0] = Math.min(b[0], c[0]); b[1] = Math.min(b[1], c[1]); b[2] = Math.max(b[2], c[0]); b[3] = Math.max(b[3], c[1]); return; }
    for (const x of c) walk(x);
  };
  for (const f of geo.features || [geo]) walk(f.geometry.coordinates);
  return b;
}

// The geo component's centre and zoom that frame the county `name` (with a margin) inside the
// whole map; null when the map has no such county.
function frame(geo, name) {
  const f = (geo.features || []).find((x) => x.properties && x.properties.name === name);
  if (!f) return null;
  const all = bbox(geo), one = bbox(f);
  const zoom = Math.max(1, 0.8 * Math.min((all[2] - all[0]) / (one[2] - one[0]), (all[3] - all[1]) / (one[3] - one[1])));
  return { center: [(one[0] + one[2]) / 2, (one[1] + one[3]) / 2], zoom };
}

const hallHash = (hall, city) => `#/hall/${encodeURIComponent(hall)}?from=${encodeURIComponent(city)}`;

// In the hall view (views/hall.js): when its hash says it was opened from a city's drill-down
// (`?from=<city id>`), a link back to that city, named from the `province` topic, before the
// hall's name in `bar`. Returns the function that stops watching the topic.
export function hallBackLink(bar, ctx) {
  const m = /[?&]from=([^&]+)/.exec(location.hash);
  if (!m || !bar || ctx.kiosk || !ctx.me || !ctx.me.province) return () => {};
  const id = decodeURIComponent(m[1]);
  const a = document.createElement('a');
  a.className = 'btn ghost small prov-back hall-back';
  a.href = '#/province/' + encodeURIComponent(id);
  a.textContent = t('prov.backto', { v: id });
  bar.prepend(a);
  return ctx.live.watch('province', (tp) => {
    const c = tp.data && tp.data.cities && tp.data.cities[id];
    if (c) a.textContent = t('prov.backto', { v: c.name });
  });
}

export function mountCity(root, ctx, cityId) {
  root.classList.add('prov-city');
  root.innerHTML = `<div class="prov-head"><a class="btn ghost small prov-back" href="#/province">${esc(t('prov.back'))}</a>` +
    `<h2 data-prov-city></h2><small data-prov-count></small></div>` +
    `<div class="kpis-row"></div><div class="prov-grid"><div class="col col-l"></div><div class="col col-r"></div></div>`;
  const updKpis = kpiStrip(root.querySelector('.kpis-row'), stripItems(), 'province');
  const pHalls = panel({ title: t('prov.halls'), age: 'city', cls: 'p-prov-halls' });
  const pMap = panel({ title: t('prov.hallmap'), age: 'city', cls: 'p-prov-map' });
  root.querySelector('.col-l').append(pHalls.el);
  root.querySelector('.col-r').append(pMap.el);
  pMap.body.style.padding = '0';
  pMap.body.innerHTML = '<div class="chart map-chart"></div>';
  const chart = makeChart(pMap.body.querySelector('.chart'));
  chart.on('click', (p) => {
    if (p.componentType === 'series' && p.data && p.data.id && !ctx.kiosk) ctx.nav(hallHash(p.data.id, cityId));
  });
  pHalls.body.addEventListener('click', (e) => {
    const tr = e.target.closest('[data-hall]');
    if (tr && !ctx.kiosk) ctx.nav(hallHash(tr.dataset.hall, cityId));
  });
  let prov = null, city = null, geo = null, alive = true;

  const me = () => (prov && prov.cities && prov.cities[cityId]) || null;
  const halls = () => {
    const c = me();
    const all = (city && city.halls) || {};
    return c ? (c.hall_ids || []).map((id) => ({ id, h: all[id] || null })) : [];
  };

  const renderTable = () => {
    const rows = halls().map(({ id, h }) => {
      const k = (h && h.kpi) || {};
      return `<tr data-hall="${esc(id)}"><td class="nm">${statusDot(h && h.status)}<span>${esc(h ? shortHall(h.name) : id)}</span></td>` +
        `<td>${int(k.issued)}</td><td>${int(k.waiting)}</td><td>${has(k.avg_wait_s) ? esc(dur(k.avg_wait_s)) : '—'}</td>` +
        `<td>${has(k.max_wait_live_s) ? esc(dur(k.max_wait_live_s)) : '—'}</td><td>${int(k.over_sla_waiting)}</td>` +
        `<td>${int(k.windows_open)}<small>/${int(k.windows_planned)}</small></td><td>${int(k.finished)}</td>` +
        `<td>${has(k.good_rate) ? esc(pct(k.good_rate)) : '—'}</td></tr>`;
    });
    const head = ['col.hall', 'kpi.issued', 'kpi.waiting', 'kpi.avg_wait', 'col.longest', 'kpi.over_sla', 'col.windows', 'kpi.finished', 'kpi.good_rate']
      .map((k) => `<th>${esc(t(k))}</th>`).join('');
    setHTML(pHalls.body, rows.length ? `<table class="tbl prov-tbl prov-halls"><thead><tr>${head}</tr></thead><tbody>${rows.join('')}</tbody></table>` : emptyState(t('prov.nohalls')));
  };

  const renderMap = () => {
    const c = me();
    if (!geo || !c) return;
    const pts = halls().map(({ id, h }) => ({ id, h, reg: ctx.hallById.get(id) })).filter((x) => x.reg && has(x.reg.lat) && has(x.reg.lng));
    const opt = baseOption();
    // the city's county framed, its neighbours around it for context; its own name is the
    // view's title, so only the neighbours are labelled
    opt.geo = {
      map: PROVINCE_MAP, roam: false, top: 12, bottom: 12, left: 12, right: 12, silent: true,
      aspectScale: Math.cos((28.7 * Math.PI) / 180), ...(frame(geo, c.name) || {}),
      itemStyle: { areaColor: '#0a2557', borderColor: '#2d6fa8', borderWidth: 1 },
      label: { show: true, color: '#6f8cb0', fontFamily: FONT, fontSize: 13 },
      regions: [{ name: c.name, itemStyle: { areaColor: 'rgba(26, 160, 255, 0.28)', borderColor: C.cyan || '#3ad1ff', borderWidth: 2 }, label: { show: false } }],
    };
    opt.series = [{
      type: 'scatter', coordinateSystem: 'geo', zlevel: 1,
      data: pts.map(({ id, h, reg }) => {
        const w = (h && h.kpi && h.kpi.waiting) || 0;
        return { id, name: h ? shortHall(h.name) : id, value: [reg.lng, reg.lat, w], symbolSize: Math.min(26, 8 + 2.2 * Math.sqrt(w)), itemStyle: { color: STATUS_COLOR[(h && h.status) || 'unknown'], borderColor: '#fff', borderWidth: 1 } };
      }),
      label: { show: true, position: 'right', color: '#e6f4ff', fontFamily: FONT, fontSize: 13, formatter: (p) => `${p.name} ${int(p.value[2])}` },
      labelLayout: { hideOverlap: true },
    }];
    chart.setOption(opt, true);
  };

  const kick = throttle(() => {
    if (!alive) return;
    const c = me();
    setHTML(root.querySelector('[data-prov-city]'), esc(c ? c.name : cityId));
    setHTML(root.querySelector('[data-prov-count]'), c ? esc(t('prov.count', { n: int(c.halls), p: prov.name || '' })) : esc(t('prov.unknown')));
    updKpis(stripValues((c && c.kpi) || {}));
    renderTable();
    renderMap();
  }, 500);

  const unProv = ctx.live.watch('province', (tp) => { if (tp.data) { prov = tp.data; kick(); } });
  const unCity = ctx.live.watch('city', (tp) => { if (tp.data) { city = tp.data; kick(); } });
  loadProvinceMap().then((g) => { if (alive) { geo = g; renderMap(); } }).catch(() => {
    pMap.body.querySelector('.chart').innerHTML = emptyState(t('err.load', { e: 'map' }));
  });
  return {
    unmount() {
      alive = false;
      unProv();
      unCity();
      disposeChart(chart);
    },
  };
}
