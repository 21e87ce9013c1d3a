/* wallctl: each configured wall's state, decided in the hub; see wallctl.h. */
#include "wallctl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alerts.h"
#include "cwtime.h"
#include "wallctl_internal.h"
#include "xalloc.h"

/* ---- records -------------------------------------------------------------------------------- */

void wallctl_record(wallctl_t *w, wall_st *s, const char *action, const char *who, const char *what,
                    const char *why)
{
    wall_rec *r = &s->log[s->log_head];
    s->log_head = (s->log_head + 1) % WALLCTL_LOG;
    if (s->nlog < WALLCTL_LOG) s->nlog++;
    r->at_ms = cwt_real_ms();
    snprintf(r->action, sizeof r->action, "%s", action);
    snprintf(r->who, sizeof r->who, "%s", who);
    snprintf(r->what, sizeof r->what, "%s", what);
    snprintf(r->why, sizeof r->why, "%s", why);
    char detail[512];
    snprintf(detail, sizeof detail, "wall %s: %s %s (%s)", s->id, action, what, why);
    char act[32];
    snprintf(act, sizeof act, "wall.%s", action);
    hub_audit(w->hub, who, act, detail);
    fprintf(stderr, "citywall-hub: wall %s: %s %s by %s (%s)\n", s->id, action, what, who, why);
}

/* ---- pins ----------------------------------------------------------------------------------- */

wall_pin *wallctl_find_pin(wall_st *s, const char *id)
{
    for (int i = 0; i < s->npins; i++)
        if (!strcmp(s->pins[i].id, id)) return &s->pins[i];
    return NULL;
}

wall_pin *wallctl_add_pin(wall_st *s, const char *id)
{
    if (s->npins == WALLCTL_MAX_PINS) return NULL;
    wall_pin *p = &s->pins[s->npins++];
    memset(p, 0, sizeof *p);
    snprintf(p->id, sizeof p->id, "%s", id);
    p->hall = -1;
    p->since_ms = cwt_real_ms();
    return p;
}

void wallctl_drop_pin(wall_st *s, int i)
{
    memmove(&s->pins[i], &s->pins[i + 1], sizeof(wall_pin) * (size_t)(s->npins - i - 1));
    s->npins--;
}

/* Rules whose P1/P2 alerts pull their hall forward. */
static bool rule_pins(const char *rule)
{
    static const char *const r[] = {"R1", "R2",  "R3",  "R4",  "R6",  "R7", "R8",
                                    "R9", "R10", "R12", "R14", "R15", NULL};
    for (int i = 0; rule && r[i]; i++)
        if (!strcmp(rule, r[i])) return true;
    return false;
}

static bool queue_rule(const char *rule)
{
    return !strcmp(rule, "R1") || !strcmp(rule, "R2") || !strcmp(rule, "R3") || !strcmp(rule, "R4");
}

/* The hall's camera of area `area` (enum cfg_area), else its first; "" when it has none. */
static const char *hall_camera(const cfg_hall *h, int area)
{
    for (int i = 0; i < h->ncameras; i++)
        if (h->cameras[i].area == area) return h->cameras[i].id;
    return h->ncameras ? h->cameras[0].id : "";
}

const char *wallctl_best_camera(const cfg_hall *h)
{
    return hall_camera(h, CFG_AREA_WAITING);
}

/* The camera that best shows an alert: its camera; its window's (the scope's, else the
 * evidence's: a review names its window there); the waiting area for queue rules; the entrance
 * for a silent hall (the wall shows its last picture and its age). */
static const char *alert_camera(const cfg_hall *h, const char *rule, json_t *al)
{
    json_t *scope = json_object_get(al, "scope");
    const char *cam = json_string_value(json_object_get(scope, "camera"));
    if (cam && cfg_camera_index(h, cam) >= 0) return cam;
    const char *win = json_string_value(json_object_get(scope, "window"));
    if (!win) win = json_string_value(json_object_get(json_object_get(al, "evidence"), "window"));
    int wi = win ? cfg_window_index(h, win) : -1;
    if (wi >= 0 && h->windows[wi].ncameras) return h->cameras[h->windows[wi].cameras[0]].id;
    if (wi >= 0) return hall_camera(h, CFG_AREA_WINDOW);
    if (queue_rule(rule)) return hall_camera(h, CFG_AREA_WAITING);
    if (!strcmp(rule, "R15")) return hall_camera(h, CFG_AREA_ENTRANCE);
    return hall_camera(h, CFG_AREA_WAITING);
}

