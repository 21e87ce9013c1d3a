/* rest: the REST API (SPEC §7) answered on the service thread from the state, the alerts and
 * the store's read connection. rest.c routes; rest_alerts.c holds alerts, silences and cases.
 */
#ifndef CW_REST_H
#define CW_REST_H

#include "http_util.h"

/* May this request read (an account, or a wall token)? Otherwise fills resp with 401/403. */
bool rest_can_read(http_req *rq, http_resp *rs);
/* The configured hall `id` the caller may see: its index, or -1 after answering 404 or 403. */
int rest_hall_arg(http_req *rq, http_resp *rs, const char *id);
/* Query argument `name` as an integer from lo to hi: 1 and *out set, 0 when absent (out
 * untouched), -1 after answering 400 with a message naming the argument. */
int rest_int_arg(http_req *rq, http_resp *rs, const char *name, int64_t lo, int64_t hi,
                 int64_t *out);
/* Handle a request synchronously; returns 0 when resp is filled, else (no such route) -1. */
int rest_handle(http_req *rq, http_resp *resp);
#endif
