/* notify: the webhook sender thread over the durable outbox (see notify.h). */
#include "notify.h"

#include <curl/curl.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cwtime.h"
#include "xalloc.h"

#define POLL_MS 200
#define BACKOFF_MIN_MS 1000
#define BACKOFF_MAX_MS 60000
#define CONNECT_TIMEOUT_MS 2000
#define TOTAL_TIMEOUT_MS 5000
#define ROWS_PER_PASS 64

typedef struct receiver {
    char *url;
    CURL *curl;          /* sender thread */
    int64_t cursor;      /* highest id delivered in this run (sender thread) */
    int64_t next_try_ms; /* monotonic */
    int64_t backoff_ms;
    int attempts;       /* on the current row */
    int64_t attempt_id; /* the row those attempts were on */
    bool down;
} receiver;

struct notify {
    char *db_path;
    void (*wake)(void *ud);
    void *wake_ud;
    pthread_t thread;
    bool started;
    pthread_mutex_t lock; /* guards everything below */
    pthread_cond_t cond;
    bool stop, kicked;
    bool standby; /* another hub sends (cluster mode) */
    char **want;  /* receivers as last set by the service thread */
    int nwant;
    bool want_changed;
    notify_sent *sent_head, *sent_tail;
    notify_stats stats;
    /* sender thread only */
    receiver *rx;
    int nrx;
    sqlite3 *db;
};

notify_t *notify_create(const char *db_path, void (*wake)(void *ud), void *ud)
{
    notify_t *n = cw_xcalloc(1, sizeof *n);
    if (!n) return NULL;
    n->db_path = cw_xstrdup(db_path);
    if (!n->db_path) {
        free(n);
        return NULL;
    }
    n->wake = wake;
    n->wake_ud = ud;
    n->stats.oldest_unsent_ms = -1;
    pthread_mutex_init(&n->lock, NULL);
    pthread_cond_init(&n->cond, NULL);
    return n;
}

static void free_strs(char **v, int n)
{
    for (int i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

void notify_set_receivers(notify_t *n, char *const *urls, int nurls)
{
    char **c = calloc(nurls > 0 ? (size_t)nurls : 1, sizeof *c);
    if (!c) return;
    for (int i = 0; i < nurls; i++)
        if (!(c[i] = cw_xstrdup(urls[i]))) {
            free_strs(c, i);
            return;
        }
    pthread_mutex_lock(&n->lock);
    free_strs(n->want, n->nwant);
    n->want = c;
    n->nwant = nurls;
    n->want_changed = true;
    n->kicked = true;
    pthread_cond_signal(&n->cond);
    pthread_mutex_unlock(&n->lock);
}

void notify_set_standby(notify_t *n, bool standby)
{
    pthread_mutex_lock(&n->lock);
    bool changed = n->standby != standby;
    n->standby = standby;
    if (changed) n->kicked = true;
    pthread_cond_signal(&n->cond);
    pthread_mutex_unlock(&n->lock);
    if (changed)
        fprintf(stderr, "citywall-hub: webhooks: %s\n",
                standby ? "another hub of the cluster sends them (standby)"
                        : "this hub sends them (it holds the cluster's notifier lease)");
}

void notify_kick(notify_t *n)
{
    pthread_mutex_lock(&n->lock);
    n->kicked = true;
    pthread_cond_signal(&n->cond);
    pthread_mutex_unlock(&n->lock);
}

notify_sent *notify_take_sent(notify_t *n)
{
    pthread_mutex_lock(&n->lock);
    notify_sent *s = n->sent_head;
    n->sent_head = n->sent_tail = NULL;
    pthread_mutex_unlock(&n->lock);
    return s;
}

void notify_get_stats(notify_t *n, notify_stats *out)
{
    pthread_mutex_lock(&n->lock);
    *out = n->stats;
    pthread_mutex_unlock(&n->lock);
}

/* ---- sender thread ---------------------------------------------------------------------- */

static size_t discard(char *p, size_t size, size_t nmemb, void *ud)
{
    (void)p;
    (void)ud;
    return size * nmemb;
}

/* Take the service thread's receiver list: keep the state of receivers that stay. */
static void sync_receivers(notify_t *n)
{
    pthread_mutex_lock(&n->lock);
    if (!n->want_changed) {
        pthread_mutex_unlock(&n->lock);
        return;
    }
    n->want_changed = false;
    int nw = n->nwant;
    receiver *rx = calloc(nw > 0 ? (size_t)nw : 1, sizeof *rx);
    char **urls = calloc(nw > 0 ? (size_t)nw : 1, sizeof *urls);
    for (int i = 0; rx && urls && i < nw; i++)
        urls[i] = cw_xstrdup(n->want[i]);
    pthread_mutex_unlock(&n->lock);
    if (!rx || !urls) {
        free(rx);
        free(urls);
        return;
    }
    for (int i = 0; i < nw; i++) {
        rx[i].url = urls[i];
        for (int k = 0; k < n->nrx; k++)
            if (n->rx[k].url && urls[i] && strcmp(n->rx[k].url, urls[i]) == 0) {
                free(rx[i].url);
                rx[i] = n->rx[k];
                n->rx[k].url = NULL;
                n->rx[k].curl = NULL;
                break;
            }
    }
    for (int k = 0; k < n->nrx; k++) {
        free(n->rx[k].url);
        if (n->rx[k].curl) curl_easy_cleanup(n->rx[k].curl);
    }
    free(n->rx);
    free(urls);
    n->rx = rx;
    n->nrx = nw;
}

/* POST body to r: the HTTP status, or 0 when no answer came. */
static long post(receiver *r, const char *body)
{
    if (!r->curl && !(r->curl = curl_easy_init())) return 0;
    CURL *c = r->curl;
    struct curl_slist *hdr = curl_slist_append(NULL, "Content-Type: application/json");
    curl_easy_setopt(c, CURLOPT_URL, r->url);
    curl_easy_setopt(c, CURLOPT_POST, 1L);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)CONNECT_TIMEOUT_MS);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)TOTAL_TIMEOUT_MS);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "citywall-hub/" CW_VERSION);
    long status = 0;
    if (curl_easy_perform(c) == CURLE_OK) curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, NULL);
    curl_slist_free_all(hdr);
    return status;
}

