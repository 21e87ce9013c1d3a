/* alert_rules: the rules of SPEC §6 (R1..R15) and the hub's own (H1..H4). Each evaluation
 * reports every condition that is true now through al_report(); the lifecycle (alerts.c)
 * treats the others as false. Thresholds come from cfg_alert_param() (per hall and biz type).
 *
 * When rules run (decisions where the SPEC is silent are marked "here"):
 *  - queue and window rules (R1-R9) and R15 only inside the hall's opening hours: not before
 *    opening, not at lunch, not after closing, not on holidays (调休 make-up days are working
 *    days with Monday's hours), and not while the hall is marked closed;
 *  - R14 (cameras) at any hour, but not while the hall is marked closed (here);
 *  - review rules (R10-R13) at any hour.
 * Rule details (here):
 *  - R5's service time runs from ticket.started (else the call); the median is the biz's over
 *    the last `history_days` days including today (alert_data.c), floor_min when unknown.
 *  - R6/R7/R9 read thresholds of the window's first biz type; "its biz" is any biz it serves.
 *  - R7 counts idle time from the later of the window turning idle and the entry of the
 *    longest-waiting ticket of its biz (people have waited at least that long).
 *  - R8 also waits after_open_min after the lunch break, like after opening. "Short breaks do
 *    not count": a window paused for a break (lunch, a meeting) counts as staffed for the
 *    first break_min (lunch_min, meeting_min) business minutes of its pause; `for` is 10 min.
 *  - R9 looks at the ticket the window serves now (recalls) and at today's calls.
 *  - R10 fires P3 for every bad review (a case to follow up), P1 for a comment whose
 *    sensitivity score (lexicon.h) reaches p1_score whatever the review's level, and P3 (a
 *    note) for a review of level >= 3 whose score reaches note_score; it resolves when the
 *    case is closed (or the appeal upheld), or resolve_after_h after the review.
 *  - R12 clusters: bad reviews (upheld appeals excluded) of one staff or one window on one
 *    business day, of one item in the last item_days; it resolves when all their cases are
 *    closed or resolve_after_h after the latest one.
 *  - R13 compares the last recent_days calendar days (today included) with the base_days before
 *    them.
 *  - R15 counts silence from the later of the hall's last event and the start of the current
 *    opening segment (opening, or the end of lunch); for startup_grace_s of real time after the
 *    hub starts it raises no new R15 alert (gateways are reconnecting).
 *  - H1 store: the last transaction failed, or the disk holding the store has less than
 *    disk_free free; H2: the oldest outbox row waits longer than outbox_age_min; H3: more than
 *    quarantine_per_min events quarantined over the last minute; H4: a hall whose latest event
 *    is skewed by more than skew_min (within the last 10 min), or feeds with open gaps.
 */
#include "alerts_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>

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

static double P(const rctx *r, int rule, int h, const char *biz, int k)
{
    return cfg_alert_param(r->cfg, rule, h, biz, CFG_P_FIRST + k);
}

static bool on(const rctx *r, int rule, int h, const char *biz)
{
    return cfg_alert_param(r->cfg, rule, h, biz, CFG_P_ENABLED) != 0;
}

static void tset(json_t *o, const char *k, int64_t ms)
{
    char b[40];
    if (ms >= 0) json_object_set_new(o, k, json_string(cwt_format_local(ms, b)));
}

static void sset(json_t *o, const char *k, const char *v)
{
    if (v) json_object_set_new(o, k, json_string(v));
}

static void iset(json_t *o, const char *k, int64_t v)
{
    json_object_set_new(o, k, json_integer(v));
}

static int64_t mins(int64_t ms)
{
    return ms / MIN_MS;
}

static const char *staff_name(const cfg_hall *ch, const char *staff)
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

static hall_time hall_time_of(const rctx *r, int h)
{
    const cfg_hall *ch = &r->cfg->halls[h];
    hall_time t = {0};
    t.closure = state_hall_closed(r->st, h, r->now);
    t.open = !t.closure && cfg_hall_open(r->cfg, ch, r->lt.date, r->lt.weekday, r->lt.minute);
    cfg_span sp = cfg_hall_hours(r->cfg, ch, r->lt.date, r->lt.weekday);
    int wd = r->lt.weekday;
    if (wd >= 5 && cfg_is_workday(r->cfg, r->lt.date, wd)) wd = 0; /* 调休: Monday's hours */
    cfg_span lunch = ch->hours.lunch[wd];
    t.seg_start_min = sp.from_min;
    if (lunch.to_min > lunch.from_min && r->lt.minute >= lunch.to_min)
        t.seg_start_min = lunch.to_min;
    return t;
}

/* ---- queue rules -------------------------------------------------------------------------- */

static void r1(rctx *r, int h, const state_qbiz *q)
{
    const cfg_hall *ch = &r->cfg->halls[h];
    for (int b = 0; b < ch->nbiz; b++) {
        const char *biz = ch->biz[b].id;
        if (!on(r, CFG_R1, h, biz) || q[b].max_wait_ms < 0) continue;
        int64_t p3 = (int64_t)(P(r, CFG_R1, h, biz, 0) * MIN_MS);
        int64_t p2 = (int64_t)(P(r, CFG_R1, h, biz, 1) * MIN_MS);
        if (q[b].max_wait_ms <= p3) continue;
        int sev = q[b].max_wait_ms > p2 ? 2 : 3;
        al_cond c;
        al_cond_init(r->a, &c, CFG_R1, h, sev, "biz");
        snprintf(c.id, sizeof c.id, "R1:%s:%s", ch->id, biz);
        sset(c.labels, "biz", biz);
        sset(c.scope, "biz", biz);
        json_t *tk = json_array();
        for (int i = 0; i < q[b].ntop; i++) {
            json_t *t = json_pack("{s:s,s:I}", "ticket", q[b].top[i].id, "wait_min",
                                  (json_int_t)mins(r->now - q[b].top[i].entered_ms));
            tset(t, "entered", q[b].top[i].entered_ms);
            json_array_append_new(tk, t);
        }
        c.evidence = json_pack("{s:I,s:I,s:I,s:o}", "waiting", (json_int_t)q[b].waiting,
                               "max_wait_min", (json_int_t)mins(q[b].max_wait_ms), "threshold_min",
                               (json_int_t)mins(sev == 2 ? p2 : p3), "tickets", tk);
        const char *t0 = q[b].ntop ? q[b].top[0].id : "?";
        snprintf(c.zh, sizeof c.zh, "%s %s：%lld 人等候，最长 %s 已等 %lld 分钟（超过 %lld 分钟）",
                 ch->name, ch->biz[b].name, (long long)q[b].waiting, t0,
                 (long long)mins(q[b].max_wait_ms), (long long)mins(sev == 2 ? p2 : p3));
        snprintf(c.en, sizeof c.en,
                 "%s biz %s: %lld waiting, longest %s has waited %lld min (over %lld min)", ch->id,
                 biz, (long long)q[b].waiting, t0, (long long)mins(q[b].max_wait_ms),
                 (long long)mins(sev == 2 ? p2 : p3));
        al_report(r->a, &c);
    }
}

