// perf: 绩效考核 — the month's scorecards of staff, windows or halls with their rankings in the
// hall and the city, and the 约谈 list (bottom of the hall's ranking in consecutive months;
// GET /api/v1/scorecards, docs/statistics.md), with the month's report for export.

import { t } from '../i18n.js';
import { get } from '../api.js';
import { esc, has, int, pct, dur } from '../fmt.js';
import { panel, touch, emptyState } from '../ui.js';
import { makeChart, disposeChart, baseOption, valueAxis, C } from '../charts.js';
import { bizNow } from '../clock.js';

const sel = { month: null, level: 'staff', hall: '' };

export function mount(root, ctx) {
  const isHall = ctx.me.role === 'hall';
  if (!sel.month) {
    const n = bizNow();
    sel.month = new Date((Number.isFinite(n) ? n : Date.now()) + 8 * 3600000).toISOString().slice(0, 7);
  }
  if (isHall && !sel.hall) sel.hall = ctx.me.halls[0];
  const hallOpts = (isHall ? [] : [['', t('history.city')]]).concat(ctx.halls.map((h) => [h.id, `${h.id} ${h.name}`]));
  root.innerHTML =
    `<div class="hist-bar ctl">` +
    `<label>${esc(t('perf.month'))}</label><input type="month" data-f="month" value="${esc(sel.month)}">` +
    `<label>${esc(t('perf.level'))}</label><select data-f="level">${['staff', 'window', 'hall'].map((l) => `<option value="${l}"${l === sel.level ? ' selected' : ''}>${esc(t('perf.level.' + l))}</option>`).join('')}</select>` +
    `<label>${esc(t('history.hall'))}</label><select data-f="hall">${hallOpts.map(([v, l]) => `<option value="${esc(v)}"${v === sel.hall ? ' selected' : ''}>${esc(l)}</option>`).join('')}</select>` +
    `<span class="spacer" style="flex:1"></span><span class="st-export" data-f="export"></span>` +
    `<span class="age" data-age="rest:perf" data-age-max="100000"></span></div>` +
    `<div class="perf-grid"></div>`;
  const grid = root.querySelector('.perf-grid');
  const pTbl = panel({ title: t('perf.cards'), cls: 'p-perf-tbl' });
  const pInt = panel({ title: t('perf.interview'), cls: 'p-perf-int' });
  const pChart = panel({ title: t('perf.chart'), cls: 'p-perf-chart' });
  pChart.body.innerHTML = '<div class="chart"></div>';
  grid.append(pTbl.el, pInt.el, pChart.el);
  const chart = makeChart(pChart.body.querySelector('.chart'));

  for (const el of root.querySelectorAll('[data-f]')) el.addEventListener('change', () => {
    sel.month = root.querySelector('[data-f="month"]').value || sel.month;
    sel.level = root.querySelector('[data-f="level"]').value;
    sel.hall = root.querySelector('[data-f="hall"]').value;
    load();
  });

  const key = (r) => (sel.level === 'hall' ? r.hall : sel.level === 'window' ? r.window : r.staff);
  const label = (r) => (sel.level === 'window' ? `${r.hall} ${r.window}` : `${sel.level === 'staff' ? r.staff : r.hall}${r.name ? ' ' + r.name : ''}`);
  const render = (doc) => {
    const rows = (doc.rows || []).slice().sort((a, b) => (a.rank_city || 1e9) - (b.rank_city || 1e9));
    if (!rows.length) pTbl.body.innerHTML = emptyState(t('stats.empty'));
    else pTbl.body.innerHTML = `<table class="tbl perf-tbl"><thead><tr><th>${esc(t('perf.who'))}</th>` +
      ['served', 'avg_service', 'no_show', 'good_rate', 'score', 'bad', 'rectify', 'attendance', 'rank_hall', 'rank_city'].map((c) => `<th class="num">${esc(t('perf.col.' + c))}</th>`).join('') + `<th></th></tr></thead><tbody>` +
      rows.map((r) => `<tr data-who="${esc(key(r))}"><td>${esc(label(r))}</td><td class="num">${int(r.served)}</td>` +
        `<td class="num">${has(r.avg_service_s) ? esc(dur(r.avg_service_s)) : '—'}</td><td class="num">${pct(r.no_show_share)}</td>` +
        `<td class="num">${pct(r.good_rate)}</td><td class="num">${has(r.score) ? r.score.toFixed(1) : '—'}</td><td class="num">${int(r.bad_reviews)}</td>` +
        `<td class="num">${int(r.rectify_on_time)} / ${int(r.rectify_due)}</td><td class="num">${pct(r.attendance_rate)}</td>` +
        `<td class="num">${r.rank_hall ? `${r.rank_hall} / ${r.ranked_in_hall}` : '—'}</td><td class="num">${r.rank_city ? `${r.rank_city} / ${r.ranked_in_city}` : '—'}</td>` +
        `<td>${r.interview ? `<span class="bad">${esc(t('perf.flag'))}</span>` : r.bottom ? esc(t('perf.bottom')) : ''}</td></tr>`).join('') + '</tbody></table>';
    const iv = doc.interview || [];
    pInt.body.innerHTML = iv.length
      ? `<table class="tbl"><tbody>${iv.map((r) => `<tr data-interview="${esc(key(r))}"><td>${esc(label(r))}</td><td>${esc((r.months || []).join('、'))}</td></tr>`).join('')}</tbody></table>`
      : emptyState(t('perf.none'));
    const ranked = rows.filter((r) => has(r.score));
    chart.setOption({ ...baseOption(), grid: { left: 8, right: 16, top: 16, bottom: 4, containLabel: true },
      xAxis: { type: 'category', data: ranked.map(label), axisLabel: { color: C.dim, rotate: ranked.length > 8 ? 40 : 0 } },
      yAxis: valueAxis({ min: 0, max: 100 }),
      series: [{ type: 'bar', data: ranked.map((r) => ({ value: Math.round(r.score * 10) / 10, itemStyle: { color: r.interview ? C.red : r.bottom ? C.amber : C.cyan } })) }] }, { notMerge: true });
    const hall = sel.hall ? `&hall=${encodeURIComponent(sel.hall)}` : '';
    root.querySelector('[data-f="export"]').innerHTML = ['csv', 'xlsx', 'pdf'].map((f) =>
      `<a class="btn" data-export="${f}" download="citywall-monthly-${esc(sel.month)}${sel.hall ? '-' + esc(sel.hall) : ''}.${f}" href="/api/v1/reports/monthly?month=${encodeURIComponent(sel.month)}${hall}&format=${f}">${f.toUpperCase()}</a>`).join('');
  };

  let seq = 0;
  const load = async () => {
    const my = ++seq;
    const q = `/api/v1/scorecards?month=${encodeURIComponent(sel.month)}&level=${sel.level}` + (sel.hall && sel.level !== 'hall' ? `&hall=${encodeURIComponent(sel.hall)}` : '');
    try {
      const doc = await get(q);
      if (my !== seq) return;
      touch('rest:perf');
      render(doc);
    } catch (e) {
      if (my !== seq) return;
      pTbl.body.innerHTML = emptyState(t('err.load', { e: e.message }));
    }
  };
  load();
  return { unmount() { seq++; disposeChart(chart); } };
}