static void push_sent(notify_t *n, int64_t id, int attempts, bool dropped)
{
    notify_sent *s = cw_xcalloc(1, sizeof *s);
    if (!s) return;
    s->id = id;
    s->attempts = attempts;
    s->sent_ms = cwt_real_ms();
    s->dropped = dropped;
    pthread_mutex_lock(&n->lock);
    if (n->sent_tail)
        n->sent_tail->next = s;
    else
        n->sent_head = s;
    n->sent_tail = s;
    if (dropped)
        n->stats.dropped++;
    else if (attempts > 0) /* 0: sent by the cluster's active hub */
        n->stats.sent++;
    pthread_mutex_unlock(&n->lock);
}

/* The next row of r after its cursor: 1 with id/body (malloc'd)/created, 0 none, -1 error. */
static int next_row(notify_t *n, receiver *r, int64_t *id, char **body, int64_t *created)
{
    static const char *sql = "SELECT id, payload, created_ms FROM outbox WHERE receiver = ?"
                             " AND sent_ms IS NULL AND id > ? ORDER BY id LIMIT 1";
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(n->db, sql, -1, &st, NULL) != SQLITE_OK) return -1;
    sqlite3_bind_text(st, 1, r->url, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, r->cursor);
    int rc = sqlite3_step(st), found = 0;
    if (rc == SQLITE_ROW) {
        *id = sqlite3_column_int64(st, 0);
        const char *p = (const char *)sqlite3_column_text(st, 1);
        *body = cw_xstrdup(p ? p : "");
        *created = sqlite3_column_int64(st, 2);
        found = *body ? 1 : -1;
    } else if (rc != SQLITE_DONE) {
        found = -1;
    }
    sqlite3_finalize(st);
    return found;
}

/* Deliver what r has waiting, in order; returns the created time of its oldest row still
 * waiting (-1 when none). */
