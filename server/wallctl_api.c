/* wallctl_api: the wall/<id> document, GET /api/v1/walls and the operator's commands (上墙);
 * see wallctl.h. Thread: service thread. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cwtime.h"
#include "wallctl_internal.h"

static const char *const kind_names[] = {"operator", "alert"};

static json_t *pin_json(const cfg_t *cfg, const wall_pin *p)
{
    json_t *o = json_pack("{s:s,s:s,s:s,s:s,s:I,s:b,s:s}", "id", p->id, "reason",
                          kind_names[p->kind], "hall", p->hall_id, "by", p->by, "since_ms",
                          (json_int_t)p->since_ms, "cleared", p->cleared_ms != 0, "priority",
                          p->kind == PIN_OPERATOR ? "operator"
                          : p->prio == 1          ? "P1"
                                                  : "P2");
    if (p->hall >= 0 && p->hall < cfg->nhalls)
        json_object_set_new(o, "hall_name", json_string(cfg->halls[p->hall].name));
    if (p->camera[0]) json_object_set_new(o, "camera", json_string(p->camera));
    if (p->kind == PIN_ALERT) {
        json_object_set_new(o, "alert", json_string(p->alert));
        json_object_set_new(o, "rule", json_string(p->rule));
        json_object_set_new(o, "severity", json_string(p->prio == 1 ? "P1" : "P2"));
        json_object_set_new(o, "title", json_string(p->title));
        if (p->started[0]) json_object_set_new(o, "started", json_string(p->started));
    }
    if (p->cleared_ms) json_object_set_new(o, "cleared_ms", json_integer(p->cleared_ms));
    if (p->until_ms) json_object_set_new(o, "until_ms", json_integer(p->until_ms));
    if (p->dismissed) json_object_set_new(o, "dismissed", json_true());
    return o;
}

json_t *wallctl_doc(wallctl_t *w, int i)
{
    const cfg_t *cfg = w->hub->cfg;
    if (i < 0 || i >= w->n || i >= cfg->nwalls) return json_object();
    const wall_st *s = &w->v[i];
    const cfg_wall *cw = &cfg->walls[i];
    json_t *scenes = json_array();
    for (int k = 0; k < cw->nscenes; k++)
        json_array_append_new(scenes, json_string(cw->scenes[k]));
    json_t *tour = json_pack("{s:I,s:b,s:i}", "step", (json_int_t)s->step, "paused", s->paused,
                             "dwell_s", cw->tour_s);
    if (!s->paused && s->next_ms) json_object_set_new(tour, "next_ms", json_integer(s->next_ms));
    json_t *pins = json_array();
    json_t *hero = NULL;
    for (int k = 0; k < s->npins; k++) {
        json_t *pj = pin_json(cfg, &s->pins[k]);
        if (!strcmp(s->pins[k].id, s->hero_id)) {
            hero = json_deep_copy(pj);
            json_object_set_new(hero, "hero_since_ms", json_integer(s->hero_since_ms));
        }
        json_array_append_new(pins, pj);
    }
    json_t *o = json_pack("{s:s,s:s,s:s,s:s,s:o,s:o,s:o}", "id", cw->id, "name",
                          cw->name ? cw->name : cw->id, "scene", cw->scenes[s->scene], "scene_by",
                          s->scene_by[0] ? s->scene_by : "default", "scenes", scenes, "tour", tour,
                          "pins", pins);
    if (s->scene_until_ms)
        json_object_set_new(o, "scene_until_ms", json_integer(s->scene_until_ms));
    if (hero) json_object_set_new(o, "hero", hero);
    return o;
}

/* The live client (from live_clients_json) showing wall `id` at host h's viewport, or NULL. */
static json_t *host_client(json_t *clients, const char *id, const cfg_wall_host *h)
{
    char topic[96], vp[64];
    snprintf(topic, sizeof topic, "wall/%s", id);
    snprintf(vp, sizeof vp, "%d,%d,%d,%d", h->x, h->y, h->w, h->h);
    size_t i;
    json_t *c;
    json_array_foreach(clients, i, c)
    {
        const char *cv = json_string_value(json_object_get(c, "viewport"));
        if (!cv || strcmp(cv, vp)) continue;
        size_t k;
        json_t *t;
        json_array_foreach(json_object_get(c, "topics"), k, t)
        {
            const char *tn = json_string_value(json_object_get(t, "topic"));
            if (tn && !strcmp(tn, topic)) return c;
        }
    }
    return NULL;
}

static json_t *log_json(const wall_st *s)
{
    json_t *a = json_array();
    char buf[40];
    for (int k = 0; k < s->nlog; k++) { /* newest first */
        const wall_rec *r = &s->log[(s->log_head - 1 - k + 2 * WALLCTL_LOG) % WALLCTL_LOG];
        json_array_append_new(a, json_pack("{s:s,s:I,s:s,s:s,s:s,s:s}", "at",
                                           cwt_format_local(r->at_ms, buf), "at_ms",
                                           (json_int_t)r->at_ms, "action", r->action, "who", r->who,
                                           "what", r->what, "why", r->why));
    }
    return a;
}

