// province: a province hub's view (docs/cluster.md, "Province cascade"). The KPI strip
// province-wide, the cities' table (per city: halls, issued, waiting, average wait, over SLA,
// finished, good rate, bad reviews) and the 台州 map, each county that is a configured city
// coloured by its people waiting and labelled with them. Data: the `province` topic. A city's
// row or county opens its drill-down (#/province/<city id>, province_city.js).

import { t } from '../i18n.js';
import { esc, int, pct, has, dur } from '../fmt.js';
import { panel, kpiStrip, throttle, setHTML, emptyState } from '../ui.js';
import { makeChart, disposeChart, baseOption, C, FONT } from '../charts.js';
import { stripItems, stripValues } from '../kpis.js';
import { mountCity } from './province_city.js';

const MAP = 'taizhou';
export const PROVINCE_MAP = MAP;
let mapPromise = null;

export function loadProvinceMap() {
  if (!mapPromise) {
    mapPromise = fetch('/map/taizhou.geojson', { credentials: 'same-origin' })
      .then((r) => { if (!r.ok) throw new Error('map: ' + r.status); return r.json(); })
      .then((geo) => { window.echarts.registerMap(MAP, geo); return geo; })
      .catch((e) => { mapPromise = null; throw e; });
  }
  return mapPromise;
}

export function mount(root, ctx, arg) {
  if (arg) return mountCity(root, ctx, arg);
  root.innerHTML = `<div class="kpis-row"></div><div class="prov-grid"><div class="col col-l"></div><div class="col col-r"></div></div>`;
  const updKpis = kpiStrip(root.querySelector('.kpis-row'), stripItems(), 'province');
  const pCities = panel({ title: t('prov.cities'), age: 'province', cls: 'p-prov-cities' });
  const pMap = panel({ title: t('prov.map'), age: 'province', cls: 'p-prov-map' });
  root.querySelector('.col-l').append(pCities.el);
  root.querySelector('.col-r').append(pMap.el);
  pMap.body.style.padding = '0';
  pMap.body.innerHTML = '<div class="chart map-chart"></div>';
  const chart = makeChart(pMap.body.querySelector('.chart'));
  const drill = (id) => { if (id && !ctx.kiosk) ctx.nav('#/province/' + encodeURIComponent(id)); };
  pCities.body.addEventListener('click', (e) => { const tr = e.target.closest('[data-city]'); if (tr) drill(tr.dataset.city); });
  chart.on('click', (p) => {
    const hit = Object.entries((data && data.cities) || {}).find(([, c]) => c.name === p.name);
    if (hit) drill(hit[0]);
  });
  let data = null;
  let mapReady = false;
  let alive = true;

  const renderTable = () => {
    const rows = Object.entries(data.cities || {}).map(([id, c]) => {
      const k = c.kpi || {};
      return `<tr data-city="${esc(id)}" class="link"><td class="nm">${esc(c.name)}</td><td>${int(c.halls)}</td>` +
        `<td>${int(k.issued)}</td><td>${int(k.waiting)}</td><td>${has(k.avg_wait_s) ? esc(dur(k.avg_wait_s)) : '—'}</td>` +
        `<td>${int(k.over_sla_waiting)}</td><td>${int(k.finished)}</td>` +
        `<td>${has(k.good_rate) ? esc(pct(k.good_rate)) : '—'}</td><td>${int(k.bad_reviews)}</td></tr>`;
    });
    const head = ['prov.col.city', 'prov.col.halls', 'kpi.issued', 'kpi.waiting', 'kpi.avg_wait', 'kpi.over_sla', 'kpi.finished', 'kpi.good_rate', 'kpi.bad_reviews']
      .map((k) => `<th>${esc(t(k))}</th>`).join('');
    setHTML(pCities.body, rows.length ? `<table class="tbl prov-tbl"><thead><tr>${head}</tr></thead><tbody>${rows.join('')}</tbody></table>` : emptyState(t('prov.none')));
  };

  const renderMap = () => {
    if (!mapReady || !data) return;
    const cities = Object.values(data.cities || {});
    const max = Math.max(1, ...cities.map((c) => (c.kpi && c.kpi.waiting) || 0));
    const opt = baseOption();
    opt.series = [{
      type: 'map', map: MAP, roam: false, top: 12, bottom: 12, left: 12, right: 12,
      aspectScale: Math.cos((28.7 * Math.PI) / 180),
      selectedMode: false,
      itemStyle: { areaColor: '#0c2f6e', borderColor: '#5cc8ff', borderWidth: 1 },
      emphasis: { disabled: true },
      label: {
        show: true, color: '#cfe8ff', fontFamily: FONT, fontSize: 13, lineHeight: 18,
        formatter: (p) => {
          const c = cities.find((x) => x.name === p.name);
          // counties that are not cities of this province stay unlabelled: their names
          // would only crowd the labels that carry figures
          return c ? `{b|${p.name}}\n${t('kpi.waiting')} ${int(c.kpi.waiting)} · ${t('kpi.issued')} ${int(c.kpi.issued)}` : '';
        },
        rich: { b: { fontWeight: 700, fontSize: 15, color: '#fff' } },
      },
      data: cities.map((c) => {
        const w = (c.kpi && c.kpi.waiting) || 0;
        const a = 0.35 + 0.65 * (w / max);
        return { name: c.name, value: w, itemStyle: { areaColor: `rgba(26, 160, 255, ${a.toFixed(2)})`, borderColor: C.cyan || '#3ad1ff', borderWidth: 2 } };
      }),
    }];
    chart.setOption(opt, true);
  };

  const kick = throttle(() => {
    if (!alive || !data) return;
    updKpis(stripValues(data.kpi || {}));
    renderTable();
    renderMap();
  }, 500);

  const unwatch = ctx.live.watch('province', (tp) => {
    if (tp.error) { setHTML(pCities.body, emptyState(t('prov.none'))); return; }
    if (!tp.data) return;
    data = tp.data;
    kick();
  });
  loadProvinceMap().then(() => { if (alive) { mapReady = true; renderMap(); } }).catch(() => {
    pMap.body.querySelector('.chart').innerHTML = emptyState(t('err.load', { e: 'map' }));
  });
  return {
    unmount() {
      alive = false;
      unwatch();
      disposeChart(chart);
    },
  };
}
