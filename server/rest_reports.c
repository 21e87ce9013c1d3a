/* rest_reports: GET /api/v1/reports and /api/v1/reports/{daily|monthly} (see rest_stats.h). */
#include "rest_stats.h"

int rest_reports_list(http_req *rq, http_resp *rs, const char *arg)
{
    (void)arg;
    if (!rest_can_read(rq, rs)) return 0;
    http_error(rs, 404, "reports: not yet");
    return 0;
}

int rest_report(http_req *rq, http_resp *rs, const char *kind)
{
    (void)kind;
    if (!rest_can_read(rq, rs)) return 0;
    http_error(rs, 404, "reports: not yet");
    return 0;
}