json_t *wallctl_list(wallctl_t *w, json_t *clients)
{
    const cfg_t *cfg = w->hub->cfg;
    json_t *arr = json_array();
    for (int i = 0; i < w->n && i < cfg->nwalls; i++) {
        const cfg_wall *cw = &cfg->walls[i];
        json_t *o = wallctl_doc(w, i);
        if (cw->layout) json_object_set_new(o, "layout", json_string(cw->layout));
        json_t *hosts = json_array();
        for (int k = 0; k < cw->nhosts; k++) {
            const cfg_wall_host *h = &cw->hosts[k];
            json_t *ho =
                json_pack("{s:s,s:[iiii]}", "id", h->id, "viewport", h->x, h->y, h->w, h->h);
            json_t *c = host_client(clients, cw->id, h);
            json_object_set_new(ho, "connected", json_boolean(c != NULL));
            if (c) {
                json_t *rep = json_deep_copy(c);
                json_object_del(rep, "topics");
                json_object_set_new(ho, "report", rep);
            }
            json_array_append_new(hosts, ho);
        }
        json_object_set_new(o, "hosts", hosts);
        json_object_set_new(o, "log", log_json(&w->v[i]));
        json_array_append_new(arr, o);
    }
    return arr;
}

/* ---- commands ------------------------------------------------------------------------------- */

static int fail(char *err, size_t n, const char *msg)
{
    snprintf(err, n, "%s", msg);
    return 400;
}

/* The hall (index) and camera named by a camera id, or -1. */
static int camera_hall(const cfg_t *cfg, const char *cam)
{
    for (int h = 0; h < cfg->nhalls; h++)
        if (cfg_camera_index(&cfg->halls[h], cam) >= 0) return h;
    return -1;
}

static int show_scene(wallctl_t *w, wall_st *s, const cfg_wall *cw, const char *scene,
                      const char *user, char *err, size_t errn)
{
    for (int k = 0; k < cw->nscenes; k++)
        if (!strcmp(cw->scenes[k], scene)) {
            s->scene = k;
            s->scene_until_ms = cwt_real_ms() + cw->show_s * 1000LL;
            snprintf(s->scene_by, sizeof s->scene_by, "operator");
            s->version++;
            wallctl_record(w, s, "scene", user, scene, "operator command");
            return 200;
        }
    snprintf(err, errn, "show: unknown scene '%s' (this wall has:", scene);
    for (int k = 0; k < cw->nscenes; k++) {
        size_t o = strlen(err);
        snprintf(err + o, errn - o, " %s", cw->scenes[k]);
    }
    size_t o = strlen(err);
    snprintf(err + o, errn - o, ")");
    return 400;
}

int wallctl_show(wallctl_t *w, int i, json_t *body, const char *user, json_t **out, char *err,
                 size_t errn)
{
    const cfg_t *cfg = w->hub->cfg;
    wall_st *s = &w->v[i];
    const cfg_wall *cw = &cfg->walls[i];
    const char *hall = json_string_value(json_object_get(body, "hall"));
    const char *cam = json_string_value(json_object_get(body, "camera"));
    const char *scene = json_string_value(json_object_get(body, "scene"));
    json_t *pin = json_object_get(body, "pin");
    if (!json_is_object(body))
        return fail(err, errn, "show: body must be a JSON object with one of hall, camera, scene");
    if ((hall != NULL) + (cam != NULL) + (scene != NULL) != 1)
        return fail(err, errn,
                    "show: give exactly one of \"hall\", \"camera\" or \"scene\" (a string)");
    if (pin && !json_is_boolean(pin)) return fail(err, errn, "show: pin must be true or false");
    int rc = 200;
    if (scene) {
        rc = show_scene(w, s, cw, scene, user, err, errn);
    } else {
        int h = hall ? cfg_hall_index(cfg, hall) : camera_hall(cfg, cam);
        if (h < 0) {
            snprintf(err, errn, "show: unknown %s '%s'", hall ? "hall" : "camera",
                     hall ? hall : cam);
            return 400;
        }
        wall_pin *p = wallctl_find_pin(s, "operator");
        if (!p && !(p = wallctl_add_pin(s, "operator")))
            return fail(err, errn, "show: too many pins");
        p->kind = PIN_OPERATOR;
        p->prio = 0;
        p->since_ms = cwt_real_ms();
        wallctl_pin_hall(p, cfg, h);
        snprintf(p->camera, sizeof p->camera, "%s",
                 cam ? cam : wallctl_best_camera(&cfg->halls[h]));
        snprintf(p->by, sizeof p->by, "%s", user);
        p->until_ms = json_is_true(pin) ? 0 : p->since_ms + cw->show_s * 1000LL;
        /* the operator's choice takes the slot now, not after the current pin's dwell */
        snprintf(s->hero_id, sizeof s->hero_id, "operator");
        s->hero_since_ms = p->since_ms;
        s->version++;
        char what[160], why[64];
        snprintf(what, sizeof what, "%s %s", cfg->halls[h].id, p->camera);
        snprintf(why, sizeof why, json_is_true(pin) ? "operator pin" : "operator show for %d s",
                 cw->show_s);
        wallctl_record(w, s, json_is_true(pin) ? "pin" : "show", user, what, why);
    }
    if (rc == 200) *out = wallctl_doc(w, i);
    return rc;
}