static void r2(rctx *r, int h, const state_qbiz *q)
{
    const cfg_hall *ch = &r->cfg->halls[h];
    if (!on(r, CFG_R2, h, NULL)) return;
    int64_t over = 0, waiting = 0;
    int worst = -1;
    for (int b = 0; b < ch->nbiz; b++) {
        over += q[b].over_sla;
        waiting += q[b].waiting;
        if (q[b].over_sla > 0 && (worst < 0 || q[b].over_sla > q[worst].over_sla)) worst = b;
    }
    double min_over = P(r, CFG_R2, h, NULL, 0), share = P(r, CFG_R2, h, NULL, 1),
           min_wait = P(r, CFG_R2, h, NULL, 2);
    bool hit = over > 0 && ((double)over >= min_over || ((double)waiting >= min_wait &&
                                                         (double)over >= share * (double)waiting));
    if (!hit || worst < 0) return;
    al_cond c;
    al_cond_init(r->a, &c, CFG_R2, h, 2, "hall");
    snprintf(c.id, sizeof c.id, "R2:%s", ch->id);
    json_t *by = json_object();
    for (int b = 0; b < ch->nbiz; b++)
        if (q[b].waiting)
            json_object_set_new(by, ch->biz[b].id,
                                json_pack("{s:I,s:I,s:I}", "waiting", (json_int_t)q[b].waiting,
                                          "over_sla", (json_int_t)q[b].over_sla, "staffed",
                                          (json_int_t)q[b].staffed));
    c.evidence = json_pack("{s:I,s:I,s:s,s:o}", "over_sla", (json_int_t)over, "waiting",
                           (json_int_t)waiting, "suggest_biz", ch->biz[worst].id, "by_biz", by);
    snprintf(c.zh, sizeof c.zh, "%s：%lld 人超时等候（共 %lld 人等候），建议增开「%s」窗口",
             ch->name, (long long)over, (long long)waiting, ch->biz[worst].name);
    snprintf(c.en, sizeof c.en,
             "%s: %lld waiting over their SLA (%lld waiting); open another window for biz %s",
             ch->id, (long long)over, (long long)waiting, ch->biz[worst].id);
    al_report(r->a, &c);
}

static void r3(rctx *r, int h, const state_qbiz *q)
{
    const cfg_hall *ch = &r->cfg->halls[h];
    for (int b = 0; b < ch->nbiz; b++) {
        const char *biz = ch->biz[b].id;
        if (!on(r, CFG_R3, h, biz) || q[b].waiting == 0) continue;
        double per = P(r, CFG_R3, h, biz, 0);
        double thr = per * (double)(q[b].staffed > 1 ? q[b].staffed : 1);
        if ((double)q[b].waiting < thr) continue;
        al_cond c;
        al_cond_init(r->a, &c, CFG_R3, h, 3, "biz");
        snprintf(c.id, sizeof c.id, "R3:%s:%s", ch->id, biz);
        sset(c.labels, "biz", biz);
        sset(c.scope, "biz", biz);
        c.evidence = json_pack("{s:I,s:I,s:f}", "waiting", (json_int_t)q[b].waiting, "staffed",
                               (json_int_t)q[b].staffed, "threshold", thr);
        snprintf(c.zh, sizeof c.zh, "%s %s：%lld 人等候，在岗窗口 %lld 个（阈值 %.0f）", ch->name,
                 ch->biz[b].name, (long long)q[b].waiting, (long long)q[b].staffed, thr);
        snprintf(c.en, sizeof c.en, "%s biz %s: %lld waiting for %lld staffed windows (limit %.0f)",
                 ch->id, biz, (long long)q[b].waiting, (long long)q[b].staffed, thr);
        al_report(r->a, &c);
    }
}

static void r4(rctx *r, int h, const state_qbiz *q)
{
    const cfg_hall *ch = &r->cfg->halls[h];
    for (int b = 0; b < ch->nbiz; b++) {
        const char *biz = ch->biz[b].id;
        if (!on(r, CFG_R4, h, biz) || q[b].sl_n == 0) continue;
        double below = P(r, CFG_R4, h, biz, 0), min_calls = P(r, CFG_R4, h, biz, 1);
        double sl = (double)q[b].sl_ok / (double)q[b].sl_n;
        if ((double)q[b].sl_n < min_calls || sl >= below) continue;
        al_cond c;
        al_cond_init(r->a, &c, CFG_R4, h, 3, "biz");
        snprintf(c.id, sizeof c.id, "R4:%s:%s", ch->id, biz);
        sset(c.labels, "biz", biz);
        sset(c.scope, "biz", biz);
        double slr = round(sl * 10000) / 10000;
        c.evidence = json_pack("{s:f,s:I,s:I,s:f}", "sl_60m", slr, "calls", (json_int_t)q[b].sl_n,
                               "within_sla", (json_int_t)q[b].sl_ok, "threshold", below);
        snprintf(c.zh, sizeof c.zh, "%s %s：近 60 分钟服务水平 %.0f%%（%lld 次叫号），低于 %.0f%%",
                 ch->name, ch->biz[b].name, sl * 100, (long long)q[b].sl_n, below * 100);
        snprintf(c.en, sizeof c.en,
                 "%s biz %s: service level %.0f%% over the last 60 min (%lld calls), below %.0f%%",
                 ch->id, biz, sl * 100, (long long)q[b].sl_n, below * 100);
        al_report(r->a, &c);
    }
}

