// alertsmodel: alerts (SPEC §6) as the views use them, whatever exact shape the hub sends: the
// `alerts` topic (firing alerts by id, possibly under an "alerts" key) and GET /api/v1/alerts
// (a list, or {alerts: [...]}) are both normalised to {id, rule, severity, hall, summary, started,
// state, ack, evidence, raw}.

import { getLang, t, catName } from './i18n.js';

const SEV_RANK = { P1: 1, P2: 2, P3: 3, P4: 4 };

function pickSummary(a) {
  const lang = getLang();
  const s = a.summary ?? (a.annotations && (a.annotations.summary || a.annotations.description));
  if (s && typeof s === 'object') return s[lang] || s.zh || s.en || '';
  if (lang === 'en' && (a.summary_en || (a.annotations && a.annotations.summary_en))) return a.summary_en || a.annotations.summary_en;
  if (lang === 'zh' && (a.summary_zh || (a.annotations && a.annotations.summary_zh))) return a.summary_zh || a.annotations.summary_zh;
  return s || a.summary_zh || a.summary_en || '';
}

function pickAck(a) {
  const k = a.ack || a.acked || a.acknowledged || a.acknowledgement;
  if (!k) return null;
  if (typeof k === 'object') {
    if (Array.isArray(k)) return k.length ? pickAck({ ack: k[k.length - 1] }) : null;
    return { by: k.by || k.user || k.who || '', at: k.at || k.time || k.when || '', note: k.note || k.comment || '' };
  }
  return { by: a.acked_by || '', at: a.acked_at || '', note: a.ack_note || '' };
}

function pickTitle(a) {
  const tt = a.title;
  if (tt && typeof tt === 'object') return tt[getLang()] || tt.zh || tt.en || '';
  return typeof tt === 'string' ? tt : '';
}

// "窗口 A05 · 工号 W1018" / "window A05 · staff W1018": the scope's ids other than the hall, each
// named in the page's language (scope.* in i18n.js; an unknown key is shown as sent).
function scopeText(scope) {
  if (!scope) return '';
  if (typeof scope === 'string') return scope;
  const parts = Object.entries(scope).filter(([k, v]) => k !== 'hall' && k !== 'kind' && (typeof v === 'string' || typeof v === 'number'));
  return parts.map(([k, v]) => {
    const name = t('scope.' + k);
    const val = k === 'category' ? catName(String(v)) : String(v);
    return `${name === 'scope.' + k ? k : name} ${val}`;
  }).join(' · ');
}

export function normAlert(a, id) {
  if (!a || typeof a !== 'object') return null;
  const labels = a.labels || {};
  const scope = a.scope && typeof a.scope === 'object' ? a.scope : {};
  return {
    id: a.id || id || a.fingerprint || '',
    rule: a.rule || labels.alertname || '',
    title: pickTitle(a),
    severity: a.severity || labels.severity || 'P4',
    hall: a.hall || labels.hall || scope.hall || '',
    scope: scopeText(a.scope),
    scopeKind: scope.kind || '',
    labels,
    summary: pickSummary(a),
    started: a.started || a.startsAt || a.started_at || a.since || a.at || '',
    resolved: a.resolved || a.endsAt || a.resolved_at || '',
    state: a.state || (typeof a.status === 'string' ? a.status : (a.status && a.status.state)) || 'firing',
    silenced: !!(a.silenced || (a.status && a.status.silencedBy && a.status.silencedBy.length)),
    inhibited: !!(a.inhibited || (a.status && a.status.inhibitedBy && a.status.inhibitedBy.length)),
    ack: pickAck(a),
    escalation: a.escalated && a.escalation_level > 0 ? a.escalation_level : 0, // 督办 (issue 15)
    evidence: a.evidence || null,
    raw: a,
  };
}

// The firing alerts of an `alerts` topic document, most severe and oldest first.
export function alertsFromTopic(data) {
  if (!data || typeof data !== 'object') return [];
  let coll = data;
  if (data.alerts && typeof data.alerts === 'object') coll = data.alerts;
  const list = Array.isArray(coll)
    ? coll.map((a) => normAlert(a))
    : Object.entries(coll).filter(([, v]) => v && typeof v === 'object' && !Array.isArray(v)).map(([id, a]) => normAlert(a, id));
  return sortAlerts(list.filter((a) => a && (a.rule || a.summary)));
}

export function alertsFromRest(doc) {
  const coll = Array.isArray(doc) ? doc : (doc && (doc.alerts || doc.items)) || [];
  const list = Array.isArray(coll) ? coll.map((a) => normAlert(a)) : Object.entries(coll).map(([id, a]) => normAlert(a, id));
  return sortAlerts(list.filter(Boolean));
}

export function sortAlerts(list) {
  return list.sort((x, y) => (SEV_RANK[x.severity] || 9) - (SEV_RANK[y.severity] || 9) || String(x.started).localeCompare(String(y.started)));
}

export function sevRank(s) { return SEV_RANK[s] || 9; }

// Rule names (SPEC §6) for pickers and labels.
export const RULES = {
  R1: ['单号等候超时', 'Ticket waits too long'],
  R2: ['超时人数聚集', 'Many over-SLA waiters'],
  R3: ['队列积压', 'Queue backlog'],
  R4: ['服务水平下降', 'Service level drop'],
  R5: ['办理超时', 'Service too long'],
  R6: ['窗口暂停过长', 'Window paused too long'],
  R7: ['窗口空闲有人等', 'Idle window, people waiting'],
  R8: ['在岗不足', 'Too few windows staffed'],
  R9: ['过号/重呼异常', 'No-show / recall anomaly'],
  R10: ['差评', 'Bad review'],
  R11: ['差评整改超期', 'Bad-review case overdue'],
  R12: ['差评集中', 'Bad reviews cluster'],
  R13: ['满意度下滑', 'Satisfaction drop'],
  R14: ['摄像头离线', 'Camera down'],
  R15: ['数据中断', 'Silent hall'],
};

export function ruleName(id) {
  const r = RULES[id];
  if (!r) return id || '';
  return getLang() === 'en' ? r[1] : r[0];
}

// The summary without the hall's name in front (for lists that show the hall in a column);
// compact also drops review ids (long, and shown in the alert centre).
export function alertText(a, hall, compact = false) {
  let s = a.summary || a.title || a.rule || '';
  if (compact) s = s.replace(/\s*\bRV-[A-Za-z0-9-]+/g, '');
  if (hall) {
    for (const p of [hall.name, hall.id]) {
      if (p && s.startsWith(p)) { s = s.slice(p.length).replace(/^[\s:：,，]+/, ''); break; }
    }
  }
  return s;
}
