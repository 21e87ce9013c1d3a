/* alert_rules_review: the review rules of SPEC §6 -- R10 a bad or sensitive review, R11 a
 * case past its deadline, R12 clusters of bad reviews, R13 the good-review rate dropping.
 * Decisions where the SPEC is silent: at the top of alert_rules.c.
 *
 * Thread: service thread. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alert_rules_internal.h"

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

void al_rules_reviews(rctx *r)
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

void al_rules_r13(rctx *r, int h)
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
