/* alert_rules_window: the window rules of SPEC §6 -- R5 service too long, R6 paused too long
 * while people wait, R7 idle while its biz waits, R9 recalls and no-shows -- for each window of
 * an open hall.
 * Decisions where the SPEC is silent: at the top of alert_rules.c.
 *
 * Thread: service thread. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alert_rules_internal.h"

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
void al_rules_windows(rctx *r, int h, const state_qbiz *q)
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
