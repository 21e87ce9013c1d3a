/* rest_alert_export: what GET /api/v1/alerts/history adds for statistics (docs/statistics.md):
 * a period given as day=, week= or month= (the business calendar's local days), and the CSV
 * export (format=csv, UTF-8 with BOM). Service thread. */
#ifndef CW_REST_ALERT_EXPORT_H
#define CW_REST_ALERT_EXPORT_H

#include <jansson.h>

#include "rest.h"

#define ALERT_EXPORT_MAX 100000 /* rows of one CSV export */

/* day=/week=/month= into [*from_ms, *to_ms] (untouched when none is given): 1 when given, 0
 * when not, -1 after answering 400. */
int rest_alert_period(http_req *rq, http_resp *rs, int64_t *from_ms, int64_t *to_ms);
/* format=csv? */
bool rest_alert_want_csv(http_req *rq);
/* The history rows (as GET /alerts/history lists them) as a CSV answer; steals rows. */
void rest_alert_history_csv(http_resp *rs, json_t *rows);

#endif
