/* config_stats: the `stats` section of the configuration (docs/config.md, docs/statistics.md):
 *   stats:
 *     rank_by: score          # score | good_rate | bad_reviews | served
 *     bottom_n: 2             # the last N of a hall's monthly ranking ...
 *     bottom_months: 2        # ... this many months in a row: listed for 约谈
 *     min_reviews: 1          # ranked by score/good_rate only with at least this many reviews
 *     reports_dir: var/reports  # the city's daily report is written here after the day closes
 *     report_webhook: http://oa.example/report   # told of each written report (optional)
 */
#include <stdlib.h>
#include <string.h>

#include "config_load.h"

static const char *rank_name(int i)
{
    static const char *const names[] = {"score", "good_rate", "bad_reviews", "served"};
    return i >= 0 && i < 4 ? names[i] : "?";
}

void cfg_stats_defaults(cfg_stats *s)
{
    memset(s, 0, sizeof *s);
    s->rank_by = CFG_RANK_SCORE;
    s->bottom_n = 2;
    s->bottom_months = 2;
    s->min_reviews = 1;
}

void cfg_stats_free(cfg_stats *s)
{
    free(s->reports_dir);
    free(s->report_webhook);
    s->reports_dir = s->report_webhook = NULL;
}

void cfgl_parse_stats(cfgl *L, struct fy_node *map, int mline)
{
    static const char *const keys[] = {"rank_by",     "bottom_n",    "bottom_months",
                                       "min_reviews", "reports_dir", "report_webhook",
                                       NULL};
    cfg_stats *s = &L->cfg->stats;
    if (!cfgl_want_map(L, map, mline, "stats")) return;
    cfgl_check_keys(L, map, "stats", keys);
    int line;
    if (cfgl_get(map, "rank_by", mline, &line)) {
        int r = cfgl_enum(L, map, mline, "stats", "rank_by", rank_name, 4);
        if (r >= 0) s->rank_by = r;
    }
    cfgl_opt_int32(L, map, mline, "stats", "bottom_n", 1, 1000, &s->bottom_n);
    cfgl_opt_int32(L, map, mline, "stats", "bottom_months", 1, 24, &s->bottom_months);
    cfgl_opt_int32(L, map, mline, "stats", "min_reviews", 0, 1000000, &s->min_reviews);
    s->reports_dir = cfgl_opt_str(L, map, mline, "stats", "reports_dir");
    s->report_webhook = cfgl_opt_str(L, map, mline, "stats", "report_webhook");
    static const char *const schemes[] = {"http://", "https://", NULL};
    if (s->report_webhook && !cfgl_url_ok(s->report_webhook, schemes)) {
        cfgl_get(map, "report_webhook", mline, &line);
        cfgl_error(L, line, "stats.report_webhook", "not an http(s) URL");
    }
}
