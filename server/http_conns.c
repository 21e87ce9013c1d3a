/* http_conns: per-connection bookkeeping below the protocols. See http_conns.h. */
#include "http_conns.h"
#include "xalloc.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>

/* Connections per peer address (SPEC §8). The filter callback admits or refuses an accepted
 * socket; the wsi lws creates right after it takes a reference to its address's counter and
 * gives it back when lws destroys it. */
typedef struct conn_addr {
    unsigned char key[16]; /* IPv6, or IPv4-mapped */
    int count;
} conn_addr;

static conn_addr **ca_tab;
static size_t ca_cap, ca_used;
static conn_addr *ca_pending; /* admitted by the filter, not yet bound to its wsi */

static size_t ca_hash(const unsigned char *k, size_t cap)
{
    uint64_t h = 1469598103934665603ULL;
    for (int i = 0; i < 16; i++)
        h = (h ^ k[i]) * 1099511628211ULL;
    return (size_t)h & (cap - 1);
}

static int ca_grow(void)
{
    size_t nc = ca_cap ? ca_cap * 2 : 256;
    conn_addr **nt = calloc(nc, sizeof(*nt));
    if (!nt) return -1;
    size_t used = 0;
    for (size_t i = 0; i < ca_cap; i++) {
        conn_addr *a = ca_tab[i];
        if (!a) continue;
        if (a->count == 0 && a != ca_pending) {
            free(a); /* no connection holds it */
            continue;
        }
        size_t k = ca_hash(a->key, nc);
        while (nt[k])
            k = (k + 1) & (nc - 1);
        nt[k] = a;
        used++;
    }
    free(ca_tab);
    ca_tab = nt;
    ca_cap = nc;
    ca_used = used;
    return 0;
}

static conn_addr *ca_get(const unsigned char *key)
{
    if ((ca_used + 1) * 2 > ca_cap && ca_grow() < 0) return NULL;
    size_t k = ca_hash(key, ca_cap);
    while (ca_tab[k]) {
        if (!memcmp(ca_tab[k]->key, key, 16)) return ca_tab[k];
        k = (k + 1) & (ca_cap - 1);
    }
    conn_addr *a = cw_xcalloc(1, sizeof(*a));
    if (!a) return NULL;
    memcpy(a->key, key, 16);
    ca_tab[k] = a;
    ca_used++;
    return a;
}

/* wsi -> its address's counter: open addressing, backward-shift deletion */
typedef struct conn_wsi {
    const struct lws *wsi;
    conn_addr *addr; /* NULL: not counted (not an IP peer, or no memory for its address) */
    bool answered;   /* a request on this connection has been answered */
} conn_wsi;

static conn_wsi *cw_tab;
static size_t cw_cap, cw_used;

static size_t cw_hash(const struct lws *wsi, size_t cap)
{
    return (size_t)(((uint64_t)(uintptr_t)wsi * 11400714819323198485ULL) >> 20) & (cap - 1);
}

static int cw_bind(const struct lws *wsi, conn_addr *a)
{
    if ((cw_used + 1) * 2 > cw_cap) {
        size_t nc = cw_cap ? cw_cap * 2 : 1024;
        conn_wsi *nt = calloc(nc, sizeof(*nt));
        if (!nt) return -1;
        for (size_t i = 0; i < cw_cap; i++) {
            if (!cw_tab[i].wsi) continue;
            size_t k = cw_hash(cw_tab[i].wsi, nc);
            while (nt[k].wsi)
                k = (k + 1) & (nc - 1);
            nt[k] = cw_tab[i];
        }
        free(cw_tab);
        cw_tab = nt;
        cw_cap = nc;
    }
    size_t k = cw_hash(wsi, cw_cap);
    while (cw_tab[k].wsi && cw_tab[k].wsi != wsi)
        k = (k + 1) & (cw_cap - 1);
    if (!cw_tab[k].wsi) cw_used++;
    cw_tab[k].wsi = wsi;
    cw_tab[k].addr = a;
    cw_tab[k].answered = false;
    return 0;
}

