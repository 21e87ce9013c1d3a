/* rest_alerts: the REST endpoints of alerting and bad-review cases (SPEC §7): GET /alerts,
 * POST /alerts/{id}/ack, GET|POST|DELETE /silences, GET /reviews, GET /cases,
 * POST /cases/{review}. Route handlers for rest.c's table; each fills the response and
 * returns 0.
 *
 * Roles: admin and city accounts act on every hall, hall accounts on their halls only; wall
 * tokens read (alerts, silences, reviews and cases, without staff names or comments) and act on
 * nothing; hall tokens nothing. Every operator action is audited.
 */
#ifndef CW_REST_ALERTS_H
#define CW_REST_ALERTS_H

#include "rest.h"

int rest_alerts_list(http_req *rq, http_resp *rs, const char *arg);
int rest_alerts_one(http_req *rq, http_resp *rs, const char *id);
int rest_alerts_ack(http_req *rq, http_resp *rs, const char *id);
int rest_silences_list(http_req *rq, http_resp *rs, const char *arg);
int rest_silences_add(http_req *rq, http_resp *rs, const char *arg);
int rest_silences_expire(http_req *rq, http_resp *rs, const char *id);
int rest_reviews(http_req *rq, http_resp *rs, const char *arg);
int rest_cases(http_req *rq, http_resp *rs, const char *arg);
int rest_case_move(http_req *rq, http_resp *rs, const char *review);

#endif
