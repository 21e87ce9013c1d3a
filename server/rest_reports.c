/* rest_reports: GET /api/v1/reports (the daily reports the hub wrote, stats_daily.c) and
 * GET /api/v1/reports/{daily|monthly}?day|month=&hall=&format=csv|xlsx|pdf (see
 * rest_stats.h). Service thread. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "rest_stats.h"
#include "route.h"
#include "stats_report.h"
#include "stats_query.h"

/* Reports are for the accounts that run halls (and walls may read their figures). */
int rest_report(http_req *rq, http_resp *rs, const char *kind)
{
    if (!rest_can_read(rq, rs)) return 0;
    bool monthly = !strcmp(kind, "monthly");
    if (!monthly && strcmp(kind, "daily") != 0) {
        http_error(rs, 404, "no such report '%s' (daily or monthly)", route_text(kind));
        return 0;
    }
    char vb[16], fb[16], err[200];
    const char *v = http_arg(rq, monthly ? "month" : "day", vb, sizeof vb);
    stats_period p;
    if (!v || stats_period_parse(monthly ? NULL : v, NULL, monthly ? v : NULL, NULL, NULL, &p, err,
                                 sizeof err) < 0) {
        http_error(rs, 400,
                   monthly ? "month: give a month YYYY-MM"
                           : "day: give a date "
                             "YYYY-MM-DD");
        return 0;
    }
    const char *fmt = http_arg(rq, "format", fb, sizeof fb);
    int format = fmt ? stats_format_from_name(fmt) : SR_CSV;
    if (format < 0) {
        http_error(rs, 400, "format: '%s' is not csv, xlsx or pdf", route_text(fmt));
        return 0;
    }
    int h = rest_stats_hall(rq, rs);
    if (h == -2) return 0;
    if (h == -1 && rq->who.halls) {
        http_error(rs, 403, "hall=: a hall account gets the reports of its halls only");
        return 0;
    }
    json_t *model = stats_report_model(store_reader(rq->hub->store), rq->hub->cfg, &p, h,
                                       rq->who.names, err, sizeof err);
    size_t len = 0;
    char *bytes = model ? stats_render(model, format, &len, err, sizeof err) : NULL;
    json_decref(model);
    if (!bytes) {
        http_error(rs, 500, "%s", err);
        return 0;
    }
    rs->status = 200;
    rs->ctype = stats_format_mime(format);
    rs->body = bytes;
    rs->len = len;
    return 0;
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(json_string_value(json_object_get(*(json_t *const *)b, "file")),
                  json_string_value(json_object_get(*(json_t *const *)a, "file")));
}

/* The files "citywall-daily-YYYY-MM-DD.EXT" of stats.reports_dir, newest first. */
int rest_reports_list(http_req *rq, http_resp *rs, const char *arg)
{
    (void)arg;
    if (!rest_can_read(rq, rs)) return 0;
    const char *dir = rq->hub->cfg->stats.reports_dir;
    json_t *list = json_array();
    DIR *d = dir && !rq->who.halls ? opendir(dir) : NULL; /* city reports: not for halls */
    struct dirent *e;
    while (d && (e = readdir(d))) {
        char day[11], ext[8];
        if (sscanf(e->d_name, "citywall-daily-%10[0-9-].%7[a-z]", day, ext) != 2 ||
            stats_format_from_name(ext) < 0)
            continue;
        char path[1024], url[160];
        struct stat sb;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if (stat(path, &sb) != 0) continue;
        snprintf(url, sizeof url, "/api/v1/reports/daily?day=%s&format=%s", day, ext);
        json_array_append_new(list, json_pack("{s:s,s:s,s:s,s:s,s:I,s:s}", "file", e->d_name,
                                              "kind", "daily", "day", day, "format", ext, "size",
                                              (json_int_t)sb.st_size, "url", url));
    }
    if (d) closedir(d);
    size_t n = json_array_size(list);
    json_t **items = n ? malloc(n * sizeof *items) : NULL;
    for (size_t i = 0; items && i < n; i++)
        items[i] = json_incref(json_array_get(list, i));
    if (items) qsort(items, n, sizeof *items, cmp_names);
    json_array_clear(list);
    for (size_t i = 0; items && i < n; i++)
        json_array_append_new(list, items[i]);
    free(items);
    http_json(rs, 200, json_pack("{s:o}", "reports", list));
    return 0;
}
