/* rest_walls: GET /api/v1/walls and the operator's wall commands (上墙, SPEC §7): show a hall,
 * camera or scene (optionally pinned), unpin, pause/resume the tour. admin and city accounts
 * only (hall accounts and wall tokens get 403); every command is audited (wallctl records).
 * Thread: service thread. */
#ifndef CW_REST_WALLS_H
#define CW_REST_WALLS_H

#include "http_util.h"

int rest_walls_list(http_req *rq, http_resp *rs, const char *arg);
int rest_wall_show(http_req *rq, http_resp *rs, const char *id);
int rest_wall_unpin(http_req *rq, http_resp *rs, const char *id);
int rest_wall_tour(http_req *rq, http_resp *rs, const char *id);

#endif
