// kpis: the eight-card KPI strip of SPEC §5 (今日取号, 当前等候, 平均等候, 超时等候, 开放窗口,
// 今日办结, 好评率, 今日差评) for any scope's kpi object, so the city and hall views (and the
// rings below them) show the same numbers formatted the same way.

import { t } from './i18n.js';
import { int, pct, dur, has, DASH } from './fmt.js';

export const STRIP = ['issued', 'waiting', 'avg_wait', 'over_sla', 'windows_open', 'finished', 'good_rate', 'bad_reviews'];

export function stripItems() {
  return STRIP.map((key) => ({ key, label: t('kpi.' + key) }));
}

export function stripValues(k) {
  k = k || {};
  const over = k.over_sla_waiting;
  return {
    issued: { value: int(k.issued), unit: has(k.issued) ? t('unit.count') : '' },
    waiting: {
      value: int(k.waiting), unit: has(k.waiting) ? t('unit.people') : '',
      sub: has(k.max_wait_live_s) ? t('kpi.sub.longest', { v: dur(k.max_wait_live_s) }) : '',
    },
    avg_wait: {
      value: dur(k.avg_wait_s), unit: '',
      sub: has(k.sl_60m) ? t('kpi.sub.sl', { v: pct(k.sl_60m) }) : '',
      tone: has(k.avg_wait_s) && k.avg_wait_s > 1800 ? 'warn' : '',
    },
    over_sla: {
      value: int(over), unit: has(over) ? t('unit.people') : '', sub: t('kpi.sub.sla'),
      tone: !has(over) || over === 0 ? 'good' : over >= 5 ? 'bad' : 'warn',
    },
    windows_open: {
      value: int(k.windows_open), unit: has(k.windows_open) ? t('unit.windows') : '',
      sub: has(k.windows_planned) ? t('kpi.sub.planned', { p: int(k.windows_planned), q: int(k.windows_paused ?? 0) }) : '',
      tone: has(k.windows_planned) && has(k.windows_open) && k.windows_planned > 0 && k.windows_open < 0.8 * k.windows_planned ? 'warn' : '',
    },
    finished: {
      value: int(k.finished), unit: has(k.finished) ? t('unit.count') : '',
      sub: has(k.serving) ? t('kpi.sub.serving', { v: int(k.serving) }) : '',
    },
    good_rate: {
      value: pct(k.good_rate),
      sub: has(k.reviews) ? t('kpi.sub.reviews', { n: int(k.reviews), s: has(k.score) ? k.score.toFixed(1) : DASH }) : '',
      tone: has(k.good_rate) && k.good_rate < 0.8 ? 'warn' : '',
    },
    bad_reviews: {
      value: int(k.bad_reviews), unit: has(k.bad_reviews) ? t('unit.items') : '',
      sub: t('kpi.sub.cases', { o: int(k.bad_cases_open ?? 0), d: int(k.bad_cases_overdue ?? 0) }),
      tone: has(k.bad_cases_overdue) && k.bad_cases_overdue > 0 ? 'bad' : has(k.bad_reviews) && k.bad_reviews > 0 ? 'warn' : 'good',
    },
  };
}
