/* province: the province topic's document. See province.h. */
#include "province.h"

#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

json_t *province_doc(hub_t *hub)
{
    const cfg_t *cfg = hub->cfg;
    const cfg_province *p = &cfg->province;
    if (!p->name) return NULL;
    state_view all = {.halls = NULL, .names = false, .urls = false};
    json_t *whole = state_city(hub->state, &all);
    json_t *doc =
        json_pack("{s:s,s:O,s:O,s:o}", "name", p->name, "day", json_object_get(whole, "day"), "kpi",
                  json_object_get(whole, "kpi"), "cities", json_object());
    json_decref(whole);
    json_t *cities = json_object_get(doc, "cities");
    bool *mask = cw_xcalloc(cfg->nhalls ? (size_t)cfg->nhalls : 1, sizeof *mask);
    for (int i = 0; i < p->ncities; i++) {
        const cfg_city_ref *c = &p->cities[i];
        memset(mask, 0, sizeof *mask * (size_t)cfg->nhalls);
        for (int k = 0; k < c->nhalls; k++)
            mask[c->halls[k]] = true;
        state_view v = {.halls = mask, .names = false, .urls = false};
        json_t *cd = state_city(hub->state, &v); /* the city's halls only: its sums */
        json_t *ids = json_array(); /* for the drill-down: the `city` topic has each hall */
        for (int k = 0; k < c->nhalls; k++)
            json_array_append_new(ids, json_string(cfg->halls[c->halls[k]].id));
        json_object_set_new(cities, c->id,
                            json_pack("{s:s,s:i,s:o,s:O}", "name", c->name, "halls", c->nhalls,
                                      "hall_ids", ids, "kpi", json_object_get(cd, "kpi")));
        json_decref(cd);
    }
    free(mask);
    return doc;
}