/* ---- window rules ------------------------------------------------------------------------- */

/* Waiting tickets for the biz types window w serves, and the earliest entry among them. */
static int64_t window_waiting(const cfg_window *cw, const state_qbiz *q, int64_t *earliest)
{
    int64_t n = 0;
    *earliest = -1;
    for (int i = 0; i < cw->nbiz; i++) {
        const state_qbiz *f = &q[cw->biz[i]];
        n += f->waiting;
        if (f->ntop && (*earliest < 0 || f->top[0].entered_ms < *earliest))
            *earliest = f->top[0].entered_ms;
    }
    return n;
}

static void window_cond(rctx *r, al_cond *c, int rule, int h, int w, int sev,
                        const state_qwindow *qw)
{
    const cfg_hall *ch = &r->cfg->halls[h];
    al_cond_init(r->a, c, rule, h, sev, "window");
    snprintf(c->id, sizeof c->id, "%s:%s:%s", cfg_rule_name(rule), ch->id, ch->windows[w].id);
    sset(c->labels, "window", ch->windows[w].id);
    sset(c->scope, "window", ch->windows[w].id);
    if (qw->staff) {
        sset(c->labels, "staff", qw->staff);
        sset(c->scope, "staff", qw->staff);
    }
}

static void window_priv(al_cond *c, const cfg_hall *ch, const char *staff)
{
    const char *name = staff_name(ch, staff);
    if (name) c->evidence_priv = json_pack("{s:s}", "staff_name", name);
}

/* R5: serving too long */
static void r5(rctx *r, int h, int w, const state_qwindow *qw)
{
    const cfg_hall *ch = &r->cfg->halls[h];
    const cfg_window *cw = &ch->windows[w];
    al_cond c;
    if (qw->status == STATE_WIN_SERVING && qw->ticket && qw->ticket_start_ms >= 0 &&
        qw->ticket_biz >= 0 && qw->ticket_biz < ch->nbiz) {
        const char *tb = ch->biz[qw->ticket_biz].id;
        if (on(r, CFG_R5, h, tb)) {
            double floor_ms = P(r, CFG_R5, h, tb, 0) * MIN_MS, factor = P(r, CFG_R5, h, tb, 1);
            double med = al_data_median(r->a, ch->id, tb);
            double thr = floor_ms;
            if (med >= 0 && factor * med * 1000 > thr) thr = factor * med * 1000;
            int64_t svc = r->now - qw->ticket_start_ms;
            if ((double)svc > thr) {
                window_cond(r, &c, CFG_R5, h, w, 4, qw);
                c.evidence = json_pack("{s:s,s:s,s:I,s:I}", "ticket", qw->ticket, "biz", tb,
                                       "service_min", (json_int_t)mins(svc), "threshold_min",
                                       (json_int_t)mins((int64_t)thr));
                tset(c.evidence, "since", qw->ticket_start_ms);
                if (med >= 0) iset(c.evidence, "median_s", (int64_t)llround(med));
                sset(c.evidence, "staff", qw->staff);
                window_priv(&c, ch, qw->staff);
                snprintf(c.zh, sizeof c.zh, "%s %s 窗口：%s 已办理 %lld 分钟（阈值 %lld 分钟）",
                         ch->name, cw->id, qw->ticket, (long long)mins(svc),
                         (long long)mins((int64_t)thr));
                snprintf(c.en, sizeof c.en,
                         "%s window %s: ticket %s in service for %lld min (limit %lld min)", ch->id,
                         cw->id, qw->ticket, (long long)mins(svc), (long long)mins((int64_t)thr));
                al_report(r->a, &c);
            }
        }
    }
}

/* R6: paused too long while people wait */
static void r6(rctx *r, int h, int w, const state_qwindow *qw, const char *biz0, int64_t waiting)
{
    const cfg_hall *ch = &r->cfg->halls[h];
    const cfg_window *cw = &ch->windows[w];
    al_cond c;
    if (qw->status == STATE_WIN_PAUSED && qw->reason != EV_PAUSE_LUNCH && qw->since_ms >= 0 &&
        waiting > 0 && on(r, CFG_R6, h, biz0)) {
        int64_t p3 = (int64_t)(P(r, CFG_R6, h, biz0, 0) * MIN_MS);
        int64_t p2 = (int64_t)(P(r, CFG_R6, h, biz0, 1) * MIN_MS);
        int64_t paused = r->now - qw->since_ms;
        if (paused > p3) {
            int sev = paused > p2 ? 2 : 3;
            window_cond(r, &c, CFG_R6, h, w, sev, qw);
            c.evidence = json_pack("{s:I,s:I,s:I}", "paused_min", (json_int_t)mins(paused),
                                   "waiting", (json_int_t)waiting, "threshold_min",
                                   (json_int_t)mins(sev == 2 ? p2 : p3));
            tset(c.evidence, "since", qw->since_ms);
            if (qw->reason >= 0) sset(c.evidence, "reason", ev_pause_reason_name(qw->reason));
            sset(c.evidence, "staff", qw->staff);
            window_priv(&c, ch, qw->staff);
            snprintf(c.zh, sizeof c.zh, "%s %s 窗口暂停 %lld 分钟，仍有 %lld 人等候", ch->name,
                     cw->id, (long long)mins(paused), (long long)waiting);
            snprintf(c.en, sizeof c.en, "%s window %s paused for %lld min with %lld waiting",
                     ch->id, cw->id, (long long)mins(paused), (long long)waiting);
            al_report(r->a, &c);
        }
    }
}

