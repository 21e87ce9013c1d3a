/* live_doc: the published documents of /live -- one per (topic, view), built from the state,
 * diffed into merge-patch deltas, each serialised once into a shared frame and kept in a
 * bounded history ring for resume and catch-up. See live.h (design) and live_internal.h.
 *
 * Thread: service thread. */
#include <stdlib.h>
#include <string.h>

#include "alerts.h"
#include "live_internal.h"
#include "mergepatch.h"
#include "province.h"
#include "wallctl.h"
#include "xalloc.h"

/* ---- frames ----------------------------------------------------------------------------- */

frame live_frame_from_json(json_t *msg)
{
    frame f = {0};
    char *s = json_dumps(msg, JSON_COMPACT);
    if (!s) return f;
    size_t n = strlen(s);
    f.buf = malloc(LWS_PRE + n);
    if (f.buf) {
        memcpy(f.buf + LWS_PRE, s, n);
        f.len = n;
    }
    free(s);
    return f;
}

void live_frame_free(frame *f)
{
    free(f->buf);
    f->buf = NULL;
    f->len = 0;
}

/* ---- docs ------------------------------------------------------------------------------- */

static void doc_view(const live_doc *d, state_view *sv)
{
    sv->halls = d->mask;
    sv->names = d->names;
    sv->urls = true;
}

static json_t *doc_build(live_t *L, live_doc *d)
{
    state_view sv;
    doc_view(d, &sv);
    if (d->kind == DOC_CITY) return state_city(L->hub->state, &sv);
    if (d->kind == DOC_PROVINCE) return province_doc(L->hub);
    if (d->kind == DOC_ALERTS)
        return L->hub->alerts ? alerts_doc(L->hub->alerts, d->mask, d->names) : json_object();
    if (d->kind == DOC_WALL)
        return L->hub->wallctl ? wallctl_doc(L->hub->wallctl, d->hall) : json_object();
    return state_hall(L->hub->state, d->hall, &sv);
}

uint64_t live_doc_version(live_t *L, const live_doc *d)
{
    if (d->kind == DOC_ALERTS) return L->hub->alerts ? alerts_version(L->hub->alerts) : 0;
    if (d->kind == DOC_WALL) return L->hub->wallctl ? wallctl_version(L->hub->wallctl, d->hall) : 0;
    return d->kind == DOC_CITY || d->kind == DOC_PROVINCE
               ? state_city_version(L->hub->state)
               : state_hall_version(L->hub->state, d->hall);
}

static void ring_pop(live_doc *d)
{
    entry *e = &d->ring[d->ring_head];
    d->ring_bytes -= e->fr.len;
    json_decref(e->patch);
    live_frame_free(&e->fr);
    d->ring_head = (d->ring_head + 1) % LIVE_RING_CAP;
    d->ring_n--;
}

entry *live_ring_at(live_doc *d, int i) /* 0 = oldest */
{
    return &d->ring[(d->ring_head + i) % LIVE_RING_CAP];
}

void live_doc_free(live_doc *d)
{
    while (d->ring_n)
        ring_pop(d);
    json_decref(d->doc);
    live_frame_free(&d->snap);
    for (int i = 0; i < LIVE_MERGED_CACHE; i++)
        live_frame_free(&d->merged[i].fr);
    free(d->mask);
    free(d);
}

/* Rebuild a doc from the state if its version moved; publish the difference as a delta.
 * pos: in positional mode, the log position the state is at (0: not at a position -- only a
 * first build happens, at the current one). */
void live_doc_refresh(live_t *L, live_doc *d, uint64_t pos)
{
    uint64_t ver = live_doc_version(L, d);
    if (d->built && ver == d->built_version) return;
    if (L->positional && d->built && !pos) return; /* published at the next position */
    json_t *nd = doc_build(L, d);
    if (!nd) return;
    d->built_version = ver;
    int64_t t = live_now_us();
    if (!d->built) {
        d->doc = nd;
        d->rev = L->positional ? L->rev : ++L->rev;
        d->built = true;
        d->last_pub_us = t;
        return;
    }
    json_t *patch = mp_diff(d->doc, nd);
    json_decref(d->doc);
    d->doc = nd;
    if (!patch) return;
    uint64_t rev = L->positional ? pos : ++L->rev;
    json_t *msg = json_pack("{s:s,s:s,s:s,s:I,s:O}", "op", "delta", "topic", d->topic, "epoch",
                            L->hub->epoch, "rev", (json_int_t)rev, "data", patch);
    if (L->unpublished_ack_us) /* event-to-glass (walls): that ack in real ms, beside the data */
        json_object_set_new(msg, "ack_ms",
                            json_integer(cwt_real_ms() - (t - L->unpublished_ack_us) / 1000));
    frame fr = live_frame_from_json(msg);
    json_decref(msg);
    if (d->ring_n == LIVE_RING_CAP) ring_pop(d);
    entry *e = &d->ring[(d->ring_head + d->ring_n) % LIVE_RING_CAP];
    e->rev = rev;
    e->prev_rev = d->rev;
    e->patch = patch;
    e->fr = fr;
    e->ack_us = L->unpublished_ack_us;
    d->ring_n++;
    d->ring_bytes += fr.len;
    while (d->ring_n > 1 && d->ring_bytes > LIVE_RING_BYTES)
        ring_pop(d);
    uint64_t prev_rev = d->rev;
    d->rev = rev;
    d->last_pub_us = t;
    L->hub->m.live_publishes++;
    live_pace_published(L, d, prev_rev);
}

