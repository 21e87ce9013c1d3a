/* rest_alert_export: see rest_alert_export.h. */
#include "rest_alert_export.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csvout.h"
#include "cwtime.h"
#include "route.h"
#include "stats_period.h"

static int64_t midnight(int date)
{
    char d[11], err[100];
    int64_t ms = 0;
    route_time("day", cwt_format_date(date, d), &ms, err, sizeof err);
    return ms;
}

int rest_alert_period(http_req *rq, http_resp *rs, int64_t *from_ms, int64_t *to_ms)
{
    char b[3][48], err[200];
    const char *day = http_arg(rq, "day", b[0], sizeof b[0]);
    const char *week = http_arg(rq, "week", b[1], sizeof b[1]);
    const char *month = http_arg(rq, "month", b[2], sizeof b[2]);
    if (!day && !week && !month) return 0;
    stats_period p;
    if (stats_period_parse(day, week, month, NULL, NULL, &p, err, sizeof err) < 0) {
        http_error(rs, 400, "%s", err);
        return -1;
    }
    *from_ms = midnight(p.from);
    *to_ms = midnight(cwt_date_add(p.to, 1)) - 1;
    return 1;
}

bool rest_alert_want_csv(http_req *rq)
{
    char fb[8];
    const char *f = http_arg(rq, "format", fb, sizeof fb);
    return f && !strcmp(f, "csv");
}

void rest_alert_history_csv(http_resp *rs, json_t *rows)
{
    static const char *const keys[] = {"id",    "alert",    "at",   "kind",
                                       "state", "severity", "user", "detail"};
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f) {
        json_decref(rows);
        http_error(rs, 500, "out of memory");
        return;
    }
    fputs("\xEF\xBB\xBFid,告警,时间,类型,状态,级别,用户,详情\r\n", f);
    size_t i;
    json_t *r;
    json_array_foreach(rows, i, r)
    {
        for (int k = 0; k < 8; k++) {
            json_t *v = json_object_get(r, keys[k]);
            char num[32];
            if (json_is_integer(v)) snprintf(num, sizeof num, "%lld", json_integer_value(v));
            if (k) fputc(',', f);
            csv_cell(f, json_is_integer(v) ? num : json_string_value(v));
        }
        fputs("\r\n", f);
    }
    fclose(f);
    json_decref(rows);
    rs->status = 200;
    rs->ctype = "text/csv; charset=utf-8";
    rs->body = buf;
    rs->len = len;
}