/* R7: idle while its biz has people waiting */
static void r7(rctx *r, int h, int w, const state_qwindow *qw, const char *biz0, int64_t waiting,
               int64_t earliest)
{
    const cfg_hall *ch = &r->cfg->halls[h];
    const cfg_window *cw = &ch->windows[w];
    al_cond c;
    if (qw->status == STATE_WIN_OPEN && qw->since_ms >= 0 && waiting > 0 &&
        on(r, CFG_R7, h, biz0)) {
        int64_t from = qw->since_ms > earliest ? qw->since_ms : earliest;
        int64_t idle = r->now - from;
        int64_t thr = (int64_t)(P(r, CFG_R7, h, biz0, 0) * MIN_MS);
        if (idle >= thr) {
            window_cond(r, &c, CFG_R7, h, w, 3, qw);
            c.evidence = json_pack("{s:I,s:I}", "idle_min", (json_int_t)mins(idle), "waiting",
                                   (json_int_t)waiting);
            tset(c.evidence, "since", from);
            sset(c.evidence, "staff", qw->staff);
            window_priv(&c, ch, qw->staff);
            snprintf(c.zh, sizeof c.zh, "%s %s 窗口空闲 %lld 分钟未叫号，%lld 人在等", ch->name,
                     cw->id, (long long)mins(idle), (long long)waiting);
            snprintf(c.en, sizeof c.en,
                     "%s window %s idle for %lld min without a call while %lld wait", ch->id,
                     cw->id, (long long)mins(idle), (long long)waiting);
            al_report(r->a, &c);
        }
    }
}

/* R9: recalls / no-shows */
static void r9(rctx *r, int h, int w, const state_qwindow *qw, const char *biz0)
{
    const cfg_hall *ch = &r->cfg->halls[h];
    const cfg_window *cw = &ch->windows[w];
    al_cond c;
    if (on(r, CFG_R9, h, biz0)) {
        double recalls = P(r, CFG_R9, h, biz0, 0), ratio = P(r, CFG_R9, h, biz0, 1),
               min_calls = P(r, CFG_R9, h, biz0, 2);
        bool rec = qw->ticket && (double)qw->ticket_recalls >= recalls && recalls > 0;
        double ns = qw->calls ? (double)qw->no_show / (double)qw->calls : 0;
        bool nsr = (double)qw->calls >= min_calls && qw->calls > 0 && ns > ratio;
        if (rec || nsr) {
            window_cond(r, &c, CFG_R9, h, w, 4, qw);
            c.evidence = json_pack("{s:I,s:I}", "calls", (json_int_t)qw->calls, "no_show",
                                   (json_int_t)qw->no_show);
            if (rec) {
                sset(c.evidence, "ticket", qw->ticket);
                iset(c.evidence, "recalls", qw->ticket_recalls);
            }
            if (qw->calls)
                json_object_set_new(c.evidence, "no_show_rate",
                                    json_real(round(ns * 10000) / 10000));
            if (rec) {
                snprintf(c.zh, sizeof c.zh, "%s %s 窗口：%s 已重呼 %d 次", ch->name, cw->id,
                         qw->ticket, qw->ticket_recalls);
                snprintf(c.en, sizeof c.en, "%s window %s: ticket %s recalled %d times", ch->id,
                         cw->id, qw->ticket, qw->ticket_recalls);
            } else {
                snprintf(c.zh, sizeof c.zh, "%s %s 窗口：今日过号 %lld / 叫号 %lld（%.0f%%）",
                         ch->name, cw->id, (long long)qw->no_show, (long long)qw->calls, ns * 100);
                snprintf(c.en, sizeof c.en,
                         "%s window %s: %lld no-shows in %lld calls today (%.0f%%)", ch->id, cw->id,
                         (long long)qw->no_show, (long long)qw->calls, ns * 100);
            }
            al_report(r->a, &c);
        }
    }
}

/* The window rules of hall h: R5, R6, R7, R9 for each window. */
static void windows(rctx *r, int h, const state_qbiz *q)
{
    const cfg_hall *ch = &r->cfg->halls[h];
    for (int w = 0; w < ch->nwindows; w++) {
        const cfg_window *cw = &ch->windows[w];
        const char *biz0 = cw->nbiz ? ch->biz[cw->biz[0]].id : NULL;
        state_qwindow qw;
        if (state_query_window(r->st, h, w, &qw) < 0) continue;
        int64_t earliest;
        int64_t waiting = window_waiting(cw, q, &earliest);
        r5(r, h, w, &qw);
        r6(r, h, w, &qw, biz0, waiting);
        r7(r, h, w, &qw, biz0, waiting, earliest);
        r9(r, h, w, &qw, biz0);
    }
}

static void r8(rctx *r, int h, const hall_time *ht)
{
    const cfg_hall *ch = &r->cfg->halls[h];
    if (!on(r, CFG_R8, h, NULL)) return;
    double ratio = P(r, CFG_R8, h, NULL, 0), after = P(r, CFG_R8, h, NULL, 1);
    if ((double)r->lt.minute < (double)ht->seg_start_min + after) return;
    int planned = cfg_hall_planned(r->cfg, ch, r->lt.date, r->lt.weekday, r->lt.minute);
    if (planned <= 0) return;
    /* a pause for a break, lunch or a meeting counts as staffed for its first minutes */
    double grace_min[4] = {[EV_PAUSE_LUNCH] = P(r, CFG_R8, h, NULL, 3),
                           [EV_PAUSE_BREAK] = P(r, CFG_R8, h, NULL, 2),
                           [EV_PAUSE_MEETING] = P(r, CFG_R8, h, NULL, 4),
                           [EV_PAUSE_OTHER] = 0};
    int staffed = 0, on_break = 0;
    for (int w = 0; w < ch->nwindows; w++) {
        state_qwindow qw;
        if (state_query_window(r->st, h, w, &qw) != 0) continue;
        if (qw.status == STATE_WIN_OPEN || qw.status == STATE_WIN_SERVING) {
            staffed++;
        } else if (qw.status == STATE_WIN_PAUSED && qw.reason >= 0 && qw.reason < 4 &&
                   qw.since_ms >= 0 &&
                   (double)(r->now - qw.since_ms) < grace_min[qw.reason] * MIN_MS) {
            staffed++;
            on_break++;
        }
    }
    if ((double)staffed >= ratio * planned) return;
    al_cond c;
    al_cond_init(r->a, &c, CFG_R8, h, 2, "hall");
    snprintf(c.id, sizeof c.id, "R8:%s", ch->id);
    c.evidence = json_pack("{s:i,s:i,s:f,s:i}", "staffed", staffed, "planned", planned, "ratio",
                           ratio, "on_short_break", on_break);
    snprintf(c.zh, sizeof c.zh, "%s：在岗窗口 %d 个，计划 %d 个（低于 %.0f%%）", ch->name, staffed,
             planned, ratio * 100);
    snprintf(c.en, sizeof c.en, "%s: %d windows staffed of %d planned (below %.0f%%)", ch->id,
             staffed, planned, ratio * 100);
    al_report(r->a, &c);
}

