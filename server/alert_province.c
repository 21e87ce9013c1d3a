/* alert_province: a province hub's own rule R16 (城市数据中断, docs/alerts.md) -- a city none of
 * whose records has reached the province for more than silent_s business seconds.
 *
 * Every city hub writes a tick record per business second into its stream, so a live city is
 * never silent; a cut leaf link (or a dead city) stops its records. The time a city's data
 * reaches is the newest of its records applied here (cluster_source_seen: its ticks' time, its
 * batches' receive time), so the alert resolves once the catch-up after the link returns has
 * brought its data within silent_s of now. The rule runs on the log's ticks like every rule,
 * so every province hub decides the same transitions.
 *
 * For startup_grace_s of real time after the hub starts it raises no new R16 alert (the leaf
 * links and sources are coming up), as R15 does.
 *
 * A city's source is the `cluster.sources` entry whose domain is the city's id, else the entry
 * at the city's own index in `province.cities` (docs/cluster.md).
 *
 * Thread: service thread (alerts.c's evaluation).
 */
#include "alerts_internal.h"

#include <stdio.h>
#include <string.h>

#include "cluster.h"
#include "cwtime.h"

/* The cluster.sources index of province city i; -1 none. */
static int source_of(const cfg_t *cfg, int i)
{
    const cfg_cluster *cc = &cfg->cluster;
    for (int k = 0; k < cc->nsources; k++)
        if (cc->sources[k].domain && !strcmp(cc->sources[k].domain, cfg->province.cities[i].id))
            return k;
    return i < cc->nsources ? i : -1;
}

void al_province_rules(alerts_t *a, int64_t now_ms, int64_t real_ms)
{
    const cfg_t *cfg = a->hub->cfg;
    if (!cfg->province.name || !a->hub->cluster) return;
    if (!cfg_alert_param(cfg, CFG_R16, -1, NULL, CFG_P_ENABLED)) return;
    double limit_s = cfg_alert_param(cfg, CFG_R16, -1, NULL, CFG_P_FIRST);
    for (int i = 0; i < cfg->province.ncities; i++) {
        const cfg_city_ref *city = &cfg->province.cities[i];
        int64_t seen;
        if (!cluster_source_seen(a->hub->cluster, source_of(cfg, i), &seen)) continue;
        int64_t silent = now_ms - seen;
        if ((double)silent <= limit_s * 1000) continue;
        char id[AL_ID_MAX];
        snprintf(id, sizeof id, "R16:%s", city->id);
        if (real_ms - a->started_real_ms < (int64_t)cfg->alerts.startup_grace_s * 1000 &&
            !al_find(a, id))
            continue; /* like R15: the links are coming up */
        al_cond c;
        al_cond_init(a, &c, CFG_R16, -1, 2, "city");
        snprintf(c.id, sizeof c.id, "%s", id);
        json_object_set_new(c.scope, "city", json_string(city->id));
        json_object_set_new(c.labels, "city", json_string(city->id));
        char at[40];
        cwt_format_local(seen, at);
        c.evidence = json_pack("{s:s,s:s,s:I,s:s}", "city", city->id, "name", city->name,
                               "silent_s", (json_int_t)(silent / 1000), "data_until", at);
        snprintf(c.zh, sizeof c.zh, "%s 数据中断：省级中心 %lld 秒未收到其数据（数据截至 %.8s）",
                 city->name, (long long)(silent / 1000), at + 11);
        snprintf(c.en, sizeof c.en,
                 "%s silent: no data reached the province for %lld s (data up "
                 "to %.8s)",
                 city->id, (long long)(silent / 1000), at + 11);
        al_report(a, &c);
    }
}
