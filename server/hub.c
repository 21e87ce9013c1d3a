/* hub: the context every module of the hub shares -- clocks, the wakeup, the connection
 * registry, metrics histograms, durable side-writes and the audit log. See hub.h. The service
 * loop that drives the modules is hub_loop.c. */
#include "hub.h"
#include "xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char hub_schema[] =
    "CREATE TABLE IF NOT EXISTS rollups(hall TEXT NOT NULL, minute_ms INTEGER NOT NULL,"
    " kpi TEXT NOT NULL, PRIMARY KEY(hall, minute_ms)) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS audit(id INTEGER PRIMARY KEY, at_ms INTEGER NOT NULL,"
    " user TEXT, action TEXT NOT NULL, detail TEXT);"
    "CREATE TABLE IF NOT EXISTS closures(id INTEGER PRIMARY KEY, hall TEXT NOT NULL,"
    " from_ms INTEGER NOT NULL, to_ms INTEGER NOT NULL, reason TEXT, user TEXT,"
    " created_ms INTEGER NOT NULL);";

const double hub_hist_bounds[HUB_HIST_BUCKETS] = {0.5, 1,   2,   5,   10,  20,   50,
                                                  75,  100, 150, 250, 500, 1000, 5000};

void hub_hist_add(hub_hist *h, double ms)
{
    int i = 0;
    while (i < HUB_HIST_BUCKETS && ms > hub_hist_bounds[i])
        i++;
    h->counts[i]++;
    h->sum += ms;
    h->n++;
}

const char *hub_operator_feed(const hub_t *hub)
{
    return hub->operator_feed[0] ? hub->operator_feed : "operator";
}

int64_t hub_now(const hub_t *hub)
{
    return cwt_clock_now(&hub->clock);
}

void hub_wake(void *ud)
{
    hub_t *hub = ud;
    if (hub->lws) lws_cancel_service(hub->lws);
}

/* lws 4.1 writes close frames itself (lws_close_reason) and keeps LWS_WRITE_CLOSE private
 * (lib/roles/ws/private-lib-roles-ws.h: 4); lws_write frames it like PING and PONG. */
#define HUB_LWS_WRITE_CLOSE ((enum lws_write_protocol)4)

void hub_ws_write_close(struct lws *wsi, int code, const char *reason)
{
    unsigned char buf[LWS_PRE + 125];
    size_t n = reason ? strlen(reason) : 0;
    if (n > 123) n = 123; /* a control frame's payload is at most 125 bytes */
    buf[LWS_PRE] = (unsigned char)((code >> 8) & 0xff);
    buf[LWS_PRE + 1] = (unsigned char)(code & 0xff);
    if (n) memcpy(buf + LWS_PRE + 2, reason, n);
    lws_write(wsi, buf + LWS_PRE, 2 + n, HUB_LWS_WRITE_CLOSE); /* closing anyway if it fails */
}

/* ---- connection registry (service thread) ----------------------------------------------- */

typedef struct reg_slot {
    uint64_t id; /* 0 empty, UINT64_MAX tombstone */
    void *p;
} reg_slot;

static reg_slot *reg;
static size_t reg_cap, reg_used;
static uint64_t reg_next = 1;

static void reg_grow(void)
{
    size_t old = reg_cap;
    reg_slot *o = reg;
    reg_cap = reg_cap ? reg_cap * 2 : 1024;
    reg = cw_xcalloc(reg_cap, sizeof(*reg));
    reg_used = 0;
    for (size_t i = 0; i < old; i++)
        if (o[i].id && o[i].id != UINT64_MAX) {
            size_t k = (o[i].id * 11400714819323198485ULL) & (reg_cap - 1);
            while (reg[k].id)
                k = (k + 1) & (reg_cap - 1);
            reg[k] = o[i];
            reg_used++;
        }
    free(o);
}

uint64_t hub_conn_register(void *pss)
{
    if ((reg_used + 1) * 2 > reg_cap) reg_grow();
    uint64_t id = reg_next++;
    size_t k = (id * 11400714819323198485ULL) & (reg_cap - 1);
    while (reg[k].id && reg[k].id != UINT64_MAX)
        k = (k + 1) & (reg_cap - 1);
    reg[k].id = id;
    reg[k].p = pss;
    reg_used++;
    return id;
}

static reg_slot *reg_find(uint64_t id)
{
    if (!reg_cap || !id) return NULL;
    size_t k = (id * 11400714819323198485ULL) & (reg_cap - 1);
    for (size_t n = 0; n < reg_cap && reg[k].id; n++, k = (k + 1) & (reg_cap - 1))
        if (reg[k].id == id) return &reg[k];
    return NULL;
}

void hub_conn_unregister(uint64_t id)
{
    reg_slot *s = reg_find(id);
    if (s) {
        s->id = UINT64_MAX; /* tombstone keeps probe chains intact */
        s->p = NULL;
    }
}

void *hub_conn_lookup(uint64_t id)
{
    reg_slot *s = reg_find(id);
    return s ? s->p : NULL;
}

/* ---- durable side-writes ---------------------------------------------------------------- */

void hub_store_fire(hub_t *hub, store_job *job)
{
    if (!job) return;
    job->done = NULL; /* freed when taken back; a failure is logged */
    store_submit(hub->store, job);
}

void hub_audit(hub_t *hub, const char *user, const char *action, const char *detail)
{
    store_job *j =
        store_job_new_sql("INSERT INTO audit(at_ms, user, action, detail) VALUES(?,?,?,?)");
    store_job_arg_int(j, cwt_real_ms());
    store_job_arg_text(j, user);
    store_job_arg_text(j, action);
    store_job_arg_text(j, detail);
    hub_store_fire(hub, j);
}