int wallctl_unpin(wallctl_t *w, int i, json_t *body, const char *user, json_t **out, char *err,
                  size_t errn)
{
    const cfg_t *cfg = w->hub->cfg;
    wall_st *s = &w->v[i];
    const char *hall = body ? json_string_value(json_object_get(body, "hall")) : NULL;
    if (body && !json_is_object(body))
        return fail(err, errn, "unpin: body must be empty or {\"hall\": id}");
    int h = hall ? cfg_hall_index(cfg, hall) : -1;
    if (hall && h < 0) {
        snprintf(err, errn, "unpin: unknown hall '%s'", hall);
        return 400;
    }
    for (int k = 0; k < s->npins; k++) {
        wall_pin *p = &s->pins[k];
        if (p->kind == PIN_OPERATOR && (!hall || p->hall == h)) {
            char what[160];
            snprintf(what, sizeof what, "%s %s", p->hall_id, p->camera);
            wallctl_record(w, s, "unpin", user, what, "operator command");
            wallctl_drop_pin(s, k--);
        } else if (p->kind == PIN_ALERT && hall && p->hall == h && !p->dismissed) {
            p->dismissed = true; /* kept so that the still-firing alert does not pin again */
            wallctl_record(w, s, "unpin", user, p->hall_id, "operator dismissed the alert pin");
        }
    }
    s->version++;
    *out = wallctl_doc(w, i);
    return 200;
}

int wallctl_tour(wallctl_t *w, int i, json_t *body, const char *user, json_t **out, char *err,
                 size_t errn)
{
    wall_st *s = &w->v[i];
    json_t *p = json_object_get(body, "paused");
    if (!json_is_boolean(p)) return fail(err, errn, "tour: body must be {\"paused\": true|false}");
    bool paused = json_is_true(p);
    if (paused != s->paused) {
        s->paused = paused;
        if (!paused) s->next_ms = cwt_real_ms() + w->hub->cfg->walls[i].tour_s * 1000LL;
        s->version++;
        wallctl_record(w, s, "tour", user, paused ? "paused" : "resumed", "operator command");
    }
    *out = wallctl_doc(w, i);
    return 200;
}

/* ---- /metrics ------------------------------------------------------------------------------- */

/* A label value from a client's own report: only [A-Za-z0-9.,:_-], anything else as '_'. */
static void label(char *out, size_t n, const char *s)
{
    size_t k = 0;
    for (; s && *s && k + 1 < n; s++)
        out[k++] = (strchr(".,:_-", *s) || (*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'z') ||
                    (*s >= 'A' && *s <= 'Z'))
                       ? *s
                       : '_';
    out[k] = 0;
}

char *wallctl_metrics_text(json_t *clients)
{
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    if (!f) return NULL;
    int n = 0;
    size_t i;
    json_t *c;
    json_array_foreach(clients, i, c)
    {
        json_t *p50 = json_object_get(c, "glass_p50_ms"), *p99 = json_object_get(c, "glass_p99_ms");
        if (!json_is_number(p50) || !json_is_number(p99)) continue;
        if (!n++)
            fprintf(f, "# HELP citywall_wall_glass_ms event-to-glass per wall host (ingest ack to "
                       "the presented frame showing it, its last samples), as the host reports "
                       "it\n# TYPE citywall_wall_glass_ms gauge\n");
        char peer[64], vp[64], wall[80];
        label(peer, sizeof peer, json_string_value(json_object_get(c, "peer")));
        label(vp, sizeof vp, json_string_value(json_object_get(c, "viewport")));
        label(wall, sizeof wall, json_string_value(json_object_get(c, "wall")));
        for (int q = 0; q < 2; q++)
            fprintf(f,
                    "citywall_wall_glass_ms{peer=\"%s\",viewport=\"%s\",wall=\"%s\","
                    "quantile=\"%s\"} %.1f\n",
                    peer, vp, wall, q ? "0.99" : "0.5", json_number_value(q ? p99 : p50));
    }
    fclose(f);
    if (!n) {
        free(out);
        return NULL;
    }
    return out;
}
