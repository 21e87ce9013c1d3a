/* alert_rules: the rules of SPEC §6 (R1..R15) and the hub's own (H1..H4), and one evaluation
 * of them all: here the queue rules (R1-R4), R8 staffing, R14 cameras and R15 silence; the
 * window rules in alert_rules_window.c, the review rules in alert_rules_review.c, the hub's
 * in alert_rules_hub.c, R16 in alert_province.c. Each evaluation reports every condition that
 * is true now through al_report(); the lifecycle (alert_lifecycle.c) treats the others as
 * false. Thresholds come from cfg_alert_param() (per hall and biz type).
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
 *  - R12 clusters: bad al_rules_reviews (upheld appeals excluded) of one staff or one window on one
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
#include "alert_rules_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cwtime.h"

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
        snprintf(c.en, sizeof c.en,
                 "%s biz %s: %lld waiting for %lld staffed al_rules_windows (limit %.0f)", ch->id,
                 biz, (long long)q[b].waiting, (long long)q[b].staffed, thr);
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
            al_rules_windows(&r, h, q);
            r8(&r, h, &ht);
            r15(&r, h, &ht);
        }
        if (!ht.closure) r14(&r, h);
        al_rules_r13(&r, h);
    }
    free(q);
    al_rules_reviews(&r);
    al_rules_hub(&r);
    al_province_rules(a, now_ms, real_ms);
}
