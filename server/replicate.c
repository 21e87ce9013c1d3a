/* replicate: operator actions through the cluster's log. See replicate.h. */
#include "replicate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alerts.h"
#include "auth.h"
#include "cluster.h"
#include "cwtime.h"

int repl_publish(hub_t *hub, const char *kind, json_t *args)
{
    if (!hub->cluster) {
        json_decref(args);
        return 0;
    }
    char *txt = json_dumps(args, JSON_COMPACT);
    json_decref(args);
    int rc = txt ? cluster_publish_command(hub->cluster, kind, txt, strlen(txt)) : -1;
    free(txt);
    if (rc < 0)
        fprintf(stderr, "citywall-hub: cluster: the %s could not be sent to the other hubs\n",
                kind);
    return rc;
}

/* The closure itself: state and store (every hub keeps its own closures table). */
static void closure_apply(hub_t *hub, int hall, int64_t from_ms, int64_t to_ms, const char *reason,
                          const char *user)
{
    state_add_closure(hub->state, hall, from_ms, to_ms, reason);
    store_job *j = store_job_new_sql("INSERT INTO closures(hall, from_ms, to_ms, reason, user,"
                                     " created_ms) VALUES(?,?,?,?,?,?)");
    store_job_arg_text(j, hub->cfg->halls[hall].id);
    store_job_arg_int(j, from_ms);
    store_job_arg_int(j, to_ms);
    store_job_arg_text(j, reason);
    store_job_arg_text(j, user);
    store_job_arg_int(j, cwt_real_ms());
    hub_store_fire(hub, j);
}

int repl_closure(hub_t *hub, int hall, int64_t from_ms, int64_t to_ms, const char *reason,
                 const char *user)
{
    if (!hub->cluster) {
        closure_apply(hub, hall, from_ms, to_ms, reason, user);
        return 0;
    }
    return repl_publish(hub, "closure",
                        json_pack("{s:s,s:I,s:I,s:s,s:s}", "hall", hub->cfg->halls[hall].id,
                                  "from_ms", (json_int_t)from_ms, "to_ms", (json_int_t)to_ms,
                                  "reason", reason, "user", user));
}

static const char *str(json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));
    return s ? s : "";
}

/* ---- each command, applied on the hubs that read it from the log ------------------------- */

static void apply_closure(hub_t *hub, json_t *o, char *err, size_t errlen)
{
    int h = cfg_hall_index(hub->cfg, str(o, "hall"));
    if (h < 0) {
        snprintf(err, errlen, "unknown hall '%s'", str(o, "hall"));
        return;
    }
    closure_apply(hub, h, json_integer_value(json_object_get(o, "from_ms")),
                  json_integer_value(json_object_get(o, "to_ms")), str(o, "reason"),
                  str(o, "user"));
}

static void apply_session(hub_t *hub, json_t *o, char *err, size_t errlen)
{
    (void)err, (void)errlen;
    auth_session_import(hub->auth, str(o, "hash"), str(o, "user"),
                        json_integer_value(json_object_get(o, "created_ms")));
}

static void apply_session_end(hub_t *hub, json_t *o, char *err, size_t errlen)
{
    (void)err, (void)errlen;
    auth_session_end(hub->auth, str(o, "hash"));
}

static void apply_login_failure(hub_t *hub, json_t *o, char *err, size_t errlen)
{
    (void)err, (void)errlen;
    auth_failure_import(hub->auth, str(o, "user"), str(o, "peer"),
                        (int)json_integer_value(json_object_get(o, "count")),
                        json_integer_value(json_object_get(o, "locked_until_ms")));
}

static void apply_alert_ack(hub_t *hub, json_t *o, char *err, size_t errlen)
{
    json_t *out = NULL;
    const char *note = json_string_value(json_object_get(o, "note"));
    int st = alerts_ack(hub->alerts, str(o, "id"), str(o, "user"), note, NULL, &out);
    if (st != 200 && st != 409) snprintf(err, errlen, "alert %s: %d", str(o, "id"), st);
    json_decref(out);
}

static void apply_silence_add(hub_t *hub, json_t *o, char *err, size_t errlen)
{
    int st = alerts_silence_add_as(hub->alerts, json_object_get(o, "body"), str(o, "user"),
                                   str(o, "id"), err, errlen);
    if (st == 200 || st == 201) err[0] = 0;
}

static void apply_silence_expire(hub_t *hub, json_t *o, char *err, size_t errlen)
{
    json_t *out = NULL;
    int st = alerts_silence_expire(hub->alerts, str(o, "id"), str(o, "user"), NULL, &out);
    if (st != 200) snprintf(err, errlen, "silence %s: %d", str(o, "id"), st);
    json_decref(out);
}

/* Every command kind. at_position: the hub that published it applies it too, when it reads it
 * back from the log (a closure changes the state, which must change at the same position on
 * every hub); the others are applied by the publishing hub when the operator acts. */
static const struct repl_kind {
    const char *kind;
    bool at_position;
    bool needs_alerts;
    void (*apply)(hub_t *hub, json_t *o, char *err, size_t errlen);
} repl_kinds[] = {
    {"closure", true, false, apply_closure},
    {"session", false, false, apply_session},
    {"session_end", false, false, apply_session_end},
    {"login_failure", false, false, apply_login_failure},
    {"alert_ack", false, true, apply_alert_ack},
    {"silence_add", false, true, apply_silence_add},
    {"silence_expire", false, true, apply_silence_expire},
};

void repl_apply(hub_t *hub, const char *kind, const char *data, size_t len, bool mine)
{
    const struct repl_kind *k = NULL;
    for (size_t i = 0; i < sizeof repl_kinds / sizeof repl_kinds[0] && !k; i++)
        if (!strcmp(kind, repl_kinds[i].kind)) k = &repl_kinds[i];
    if (mine && (!k || !k->at_position)) return; /* applied when the operator acted */
    json_t *o = json_loadb(data, len, 0, NULL);
    char err[300] = "";
    if (!k)
        snprintf(err, sizeof err, "unknown command");
    else if (!json_is_object(o))
        snprintf(err, sizeof err, "not a JSON object");
    else if (k->needs_alerts && !hub->alerts)
        snprintf(err, sizeof err, "no alerts module");
    else
        k->apply(hub, o, err, sizeof err);
    if (err[0]) fprintf(stderr, "citywall-hub: cluster: %s command not applied: %s\n", kind, err);
    json_decref(o);
}
