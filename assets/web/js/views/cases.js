// cases: bad-review cases (差评整改, SPEC §2 and §7): every 差评 with its contact and rectify
// deadlines and the time left (red once overdue), from GET /api/v1/cases?state=; a case's state
// can be moved on with a note (POST /api/v1/cases/{review}). The counts on top come from the live
// city KPIs. Until the hub serves /cases (it comes with alerting), the table says so.

import { t } from '../i18n.js';
import { get, post, asList } from '../api.js';
import { esc, int, pct, shortHall, mdhm, dur, parseTime } from '../fmt.js';
import { panel, kpiStrip, perFrame, setHTML, emptyState, touch, dialog } from '../ui.js';
import { bizNow } from '../clock.js';

const STATES = ['assigned', 'contacted', 'rectifying', 'closed', 'appealed', 'appeal_upheld', 'appeal_rejected'];
let filter = 'open';

function pick(o, ...keys) {
  for (const k of keys) {
    const v = k.split('.').reduce((x, p) => (x && typeof x === 'object' ? x[p] : undefined), o);
    if (v !== undefined && v !== null && v !== '') return v;
  }
  return undefined;
}

function normCase(c) {
  const rv = c.review && typeof c.review === 'object' ? c.review : {};
  return {
    id: pick(c, 'review_id', 'id') || (typeof c.review === 'string' ? c.review : rv.id) || '',
    hall: pick(c, 'hall') || rv.hall || '',
    level: pick(c, 'level') || rv.level,
    comment: pick(c, 'comment') || rv.comment || '',
    real_name: pick(c, 'real_name') ?? rv.real_name,
    window: pick(c, 'window') || rv.window || '',
    staff: pick(c, 'staff_name', 'staff') || rv.staff_name || rv.staff || '',
    at: pick(c, 'at', 'created', 'opened_at', 'submitted_at') || rv.at || '',
    state: pick(c, 'state', 'status') || 'assigned',
    contactDue: pick(c, 'contact_due', 'contact_deadline', 'deadlines.contact', 'due.contact'),
    rectifyDue: pick(c, 'rectify_due', 'rectify_deadline', 'deadlines.rectify', 'due.rectify'),
    contacted: !!(c.contacted || pick(c, 'contacted_at')),
    overdue: !!c.overdue,
    sensitive: c.sensitive || null,
    note: pick(c, 'note') || '',
  };
}