/* ---- review rules ------------------------------------------------------------------------- */

static bool case_open(int cs)
{
    return cs != EV_CASE_CLOSED && cs != EV_CASE_APPEAL_UPHELD;
}

static void r10(rctx *r, const al_review *rv, int h)
{
    const cfg_hall *ch = &r->cfg->halls[h];
    if (!on(r, CFG_R10, h, NULL)) return;
    double hours = P(r, CFG_R10, h, NULL, AL_R10_RESOLVE_H);
    if ((double)(r->now - rv->at_ms) >= hours * 3600000.0) return;
    if (rv->case_state >= 0 && !case_open(rv->case_state)) return;
    double note = P(r, CFG_R10, h, NULL, AL_R10_NOTE);
    lexicon_score ls = {.score = rv->score, .counted = rv->term ? 1 : 0};
    int sev = lexicon_severity(rv->level, &ls, P(r, CFG_R10, h, NULL, AL_R10_P1), note);
    if (!sev) return; /* a note under the current threshold */
    bool sensitive = rv->term && rv->score >= note;
    al_cond c;
    al_cond_init(r->a, &c, CFG_R10, h, sev, "review");
    snprintf(c.id, sizeof c.id, "R10:%s:%s", ch->id, rv->review);
    sset(c.labels, "review", rv->review);
    sset(c.scope, "review", rv->review);
    if (sensitive) {
        sset(c.labels, "category", rv->category);
        sset(c.scope, "category", rv->category);
    }
    c.evidence = json_pack("{s:s,s:i,s:b}", "review", rv->review, "level", rv->level, "real_name",
                           rv->real_name);
    tset(c.evidence, "at", rv->at_ms);
    sset(c.evidence, "window", rv->window);
    sset(c.evidence, "staff", rv->staff);
    sset(c.evidence, "item", rv->item);
    if (rv->case_state >= 0) sset(c.evidence, "case", ev_case_state_name(rv->case_state));
    if (rv->term)
        json_object_set_new(c.evidence, "sensitive",
                            json_pack("{s:s,s:s,s:i,s:f}", "term", rv->term, "category",
                                      rv->category ? rv->category : "", "weight", rv->weight,
                                      "score", round(rv->score * 100) / 100));
    if (rv->comment || staff_name(ch, rv->staff)) {
        c.evidence_priv = json_object();
        sset(c.evidence_priv, "comment", rv->comment);
        sset(c.evidence_priv, "staff_name", staff_name(ch, rv->staff));
    }
    const char *cat = rv->category ? rv->category : "";
    if (sensitive) {
        const char *what = rv->level <= 2 ? "敏感差评" : "敏感评价";
        snprintf(c.zh, sizeof c.zh, "%s %s %s（%d 星）：命中「%s」（%s，评分 %.1f）", ch->name,
                 what, rv->review, rv->level, rv->term, cat, rv->score);
        snprintf(c.en, sizeof c.en,
                 "%s sensitive %s %s (level %d): matched term '%s' (category %s, score %.1f)",
                 ch->id, rv->level <= 2 ? "bad review" : "review", rv->review, rv->level, rv->term,
                 cat, rv->score);
    } else {
        snprintf(c.zh, sizeof c.zh, "%s 差评 %s（%d 星）%s%s", ch->name, rv->review, rv->level,
                 rv->window ? "，窗口 " : "", rv->window ? rv->window : "");
        snprintf(c.en, sizeof c.en, "%s bad review %s (level %d)%s%s", ch->id, rv->review,
                 rv->level, rv->window ? " at window " : "", rv->window ? rv->window : "");
    }
    al_report(r->a, &c);
}

typedef struct r11_ud {
    rctx *r;
    int h;
} r11_ud;

static void r11_case(void *ud, const state_qcase *k)
{
    r11_ud *u = ud;
    rctx *r = u->r;
    const cfg_hall *ch = &r->cfg->halls[u->h];
    if (!k->overdue) return;
    bool contact = k->contact_deadline_ms >= 0 && !k->contacted && r->now > k->contact_deadline_ms;
    al_cond c;
    al_cond_init(r->a, &c, CFG_R11, u->h, 2, "review");
    snprintf(c.id, sizeof c.id, "R11:%s:%s", ch->id, k->review);
    sset(c.labels, "review", k->review);
    sset(c.scope, "review", k->review);
    c.evidence =
        json_pack("{s:s,s:i,s:s,s:s}", "review", k->review, "level", k->level, "case",
                  ev_case_state_name(k->state), "overdue", contact ? "contact" : "rectify");
    tset(c.evidence, "at", k->at_ms);
    tset(c.evidence, "contact_deadline", k->contact_deadline_ms);
    tset(c.evidence, "rectify_deadline", k->rectify_deadline_ms);
    char db[40];
    cwt_format_local(contact ? k->contact_deadline_ms : k->rectify_deadline_ms, db);
    snprintf(c.zh, sizeof c.zh, "%s 差评 %s %s超期（期限 %.16s）", ch->name, k->review,
             contact ? "回访" : "整改", db);
    snprintf(c.en, sizeof c.en, "%s bad-review case %s: %s deadline passed (%.16s)", ch->id,
             k->review, contact ? "contact" : "rectify", db);
    al_report(r->a, &c);
}

typedef struct cluster {
    int h;
    int kind; /* 0 staff, 1 window, 2 item */
    const char *value;
    int date; /* staff / window: the business day; item: 0 */
    int count;
    int64_t last_at;
    bool any_open;
    const char *reviews[5];
    int nrev;
} cluster;

