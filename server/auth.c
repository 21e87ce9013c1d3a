/* auth: tokens, accounts, sessions and the login worker. See auth.h. */
#include "auth.h"
#include "xalloc.h"

#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SESSION_TOUCH_MS 60000 /* persist seen_ms at most once a minute per session */

typedef struct session {
    char hash[65]; /* hex SHA-256 of the cookie value */
    char user[72];
    int64_t created_ms, seen_ms, persisted_seen_ms;
} session;

const char auth_schema[] =
    "CREATE TABLE IF NOT EXISTS sessions(id_hash TEXT PRIMARY KEY, user TEXT NOT NULL,"
    " created_ms INTEGER NOT NULL, seen_ms INTEGER NOT NULL) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS login_failures(user TEXT NOT NULL, peer TEXT NOT NULL,"
    " count INTEGER NOT NULL, locked_until_ms INTEGER NOT NULL, PRIMARY KEY(user, peer))"
    " WITHOUT ROWID;";

typedef struct login_req {
    uint64_t conn_id;
    auth_answer_fn answer;
    char user[72];
    char role[16];
    char *password;
    char *pwhash;
    char peer[64];
    struct login_req *next;
} login_req;

typedef struct failure {
    char key[140]; /* "user|peer" */
    int count;
    int64_t locked_until_ms;
} failure;

struct auth {
    hub_t *hub;
    bool **acc_masks; /* per account: hall mask (role hall) or NULL */
    bool **tok_masks; /* per token */
    int nacc, ntok;
    session *sessions;
    int nsessions, capsessions;
    failure *failures;
    int nfailures;
    /* login worker */
    pthread_t thread;
    bool started, stop;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    login_req *q_head, *q_tail;
    auth_login_result *r_head, *r_tail;
};

static void free_masks(auth_t *a)
{
    for (int i = 0; i < a->nacc; i++)
        free(a->acc_masks[i]);
    for (int i = 0; i < a->ntok; i++)
        free(a->tok_masks[i]);
    free(a->acc_masks);
    free(a->tok_masks);
    a->acc_masks = a->tok_masks = NULL;
    a->nacc = a->ntok = 0;
}

static bool *mask_of(int nhalls, const int *halls, int n)
{
    bool *m = calloc(nhalls ? nhalls : 1, sizeof(bool));
    for (int i = 0; m && i < n; i++)
        if (halls[i] >= 0 && halls[i] < nhalls) m[halls[i]] = true;
    return m;
}

void auth_reconfigure(auth_t *a)
{
    const cfg_t *cfg = a->hub->cfg;
    free_masks(a);
    a->acc_masks = cw_xcalloc(cfg->naccounts ? cfg->naccounts : 1, sizeof(bool *));
    a->tok_masks = cw_xcalloc(cfg->ntokens ? cfg->ntokens : 1, sizeof(bool *));
    a->nacc = cfg->naccounts;
    a->ntok = cfg->ntokens;
    for (int i = 0; i < cfg->naccounts; i++)
        if (cfg->accounts[i].role == CFG_ROLE_HALL)
            a->acc_masks[i] = mask_of(cfg->nhalls, cfg->accounts[i].halls, cfg->accounts[i].nhalls);
    for (int i = 0; i < cfg->ntokens; i++)
        if (!cfg->tokens[i].all_halls && cfg->tokens[i].role == CFG_ROLE_HALL)
            a->tok_masks[i] = mask_of(cfg->nhalls, cfg->tokens[i].halls, cfg->tokens[i].nhalls);
}

static void *login_main(void *arg);

auth_t *auth_create(hub_t *hub)
{
    auth_t *a = cw_xcalloc(1, sizeof(*a));
    if (!a) return NULL;
    a->hub = hub;
    pthread_mutex_init(&a->lock, NULL);
    pthread_cond_init(&a->cond, NULL);
    auth_reconfigure(a);
    if (pthread_create(&a->thread, NULL, login_main, a) == 0) a->started = true;
    return a;
}

void auth_destroy(auth_t *a)
{
    if (!a) return;
    if (a->started) {
        pthread_mutex_lock(&a->lock);
        a->stop = true;
        pthread_cond_signal(&a->cond);
        pthread_mutex_unlock(&a->lock);
        pthread_join(a->thread, NULL);
    }
    for (login_req *r = a->q_head, *n; r; r = n) {
        n = r->next;
        sodium_free(r->password);
        free(r->pwhash);
        free(r);
    }
    for (auth_login_result *r = a->r_head, *n; r; r = n) {
        n = r->next;
        free(r);
    }
    free_masks(a);
    free(a->sessions);
    free(a->failures);
    pthread_mutex_destroy(&a->lock);
    pthread_cond_destroy(&a->cond);
    free(a);
}

