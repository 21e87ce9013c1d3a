/* stats_hub: see stats_hub.h. */
#include "stats_hub.h"

#include <stdio.h>
#include <stdlib.h>

#include "cwtime.h"
#include "stats.h"

/* The writer thread folds with its own copy of the config: the service thread frees its copy
 * on a reload while the writer may be inside a transaction. */
static cfg_t *own_copy(const hub_t *hub)
{
    char *errors = NULL;
    cfg_t *c = cfg_load(hub->cfg_path, &errors);
    if (!c)
        fprintf(stderr, "citywall-hub: statistics: cannot load %s:\n%s", hub->cfg_path,
                errors ? errors : "");
    free(errors);
    return c;
}

/* A store written before the roll-ups existed has tickets and no roll-up rows: say how to
 * build them (the hub does not rebuild by itself: it may take a while on a big store). */
static void warn_unbuilt(hub_t *hub)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(store_reader(hub->store),
                           "SELECT EXISTS(SELECT 1 FROM events WHERE type = 'ticket.issued')"
                           " AND NOT EXISTS(SELECT 1 FROM stats_day)",
                           -1, &st, NULL) != SQLITE_OK)
        return;
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0))
        fprintf(stderr, "citywall-hub: statistics: this store holds tickets but no roll-ups (it "
                        "was written before them): stop the hub and run citywall-hub --config "
                        "FILE --rebuild-rollups once (docs/statistics.md)\n");
    sqlite3_finalize(st);
}

int stats_hub_attach(hub_t *hub)
{
    if (hub->no_rollups) return 0;
    warn_unbuilt(hub);
    cfg_t *c = own_copy(hub);
    hub->rollup = c ? stats_rollup_create(c) : NULL;
    if (!hub->rollup) return -1;
    store_hook h = {stats_rollup_batch, stats_rollup_rollback, stats_rollup_close, hub->rollup};
    store_set_hook(hub->store, &h);
    return 0;
}

void stats_hub_detach(hub_t *hub)
{
    stats_rollup_free(hub->rollup);
    hub->rollup = NULL;
}

void stats_hub_reload(hub_t *hub)
{
    if (hub->rollup) stats_rollup_set_cfg(hub->rollup, own_copy(hub));
}

int stats_rebuild_main(const cfg_t *cfg, const char *db_path)
{
    char err[300];
    int64_t t0 = cwt_mono_ms();
    int64_t n = stats_rebuild(cfg, db_path, err, sizeof err);
    if (n < 0) {
        fprintf(stderr, "citywall-hub: --rebuild-rollups: %s\n", err);
        return 1;
    }
    printf("citywall-hub: roll-ups of %s rebuilt from %lld events in %lld ms\n", db_path,
           (long long)n, (long long)(cwt_mono_ms() - t0));
    return 0;
}
