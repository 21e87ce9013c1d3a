/* stats_score: scorecards of windows and staff, monthly rankings (per hall and city), and the
 * 约谈 list: who is in the last stats.bottom_n of their hall's ranking (halls: of the city's)
 * stats.bottom_months months in a row (docs/statistics.md). Built on stats_query.
 */
#ifndef CW_STATS_SCORE_H
#define CW_STATS_SCORE_H

#include <jansson.h>
#include <sqlite3.h>
#include <stdbool.h>

#include "config.h"
#include "stats_period.h"

/* month: a month period; level SL_WINDOW, SL_STAFF or SL_HALL; hall: -1 or one hall; mask:
 * the halls the caller sees (rows of others are left out; rankings count every hall).
 * Returns the document, or NULL with a message in err. */
json_t *stats_scorecards(sqlite3 *db, const cfg_t *cfg, const stats_period *month, int level,
                         int hall, const bool *mask, bool names, char *err, size_t n);
const char *stats_rank_by_name(int rank_by);

#endif