static void who_account(auth_t *a, int i, auth_who *w)
{
    const cfg_account *acc = &a->hub->cfg->accounts[i];
    memset(w, 0, sizeof(*w));
    w->kind = AUTH_ACCOUNT;
    w->role = acc->role;
    w->halls = acc->role == CFG_ROLE_HALL ? a->acc_masks[i] : NULL;
    w->names = acc->role != CFG_ROLE_WALL;
    w->account = i;
    w->token = -1;
    snprintf(w->user, sizeof(w->user), "%s", acc->user);
}

static void who_token(auth_t *a, int i, auth_who *w)
{
    const cfg_token *t = &a->hub->cfg->tokens[i];
    memset(w, 0, sizeof(*w));
    w->kind = AUTH_TOKEN;
    w->role = t->role;
    w->halls = a->tok_masks[i];
    w->names = false; /* display nodes and gateways get staff ids, not names */
    w->account = -1;
    w->token = i;
    snprintf(w->user, sizeof(w->user), "token:%s", t->name);
}

void auth_refresh(auth_t *a, auth_who *w)
{
    const cfg_t *cfg = a->hub->cfg;
    if (w->kind == AUTH_ACCOUNT) {
        int i = cfg_account_index(cfg, w->user);
        if (i >= 0) {
            who_account(a, i, w);
            return;
        }
    } else if (w->kind == AUTH_TOKEN) {
        for (int i = 0; i < cfg->ntokens; i++)
            if (strcmp(cfg->tokens[i].name, w->user + 6) == 0) {
                who_token(a, i, w);
                return;
            }
    }
    /* gone from the config: sees nothing */
    static const bool none[1] = {false};
    w->halls = none;
    w->role = CFG_ROLE_HALL;
}

int auth_token(auth_t *a, const char *token, auth_who *out)
{
    int i = cfg_token_find(a->hub->cfg, token);
    if (i < 0) return -1;
    who_token(a, i, out);
    return 0;
}

int auth_bearer(auth_t *a, const char *authorization, auth_who *out)
{
    if (!authorization || strncasecmp(authorization, "Bearer ", 7) != 0) return -1;
    const char *t = authorization + 7;
    while (*t == ' ')
        t++;
    return auth_token(a, t, out);
}

bool auth_may_see(const auth_who *who, int hall)
{
    return !who->halls || (hall >= 0 && who->halls[hall]);
}

/* ---- sessions --------------------------------------------------------------------------- */

static void hash_hex(const char *value, char out[65])
{
    unsigned char h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(h, (const unsigned char *)value, strlen(value));
    sodium_bin2hex(out, 65, h, sizeof(h));
}

static session *session_find(auth_t *a, const char *hash)
{
    for (int i = 0; i < a->nsessions; i++)
        if (strcmp(a->sessions[i].hash, hash) == 0) return &a->sessions[i];
    return NULL;
}

static void session_drop(auth_t *a, session *s)
{
    store_job *j = store_job_new_sql("DELETE FROM sessions WHERE id_hash = ?");
    store_job_arg_text(j, s->hash);
    hub_store_fire(a->hub, j);
    *s = a->sessions[--a->nsessions];
}

static session *session_add(auth_t *a, const char *hash, const char *user, int64_t created,
                            int64_t seen)
{
    if (a->nsessions == a->capsessions) {
        int nc = a->capsessions ? a->capsessions * 2 : 16;
        session *ns = realloc(a->sessions, sizeof(*ns) * nc);
        if (!ns) return NULL;
        a->sessions = ns;
        a->capsessions = nc;
    }
    session *s = &a->sessions[a->nsessions++];
    snprintf(s->hash, sizeof(s->hash), "%s", hash);
    snprintf(s->user, sizeof(s->user), "%s", user);
    s->created_ms = created;
    s->seen_ms = s->persisted_seen_ms = seen;
    return s;
}

static failure *failure_get(auth_t *a, const char *user, const char *peer, bool create);

/* Failed-login counters and lockouts are kept in the store too, so that a restart doesn't end
 * a lockout (SPEC §8). Rows are keyed as the in-memory key is: user and peer, 64 bytes each. */