static void cluster_add(cluster **cl, int *n, int *cap, int h, int kind, const char *value,
                        int date, const al_review *rv)
{
    cluster *c = NULL;
    for (int i = 0; i < *n && !c; i++)
        if ((*cl)[i].h == h && (*cl)[i].kind == kind && (*cl)[i].date == date &&
            strcmp((*cl)[i].value, value) == 0)
            c = &(*cl)[i];
    if (!c) {
        if (*n == *cap) {
            int nc = *cap ? *cap * 2 : 32;
            cluster *nv = realloc(*cl, (size_t)nc * sizeof *nv);
            if (!nv) return;
            *cl = nv;
            *cap = nc;
        }
        c = &(*cl)[(*n)++];
        memset(c, 0, sizeof *c);
        c->h = h;
        c->kind = kind;
        c->value = value;
        c->date = date;
    }
    c->count++;
    if (rv->at_ms > c->last_at) c->last_at = rv->at_ms;
    c->any_open |= case_open(rv->case_state);
    if (c->nrev < 5) c->reviews[c->nrev++] = rv->review;
}

static void r12_report(rctx *r, const cluster *k)
{
    static const char *const kinds[] = {"staff", "window", "item"};
    static const char *const kinds_zh[] = {"工作人员", "窗口", "事项"};
    const cfg_hall *ch = &r->cfg->halls[k->h];
    if (!on(r, CFG_R12, k->h, NULL)) return;
    int thr = (int)P(r, CFG_R12, k->h, NULL, k->kind);
    double hours = P(r, CFG_R12, k->h, NULL, 4);
    if (k->count < thr || !k->any_open || (double)(r->now - k->last_at) >= hours * 3600000.0)
        return;
    al_cond c;
    al_cond_init(r->a, &c, CFG_R12, k->h, 2, kinds[k->kind]);
    snprintf(c.id, sizeof c.id, "R12:%s:%s:%s", ch->id, kinds[k->kind], k->value);
    sset(c.labels, kinds[k->kind], k->value);
    sset(c.scope, kinds[k->kind], k->value);
    json_t *ids = json_array();
    for (int i = 0; i < k->nrev; i++)
        json_array_append_new(ids, json_string(k->reviews[i]));
    c.evidence = json_pack("{s:i,s:o}", "bad_reviews", k->count, "reviews", ids);
    tset(c.evidence, "last", k->last_at);
    if (k->kind == 2) iset(c.evidence, "days", (int64_t)P(r, CFG_R12, k->h, NULL, 3));
    if (k->kind == 0 && staff_name(ch, k->value))
        c.evidence_priv = json_pack("{s:s}", "staff_name", staff_name(ch, k->value));
    snprintf(c.zh, sizeof c.zh, "%s %s %s 差评集中：%d 条%s", ch->name, kinds_zh[k->kind], k->value,
             k->count, k->kind == 2 ? "（近 7 日）" : "（当日）");
    snprintf(c.en, sizeof c.en, "%s %s %s: %d bad reviews %s", ch->id, kinds[k->kind], k->value,
             k->count, k->kind == 2 ? "in the last days" : "in one day");
    al_report(r->a, &c);
}

static void reviews(rctx *r)
{
    const cfg_t *cfg = r->cfg;
    int nh = cfg->nhalls;
    int max_days = 1;
    for (int h = -1; h < nh; h++) {
        int d = (int)cfg_alert_param(cfg, CFG_R12, h, NULL, CFG_P_FIRST + 3);
        if (d > max_days) max_days = d;
    }
    int64_t horizon = r->now - (int64_t)(max_days + 2) * 86400000;
    cluster *cl = NULL;
    int ncl = 0, capcl = 0;
    for (int i = r->a->nrv - 1; i >= 0; i--) {
        const al_review *rv = r->a->rv[i];
        if (rv->at_ms < horizon) break;
        int h = cfg_hall_index(cfg, rv->hall);
        if (h < 0) continue;
        r10(r, rv, h);
        if (rv->level > 2 || rv->case_state == EV_CASE_APPEAL_UPHELD) continue;
        if (rv->staff) cluster_add(&cl, &ncl, &capcl, h, 0, rv->staff, rv->date, rv);
        if (rv->window) cluster_add(&cl, &ncl, &capcl, h, 1, rv->window, rv->date, rv);
        double days = cfg_alert_param(cfg, CFG_R12, h, NULL, CFG_P_FIRST + 3);
        if (rv->item && (double)(r->now - rv->at_ms) < days * 86400000.0)
            cluster_add(&cl, &ncl, &capcl, h, 2, rv->item, 0, rv);
    }
    /* staff / window clusters of older days first: the latest day's report wins its id */
    for (int pass = 0; pass < 2; pass++)
        for (int i = ncl - 1; i >= 0; i--)
            if ((cl[i].kind == 2) == (pass == 1)) r12_report(r, &cl[i]);
    free(cl);
    for (int h = 0; h < nh; h++) {
        r11_ud u = {.r = r, .h = h};
        if (on(r, CFG_R11, h, NULL)) state_query_cases(r->st, h, r11_case, &u);
    }
}

static void r13(rctx *r, int h)
{
    const cfg_hall *ch = &r->cfg->halls[h];
    if (!on(r, CFG_R13, h, NULL)) return;
    double drop = P(r, CFG_R13, h, NULL, 0), min_n = P(r, CFG_R13, h, NULL, 1);
    int recent = (int)P(r, CFG_R13, h, NULL, 2), base = (int)P(r, CFG_R13, h, NULL, 3);
    if (recent < 1 || base < 1) return;
    int64_t n7, g7, n30, g30;
    int today = state_day(r->st);
    al_data_reviews(r->a, ch->id, today, 0, recent - 1, &n7, &g7);
    al_data_reviews(r->a, ch->id, today, recent, recent + base - 1, &n30, &g30);
    if ((double)n7 < min_n || n7 == 0 || n30 == 0) return;
    double rate7 = (double)g7 / (double)n7, rate30 = (double)g30 / (double)n30;
    if (rate7 >= rate30 - drop) return;
    al_cond c;
    al_cond_init(r->a, &c, CFG_R13, h, 3, "hall");
    snprintf(c.id, sizeof c.id, "R13:%s", ch->id);
    c.evidence =
        json_pack("{s:f,s:I,s:f,s:I,s:f}", "good_rate_recent", round(rate7 * 10000) / 10000,
                  "reviews_recent", (json_int_t)n7, "good_rate_base", round(rate30 * 10000) / 10000,
                  "reviews_base", (json_int_t)n30, "drop", drop);
    snprintf(c.zh, sizeof c.zh, "%s 满意度下滑：近 %d 日好评率 %.1f%%，此前 %d 日 %.1f%%", ch->name,
             recent, rate7 * 100, base, rate30 * 100);
    snprintf(c.en, sizeof c.en,
             "%s satisfaction drop: good rate %.1f%% over the last %d days vs %.1f%% over the %d "
             "days before",
             ch->id, rate7 * 100, recent, rate30 * 100, base);
    al_report(r->a, &c);
}

