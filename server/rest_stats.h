/* rest_stats: the statistics endpoints (docs/statistics.md): GET /api/v1/stats (period KPIs
 * at a level), GET /api/v1/scorecards (window and staff scorecards, rankings, the 约谈 list),
 * GET /api/v1/reports and /api/v1/reports/{daily|monthly} (rest_reports.c). Route handlers for
 * rest.c's table; each fills the response and returns 0.
 *
 * Roles: admin, city and wall read every hall; a hall account only its halls (another hall:
 * 403); staff names only for roles that may see them (SPEC §4). Service thread.
 */
#ifndef CW_REST_STATS_H
#define CW_REST_STATS_H

#include "rest.h"
#include "stats_period.h"

int rest_stats(http_req *rq, http_resp *rs, const char *arg);
int rest_scorecards(http_req *rq, http_resp *rs, const char *arg);
int rest_reports_list(http_req *rq, http_resp *rs, const char *arg);
int rest_report(http_req *rq, http_resp *rs, const char *kind);

/* The period of the request (day=, week=, month=, from=&to=); -1 after answering 400. */
int rest_stats_period(http_req *rq, http_resp *rs, stats_period *p);
/* The optional hall= of the request: its index, -1 for none, -2 after answering 404/403. */
int rest_stats_hall(http_req *rq, http_resp *rs);

#endif