/* One firing alert as a pin of wall s (new or updated). */
static void alert_pin(wallctl_t *w, wall_st *s, json_t *al, int64_t now)
{
    const cfg_t *cfg = w->hub->cfg;
    const char *id = json_string_value(json_object_get(al, "id"));
    const char *rule = json_string_value(json_object_get(al, "rule"));
    const char *sev = json_string_value(json_object_get(al, "severity"));
    int hall = cfg_hall_index(cfg, json_string_value(json_object_get(al, "hall")));
    if (!id || !rule_pins(rule) || !sev || (strcmp(sev, "P1") && strcmp(sev, "P2")) || hall < 0)
        return;
    char pid[WALLCTL_ID];
    snprintf(pid, sizeof pid, "alert:%s", id);
    int prio = sev[1] - '0';
    wall_pin *p = wallctl_find_pin(s, pid);
    if (p) {
        p->seen = true;
        if (p->cleared_ms) { /* fired again within the grace period */
            p->cleared_ms = 0;
            s->version++;
        }
        if (p->prio != prio) {
            p->prio = prio;
            s->version++;
        }
        return;
    }
    if (!(p = wallctl_add_pin(s, pid))) return;
    p->seen = true;
    p->kind = PIN_ALERT;
    p->prio = prio;
    wallctl_pin_hall(p, cfg, hall);
    const cfg_hall *h = &cfg->halls[hall];
    snprintf(p->camera, sizeof p->camera, "%s", alert_camera(h, rule, al));
    snprintf(p->alert, sizeof p->alert, "%s", id);
    snprintf(p->rule, sizeof p->rule, "%s", rule);
    const char *zh = json_string_value(json_object_get(json_object_get(al, "title"), "zh"));
    snprintf(p->title, sizeof p->title, "%s", zh ? zh : rule);
    const char *st = json_string_value(json_object_get(al, "started"));
    snprintf(p->started, sizeof p->started, "%s", st ? st : "");
    snprintf(p->by, sizeof p->by, "alert %s", rule);
    p->since_ms = now;
    s->version++;
    char what[160], why[160];
    snprintf(what, sizeof what, "%s %s", h->id, p->camera);
    snprintf(why, sizeof why, "%s %s %s (%s)", sev, rule, p->title, id);
    wallctl_record(w, s, "pin", p->by, what, why);
}

/* The firing alerts to pins: new ones pinned, gone ones cleared (the grace period starts). */
static void reconcile(wallctl_t *w, wall_st *s, json_t *firing, int64_t now)
{
    for (int i = 0; i < s->npins; i++)
        s->pins[i].seen = false;
    size_t k;
    json_t *al;
    json_array_foreach(firing, k, al) alert_pin(w, s, al, now);
    for (int i = 0; i < s->npins; i++) {
        wall_pin *p = &s->pins[i];
        if (p->kind != PIN_ALERT || p->seen || p->cleared_ms) continue;
        p->cleared_ms = now;
        s->version++;
        char what[160];
        snprintf(what, sizeof what, "%s", w->hub->cfg->halls[p->hall].id);
        wallctl_record(w, s, "clear", p->by, what, "the alert resolved (· 已恢复)");
    }
}

/* Pins whose time is over: cleared alerts after the grace period, shows after show_s, dismissed
 * alert pins once their alert is gone. */
