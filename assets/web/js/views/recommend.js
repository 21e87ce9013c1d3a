// recommend: 智能分流. Pick a matter (a city category) and a starting point (click on the map or
// pick a town) → the halls that handle it, ranked by travel time (great-circle km at 30 km/h) plus
// expected wait, from GET /api/v1/recommend?lat=&lng=&category=; refreshed every 15 s since the
// waits move. The map shows the start, the halls and the routes to the best three.

import { t, catName } from '../i18n.js';
import { get } from '../api.js';
import { esc, shortHall, has, dur, hhmm } from '../fmt.js';
import { panel, setHTML, emptyState, touch } from '../ui.js';
import { makeChart, disposeChart, loadMap, geoLayers, baseOption, placeLabels, textWidth, C, FONT } from '../charts.js';

const sel = { category: null, lat: null, lng: null, town: '' };


export function mount(root, ctx) {
  const cats = [];
  for (const h of ctx.halls) for (const b of h.biz || []) if (b.category && !cats.includes(b.category)) cats.push(b.category);
  if (!sel.category || !cats.includes(sel.category)) sel.category = cats[0] || null;
  root.innerHTML = `<div class="col col-l"></div><div class="col col-r"></div>`;
  const pForm = panel({ title: t('rec.title'), cls: 'p-recform' });
  const pRes = panel({ title: t('rec.results'), age: 'rest:recommend', ageMax: 40, cls: 'p-recres' });
  const pMap = panel({ title: t('panel.map'), cls: 'p-recmap' });
  root.querySelector('.col-l').append(pForm.el, pRes.el);
  root.querySelector('.col-r').append(pMap.el);
  root.querySelector('.col-r').style.gridTemplateRows = 'minmax(0,1fr)';
  pRes.body.classList.add('scroll');

  const towns = ctx.halls.filter((h) => has(h.lat) && has(h.lng));
  if (!has(sel.lat) && towns.length) { sel.town = towns[0].id; sel.lat = towns[0].lat; sel.lng = towns[0].lng; }
  pForm.body.innerHTML = `<div class="rec-form">` +
    `<label>${esc(t('rec.category'))}</label><div class="cats">${cats.map((c) => `<button class="cat${c === sel.category ? ' on' : ''}" data-cat="${esc(c)}">${esc(catName(c))}</button>`).join('')}</div>` +
    `<label>${esc(t('rec.place'))}</label><div class="rec-place"><select data-town><option value="">${esc(t('rec.place.pick'))}</option>` +
    towns.map((h) => `<option value="${esc(h.id)}"${h.id === sel.town ? ' selected' : ''}>${esc(shortHall(h.name))}</option>`).join('') +
    `</select><span class="hint" data-place-hint></span></div></div>`;

  pMap.body.style.padding = '0';
  pMap.body.innerHTML = '<div class="chart map-chart"></div>';
  const chart = makeChart(pMap.body.querySelector('.chart'));
  let mapReady = false;
  let geoSet = false;
  let results = null;
  let timer = null;

  const hint = () => {
    const el = pForm.body.querySelector('[data-place-hint]');
    el.textContent = has(sel.lat) ? (sel.town ? '' : t('rec.place.map', { lat: sel.lat.toFixed(4), lng: sel.lng.toFixed(4) })) : t('rec.place.hint');
  };

  pForm.body.addEventListener('click', (e) => {
    const b = e.target.closest('[data-cat]');
    if (!b) return;
    sel.category = b.dataset.cat;
    for (const x of pForm.body.querySelectorAll('[data-cat]')) x.classList.toggle('on', x === b);
    load();
  });
  pForm.body.querySelector('[data-town]').addEventListener('change', (e) => {
    const h = ctx.hallById.get(e.target.value);
    sel.town = h ? h.id : '';
    if (h) { sel.lat = h.lat; sel.lng = h.lng; }
    hint();
    load();
  });

  const renderList = () => {
    if (!sel.category || !has(sel.lat)) { setHTML(pRes.body, emptyState(t('rec.choose'), t('rec.place.hint'))); return; }
    if (!results) { setHTML(pRes.body, emptyState(t('age.none'))); return; }
    if (!results.length) { setHTML(pRes.body, emptyState(t('rec.none'))); return; }
    const maxTotal = Math.max(...results.map((r) => r.total_s || 0), 1);
    setHTML(pRes.body, `<div class="rec-legend"><span><i style="background:#4f9dff"></i>${esc(t('col.travel'))}</span><span><i style="background:var(--amber)"></i>${esc(t('col.ewt'))}</span><span>${esc(t('rec.method'))}</span></div>` +
      `<ul class="recs">` + results.map((r, i) => {
        const h = ctx.hallById.get(r.hall);
        const tw = ((r.travel_s || 0) / maxTotal) * 100, ew = ((r.ewt_s || 0) / maxTotal) * 100;
        return `<li class="rec${i === 0 ? ' best' : ''}${r.open === false ? ' closed' : ''}" data-rec="${esc(r.hall)}"><span class="rec-n">${i + 1}</span>` +
          `<div class="rec-name">${esc(r.name || (h && h.name) || r.hall)}<small>${esc(r.biz_name || '')}${r.open === false ? ' · <b class="rec-opens">' + esc(r.opens_at ? t('rec.opens', { v: hhmm(r.opens_at) }) : t('rec.closed')) + '</b>' : ''}</small></div>` +
          `<div class="rec-total">${dur(r.total_s)}</div>` +
          `<div class="rec-bar"><i class="tr" style="width:${tw}%"></i><i class="ew" style="width:${ew}%"></i></div>` +
          `<div class="rec-meta"><span>${esc(t('col.distance'))} <b>${has(r.distance_km) ? r.distance_km.toFixed(1) : '—'} km</b></span>` +
          `<span>${esc(t('col.travel'))} <b>${dur(r.travel_s)}</b></span>` +
          `<span>${esc(t('col.ewt'))} <b>${dur(r.ewt_s)}</b></span></div></li>`;
      }).join('') + `</ul>`);
  };

  const renderMap = () => {
    if (!mapReady) return;
    const top = (results || []).slice(0, 3);
    const rank = new Map((results || []).map((r, i) => [r.hall, i]));
    const origin = has(sel.lat) ? [sel.lng, sel.lat] : null;
    if (!geoSet) { geoSet = true; chart.setOption({ ...baseOption(), tooltip: { trigger: 'item' }, geo: geoLayers({ silent: false, top: 16, bottom: 16, left: 16, right: 16 }) }); }
    const font = `13px ${FONT}`;
    const isTop = (h) => rank.has(h.id) && rank.get(h.id) < 3;
    const labelText = (h) => (isTop(h) ? `${rank.get(h.id) + 1}. ${shortHall(h.name)}` : shortHall(h.name));
    const labelled = towns;
    const W = chart.getWidth(), H = chart.getHeight();
    const pts = labelled.map((h) => {
      const [x, y] = chart.convertToPixel({ geoIndex: 0 }, [h.lng, h.lat]);
      return { x, y, r: 9, w: textWidth(labelText(h), isTop(h) ? font : `12px ${FONT}`) + 14, h: isTop(h) ? 22 : 20, prio: isTop(h) ? 10 - rank.get(h.id) : 0 };
    });
    if (origin) {
      const [x, y] = chart.convertToPixel({ geoIndex: 0 }, origin);
      pts.push({ x, y, r: 9, w: textWidth(t('rec.origin'), `bold ${font}`) + 14, h: 22, prio: 10 });
    }
    const place = placeLabels(pts, { x0: 4, y0: 4, x1: W - 4, y1: H - 4 });
    const placeOf = new Map(labelled.map((h, i) => [h.id, place[i]]));
    const layout = (q) => (p) => (q ? { x: p.rect.x + p.rect.width / 2 + q.dx, y: p.rect.y + p.rect.height / 2 + q.dy, align: 'center', verticalAlign: 'middle' } : {});
    chart.setOption({
      series: [
        {
          type: 'scatter', coordinateSystem: 'geo', geoIndex: 0, z: 5,
          data: towns.map((h) => {
            const i = rank.get(h.id);
            const color = i === 0 ? C.green : i !== undefined ? C.cyan : 'rgba(150,180,230,0.55)';
            return {
              labelLine: { show: !!(placeOf.get(h.id) || {}).far },
              name: h.id, value: [h.lng, h.lat], symbolSize: i === 0 ? 18 : i !== undefined ? 12 : 8,
              itemStyle: { color, borderColor: '#fff', borderWidth: i !== undefined ? 1 : 0, shadowBlur: i !== undefined ? 10 : 0, shadowColor: color },
              label: isTop(h) ? {
                show: true, formatter: labelText(h), color: '#fff', fontFamily: FONT, fontSize: 13,
                backgroundColor: 'rgba(4,18,52,0.85)', borderColor: color, borderWidth: 1, padding: [3, 6], borderRadius: 3,
              } : {
                show: true, formatter: labelText(h), color: 'rgba(200,220,255,0.75)', fontFamily: FONT, fontSize: 12, padding: [2, 4],
              },
            };
          }),
          labelLayout: (p) => layout(placeOf.get(towns[p.dataIndex] && towns[p.dataIndex].id))(p),
          labelLine: { show: true, lineStyle: { color: 'rgba(150,200,255,0.5)' } },
          tooltip: { formatter: (p) => esc(shortHall((ctx.hallById.get(p.data.name) || {}).name)) },
        },
        {
          type: 'lines', coordinateSystem: 'geo', geoIndex: 0, zlevel: 1, z: 4, silent: true,
          symbol: ['none', 'arrow'], symbolSize: 9,
          lineStyle: { width: 2, opacity: 0.8, curveness: 0.2 },
          data: origin ? top.map((r, i) => {
            const h = ctx.hallById.get(r.hall);
            return h ? { coords: [origin, [h.lng, h.lat]], lineStyle: { color: i === 0 ? C.green : C.cyan } } : null;
          }).filter(Boolean) : [],
        },
        {
          type: 'scatter', coordinateSystem: 'geo', geoIndex: 0, zlevel: 1, z: 6, silent: true,
          data: origin ? [{
            name: 'origin', value: origin, symbol: 'pin', symbolSize: 30, symbolOffset: [0, '-40%'], itemStyle: { color: C.amber, shadowBlur: 10, shadowColor: C.amber },
            label: { show: true, formatter: t('rec.origin'), color: C.amber, fontFamily: FONT, fontWeight: 'bold', fontSize: 13, backgroundColor: 'rgba(4,18,52,0.85)', padding: [3, 6], borderRadius: 3 },
          }] : [],
          labelLayout: layout(origin ? place[place.length - 1] : null),
        },
      ],
    }, { replaceMerge: ['series'] });
  };

  chart.getZr().on('click', (e) => {
    if (!mapReady) return;
    const p = chart.convertFromPixel({ geoIndex: 0 }, [e.offsetX, e.offsetY]);
    if (!p || !has(p[0]) || !has(p[1])) return;
    sel.lng = p[0];
    sel.lat = p[1];
    sel.town = '';
    pForm.body.querySelector('[data-town]').value = '';
    hint();
    load();
  });

  let seq = 0;
  const load = async () => {
    renderList();
    renderMap();
    if (!sel.category || !has(sel.lat)) return;
    if (seq < 0) return;
    const my = ++seq;
    try {
      const doc = await get(`/api/v1/recommend?lat=${sel.lat.toFixed(5)}&lng=${sel.lng.toFixed(5)}&category=${encodeURIComponent(sel.category)}`);
      if (my !== seq) return;
      results = (doc && doc.halls) || [];
      touch('rest:recommend');
    } catch (e) {
      if (my !== seq) return;
      results = [];
    }
    renderList();
    renderMap();
  };

  hint();
  loadMap().then(() => { if (seq >= 0) { mapReady = true; renderMap(); } }).catch(() => {});
  load();
  timer = setInterval(load, 15000);

  return {
    unmount() { seq = -1e9; mapReady = false; clearInterval(timer); disposeChart(chart); },
  };
}
