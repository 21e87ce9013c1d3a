/* metrics: the hub's Prometheus text (GET /metrics, SPEC §7): counters, gauges and latency
 * histograms from hub_t's metrics and every module's statistics. Service thread. */
#ifndef CW_METRICS_H
#define CW_METRICS_H

#include <stddef.h>

#include "hub.h"

/* The whole exposition, malloc'd (caller frees); *len gets its length. */
char *metrics_render(hub_t *hub, size_t *len);

#endif
