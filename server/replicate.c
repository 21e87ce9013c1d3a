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

void repl_apply(hub_t *hub, const char *kind, const char *data, size_t len, bool mine)
{
    if (mine && strcmp(kind, "closure") != 0) return; /* applied when the operator acted */
    json_t *o = json_loadb(data, len, 0, NULL);
    json_t *out = NULL;
    char err[300] = "";
    int st = 0;
    if (!json_is_object(o)) {
        snprintf(err, sizeof err, "not a JSON object");
    } else if (!strcmp(kind, "closure")) {
        int h = cfg_hall_index(hub->cfg, str(o, "hall"));
        if (h < 0)
            snprintf(err, sizeof err, "unknown hall '%s'", str(o, "hall"));
        else
            closure_apply(hub, h, json_integer_value(json_object_get(o, "from_ms")),
                          json_integer_value(json_object_get(o, "to_ms")), str(o, "reason"),
                          str(o, "user"));
    } else if (!strcmp(kind, "session")) {
        auth_session_import(hub->auth, str(o, "hash"), str(o, "user"),
                            json_integer_value(json_object_get(o, "created_ms")));
    } else if (!strcmp(kind, "session_end")) {
        auth_session_end(hub->auth, str(o, "hash"));
    } else if (!strcmp(kind, "login_failure")) {
        auth_failure_import(hub->auth, str(o, "user"), str(o, "peer"),
                            (int)json_integer_value(json_object_get(o, "count")),
                            json_integer_value(json_object_get(o, "locked_until_ms")));
    } else if (!hub->alerts) {
        snprintf(err, sizeof err, "no alerts module");
    } else if (!strcmp(kind, "alert_ack")) {
        const char *note = json_string_value(json_object_get(o, "note"));
        st = alerts_ack(hub->alerts, str(o, "id"), str(o, "user"), note, NULL, &out);
        if (st != 200 && st != 409) snprintf(err, sizeof err, "alert %s: %d", str(o, "id"), st);
    } else if (!strcmp(kind, "silence_add")) {
        st = alerts_silence_add_as(hub->alerts, json_object_get(o, "body"), str(o, "user"),
                                   str(o, "id"), err, sizeof err);
        if (st == 200 || st == 201) err[0] = 0;
    } else if (!strcmp(kind, "silence_expire")) {
        st = alerts_silence_expire(hub->alerts, str(o, "id"), str(o, "user"), NULL, &out);
        if (st != 200) snprintf(err, sizeof err, "silence %s: %d", str(o, "id"), st);
    } else {
        snprintf(err, sizeof err, "unknown command");
    }
    if (err[0]) fprintf(stderr, "citywall-hub: cluster: %s command not applied: %s\n", kind, err);
    json_decref(out);
    json_decref(o);
}