static int64_t pump(notify_t *n, receiver *r)
{
    for (int k = 0; k < ROWS_PER_PASS; k++) {
        int64_t id, created;
        char *body = NULL;
        int found = next_row(n, r, &id, &body, &created);
        if (found <= 0) return -1;
        pthread_mutex_lock(&n->lock);
        bool standby = n->standby;
        pthread_mutex_unlock(&n->lock);
        if (standby) { /* the active hub sends it */
            free(body);
            if (cwt_real_ms() - created < NOTIFY_STANDBY_KEEP_MS) return created;
            push_sent(n, id, 0, false);
            r->cursor = id;
            continue;
        }
        if (cwt_mono_ms() < r->next_try_ms) {
            free(body);
            return created;
        }
        if (r->attempt_id != id) {
            r->attempt_id = id;
            r->attempts = 0;
        }
        r->attempts++;
        long status = post(r, body);
        free(body);
        bool ok = status >= 200 && status < 300;
        bool refused = status >= 400 && status < 500 && status != 408 && status != 429;
        if (ok || (refused && r->attempts >= NOTIFY_MAX_REFUSED)) {
            if (!ok)
                fprintf(stderr,
                        "citywall-hub: webhook %s refused outbox row %lld %d times "
                        "(HTTP %ld): dropped\n",
                        r->url, (long long)id, r->attempts, status);
            push_sent(n, id, r->attempts, !ok);
            r->cursor = id;
            r->backoff_ms = 0;
            r->next_try_ms = 0;
            if (r->down) fprintf(stderr, "citywall-hub: webhook %s is back\n", r->url);
            r->down = false;
            continue;
        }
        r->backoff_ms = r->backoff_ms ? r->backoff_ms * 2 : BACKOFF_MIN_MS;
        if (r->backoff_ms > BACKOFF_MAX_MS) r->backoff_ms = BACKOFF_MAX_MS;
        r->next_try_ms = cwt_mono_ms() + r->backoff_ms;
        if (!r->down)
            fprintf(stderr, "citywall-hub: webhook %s failed (%s %ld), retrying with backoff\n",
                    r->url, status ? "HTTP" : "no answer", status);
        r->down = true;
        pthread_mutex_lock(&n->lock);
        n->stats.failures++;
        pthread_mutex_unlock(&n->lock);
        return created;
    }
    return -1; /* more to send: the loop comes back at once */
}

static void *sender_main(void *arg)
{
    notify_t *n = arg;
    for (;;) {
        pthread_mutex_lock(&n->lock);
        bool stop = n->stop;
        pthread_mutex_unlock(&n->lock);
        if (stop) break;
        sync_receivers(n);
        int64_t oldest = -1;
        int down = 0;
        bool delivered = false;
        for (int i = 0; i < n->nrx; i++) {
            receiver *r = &n->rx[i];
            int64_t before = r->cursor;
            int64_t o = pump(n, r);
            if (r->cursor != before) delivered = true;
            if (o >= 0 && (oldest < 0 || o < oldest)) oldest = o;
            down += r->down;
        }
        pthread_mutex_lock(&n->lock);
        n->stats.oldest_unsent_ms = oldest;
        n->stats.receivers_down = down;
        pthread_mutex_unlock(&n->lock);
        if (delivered && n->wake) n->wake(n->wake_ud);

        pthread_mutex_lock(&n->lock);
        if (!n->stop && !n->kicked) {
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            ts.tv_nsec += POLL_MS * 1000000L;
            if (ts.tv_nsec >= 1000000000L) {
                ts.tv_sec++;
                ts.tv_nsec -= 1000000000L;
            }
            pthread_cond_timedwait(&n->cond, &n->lock, &ts);
        }
        n->kicked = false;
        pthread_mutex_unlock(&n->lock);
    }
    return NULL;
}

int notify_start(notify_t *n)
{
    static bool curl_ready;
    if (!curl_ready && curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) return -1;
    curl_ready = true;
    if (sqlite3_open_v2(n->db_path, &n->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL) !=
        SQLITE_OK) {
        fprintf(stderr, "citywall-hub: notify: %s: %s\n", n->db_path,
                n->db ? sqlite3_errmsg(n->db) : "cannot open");
        sqlite3_close(n->db);
        n->db = NULL;
        return -1;
    }
    sqlite3_busy_timeout(n->db, 2000);
    if (pthread_create(&n->thread, NULL, sender_main, n) != 0) return -1;
    n->started = true;
    return 0;
}

void notify_stop(notify_t *n)
{
    if (!n || !n->started) return;
    pthread_mutex_lock(&n->lock);
    n->stop = true;
    pthread_cond_signal(&n->cond);
    pthread_mutex_unlock(&n->lock);
    pthread_join(n->thread, NULL);
    n->started = false;
}

void notify_destroy(notify_t *n)
{
    if (!n) return;
    notify_stop(n);
    for (int k = 0; k < n->nrx; k++) {
        free(n->rx[k].url);
        if (n->rx[k].curl) curl_easy_cleanup(n->rx[k].curl);
    }
    free(n->rx);
    free_strs(n->want, n->nwant);
    for (notify_sent *s = n->sent_head, *nx; s; s = nx) {
        nx = s->next;
        free(s);
    }
    if (n->db) sqlite3_close(n->db);
    pthread_mutex_destroy(&n->lock);
    pthread_cond_destroy(&n->cond);
    free(n->db_path);
    free(n);
}
