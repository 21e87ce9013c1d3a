/* stats_hub: the statistics module's hooks into the hub's lifecycle (main.c, hub_loop.c):
 * the roll-up keeper attached to the store's writer, config reloads, the rebuild command.
 * Service thread. */
#ifndef CW_STATS_HUB_H
#define CW_STATS_HUB_H

#include "hub.h"
#include "stats.h"

/* Create the roll-up keeper and hook it into hub->store (before store_start); nothing with
 * hub->no_rollups. Returns 0, or -1 (logged). */
int stats_hub_attach(hub_t *hub);
/* After store_close: free the keeper. */
void stats_hub_detach(hub_t *hub);
/* A config reload: the keeper gets its own copy of the new file. */
void stats_hub_reload(hub_t *hub);
/* Once a second (housekeeping): once the business day has closed, the city's daily report of
 * that day is written into stats.reports_dir on a worker thread (stats_daily.c). */
void stats_daily_tick(hub_t *hub);
/* --rebuild-rollups: rebuild, report on stdout/stderr, return the exit code. */
int stats_rebuild_main(const cfg_t *cfg, const char *db_path);

#endif
