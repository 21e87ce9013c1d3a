/* alert_rules_internal: what the rule files share (alert_rules.c: queue and hall rules and the
 * evaluation; alert_rules_window.c, alert_rules_review.c, alert_rules_hub.c) -- one
 * evaluation's context, a hall's opening state, and small helpers. Not for other files.
 *
 * Thread: service thread. */
#ifndef CW_ALERT_RULES_INTERNAL_H
#define CW_ALERT_RULES_INTERNAL_H

#include "alerts_internal.h"
#include "cwtime.h"

#define MIN_MS 60000LL

#define H_SAMPLE_MS 10000

typedef struct rctx {
    alerts_t *a;
    const cfg_t *cfg;
    state_t *st;
    int64_t now, real;
    cwt_local lt;
} rctx;

static inline double P(const rctx *r, int rule, int h, const char *biz, int k)
{
    return cfg_alert_param(r->cfg, rule, h, biz, CFG_P_FIRST + k);
}

static inline bool on(const rctx *r, int rule, int h, const char *biz)
{
    return cfg_alert_param(r->cfg, rule, h, biz, CFG_P_ENABLED) != 0;
}

static inline void tset(json_t *o, const char *k, int64_t ms)
{
    char b[40];
    if (ms >= 0) json_object_set_new(o, k, json_string(cwt_format_local(ms, b)));
}

static inline void sset(json_t *o, const char *k, const char *v)
{
    if (v) json_object_set_new(o, k, json_string(v));
}

static inline void iset(json_t *o, const char *k, int64_t v)
{
    json_object_set_new(o, k, json_integer(v));
}

static inline int64_t mins(int64_t ms)
{
    return ms / MIN_MS;
}

static inline const char *staff_name(const cfg_hall *ch, const char *staff)
{
    int i = staff ? cfg_staff_index(ch, staff) : -1;
    return i >= 0 ? ch->staff[i].name : NULL;
}

/* ---- opening hours ------------------------------------------------------------------------ */

typedef struct hall_time {
    bool open;         /* inside opening hours, outside lunch, not under a closure */
    bool closure;      /* marked closed now */
    int seg_start_min; /* start of the current opening segment (opening, or end of lunch) */
} hall_time;

void al_rules_windows(rctx *r, int h, const state_qbiz *q);
void al_rules_reviews(rctx *r);
void al_rules_r13(rctx *r, int h);
void al_rules_hub(rctx *r);

#endif
