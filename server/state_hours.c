/* state_hours: the facts about time that every part of the state uses -- a biz type's SLA, a
 * bad-review case's deadlines, a hall's closures and opening hours. The bottom of state*.c:
 * it calls no other state file. */
#include "state_internal.h"

#include "cwtime.h"

int64_t state_sla_ms(const cfg_biz *b)
{
    return (int64_t)(b->sla_s > 0 ? b->sla_s : STATE_DEFAULT_SLA_S) * 1000;
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
