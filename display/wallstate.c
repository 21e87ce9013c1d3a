/* wallstate: the wall/<id> document into plain fields; see wallstate.h. */
#include "wallstate.h"

#include <stdio.h>
#include <string.h>

#include "cwtime.h"

static void str(char *out, size_t n, json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    snprintf(out, n, "%s", s ? s : "");
}

void wallstate_parse(wallstate *w, json_t *doc, uint64_t rev)
{
    bool on = w->on;
    char id[sizeof w->id];
    snprintf(id, sizeof id, "%s", w->id);
    memset(w, 0, sizeof *w);
    w->on = on;
    snprintf(w->id, sizeof w->id, "%s", id);
    if (!json_is_object(doc)) return;
    w->known = true;
    w->rev = rev;
    json_t *tour = json_object_get(doc, "tour");
    w->step = json_integer_value(json_object_get(tour, "step"));
    w->next_ms = json_integer_value(json_object_get(tour, "next_ms"));
    w->paused = json_is_true(json_object_get(tour, "paused"));
    str(w->scene, sizeof w->scene, doc, "scene");
    w->npins = (int)json_array_size(json_object_get(doc, "pins"));
    json_t *h = json_object_get(doc, "hero");
    if (!json_is_object(h)) return;
    w->hero = true;
    str(w->hero_id, sizeof w->hero_id, h, "id");
    str(w->hero_hall, sizeof w->hero_hall, h, "hall");
    str(w->hero_camera, sizeof w->hero_camera, h, "camera");
    str(w->hero_reason, sizeof w->hero_reason, h, "reason");
    str(w->hero_title, sizeof w->hero_title, h, "title");
    str(w->hero_sev, sizeof w->hero_sev, h, "severity");
    str(w->hero_by, sizeof w->hero_by, h, "by");
    str(w->hero_rule, sizeof w->hero_rule, h, "rule");
    w->hero_cleared = json_is_true(json_object_get(h, "cleared"));
    const char *st = json_string_value(json_object_get(h, "started"));
    int64_t ms;
    if (st && cwt_parse_rfc3339(st, &ms, NULL) == 0) w->hero_started_ms = ms;
}
