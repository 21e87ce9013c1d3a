/* alert_rules_hub: the hub's own rules (H1 store, H2 webhook outbox, H3 quarantine, H4 clock
 * skew and feed gaps).
 * Decisions where the SPEC is silent: at the top of alert_rules.c.
 *
 * Thread: service thread. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>

#include "alert_rules_internal.h"

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

void al_rules_hub(rctx *r)
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
