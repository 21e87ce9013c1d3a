/* state_hours: the facts about time that every part of the state uses -- a biz type's SLA, a
 * bad-review case's deadlines, a hall's closures and opening hours. The bottom of state*.c:
 * it calls no other state file. */
#include "state_internal.h"

#include "cwtime.h"

int64_t state_sla_ms(const cfg_biz *b)
{
    return (int64_t)(b->sla_s > 0 ? b->sla_s : STATE_DEFAULT_SLA_S) * 1000;
}

/* Close of business of the n-th working day after the local day of at_ms (n = 0: that day). */
int64_t state_deadline(const state_t *st, int h, int64_t at_ms, int n)
{
    const cfg_t *cfg = st->cfg;
    cwt_local l;
    cwt_to_local(at_ms, &l);
    for (int k = 0, guard = 0; k < n && guard < 3700; guard++) {
        cwt_to_local(l.day_start_ms + 36 * 3600000LL /* into the next day, whatever its length */,
                     &l);
        if (cfg_is_workday(cfg, l.date, l.weekday)) k++;
    }
    cfg_span sp = cfg_hall_hours(cfg, &cfg->halls[h], l.date, l.weekday);
    int close = sp.to_min > sp.from_min ? sp.to_min : 24 * 60;
    return l.day_start_ms + (int64_t)close * 60000;
}

bool state_case_overdue(const state_case *c, int64_t now_ms)
{
    if (c->state == EV_CASE_CLOSED || c->state == EV_CASE_APPEAL_UPHELD) return false;
    if (c->contact_deadline_ms >= 0 && !c->contacted && now_ms > c->contact_deadline_ms)
        return true;
    return now_ms > c->rectify_deadline_ms;
}

bool state_hall_closed(const state_t *st, int hall, int64_t at_ms)
{
    if (hall < 0 || hall >= st->nhalls) return false;
    const state_hs *hs = &st->halls[hall];
    for (int i = 0; i < hs->nclosures; i++)
        if (hs->closures[i].from_ms <= at_ms && at_ms < hs->closures[i].to_ms) return true;
    return false;
}

bool state_hall_open(const state_t *st, int h)
{
    if (state_hall_closed(st, h, st->now_ms)) return false;
    cwt_local l;
    cwt_to_local(st->now_ms, &l);
    cfg_span sp = cfg_hall_hours(st->cfg, &st->cfg->halls[h], l.date, l.weekday);
    return sp.from_min < sp.to_min && l.minute >= sp.from_min && l.minute < sp.to_min;
}