static void failure_save(auth_t *a, const char *user, const char *peer, const failure *f)
{
    char u[65], p[65];
    snprintf(u, sizeof(u), "%.64s", user);
    snprintf(p, sizeof(p), "%.64s", peer);
    store_job *j = store_job_new_sql("INSERT OR REPLACE INTO login_failures(user, peer, count,"
                                     " locked_until_ms) VALUES(?,?,?,?)");
    store_job_arg_text(j, u);
    store_job_arg_text(j, p);
    store_job_arg_int(j, f->count);
    store_job_arg_int(j, f->locked_until_ms);
    hub_store_fire(a->hub, j);
}

int auth_load_sessions(auth_t *a)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(store_reader(a->hub->store),
                           "SELECT id_hash, user, created_ms, seen_ms FROM sessions", -1, &st,
                           NULL) != SQLITE_OK)
        return -1;
    while (sqlite3_step(st) == SQLITE_ROW)
        session_add(a, (const char *)sqlite3_column_text(st, 0),
                    (const char *)sqlite3_column_text(st, 1), sqlite3_column_int64(st, 2),
                    sqlite3_column_int64(st, 3));
    sqlite3_finalize(st);
    int64_t now = cwt_real_ms();
    if (sqlite3_prepare_v2(store_reader(a->hub->store),
                           "SELECT user, peer, count, locked_until_ms FROM login_failures"
                           " WHERE count > 0 OR locked_until_ms > ?",
                           -1, &st, NULL) != SQLITE_OK)
        return -1;
    sqlite3_bind_int64(st, 1, now);
    while (sqlite3_step(st) == SQLITE_ROW) {
        failure *f = failure_get(a, (const char *)sqlite3_column_text(st, 0),
                                 (const char *)sqlite3_column_text(st, 1), true);
        if (!f) continue;
        f->count = sqlite3_column_int(st, 2);
        f->locked_until_ms = sqlite3_column_int64(st, 3);
    }
    sqlite3_finalize(st);
    store_job *j =
        store_job_new_sql("DELETE FROM login_failures WHERE count = 0 AND locked_until_ms <= ?");
    store_job_arg_int(j, now);
    hub_store_fire(a->hub, j);
    return 0;
}

static bool cookie_value(const char *header, char *out, size_t n)
{
    const char *p = header;
    while (p && *p) {
        while (*p == ' ' || *p == ';')
            p++;
        if (strncmp(p, "cw_session=", 11) == 0) {
            p += 11;
            size_t k = strcspn(p, "; ");
            if (k == 0 || k >= n) return false;
            memcpy(out, p, k);
            out[k] = 0;
            return true;
        }
        p = strchr(p, ';');
    }
    return false;
}

int auth_cookie(auth_t *a, const char *cookie_header, auth_who *out)
{
    char value[128], hash[65];
    if (!cookie_value(cookie_header, value, sizeof(value))) return -1;
    hash_hex(value, hash);
    session *s = session_find(a, hash);
    if (!s) return -1;
    const cfg_t *cfg = a->hub->cfg;
    int64_t now = cwt_real_ms();
    if (now - s->seen_ms > (int64_t)cfg->session_idle_s * 1000 ||
        now - s->created_ms > (int64_t)cfg->session_absolute_s * 1000) {
        session_drop(a, s);
        return -1;
    }
    int acc = cfg_account_index(cfg, s->user);
    if (acc < 0) {
        session_drop(a, s);
        return -1;
    }
    s->seen_ms = now;
    if (now - s->persisted_seen_ms > SESSION_TOUCH_MS) {
        s->persisted_seen_ms = now;
        store_job *j = store_job_new_sql("UPDATE sessions SET seen_ms = ? WHERE id_hash = ?");
        store_job_arg_int(j, now);
        store_job_arg_text(j, s->hash);
        hub_store_fire(a->hub, j);
    }
    who_account(a, acc, out);
    return 0;
}

void auth_logout(auth_t *a, const char *cookie_header)
{
    char value[128], hash[65];
    if (!cookie_header || !cookie_value(cookie_header, value, sizeof(value))) return;
    hash_hex(value, hash);
    session *s = session_find(a, hash);
    if (s) {
        hub_audit(a->hub, s->user, "logout", NULL);
        session_drop(a, s);
        if (a->hub->replicate)
            a->hub->replicate(a->hub, "session_end", json_pack("{s:s}", "hash", hash));
    }
}

void auth_session_import(auth_t *a, const char *hash, const char *user, int64_t created_ms)
{
    if (strlen(hash) != 64 || session_find(a, hash)) return;
    int64_t now = cwt_real_ms();
    if (!session_add(a, hash, user, created_ms, now)) return;
    store_job *j = store_job_new_sql("INSERT OR REPLACE INTO sessions(id_hash, user, "
                                     "created_ms, seen_ms) VALUES(?,?,?,?)");
    store_job_arg_text(j, hash);
    store_job_arg_text(j, user);
    store_job_arg_int(j, created_ms);
    store_job_arg_int(j, now);
    hub_store_fire(a->hub, j);
}

