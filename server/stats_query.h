/* stats_query: period KPIs from the roll-ups (docs/statistics.md). The counters of the
 * period's days are summed per row of the asked level (city, hall, biz, window, staff, item)
 * and every KPI is computed from those sums (SPEC §5: a period's mean is its total over its
 * count, never a mean of daily means).
 *
 * Thread: the caller's connection (the service thread's store_reader, or a worker's own).
 */
#ifndef CW_STATS_QUERY_H
#define CW_STATS_QUERY_H

#include <jansson.h>
#include <sqlite3.h>
#include <stdbool.h>

#include "config.h"
#include "stats.h"
#include "stats_period.h"

typedef enum { SL_CITY, SL_HALL, SL_BIZ, SL_WINDOW, SL_STAFF, SL_ITEM, SL__COUNT } stats_level;
extern const char *const stats_level_names[SL__COUNT];
int stats_level_from_name(const char *s); /* -1 when unknown */

#define STATS_NCH 5 /* ticket channels (enum ev_channel) */

typedef struct stats_acc {
    int64_t c[SC__COUNT];
    int64_t ch[STATS_NCH][3]; /* per channel: issued, wait_n, wait_ms */
    int64_t planned_min;      /* planned working minutes (attendance); 0: not applicable */
} stats_acc;

typedef struct stats_row {
    int hall;      /* cfg index; -1 for the city and item levels */
    char key[136]; /* biz / window / staff / item id; "" for the hall and city levels */
    stats_acc acc;
} stats_row;

typedef struct stats_filter {
    int level;                            /* stats_level */
    const bool *halls;                    /* the caller's hall mask; NULL: every hall */
    int hall;                             /* one hall (cfg index), or -1 */
    const char *biz, *win, *staff, *item; /* drill-down filters, NULL: any */
} stats_filter;

typedef struct stats_result {
    stats_row *rows; /* in key order */
    int nrows;
    stats_acc total; /* everything the filter selects, rows or not */
} stats_result;

/* Returns 0, or -1 with a message in err. */
int stats_query(sqlite3 *db, const cfg_t *cfg, const stats_period *p, const stats_filter *f,
                stats_result *out, char *err, size_t n);
void stats_result_free(stats_result *r);

/* The KPI object of one accumulator (absent keys when there is no data, SPEC §4). */
json_t *stats_kpi_json(const stats_acc *a);
/* {"period":…, "level":…, "total":{kpi}, "rows":[{"hall","name","biz"…,"kpi"}]}; staff
 * names only when names. */
json_t *stats_result_json(const cfg_t *cfg, const stats_period *p, const stats_filter *f,
                          const stats_result *r, bool names);
/* The display name of a row's key (hall, biz or staff name; NULL when none). */
const char *stats_row_name(const cfg_t *cfg, int level, const stats_row *row, bool names);

#endif
