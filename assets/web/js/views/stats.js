// stats: 统计分析 — period KPIs from the roll-ups (GET /api/v1/stats, docs/statistics.md): a
// period picker (day, ISO week, month, custom range), compare with the previous period, drill
// down city → hall → biz → window / staff by clicking a row, the breakdown chart and the channel
// chart, and export (the 日报 / 月报 as CSV, XLSX, PDF for a day or a month; the table as CSV
// otherwise).

import { t } from '../i18n.js';
import { get } from '../api.js';
import { esc, has, int, pct, dur } from '../fmt.js';
import { panel, kpiStrip, touch, emptyState } from '../ui.js';
import { makeChart, disposeChart, baseOption, valueAxis, C } from '../charts.js';
import { bizNow } from '../clock.js';

const sel = { kind: 'week', value: null, from: null, to: null, hall: null, biz: null, compare: true };
const CHANNELS = ['kiosk', 'wechat', 'appointment', 'counter', 'online'];

function isoDay(ms) { return new Date(ms + 8 * 3600000).toISOString().slice(0, 10); }

function isoWeek(day) {
  const d = new Date(day + 'T00:00:00Z');
  const wd = (d.getUTCDay() + 6) % 7;
  d.setUTCDate(d.getUTCDate() - wd + 3); // the Thursday of its week
  const y = d.getUTCFullYear();
  const w = 1 + Math.floor((d - Date.UTC(y, 0, 1)) / 86400000 / 7); // the Thursday's week of its year
  return `${y}-W${String(w).padStart(2, '0')}`;
}

function defaults() {
  const n = bizNow();
  const day = isoDay(Number.isFinite(n) ? n : Date.now());
  return { day, week: isoWeek(day), month: day.slice(0, 7) };
}

function periodQuery() {
  if (sel.kind === 'range') return `from=${encodeURIComponent(sel.from)}&to=${encodeURIComponent(sel.to)}`;
  return `${sel.kind}=${encodeURIComponent(sel.value)}`;
}

// The level the drill-down is at: city → hall rows; a hall → biz rows; a biz → windows and staff.
function level() { return !sel.hall ? 'hall' : !sel.biz ? 'biz' : 'window'; }

function rowLabel(r, lv) {
  if (lv === 'hall') return `${r.hall} ${r.name || ''}`;
  if (lv === 'biz') return `${r.biz} ${r.name || ''}`;
  if (lv === 'window') return r.window;
  return `${r.staff}${r.name ? ' ' + r.name : ''}`;
}

const COLS = [
  ['issued', 'stats.col.issued', (k) => int(k.issued)],
  ['finished', 'stats.col.finished', (k) => int(k.finished)],
  ['done_rate', 'stats.col.done_rate', (k) => pct(k.done_rate)],
  ['supplement_rate', 'stats.col.supplement_rate', (k) => pct(k.supplement_rate)],
  ['avg_wait_s', 'stats.col.avg_wait', (k) => (has(k.avg_wait_s) ? dur(k.avg_wait_s) : '—')],
  ['avg_service_s', 'stats.col.avg_service', (k) => (has(k.avg_service_s) ? dur(k.avg_service_s) : '—')],
  ['no_show', 'stats.col.no_show', (k) => int(k.no_show)],
  ['good_rate', 'stats.col.good_rate', (k) => pct(k.good_rate)],
  ['bad_reviews', 'stats.col.bad', (k) => int(k.bad_reviews)],
  ['rectify_rate', 'stats.col.rectify_rate', (k) => pct(k.rectify_rate)],
  ['contact_rate', 'stats.col.contact_rate', (k) => pct(k.contact_rate)],
  ['attendance', 'stats.col.attendance', (k) => pct(k.attendance && k.attendance.rate)],
];

function delta(cur, prev, rate) {
  if (!has(cur) || !has(prev)) return '';
  const d = cur - prev;
  if (Math.abs(d) < 1e-9) return t('stats.same');
  const s = rate ? (d * 100).toFixed(1) + ' pt' : (prev ? ((d / prev) * 100).toFixed(1) + '%' : String(d));
  return (d > 0 ? '▲ ' : '▼ ') + s.replace('-', '');
}

