// hall: one hall's drill-down. KPI strip (hall scope); the queues per biz type (waiting, longest
// wait against the SLA, EWT, service level); the windows grid (state, staff, current ticket, for
// how long); camera status; the latest reviews; the hall's alerts. Data: the `hall/<id>` topic
// (the hub refuses another hall's topic to a hall account: the page shows "no access").

import { t, catName } from '../i18n.js';
import { esc, int, pct, minutes, clock, has, shortHall, hhmm, dur } from '../fmt.js';
import { panel, kpiStrip, perFrame, setHTML, emptyState, statusDot } from '../ui.js';
import { stripItems, stripValues } from '../kpis.js';
import { bizAgeS } from '../clock.js';

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

  if (!reg) {
    root.querySelector('.hall-grid').innerHTML = emptyState(t('hall.forbidden'), hallId);
  }

  const updKpis = kpiStrip(root.querySelector('.kpis-row'), stripItems(), topic);
  const pQ = panel({ title: t('panel.queues'), age: topic, cls: 'p-queues' });
  const pCam = panel({ title: t('panel.cameras'), age: topic, cls: 'p-cams' });
  const pWin = panel({ title: t('panel.windows'), age: topic, cls: 'p-wins', tools: '<div class="wins-sum"></div>' });
  const pRv = panel({ title: t('panel.reviews'), age: topic, cls: 'p-reviews' });
  const pAl = panel({ title: t('panel.hall_alerts'), age: 'alerts', ageMax: 30, cls: 'p-halerts' });
  root.querySelector('.col-l').append(pQ.el, pCam.el);
  root.querySelector('.col-c').append(pWin.el);
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
        `<td class="num ${cls}">${has(long) ? clock(long) : '—'}<span class="slbar"><i class="${cls}" style="width:${Math.min(100, frac * 100)}%"></i></span></td>` +
        `<td class="num">${has(b.ewt_s) ? clock(b.ewt_s) : '—'}</td>` +
        `<td class="num ${has(b.sl_60m) && b.sl_60m < 0.8 ? 'warn' : ''}">${pct(b.sl_60m, 0)}</td>` +
        `<td class="num">${minutes(b.avg_wait_s)}</td>` +
        `<td class="num">${int(b.issued)}</td></tr>`;
    }).join('');
    setHTML(pQ.body, `<table class="tbl queues"><thead><tr><th>${esc(t('col.biz'))}</th><th class="num">${esc(t('col.waiting'))}</th>` +
      `<th class="num">${esc(t('col.longest'))}</th><th class="num">${esc(t('col.ewt'))}</th><th class="num">${esc(t('col.sl'))}</th>` +
      `<th class="num">${esc(t('col.avg_wait'))}<small>${esc(t('unit.min'))}</small></th><th class="num">${esc(t('col.issued'))}</th></tr></thead><tbody>${rows}</tbody></table>`);
  };

  const renderWindows = () => {
    const wins = data.windows || {};
    const ids = reg ? reg.windows.map((w) => w.id).filter((id) => wins[id]) : Object.keys(wins);
    for (const id of Object.keys(wins)) if (!ids.includes(id)) ids.push(id);
    const counts = { serving: 0, open: 0, paused: 0, closed: 0 };
    const tiles = ids.map((id) => {
      const w = wins[id];
      const st = w.status || 'closed';
      counts[st] = (counts[st] || 0) + 1;
      const age = bizAgeS(w.since);
      const long = st === 'serving' ? age > 1800 : st === 'paused' ? age > 900 : false;
      const staff = w.staff_name || w.staff;
      return `<div class="win w-${esc(st)}" data-window="${esc(id)}"><div class="win-h"><b>${esc(id)}</b><span class="win-st">${esc(t('win.' + st))}${w.reason ? ' · ' + esc(t('reason.' + w.reason) === 'reason.' + w.reason ? w.reason : t('reason.' + w.reason)) : ''}</span></div>` +
        `<div class="win-staff">${staff ? esc(staff) + (w.staff_name && w.staff ? `<small>${esc(w.staff)}</small>` : '') : '&nbsp;'}</div>` +
        `<div class="win-t">${w.ticket ? esc(w.ticket) : t('win.noticket')}</div>` +
        `<div class="win-f"><span class="${long ? 'long' : ''}">${st === 'closed' ? '' : clock(age)}</span><span>${esc(t('win.served', { n: int((w.kpi && w.kpi.served) || 0) }))}</span></div></div>`;
    }).join('');
    const dense = ids.length > 24;
    setHTML(pWin.body, `<div class="wins${dense ? ' dense' : ''}">${tiles}</div>`);
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
        `<li class="al sev-${esc(x.severity)}"><span class="sev">${esc(x.severity)}</span><span class="al-hall">${esc(x.rule)}</span>` +
        `<span class="al-sum">${esc(x.summary)}</span><span class="al-age">${dur(bizAgeS(x.started))}</span></li>`).join('') + `</ul>`;
    }
    setHTML(pAl.body, html);
  };

  const render = () => {
    if (err) {
      const msg = err === 'forbidden' ? t('hall.forbidden') : err === 'unknown_topic' ? t('hall.unknown') : err;
      root.querySelector('.hall-grid').innerHTML = emptyState(msg, hallId);
      root.querySelector('.kpis-row').hidden = true;
      return;
    }
    if (!data) return;
    updKpis(stripValues(data.kpi));
    renderBar();
    renderQueues();
    renderWindows();
    renderCams();
    renderReviews();
  };
  const kick = perFrame(render);

  const unwatch = ctx.live.watch(topic, (tp) => {
    err = tp.error;
    if (tp.data) data = tp.data;
    kick();
  });
  const unAlerts = ctx.onAlerts(renderAlerts);

  return {
    tick() { if (data && !err) { renderBar(); renderWindows(); renderCams(); renderAlerts(ctx.alerts); } },
    unmount() { unwatch(); unAlerts(); },
  };
}