/* ---- cameras, silent halls ---------------------------------------------------------------- */

static void r14(rctx *r, int h)
{
    const cfg_hall *ch = &r->cfg->halls[h];
    if (!on(r, CFG_R14, h, NULL) || ch->ncameras == 0) return;
    int64_t down_ms = (int64_t)(P(r, CFG_R14, h, NULL, 0) * 1000);
    double share = P(r, CFG_R14, h, NULL, 1);
    int ndown = 0;
    for (int k = 0; k < ch->ncameras; k++) {
        int status;
        int64_t since;
        if (state_query_camera(r->st, h, k, &status, &since) == 0 &&
            (status == EV_CAM_OFFLINE || status == EV_CAM_NO_FRAME) && since >= 0 &&
            r->now - since > down_ms)
            ndown++;
    }
    bool many = (double)ndown > share * (double)ch->ncameras;
    for (int k = 0; k < ch->ncameras; k++) {
        int status;
        int64_t since;
        if (state_query_camera(r->st, h, k, &status, &since) < 0 ||
            !(status == EV_CAM_OFFLINE || status == EV_CAM_NO_FRAME) || since < 0 ||
            r->now - since <= down_ms)
            continue;
        const cfg_camera *cc = &ch->cameras[k];
        int sev = cc->area == CFG_AREA_WINDOW || many ? 2 : 3;
        al_cond c;
        al_cond_init(r->a, &c, CFG_R14, h, sev, "camera");
        snprintf(c.id, sizeof c.id, "R14:%s:%s", ch->id, cc->id);
        sset(c.labels, "camera", cc->id);
        sset(c.scope, "camera", cc->id);
        c.evidence = json_pack("{s:s,s:s,s:s,s:s,s:i,s:i}", "camera", cc->id, "name", cc->name,
                               "area", cfg_area_name(cc->area), "status",
                               ev_cam_status_name(status), "down", ndown, "total", ch->ncameras);
        tset(c.evidence, "since", since);
        char sb[40];
        cwt_format_local(since, sb);
        snprintf(c.zh, sizeof c.zh, "%s 摄像头「%s」%s，自 %.5s 起（%d/%d 路异常）", ch->name,
                 cc->name, status == EV_CAM_OFFLINE ? "离线" : "无画面", sb + 11, ndown,
                 ch->ncameras);
        snprintf(c.en, sizeof c.en, "%s camera %s %s since %.5s (%d of %d down)", ch->id, cc->id,
                 ev_cam_status_name(status), sb + 11, ndown, ch->ncameras);
        al_report(r->a, &c);
    }
}

static void r15(rctx *r, int h, const hall_time *ht)
{
    const cfg_hall *ch = &r->cfg->halls[h];
    if (!on(r, CFG_R15, h, NULL)) return;
    int64_t last = state_query_last_event(r->st, h);
    int64_t seg = r->lt.day_start_ms + (int64_t)ht->seg_start_min * MIN_MS;
    int64_t since = last > seg ? last : seg;
    int64_t silent = r->now - since;
    if ((double)silent <= P(r, CFG_R15, h, NULL, 0) * MIN_MS) return;
    char id[AL_ID_MAX];
    snprintf(id, sizeof id, "R15:%s", ch->id);
    if (r->real - r->a->started_real_ms < (int64_t)r->cfg->alerts.startup_grace_s * 1000 &&
        !al_find(r->a, id))
        return;
    al_cond c;
    al_cond_init(r->a, &c, CFG_R15, h, 2, "hall");
    snprintf(c.id, sizeof c.id, "%s", id);
    c.evidence = json_pack("{s:I}", "silent_min", (json_int_t)mins(silent));
    tset(c.evidence, "last_event", last);
    tset(c.evidence, "since", since);
    char sb[40];
    cwt_format_local(since, sb);
    snprintf(c.zh, sizeof c.zh, "%s 数据中断：自 %.5s 起 %lld 分钟无任何事件", ch->name, sb + 11,
             (long long)mins(silent));
    snprintf(c.en, sizeof c.en, "%s silent: no event for %lld min since %.5s", ch->id,
             (long long)mins(silent), sb + 11);
    al_report(r->a, &c);
}

/* ---- the hub itself ----------------------------------------------------------------------- */

static void hub_cond(rctx *r, int rule, int sev, const char *id, json_t *ev, const char *zh,
                     const char *en)
{
    al_cond c;
    al_cond_init(r->a, &c, rule, -1, sev, "hub");
    snprintf(c.id, sizeof c.id, "%s", id);
    c.evidence = ev;
    snprintf(c.zh, sizeof c.zh, "%s", zh);
    snprintf(c.en, sizeof c.en, "%s", en);
    al_report(r->a, &c);
}