export function mount(root, ctx) {
  const d = defaults();
  const isHall = ctx.me.role === 'hall';
  if (!sel.value) sel.value = d[sel.kind] || d.week;
  if (!sel.from) { sel.from = d.day; sel.to = d.day; }
  if (isHall && !sel.hall) sel.hall = ctx.me.halls[0];
  root.innerHTML =
    `<div class="hist-bar ctl st-bar">` +
    `<label>${esc(t('stats.period'))}</label><select data-f="kind">${['day', 'week', 'month', 'range'].map((k) => `<option value="${k}"${k === sel.kind ? ' selected' : ''}>${esc(t('stats.kind.' + k))}</option>`).join('')}</select>` +
    `<span data-f="inputs" class="ctl"></span>` +
    `<label><input type="checkbox" data-f="compare"${sel.compare ? ' checked' : ''}> ${esc(t('stats.compare'))}</label>` +
    `<span class="crumbs" data-f="crumbs"></span><span class="spacer" style="flex:1"></span>` +
    `<span class="st-export" data-f="export"></span>` +
    `<span class="age" data-age="rest:stats" data-age-max="100000"></span></div>` +
    `<div class="kpis-row"></div><div class="st-grid"></div>`;
  const items = [['issued', 'stats.col.issued'], ['finished', 'stats.col.finished'], ['done_rate', 'stats.col.done_rate'],
    ['avg_wait', 'stats.col.avg_wait'], ['good_rate', 'stats.col.good_rate'], ['bad', 'stats.col.bad'],
    ['rectify_rate', 'stats.col.rectify_rate'], ['contact_rate', 'stats.col.contact_rate']].map(([key, l]) => ({ key, label: t(l) }));
  const upd = kpiStrip(root.querySelector('.kpis-row'), items);
  const grid = root.querySelector('.st-grid');
  const pBars = panel({ title: t('stats.chart.finished'), cls: 'p-st-bars' });
  const pCh = panel({ title: t('stats.chart.channels'), cls: 'p-st-ch' });
  const pTbl = panel({ title: t('stats.table'), cls: 'p-st-tbl' });
  pBars.body.innerHTML = '<div class="chart"></div>';
  pCh.body.innerHTML = '<div class="chart"></div>';
  grid.append(pBars.el, pCh.el, pTbl.el);
  const bars = makeChart(pBars.body.querySelector('.chart'));
  const pie = makeChart(pCh.body.querySelector('.chart'));

  const inputs = () => {
    const box = root.querySelector('[data-f="inputs"]');
    const typ = { day: 'date', week: 'week', month: 'month' }[sel.kind];
    box.innerHTML = sel.kind === 'range'
      ? `<input type="date" data-f="from" value="${esc(sel.from)}"><span>—</span><input type="date" data-f="to" value="${esc(sel.to)}">`
      : `<input type="${typ}" data-f="value" value="${esc(sel.value)}">`;
    for (const el of box.querySelectorAll('input')) el.addEventListener('change', () => {
      if (el.dataset.f === 'value') sel.value = el.value || sel.value;
      else sel[el.dataset.f] = el.value || sel[el.dataset.f];
      load();
    });
  };
  root.querySelector('[data-f="kind"]').addEventListener('change', (e) => {
    sel.kind = e.target.value;
    sel.value = defaults()[sel.kind] || sel.value;
    inputs();
    load();
  });
  root.querySelector('[data-f="compare"]').addEventListener('change', (e) => { sel.compare = e.target.checked; load(); });

  const crumbs = () => {
    const parts = [];
    if (!isHall) parts.push(`<a href="#" data-go="city">${esc(t('history.city'))}</a>`);
    if (sel.hall) parts.push(`<a href="#" data-go="hall">${esc(sel.hall)}</a>`);
    if (sel.biz) parts.push(`<span>${esc(sel.biz)}</span>`);
    const el = root.querySelector('[data-f="crumbs"]');
    el.innerHTML = parts.join(' › ');
    for (const a of el.querySelectorAll('a')) a.addEventListener('click', (e) => {
      e.preventDefault();
      if (a.dataset.go === 'city' && !isHall) sel.hall = null;
      sel.biz = null;
      load();
    });
  };

  const exportLinks = (doc) => {
    const el = root.querySelector('[data-f="export"]');
    const hall = sel.hall ? `&hall=${encodeURIComponent(sel.hall)}` : '';
    if (sel.kind === 'day' || sel.kind === 'month') {
      const kind = sel.kind === 'day' ? 'daily' : 'monthly';
      const arg = `${sel.kind}=${encodeURIComponent(sel.value)}`;
      el.innerHTML = ['csv', 'xlsx', 'pdf'].map((f) => `<a class="btn" data-export="${f}" download="citywall-${kind}-${esc(sel.value)}${sel.hall ? '-' + esc(sel.hall) : ''}.${f}" href="/api/v1/reports/${kind}?${arg}${hall}&format=${f}">${f.toUpperCase()}</a>`).join('');
    } else { // a week or a range: the table as it is shown
      const lv = level();
      const lines = [['', ...COLS.map(([, l]) => t(l))].join(',')].concat((doc.rows || []).map((r) =>
        [rowLabel(r, lv), ...COLS.map(([, , f]) => f(r.kpi || {}))].map((c) => `"${String(c).replace(/"/g, '""')}"`).join(',')));
      const url = URL.createObjectURL(new Blob(['\ufeff' + lines.join('\r\n') + '\r\n'], { type: 'text/csv' }));
      el.innerHTML = `<a class="btn" data-export="csv" download="citywall-stats-${esc(doc.period.label)}.csv" href="${url}">CSV</a>`;
    }
  };

  const table = (doc, prev, lv) => {
    const rows = doc.rows || [];
    if (!rows.length) { pTbl.body.innerHTML = emptyState(t('stats.empty')); return; }
    const pByKey = new Map(((prev && prev.rows) || []).map((r) => [rowLabel(r, lv), r.kpi || {}]));
    pTbl.body.innerHTML = `<table class="tbl st-tbl"><thead><tr><th>${esc(t('stats.col.' + lv))}</th>${COLS.map(([, l]) => `<th class="num">${esc(t(l))}</th>`).join('')}</tr></thead><tbody>` +
      rows.map((r) => {
        const k = r.kpi || {}, p = pByKey.get(rowLabel(r, lv));
        const drill = lv === 'hall' || lv === 'biz';
        return `<tr${drill ? ` class="click" data-key="${esc(lv === 'hall' ? r.hall : r.biz)}"` : ''}><td>${esc(rowLabel(r, lv))}</td>` +
          COLS.map(([key, , f]) => `<td class="num" data-col="${key}">${esc(f(k))}${p && key === 'finished' ? `<small> ${esc(delta(k.finished, p.finished))}</small>` : ''}</td>`).join('') + '</tr>';
      }).join('') + '</tbody></table>';
    for (const tr of pTbl.body.querySelectorAll('tr.click')) tr.addEventListener('click', () => {
      if (lv === 'hall') sel.hall = tr.dataset.key; else sel.biz = tr.dataset.key;
      load();
    });
  };

  const charts = (doc, prev, lv) => {
    const rows = doc.rows || [];
    const labels = rows.map((r) => (lv === 'hall' ? r.hall : rowLabel(r, lv)));
    const series = [{ name: doc.period.label, type: 'bar', data: rows.map((r) => (r.kpi || {}).finished || 0), itemStyle: { color: C.cyan } }];
    if (prev) {
      const pm = new Map((prev.rows || []).map((r) => [rowLabel(r, lv), (r.kpi || {}).finished || 0]));
      series.push({ name: prev.period.label, type: 'bar', data: rows.map((r) => pm.get(rowLabel(r, lv)) || 0), itemStyle: { color: C.violet } });
    }
    bars.setOption({ ...baseOption(), xAxis: { type: 'category', data: labels, axisLabel: { color: C.dim, rotate: labels.length > 8 ? 40 : 0 } }, yAxis: valueAxis(), series }, { notMerge: true });
    const ch = (doc.total && doc.total.channels) || {};
    pie.setOption({ ...baseOption(), tooltip: { trigger: 'item' }, series: [{ type: 'pie', radius: ['40%', '68%'], label: { color: C.text, formatter: '{b} {d}%' },
      data: CHANNELS.filter((c) => ch[c]).map((c) => ({ name: t('stats.ch.' + c), value: ch[c].issued })) }] }, { notMerge: true });
  };

  const strip = (k, p) => {
    const v = (value, sub) => ({ value, sub });
    upd({
      issued: v(int(k.issued), p ? delta(k.issued, p.issued) : ''),
      finished: v(int(k.finished), p ? delta(k.finished, p.finished) : ''),
      done_rate: v(pct(k.done_rate), p ? delta(k.done_rate, p.done_rate, true) : ''),
      avg_wait: v(has(k.avg_wait_s) ? dur(k.avg_wait_s) : '—', p ? delta(k.avg_wait_s, p.avg_wait_s) : ''),
      good_rate: v(pct(k.good_rate), p ? delta(k.good_rate, p.good_rate, true) : ''),
      bad: v(int(k.bad_reviews), p ? delta(k.bad_reviews, p.bad_reviews) : ''),
      rectify_rate: v(pct(k.rectify_rate), `${int(k.rectify_on_time)} / ${int(k.rectify_due)}`),
      contact_rate: v(pct(k.contact_rate), `${int(k.contacted)} / ${int(k.bad_reviews)}`),
    });
  };

  let seq = 0;
  const load = async () => {
    const my = ++seq;
    crumbs();
    const lv = level();
    const base = `/api/v1/stats?${periodQuery()}` + (sel.hall ? `&hall=${encodeURIComponent(sel.hall)}` : '') + (sel.biz ? `&biz=${encodeURIComponent(sel.biz)}` : '') + (sel.compare ? '&compare=1' : '');
    try {
      const [doc, staff] = await Promise.all([get(`${base}&level=${lv}`), lv === 'window' ? get(`${base}&level=staff`) : null]);
      if (my !== seq) return;
      touch('rest:stats');
      const prev = doc.previous || null;
      strip(doc.total || {}, prev && prev.total);
      if (staff) doc.rows = doc.rows.concat(staff.rows.map((r) => ({ ...r, window: `${r.staff}${r.name ? ' ' + r.name : ''}` })));
      table(doc, prev, lv);
      charts(doc, prev, lv);
      exportLinks(doc);
    } catch (e) {
      if (my !== seq) return;
      pTbl.body.innerHTML = emptyState(t('err.load', { e: e.message }));
    }
  };
  inputs();
  load();
  return { unmount() { seq++; disposeChart(bars); disposeChart(pie); } };
}