export function mount(root, ctx) {
  root.innerHTML = `<div class="kpis-row"></div><div class="col col-l"></div>`;
  const upd = kpiStrip(root.querySelector('.kpis-row'), [
    { key: 'bad_reviews', label: t('kpi.bad_reviews') },
    { key: 'open', label: t('cases.open') },
    { key: 'overdue', label: t('cases.overdue') },
    { key: 'good_rate', label: t('kpi.good_rate') },
  ], 'city');
  const segs = `<div class="segs">${['open', 'overdue', 'all'].map((f) => `<button class="seg${f === filter ? ' on' : ''}" data-f="${f}">${esc(t('cases.' + f))}</button>`).join('')}</div>`;
  const pT = panel({ title: t('cases.title'), age: 'rest:cases', ageMax: 60, tools: segs, cls: 'p-cases' });
  root.querySelector('.col-l').append(pT.el);
  pT.body.classList.add('scroll');

  let cases = null;
  let unavailable = false;
  let timer = null;

  pT.tools.addEventListener('click', (e) => {
    const b = e.target.closest('[data-f]');
    if (!b) return;
    filter = b.dataset.f;
    for (const x of pT.tools.querySelectorAll('[data-f]')) x.classList.toggle('on', x === b);
    load();
  });

  const due = (iso, done) => {
    const d = parseTime(iso);
    if (!Number.isFinite(d)) return '<span class="dimc">—</span>';
    if (done) return `<span class="due ok">${esc(mdhm(iso))}</span>`;
    const left = (d - bizNow()) / 1000;
    const cls = left < 0 ? 'over' : left < 4 * 3600 ? 'soon' : 'ok';
    const txt = Number.isFinite(left) ? (left < 0 ? t('cases.over_by', { v: dur(-left) }) : t('cases.due_in', { v: dur(left) })) : '';
    return `<span class="due ${cls}">${esc(mdhm(iso))}<br><small>${esc(txt)}</small></span>`;
  };

  const sens = (x) => {
    if (!x) return '';
    const term = typeof x === 'string' ? x : [x.category, x.term].filter(Boolean).join(' · ');
    return term ? ` <span class="tag sens">${esc(t('cases.sensitive'))} ${esc(term)}</span>` : '';
  };

  const renderTable = () => {
    if (unavailable || ctx.alerts.available === false) { setHTML(pT.body, emptyState(t('cases.unavailable'), t('alerts.unavailable.sub'))); return; }
    if (!cases) { setHTML(pT.body, emptyState(t('age.none'))); return; }
    if (!cases.length) { setHTML(pT.body, emptyState(t('cases.none'))); return; }
    const rows = cases.map((c) => {
      const h = ctx.hallById.get(c.hall);
      const closed = c.state === 'closed' || c.state === 'appeal_upheld';
      const contacted = closed || !!c.contacted || ['contacted', 'rectifying'].includes(c.state);
      return `<tr><td class="dimc">${esc(c.id)}<br><small>${esc(mdhm(c.at))}</small></td><td>${esc(h ? shortHall(h.name) : c.hall)}</td>` +
        `<td class="bad">${c.level ? '★'.repeat(c.level) : '—'}</td>` +
        `<td class="cm">${esc(c.comment || '—')}${sens(c.sensitive)}<div class="dimc">${esc([c.window, c.staff].filter(Boolean).join(' · '))}</div></td>` +
        `<td>${c.real_name ? esc(t('yes')) : esc(t('no'))}</td>` +
        `<td><span class="stt">${esc(t('case.' + c.state))}</span></td>` +
        `<td>${c.real_name ? due(c.contactDue, contacted) : '<span class="dimc">—</span>'}</td>` +
        `<td>${due(c.rectifyDue, closed)}</td>` +
        `<td><button class="btn small" data-case="${esc(c.id)}" data-state="${esc(c.state)}">${esc(t('case.update'))}</button></td></tr>`;
    }).join('');
    setHTML(pT.body, `<table class="tbl cases-tbl"><thead><tr><th>${esc(t('col.review'))}</th><th>${esc(t('col.hall'))}</th><th>${esc(t('col.level'))}</th>` +
      `<th>${esc(t('col.comment'))}</th><th>${esc(t('col.real_name'))}</th><th>${esc(t('col.state'))}</th><th>${esc(t('col.contact_due'))}</th>` +
      `<th>${esc(t('col.rectify_due'))}</th><th></th></tr></thead><tbody>${rows}</tbody></table>`);
  };

  pT.body.addEventListener('click', (e) => {
    const b = e.target.closest('[data-case]');
    if (!b) return;
    const id = b.dataset.case;
    dialog({
      title: t('case.update') + ' · ' + id,
      fields: [
        { name: 'state', label: t('col.state'), type: 'select', value: b.dataset.state, options: STATES.map((s) => [s, t('case.' + s)]) },
        { name: 'note', label: t('alerts.ack.note'), type: 'textarea' },
      ],
      submit: t('case.update'),
      onSubmit: async (v) => {
        await post('/api/v1/cases/' + encodeURIComponent(id), { state: v.state, note: v.note });
        load();
      },
    });
  });

  const load = async () => {
    if (ctx.alerts.available !== true) { renderTable(); return; }
    try {
      const q = filter === 'all' ? 'all' : filter;
      cases = asList(await get('/api/v1/cases?state=' + q), 'cases', 'items').map(normCase)
        .sort((x, y) => Number(y.overdue) - Number(x.overdue) || String(y.at).localeCompare(String(x.at)));
      unavailable = false;
      touch('rest:cases');
    } catch (e) {
      if (e.status === 404 || e.status === 405) unavailable = true;
      cases = cases || [];
    }
    renderTable();
  };

  const renderKpis = perFrame(() => {
    const k = (ctx.city && ctx.city.kpi) || {};
    upd({
      bad_reviews: { value: int(k.bad_reviews), tone: k.bad_reviews > 0 ? 'warn' : 'good' },
      open: { value: int(k.bad_cases_open) },
      overdue: { value: int(k.bad_cases_overdue), tone: k.bad_cases_overdue > 0 ? 'bad' : 'good' },
      good_rate: { value: pct(k.good_rate) },
    });
  });
  const unwatch = ctx.live.watch('city', renderKpis);
  let started = false;
  const unAlerts = ctx.onAlerts((a) => {
    if (a.available === true && !started) { started = true; load(); timer = setInterval(load, 15000); } else renderTable();
  });

  return {
    tick() { renderTable(); },
    unmount() { unwatch(); unAlerts(); clearInterval(timer); },
  };
}