static void view_key(char *out, size_t n, int kind, int hall, const auth_who *who, const cfg_t *cfg)
{
    if (kind == DOC_HALL) {
        snprintf(out, n, "hall/%s|names=%d", cfg->halls[hall].id, who->names);
        return;
    }
    if (kind == DOC_WALL) { /* one view: every role that may subscribe sees the same */
        snprintf(out, n, "wall/%s", cfg->walls[hall].id);
        return;
    }
    int o = snprintf(out, n, "%s|names=%d|",
                     kind == DOC_ALERTS     ? "alerts"
                     : kind == DOC_PROVINCE ? "province"
                                            : "city",
                     who->names);
    if (!who->halls) {
        snprintf(out + o, n - o, "all");
        return;
    }
    for (int i = 0; i < cfg->nhalls && o < (int)n - 8; i++)
        if (who->halls[i]) o += snprintf(out + o, n - o, "%d,", i);
}

live_doc *live_doc_get(live_t *L, int kind, int hall, const auth_who *who)
{
    const cfg_t *cfg = L->hub->cfg;
    char key[512];
    view_key(key, sizeof(key), kind, hall, who, cfg);
    for (live_doc *d = L->docs; d; d = d->next)
        if (strcmp(d->key, key) == 0) return d;
    live_doc *d = cw_xcalloc(1, sizeof(*d));
    if (!d) return NULL;
    d->kind = kind;
    d->hall = hall;
    d->names = who->names;
    snprintf(d->key, sizeof(d->key), "%s", key);
    if (kind == DOC_CITY)
        snprintf(d->topic, sizeof(d->topic), "city");
    else if (kind == DOC_ALERTS)
        snprintf(d->topic, sizeof(d->topic), "alerts");
    else if (kind == DOC_PROVINCE)
        snprintf(d->topic, sizeof(d->topic), "province");
    else if (kind == DOC_WALL)
        snprintf(d->topic, sizeof(d->topic), "wall/%s", cfg->walls[hall].id);
    else
        snprintf(d->topic, sizeof(d->topic), "hall/%s", cfg->halls[hall].id);
    if ((kind == DOC_CITY || kind == DOC_ALERTS) && who->halls) {
        d->mask = calloc(cfg->nhalls ? cfg->nhalls : 1, sizeof(bool));
        if (!d->mask) {
            free(d);
            return NULL;
        }
        memcpy(d->mask, who->halls, sizeof(bool) * cfg->nhalls);
    }
    d->next = L->docs;
    L->docs = d;
    return d;
}

frame *live_doc_snapshot_frame(live_t *L, live_doc *d)
{
    if (d->snap.buf && d->snap_rev == d->rev) return &d->snap;
    live_frame_free(&d->snap);
    json_t *msg = json_pack("{s:s,s:s,s:s,s:I,s:O}", "op", "snapshot", "topic", d->topic, "epoch",
                            L->hub->epoch, "rev", (json_int_t)d->rev, "data", d->doc);
    d->snap = live_frame_from_json(msg);
    d->snap_rev = d->rev;
    json_decref(msg);
    return &d->snap;
}

/* Resume point for a doc given the client's `since` rev: the rev whose state the client holds,
 * or 0 when the history no longer reaches back -- or when `since` is a rev this hub never
 * issued (above its counter, top): such a client holds no state of ours (SECURITY.md S6). */
uint64_t live_doc_resume_base(live_doc *d, uint64_t since, uint64_t top)
{
    if (since > top) return 0;
    if (d->rev <= since) return d->rev;
    for (int i = 0; i < d->ring_n; i++) {
        entry *e = live_ring_at(d, i);
        if (e->rev > since) return e->prev_rev <= since ? e->prev_rev : 0;
    }
    return 0;
}
