/* alert_query: what the REST API and the live view ask of the alerts -- the alerts document,
 * lists with filters, one alert, acknowledgements, statistics. See alerts.h.
 *
 * Thread: service thread. */
#include "alerts_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

bool al_visible(const alert *al, const bool *halls)
{
    if (!halls) return true;
    return al->hall_idx >= 0 && halls[al->hall_idx];
}

json_t *alerts_doc(alerts_t *a, const bool *halls, bool names)
{
    json_t *doc = json_object();
    for (int i = 0; doc && i < a->n; i++) {
        const alert *al = a->v[i];
        if (al->state != AL_FIRING || !al_visible(al, halls)) continue;
        json_object_set_new(doc, al->id, al_alert_json(a, al, names));
    }
    return doc;
}

int alerts_filter_from_name(const char *s)
{
    static const char *const names[] = {"all",      "firing",    "pending", "resolved",
                                        "silenced", "inhibited", "active"};
    for (int i = 0; s && i < (int)(sizeof names / sizeof names[0]); i++)
        if (strcmp(s, names[i]) == 0) return i;
    return -1;
}

static bool passes(const alert *al, int filter)
{
    switch (filter) {
    case ALERTS_ALL:
        return true;
    case ALERTS_FIRING:
        return al->state == AL_FIRING && !al->silenced && !al->inhibited;
    case ALERTS_PENDING:
        return al->state == AL_PENDING;
    case ALERTS_RESOLVED:
        return al->state == AL_RESOLVED;
    case ALERTS_SILENCED:
        return al->state == AL_FIRING && al->silenced;
    case ALERTS_INHIBITED:
        return al->state == AL_FIRING && al->inhibited;
    case ALERTS_ACTIVE:
        return al->state == AL_FIRING;
    default:
        return false;
    }
}

json_t *alerts_list(alerts_t *a, int filter, const bool *halls, bool names)
{
    json_t *arr = json_array();
    for (int i = 0; arr && i < a->n; i++)
        if (al_visible(a->v[i], halls) && passes(a->v[i], filter))
            json_array_append_new(arr, al_alert_json(a, a->v[i], names));
    return arr;
}

json_t *alerts_get(alerts_t *a, const char *id, const bool *halls, bool names)
{
    alert *al = id ? al_find(a, id) : NULL;
    return al && al_visible(al, halls) ? al_alert_json(a, al, names) : NULL;
}

int alerts_ack(alerts_t *a, const char *id, const char *user, const char *note, const bool *halls,
               json_t **out)
{
    alert *al = id ? al_find(a, id) : NULL;
    if (!al || !al_visible(al, halls)) return 404;
    if (al->state == AL_RESOLVED) return 409;
    a->now_ms = state_now(a->hub->state);
    al_replace_str(&al->ack_by, user);
    al_replace_str(&al->ack_note, note && *note ? note : NULL);
    al->ack_ms = a->now_ms;
    al_persist(a, al, "ack", user, note);
    a->ver++;
    al_hall_statuses(a); /* an acknowledged case no longer colours its hall */
    *out = al_alert_json(a, al, true);
    return 200;
}

int64_t alerts_next_operator_seq(alerts_t *a, int hall)
{
    if (hall < 0 || hall >= a->hub->cfg->nhalls) return 1;
    const char *id = a->hub->cfg->halls[hall].id;
    al_opseq *o = NULL;
    for (int i = 0; i < a->nops && !o; i++)
        if (strcmp(a->ops[i].hall, id) == 0) o = &a->ops[i];
    if (!o) {
        al_opseq *n = realloc(a->ops, (size_t)(a->nops + 1) * sizeof *n);
        if (!n) return 1;
        a->ops = n;
        o = &n[a->nops];
        if (!(o->hall = cw_xstrdup(id))) return 1;
        o->seq = 0;
        a->nops++;
        sqlite3_stmt *st;
        if (a->hub->store && sqlite3_prepare_v2(store_reader(a->hub->store),
                                                "SELECT hwm FROM feeds WHERE hall = ? AND feed = ?",
                                                -1, &st, NULL) == SQLITE_OK) {
            sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
            sqlite3_bind_text(st, 2, hub_operator_feed(a->hub), -1, SQLITE_STATIC);
            if (sqlite3_step(st) == SQLITE_ROW) o->seq = sqlite3_column_int64(st, 0);
            sqlite3_finalize(st);
        }
    }
    return ++o->seq;
}

void alerts_get_stats(alerts_t *a, alerts_stats *out)
{
    *out = a->stats;
    out->outbox_oldest_age_ms = -1;
    if (a->notify) {
        notify_stats ns;
        notify_get_stats(a->notify, &ns);
        if (ns.oldest_unsent_ms >= 0)
            out->outbox_oldest_age_ms = cwt_real_ms() - ns.oldest_unsent_ms;
        out->webhook_sent = ns.sent;
        out->webhook_failures = ns.failures;
    }
}