static void expire(wallctl_t *w, wall_st *s, const cfg_wall *cw, int64_t now)
{
    for (int i = 0; i < s->npins; i++) {
        wall_pin *p = &s->pins[i];
        const char *why = NULL;
        if (p->kind == PIN_ALERT && p->cleared_ms && now >= p->cleared_ms + cw->grace_s * 1000LL)
            why = "grace period over after the alert cleared";
        else if (p->kind == PIN_OPERATOR && p->until_ms && now >= p->until_ms)
            why = "the operator's show ended";
        if (!why) continue;
        char what[160];
        snprintf(what, sizeof what, "%s %s", p->hall >= 0 ? w->hub->cfg->halls[p->hall].id : "",
                 p->camera);
        if (!p->dismissed) wallctl_record(w, s, "release", p->by, what, why);
        wallctl_drop_pin(s, i--);
        s->version++;
    }
}

/* The hero: the best class present (operator 0, P1, P2); within it, rotation every pin_s. */
static void choose_hero(wall_st *s, const cfg_wall *cw, int64_t now)
{
    int best = 99;
    for (int i = 0; i < s->npins; i++)
        if (!s->pins[i].dismissed && s->pins[i].prio < best) best = s->pins[i].prio;
    int cur = -1, first = -1, n = 0;
    for (int i = 0; i < s->npins; i++) {
        if (s->pins[i].dismissed || s->pins[i].prio != best) continue;
        if (first < 0) first = i;
        if (!strcmp(s->pins[i].id, s->hero_id)) cur = i;
        n++;
    }
    int pick = first;
    if (cur >= 0) {
        pick = cur;
        if (n > 1 && now - s->hero_since_ms >= cw->pin_s * 1000LL) {
            for (int k = 1; k <= s->npins; k++) { /* the next of the class, wrapping */
                int j = (cur + k) % s->npins;
                if (!s->pins[j].dismissed && s->pins[j].prio == best) {
                    pick = j;
                    break;
                }
            }
        }
    }
    const char *id = pick >= 0 ? s->pins[pick].id : "";
    if (strcmp(id, s->hero_id) != 0 ||
        (pick == cur && pick >= 0 && n > 1 && now - s->hero_since_ms >= cw->pin_s * 1000LL)) {
        snprintf(s->hero_id, sizeof s->hero_id, "%s", id);
        s->hero_since_ms = now;
        s->version++;
    }
}

/* The scene: an operator's (for show_s), else the first schedule entry matching the business
 * day (working day or not, 调休 included: cfg_is_workday) and minute, else the wall's playlist,
 * else the first scene. A playlist (an entry's or the wall's) moves on every dwell_s. */
static void scene_advance(wallctl_t *w, wall_st *s, const cfg_wall *cw, int64_t now)
{
    if (s->scene_until_ms && now < s->scene_until_ms) return;
    if (s->scene_until_ms) { /* the operator's scene ended: the schedule again */
        s->scene_until_ms = 0;
        s->sched = -2;
    }
    cwt_local lt;
    cwt_to_local(hub_now(w->hub), &lt);
    bool work = cfg_is_workday(w->hub->cfg, lt.date, lt.weekday);
    int e = -1;
    for (int k = 0; k < cw->nsched && e < 0; k++) {
        const cfg_wall_sched *sc = &cw->sched[k];
        bool day = sc->days == CFG_WALL_ALL_DAYS || (sc->days == CFG_WALL_WORKDAYS) == work;
        if (day && lt.minute >= sc->from_min && lt.minute < sc->to_min) e = k;
    }
    const cfg_wall_item *items = e >= 0 ? cw->sched[e].items : cw->playlist;
    int n = e >= 0 ? cw->sched[e].nitems : cw->nplaylist;
    const char *by = e >= 0 ? "schedule" : n ? "playlist" : "default";
    if (e != s->sched) {
        s->sched = e;
        s->pl_pos = 0;
        s->pl_next_ms = n ? now + items[0].dwell_s * 1000LL : 0;
    } else if (n > 1 && now >= s->pl_next_ms) {
        s->pl_pos = (s->pl_pos + 1) % n;
        s->pl_next_ms = now + items[s->pl_pos].dwell_s * 1000LL;
    }
    int scene = n ? items[s->pl_pos % n].scene : 0;
    if (scene == s->scene && !strcmp(by, s->scene_by)) return;
    bool record = scene != s->scene && e >= 0; /* schedule switches; rotation is not recorded */
    s->scene = scene;
    snprintf(s->scene_by, sizeof s->scene_by, "%s", by);
    s->version++;
    if (record) {
        char why[96];
        snprintf(why, sizeof why, "schedule entry %d (%s)", e + 1,
                 cw->sched[e].days == CFG_WALL_WORKDAYS  ? "working day"
                 : cw->sched[e].days == CFG_WALL_OFFDAYS ? "day off"
                                                         : "every day");
        wallctl_record(w, s, "scene", "schedule", cw->scenes[scene], why);
    }
}

