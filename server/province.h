/* province: the `province` topic of a province hub -- KPIs per city and province-wide, from
 * the state of every city's halls (the province hub applies every city's log, sourced over
 * their leaf links; docs/cluster.md).
 *
 * Thread: service thread.
 */
#ifndef CW_PROVINCE_H
#define CW_PROVINCE_H

#include <jansson.h>

#include "hub.h"

/* {"name", "day", "kpi": {...province-wide},
 *  "cities": {"<id>": {"name", "halls" (how many), "hall_ids": [...], "kpi"}}};
 * NULL when the config has no `province` section. A new reference. */
json_t *province_doc(hub_t *hub);

#endif