static conn_wsi *cw_find(const struct lws *wsi)
{
    if (!cw_cap) return NULL;
    size_t k = cw_hash(wsi, cw_cap);
    while (cw_tab[k].wsi && cw_tab[k].wsi != wsi)
        k = (k + 1) & (cw_cap - 1);
    return cw_tab[k].wsi ? &cw_tab[k] : NULL;
}

static conn_addr *cw_unbind(const struct lws *wsi)
{
    if (!cw_cap) return NULL;
    size_t k = cw_hash(wsi, cw_cap);
    while (cw_tab[k].wsi && cw_tab[k].wsi != wsi)
        k = (k + 1) & (cw_cap - 1);
    if (!cw_tab[k].wsi) return NULL;
    conn_addr *a = cw_tab[k].addr;
    cw_tab[k].wsi = NULL;
    cw_used--;
    size_t hole = k;
    for (size_t j = (k + 1) & (cw_cap - 1); cw_tab[j].wsi; j = (j + 1) & (cw_cap - 1)) {
        size_t home = cw_hash(cw_tab[j].wsi, cw_cap);
        /* move j into the hole when its home is not cyclically in (hole, j] */
        if (((j - home) & (cw_cap - 1)) >= ((j - hole) & (cw_cap - 1))) {
            cw_tab[hole] = cw_tab[j];
            cw_tab[j].wsi = NULL;
            hole = j;
        }
    }
    return a;
}

int http_conns_admit(hub_t *hub, const struct lws_filter_network_conn_args *fa)
{
    unsigned char key[16] = {0};
    const struct sockaddr *sa = (const struct sockaddr *)&fa->cli_addr;
    if (sa->sa_family == AF_INET) {
        key[10] = key[11] = 0xff;
        memcpy(key + 12, &((const struct sockaddr_in *)sa)->sin_addr, 4);
    } else if (sa->sa_family == AF_INET6) {
        memcpy(key, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
    } else {
        return 0;
    }
    conn_addr *a = ca_get(key);
    if (!a) return -1;
    if (a->count >= hub->cfg->limits.max_conns_per_addr) {
        if (hub->m.limit_conns++ % 1000 == 0)
            fprintf(stderr,
                    "citywall-hub: connection refused: over %d connections from one "
                    "address (citywall_limit_conns_total %llu)\n",
                    hub->cfg->limits.max_conns_per_addr, (unsigned long long)hub->m.limit_conns);
        ca_pending = NULL;
        return -1;
    }
    ca_pending = a;
    return 0;
}

void http_conns_created(const struct lws *wsi)
{
    /* every wsi gets an entry (the pipelining mark); only an admitted peer's counts */
    if (cw_bind(wsi, ca_pending) == 0 && ca_pending) ca_pending->count++;
    ca_pending = NULL;
}

void http_conns_destroyed(const struct lws *wsi)
{
    conn_addr *a = cw_unbind(wsi);
    if (a) a->count--;
}

void http_conns_answered(struct lws *wsi)
{
    conn_wsi *e = cw_find(wsi);
    if (e) e->answered = true;
}

bool http_conns_pipelined(struct lws *wsi)
{
    conn_wsi *e = cw_find(wsi);
    if (!e) return true;            /* cannot tell: refuse rather than spin */
    if (!e->answered) return false; /* the first request: lws read it from the socket */
    /* While lws parses headers from its buffer, that buffer is not yet marked consumed, so
     * the connection is on its thread's list of buffered input, and lws_service_adjust_timeout()
     * says "do not wait" (0). It says so too when another connection has buffered input (a
     * pipelining client, TLS records decrypted ahead): that request is refused with 503 and
     * sent again by its client (gateways retry); a spinning service thread is not possible. */
    return lws_service_adjust_timeout(lws_get_context(wsi), 1, lws_get_tsi(wsi)) == 0;
}