static void tour_advance(wall_st *s, const cfg_wall *cw, int64_t now)
{
    int64_t dwell = cw->tour_s * 1000LL;
    if (s->paused) return;
    if (!s->next_ms) s->next_ms = now + dwell;
    if (now < s->next_ms) return;
    int64_t k = (now - s->next_ms) / dwell + 1;
    s->step += k;
    s->next_ms += k * dwell;
    s->version++;
}

void wallctl_tick(wallctl_t *w)
{
    const cfg_t *cfg = w->hub->cfg;
    if (!cfg->nwalls) return;
    int64_t now = cwt_real_ms();
    json_t *firing = NULL;
    uint64_t av = w->hub->alerts ? alerts_version(w->hub->alerts) : 0;
    if (w->hub->alerts && (av != w->alerts_version || !w->alerts_seen)) {
        firing = alerts_list(w->hub->alerts, ALERTS_FIRING, NULL, false);
        w->alerts_version = av;
        w->alerts_seen = true;
    }
    for (int i = 0; i < w->n && i < cfg->nwalls; i++) {
        wall_st *s = &w->v[i];
        if (firing) reconcile(w, s, firing, now);
        expire(w, s, &cfg->walls[i], now);
        choose_hero(s, &cfg->walls[i], now);
        scene_advance(w, s, &cfg->walls[i], now);
        tour_advance(s, &cfg->walls[i], now);
    }
    json_decref(firing);
}

/* ---- life ----------------------------------------------------------------------------------- */

static void wall_init(wall_st *s, const cfg_wall *cw)
{
    memset(s, 0, sizeof *s);
    snprintf(s->id, sizeof s->id, "%s", cw->id);
    s->version = 1;
    s->sched = -2;
}

wallctl_t *wallctl_create(hub_t *hub)
{
    wallctl_t *w = cw_xcalloc(1, sizeof *w);
    if (!w) return NULL;
    w->hub = hub;
    wallctl_reconfigure(w);
    return w;
}

void wallctl_destroy(wallctl_t *w)
{
    if (!w) return;
    free(w->v);
    free(w);
}

void wallctl_reconfigure(wallctl_t *w)
{
    const cfg_t *cfg = w->hub->cfg;
    wall_st *nv = cw_xcalloc(cfg->nwalls ? (size_t)cfg->nwalls : 1, sizeof *nv);
    if (!nv) return;
    for (int i = 0; i < cfg->nwalls; i++) {
        const wall_st *old = NULL;
        for (int k = 0; k < w->n; k++)
            if (!strcmp(w->v[k].id, cfg->walls[i].id)) old = &w->v[k];
        if (old) {
            nv[i] = *old;
            /* hall indexes may have moved: pins of halls that are gone are dropped */
            for (int p = 0; p < nv[i].npins; p++) {
                wall_pin *pin = &nv[i].pins[p];
                pin->hall = pin->hall_id[0] ? cfg_hall_index(cfg, pin->hall_id) : -1;
                if (pin->hall < 0) wallctl_drop_pin(&nv[i], p--);
            }
            if (nv[i].scene >= cfg->walls[i].nscenes) nv[i].scene = 0;
            nv[i].sched = -2; /* the schedule may have changed: decided again */
            nv[i].version++;
        } else {
            wall_init(&nv[i], &cfg->walls[i]);
        }
    }
    free(w->v);
    w->v = nv;
    w->n = cfg->nwalls;
    w->alerts_seen = false;
}

uint64_t wallctl_version(const wallctl_t *w, int i)
{
    return i >= 0 && i < w->n ? w->v[i].version : 0;
}