void auth_session_end(auth_t *a, const char *hash)
{
    session *s = session_find(a, hash);
    if (s) session_drop(a, s);
}

void auth_failure_import(auth_t *a, const char *user, const char *peer, int count,
                         int64_t locked_until_ms)
{
    failure *f = failure_get(a, user, peer, true);
    if (!f) return;
    f->count = count;
    f->locked_until_ms = locked_until_ms;
    failure_save(a, user, peer, f);
}

/* ---- login ------------------------------------------------------------------------------ */

static failure *failure_get(auth_t *a, const char *user, const char *peer, bool create)
{
    char key[140];
    snprintf(key, sizeof(key), "%.64s|%.64s", user, peer);
    for (int i = 0; i < a->nfailures; i++)
        if (strcmp(a->failures[i].key, key) == 0) return &a->failures[i];
    if (!create) return NULL;
    failure *nf = realloc(a->failures, sizeof(*nf) * (a->nfailures + 1));
    if (!nf) return NULL;
    a->failures = nf;
    failure *f = &a->failures[a->nfailures++];
    memset(f, 0, sizeof(*f));
    snprintf(f->key, sizeof(f->key), "%s", key);
    return f;
}

int auth_login_start(auth_t *a, const char *user, const char *password, const char *peer,
                     uint64_t conn_id, auth_answer_fn answer, int *status)
{
    const cfg_t *cfg = a->hub->cfg;
    failure *f = failure_get(a, user, peer, false);
    if (f && f->locked_until_ms > cwt_real_ms()) {
        *status = 429;
        a->hub->m.login_locked++;
        return -1;
    }
    login_req *r = cw_xcalloc(1, sizeof(*r));
    if (!r) {
        *status = 500;
        return -1;
    }
    r->conn_id = conn_id;
    r->answer = answer;
    snprintf(r->user, sizeof(r->user), "%s", user);
    snprintf(r->peer, sizeof(r->peer), "%s", peer);
    size_t plen = strlen(password);
    r->password = sodium_malloc(plen + 1);
    if (r->password) memcpy(r->password, password, plen + 1);
    int acc = cfg_account_index(cfg, user);
    if (acc >= 0) {
        r->pwhash = cw_xstrdup(cfg->accounts[acc].pwhash);
        snprintf(r->role, sizeof(r->role), "%s", cfg_role_name(cfg->accounts[acc].role));
    }
    pthread_mutex_lock(&a->lock);
    if (a->q_tail)
        a->q_tail->next = r;
    else
        a->q_head = r;
    a->q_tail = r;
    pthread_cond_signal(&a->cond);
    pthread_mutex_unlock(&a->lock);
    return 0;
}

