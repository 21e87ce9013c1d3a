/* stats_daily: the city's daily report written by the hub itself once the business day has
 * closed (local midnight of the business clock), as citywall-daily-YYYY-MM-DD.{csv,xlsx,pdf}
 * in stats.reports_dir (docs/statistics.md), listed by GET /api/v1/reports.
 *
 * Thread: stats_daily_tick runs on the service thread (from housekeeping, once a second); the
 * report is built on a detached worker thread with its own config copy and its own read-only
 * sqlite connection, so that the service thread never waits for it. One at a time.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <curl/curl.h>
#include <sys/stat.h>

#include "cwtime.h"
#include "stats_hub.h"
#include "stats_report.h"
#include "xalloc.h"

typedef struct daily_job {
    char *cfg_path, *db_path, *dir, *webhook;
    int day;
} daily_job;

static _Atomic bool busy;
static int last_day; /* the last day written (or found written); service thread */

static void file_name(char *out, size_t n, const char *dir, int day, const char *ext)
{
    char d[11];
    snprintf(out, n, "%s/citywall-daily-%s.%s", dir, cwt_format_date(day, d), ext);
}

/* Write bytes to path through a temporary file and a rename (never a half file). */
static int write_file(const char *path, const char *bytes, size_t len)
{
    char tmp[1100];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "wb");
    if (!f) return -1;
    bool ok = fwrite(bytes, 1, len, f) == len;
    ok = fclose(f) == 0 && ok;
    if (!ok || rename(tmp, path) != 0) {
        remove(tmp);
        return -1;
    }
    return 0;
}

/* stats.report_webhook: told {"report":"daily","day","files":[…],"url"} once written (one
 * try, 10 s; a failure is logged). */
static void notify(const daily_job *j)
{
    char d[11], url[96];
    cwt_format_date(j->day, d);
    snprintf(url, sizeof url, "/api/v1/reports/daily?day=%s&format=pdf", d);
    json_t *files = json_array();
    for (int f = SR_CSV; f <= SR_PDF; f++) {
        char name[64];
        snprintf(name, sizeof name, "citywall-daily-%s.%s", d, stats_format_ext(f));
        json_array_append_new(files, json_string(name));
    }
    json_t *body =
        json_pack("{s:s,s:s,s:o,s:s}", "report", "daily", "day", d, "files", files, "url", url);
    char *text = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    CURL *c = text ? curl_easy_init() : NULL;
    struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
    if (c) {
        curl_easy_setopt(c, CURLOPT_URL, j->webhook);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, text);
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
        curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
        curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
        CURLcode rc = curl_easy_perform(c);
        long status = 0;
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
        if (rc != CURLE_OK || status / 100 != 2)
            fprintf(stderr, "citywall-hub: daily report: webhook %s: %s (HTTP %ld)\n", j->webhook,
                    curl_easy_strerror(rc), status);
        curl_easy_cleanup(c);
    }
    curl_slist_free_all(h);
    free(text);
}

static void run_job(const daily_job *j)
{
    char *errors = NULL, err[200] = "";
    cfg_t *cfg = cfg_load(j->cfg_path, &errors);
    sqlite3 *db = NULL;
    if (cfg && sqlite3_open_v2(j->db_path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK) {
        sqlite3_busy_timeout(db, 5000);
        stats_period p = {.kind = SP_DAY, .from = j->day, .to = j->day};
        cwt_format_date(j->day, p.label);
        json_t *model = stats_report_model(db, cfg, &p, -1, true, err, sizeof err);
        for (int f = SR_CSV; model && f <= SR_PDF; f++) {
            size_t len = 0;
            char *bytes = stats_render(model, f, &len, err, sizeof err), path[1024];
            file_name(path, sizeof path, j->dir, j->day, stats_format_ext(f));
            if (!bytes || write_file(path, bytes, len) < 0)
                fprintf(stderr, "citywall-hub: daily report: cannot write %s %s\n", path, err);
            free(bytes);
        }
        if (!model) fprintf(stderr, "citywall-hub: daily report: %s\n", err);
        json_decref(model);
    } else {
        fprintf(stderr, "citywall-hub: daily report: cannot open %s\n", cfg ? j->db_path : "");
    }
    sqlite3_close(db);
    cfg_free(cfg);
    free(errors);
}

static void *worker(void *arg)
{
    daily_job *j = arg;
    run_job(j);
    if (j->webhook) notify(j);
    char d[11];
    fprintf(stderr, "citywall-hub: daily report of %s written to %s\n", cwt_format_date(j->day, d),
            j->dir);
    free(j->cfg_path);
    free(j->db_path);
    free(j->dir);
    free(j->webhook);
    free(j);
    atomic_store(&busy, false);
    return NULL;
}

void stats_daily_tick(hub_t *hub)
{
    const char *dir = hub->cfg->stats.reports_dir;
    if (!dir || !hub->cfg_path || atomic_load(&busy)) return;
    cwt_local lt;
    cwt_to_local(hub_now(hub) - 86400000LL, &lt); /* the day before the business day now */
    if (lt.date == last_day) return;
    last_day = lt.date;
    char path[1024];
    struct stat sb;
    file_name(path, sizeof path, dir, lt.date, "pdf");
    if (stat(path, &sb) == 0) return; /* written before a restart */
    mkdir(dir, 0755);
    daily_job *j = cw_xcalloc(1, sizeof *j);
    if (!j) return;
    j->cfg_path = cw_xstrdup(hub->cfg_path);
    j->db_path = cw_xstrdup(sqlite3_db_filename(store_reader(hub->store), "main"));
    j->dir = cw_xstrdup(dir);
    j->day = lt.date;
    const char *hook = hub->cfg->stats.report_webhook;
    j->webhook = hook ? cw_xstrdup(hook) : NULL;
    pthread_t t;
    atomic_store(&busy, true);
    if (!j->cfg_path || !j->db_path || !j->dir || pthread_create(&t, NULL, worker, j) != 0) {
        free(j->cfg_path);
        free(j->db_path);
        free(j->dir);
        free(j->webhook);
        free(j);
        atomic_store(&busy, false);
        return;
    }
    pthread_detach(t);
}
