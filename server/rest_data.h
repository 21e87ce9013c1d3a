/* rest_data, rest_recommend, rest_admin: the REST handlers outside rest.c's own (SPEC §7), each
 * `int (http_req *, http_resp *, const char *arg)` as rest.c's routing table calls them.
 *
 * Thread: service thread. */
#ifndef CW_REST_DATA_H
#define CW_REST_DATA_H

#include "http_util.h"

/* pages of GET /events, /quarantine, /audit: rows by default and at most */
#define PAGE_DEFAULT 500
#define PAGE_MAX 5000

/* rest_data.c: GET /history, /events, /quarantine */
int rest_history(http_req *rq, http_resp *rs, const char *arg);
int rest_events(http_req *rq, http_resp *rs, const char *arg);
int rest_quarantine(http_req *rq, http_resp *rs, const char *arg);
/* rest_recommend.c: GET /recommend */
int rest_recommend(http_req *rq, http_resp *rs, const char *arg);
/* rest_admin.c: GET /audit, POST /backup */
int rest_audit(http_req *rq, http_resp *rs, const char *arg);
int rest_backup(http_req *rq, http_resp *rs, const char *arg);

#endif