/* A fixed hash for unknown users, so that an unknown user costs as much as a wrong password. */
static const char *dummy_hash(void)
{
    static char h[crypto_pwhash_STRBYTES];
    if (!h[0] &&
        crypto_pwhash_str(h, "citywall-no-such-user", 21, crypto_pwhash_OPSLIMIT_INTERACTIVE,
                          crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
        h[0] = 0;
    return h;
}

static void *login_main(void *arg)
{
    auth_t *a = arg;
    dummy_hash();
    pthread_mutex_lock(&a->lock);
    for (;;) {
        while (!a->q_head && !a->stop)
            pthread_cond_wait(&a->cond, &a->lock);
        if (a->stop) break;
        login_req *r = a->q_head;
        a->q_head = r->next;
        if (!a->q_head) a->q_tail = NULL;
        pthread_mutex_unlock(&a->lock);

        const char *pw = r->password ? r->password : "";
        bool ok = r->pwhash && crypto_pwhash_str_verify(r->pwhash, pw, strlen(pw)) == 0;
        if (!r->pwhash && crypto_pwhash_str_verify(dummy_hash(), pw, strlen(pw)) == 0)
            ok = false; /* equal cost for unknown users; never a success */
        auth_login_result *res = cw_xcalloc(1, sizeof(*res));
        if (res) {
            res->conn_id = r->conn_id;
            res->answer = r->answer;
            res->ok = ok;
            res->status = ok ? 200 : 401;
            snprintf(res->user, sizeof(res->user), "%s", r->user);
            snprintf(res->role, sizeof(res->role), "%s", r->role);
            if (ok) {
                unsigned char raw[32];
                randombytes_buf(raw, sizeof(raw));
                sodium_bin2hex(res->cookie, sizeof(res->cookie), raw, sizeof(raw));
            }
            /* the peer travels in the cookie field for failures (rate limiting) */
            if (!ok) snprintf(res->cookie, sizeof(res->cookie), "%s", r->peer);
        }
        sodium_free(r->password);
        free(r->pwhash);
        free(r);

        pthread_mutex_lock(&a->lock);
        if (res) {
            if (a->r_tail)
                a->r_tail->next = res;
            else
                a->r_head = res;
            a->r_tail = res;
        }
        pthread_mutex_unlock(&a->lock);
        hub_wake(a->hub);
        pthread_mutex_lock(&a->lock);
    }
    pthread_mutex_unlock(&a->lock);
    return NULL;
}

/* store_done_fn of a new session's row: the login is answered once it is durable. */
static void session_stored(store_job *j)
{
    auth_login_result *r = j->ctx;
    hub_t *hub = j->done_ud;
    if (j->rc < 0) { /* the session is not durable: no cookie */
        fprintf(stderr, "citywall-hub: session not stored: %s\n", j->err);
        r->ok = false;
        r->status = 503;
        r->cookie[0] = 0;
    }
    if (r->answer) r->answer(hub, r);
    free(r);
    j->ctx = NULL;
    store_job_free(j);
}

void auth_service(auth_t *a)
{
    pthread_mutex_lock(&a->lock);
    auth_login_result *r = a->r_head;
    a->r_head = a->r_tail = NULL;
    pthread_mutex_unlock(&a->lock);
    /* bookkeeping on the service thread: sessions and failure counters. A successful login is
     * answered only once its session row is committed (session_stored); a failure now. */
    const cfg_t *cfg = a->hub->cfg;
    for (auth_login_result *x = r, *next; x; x = next) {
        next = x->next;
        x->next = NULL;
        if (x->ok) {
            char hash[65];
            hash_hex(x->cookie, hash);
            int64_t now = cwt_real_ms();
            session_add(a, hash, x->user, now, now);
            store_job *j = store_job_new_sql("INSERT OR REPLACE INTO sessions(id_hash, user, "
                                             "created_ms, seen_ms) VALUES(?,?,?,?)");
            store_job_arg_text(j, hash);
            store_job_arg_text(j, x->user);
            store_job_arg_int(j, now);
            store_job_arg_int(j, now);
            if (a->hub->replicate) /* the other hubs of a cluster know the session too */
                a->hub->replicate(a->hub, "session",
                                  json_pack("{s:s,s:s,s:I}", "hash", hash, "user", x->user,
                                            "created_ms", (json_int_t)now));
            j->done = session_stored;
            j->done_ud = a->hub;
            j->ctx = x;
            store_submit(a->hub->store, j);
            a->hub->m.login_ok++;
            hub_audit(a->hub, x->user, "login", NULL);
            /* clear failures of this user from any peer */
            for (int i = 0; i < a->nfailures; i++)
                if (strncmp(a->failures[i].key, x->user, strlen(x->user)) == 0 &&
                    a->failures[i].key[strlen(x->user)] == '|')
                    a->failures[i].count = 0;
            char u[65];
            snprintf(u, sizeof(u), "%.64s", x->user);
            store_job *fj = store_job_new_sql("UPDATE login_failures SET count = 0 WHERE user = ?");
            store_job_arg_text(fj, u);
            hub_store_fire(a->hub, fj);
        } else {
            a->hub->m.login_failed++;
            failure *f = failure_get(a, x->user, x->cookie, true);
            if (f && ++f->count >= cfg->limits.login_attempts) {
                f->locked_until_ms = cwt_real_ms() + (int64_t)cfg->limits.login_lockout_s * 1000;
                f->count = 0;
            }
            if (f) failure_save(a, x->user, x->cookie, f);
            if (f && a->hub->replicate) /* a lockout holds on every hub of a cluster */
                a->hub->replicate(a->hub, "login_failure",
                                  json_pack("{s:s,s:s,s:i,s:I}", "user", x->user, "peer", x->cookie,
                                            "count", f->count, "locked_until_ms",
                                            (json_int_t)f->locked_until_ms));
            char detail[160];
            snprintf(detail, sizeof(detail), "failed from %s", x->cookie);
            hub_audit(a->hub, x->user, "login_failed", detail);
            x->cookie[0] = 0;
            if (x->answer) x->answer(a->hub, x);
            free(x);
        }
    }
}