static void hub_rules(rctx *r)
{
    alerts_t *a = r->a;
    hub_t *hub = a->hub;
    char zh[AL_TEXT_MAX], en[AL_TEXT_MAX];
    if (hub->store) {
        store_stats ss;
        store_get_stats(hub->store, &ss);
        if (r->real - a->last_h_real_ms >= H_SAMPLE_MS || !a->last_h_real_ms) {
            a->last_h_real_ms = r->real;
            struct statvfs vfs;
            const char *db = sqlite3_db_filename(store_reader(hub->store), "main");
            char dir[1024];
            snprintf(dir, sizeof dir, "%s", db && *db ? db : ".");
            char *slash = strrchr(dir, '/');
            if (slash && slash != dir)
                *slash = '\0';
            else if (!slash)
                snprintf(dir, sizeof dir, ".");
            if (statvfs(dir, &vfs) == 0 && vfs.f_blocks > 0)
                a->disk_free = (double)vfs.f_bavail / (double)vfs.f_blocks;
            else
                a->disk_free = 1;
            if (a->nquar == 7) {
                memmove(a->quar_samples, a->quar_samples + 1, 6 * sizeof a->quar_samples[0]);
                a->nquar = 6;
            }
            a->quar_samples[a->nquar++] = ss.quarantined;
        }
        if (on(r, CFG_H1, -1, NULL)) {
            double min_free = cfg_alert_param(r->cfg, CFG_H1, -1, NULL, CFG_P_FIRST);
            if (!ss.healthy || a->disk_free < min_free) {
                json_t *ev = json_pack("{s:b,s:f,s:I}", "store_writable", ss.healthy, "disk_free",
                                       round(a->disk_free * 1000) / 1000, "failures",
                                       (json_int_t)ss.failures);
                snprintf(zh, sizeof zh, "存储异常：%s磁盘剩余 %.1f%%",
                         ss.healthy ? "" : "写入失败，", a->disk_free * 100);
                snprintf(en, sizeof en, "store: %sdisk %.1f%% free",
                         ss.healthy ? "" : "writes failing, ", a->disk_free * 100);
                hub_cond(r, CFG_H1, 1, "H1", ev, zh, en);
            }
        }
        if (on(r, CFG_H3, -1, NULL) && a->nquar >= 2) {
            double per_min = cfg_alert_param(r->cfg, CFG_H3, -1, NULL, CFG_P_FIRST);
            uint64_t grew = a->quar_samples[a->nquar - 1] - a->quar_samples[0];
            double span_min = (double)(a->nquar - 1) * H_SAMPLE_MS / 60000.0;
            if ((double)grew / span_min > per_min) {
                json_t *ev =
                    json_pack("{s:I,s:f}", "quarantined", (json_int_t)grew, "minutes", span_min);
                snprintf(zh, sizeof zh, "隔离区增长过快：%.0f 分钟内 %llu 条", span_min,
                         (unsigned long long)grew);
                snprintf(en, sizeof en, "quarantine grew by %llu events in %.0f min",
                         (unsigned long long)grew, span_min);
                hub_cond(r, CFG_H3, 3, "H3", ev, zh, en);
            }
        }
        if (on(r, CFG_H4, -1, NULL) && ss.gap_events > 0) {
            json_t *ev = json_pack("{s:I}", "missing_seqs", (json_int_t)ss.gap_events);
            snprintf(zh, sizeof zh, "数据源序号缺口：%llu 条事件未到",
                     (unsigned long long)ss.gap_events);
            snprintf(en, sizeof en, "feeds have gaps: %llu events missing",
                     (unsigned long long)ss.gap_events);
            hub_cond(r, CFG_H4, 4, "H4:gaps", ev, zh, en);
        }
    }
    if (on(r, CFG_H2, -1, NULL)) {
        alerts_stats as;
        alerts_get_stats(a, &as);
        double limit = cfg_alert_param(r->cfg, CFG_H2, -1, NULL, CFG_P_FIRST) * MIN_MS;
        if (as.outbox_oldest_age_ms >= 0 && (double)as.outbox_oldest_age_ms > limit) {
            json_t *ev =
                json_pack("{s:I,s:I}", "oldest_age_s", (json_int_t)(as.outbox_oldest_age_ms / 1000),
                          "failures", (json_int_t)as.webhook_failures);
            snprintf(zh, sizeof zh, "通知积压：最早一条已等待 %lld 分钟未送达",
                     (long long)(as.outbox_oldest_age_ms / MIN_MS));
            snprintf(en, sizeof en, "webhook outbox: the oldest notification has waited %lld min",
                     (long long)(as.outbox_oldest_age_ms / MIN_MS));
            hub_cond(r, CFG_H2, 2, "H2", ev, zh, en);
        }
    }
    for (int h = 0; h < r->cfg->nhalls && h < hub->nhalls && hub->halls; h++) {
        if (!on(r, CFG_H4, h, NULL)) continue;
        int64_t skew = hub->halls[h].last_skew_ms;
        int64_t last = state_query_last_event(r->st, h);
        double limit = cfg_alert_param(r->cfg, CFG_H4, h, NULL, CFG_P_FIRST) * MIN_MS;
        if (last < 0 || r->now - last > 10 * MIN_MS || (double)llabs(skew) <= limit) continue;
        const cfg_hall *ch = &r->cfg->halls[h];
        al_cond c;
        al_cond_init(a, &c, CFG_H4, h, 3, "hall");
        snprintf(c.id, sizeof c.id, "H4:%s:skew", ch->id);
        c.evidence = json_pack("{s:I}", "skew_s", (json_int_t)(skew / 1000));
        snprintf(c.zh, sizeof c.zh, "%s 时钟偏差 %lld 秒", ch->name, (long long)(skew / 1000));
        snprintf(c.en, sizeof c.en, "%s clock skew %lld s", ch->id, (long long)(skew / 1000));
        al_report(a, &c);
    }
}

/* ---- all ---------------------------------------------------------------------------------- */

void al_rules_eval(alerts_t *a, int64_t now_ms, int64_t real_ms)
{
    rctx r = {.a = a, .cfg = a->hub->cfg, .st = a->hub->state, .now = now_ms, .real = real_ms};
    cwt_to_local(now_ms, &r.lt);
    int maxbiz = 1;
    for (int h = 0; h < r.cfg->nhalls; h++)
        if (r.cfg->halls[h].nbiz > maxbiz) maxbiz = r.cfg->halls[h].nbiz;
    state_qbiz *q = calloc((size_t)maxbiz, sizeof *q);
    if (!q) return;
    for (int h = 0; h < r.cfg->nhalls; h++) {
        hall_time ht = hall_time_of(&r, h);
        if (ht.open) {
            state_query_biz(r.st, h, q);
            r1(&r, h, q);
            r2(&r, h, q);
            r3(&r, h, q);
            r4(&r, h, q);
            windows(&r, h, q);
            r8(&r, h, &ht);
            r15(&r, h, &ht);
        }
        if (!ht.closure) r14(&r, h);
        r13(&r, h);
    }
    free(q);
    reviews(&r);
    hub_rules(&r);
    al_province_rules(a, now_ms, real_ms);
}
