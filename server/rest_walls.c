/* rest_walls: the walls API; see rest_walls.h. */
#include "rest_walls.h"

#include <stdio.h>
#include <string.h>

#include "live.h"
#include "rest.h"
#include "wallctl.h"

/* An admin or city account; else 403 (or 401) is answered. */
static bool wall_operator(http_req *rq, http_resp *rs)
{
    if (!rest_can_read(rq, rs)) return false;
    const auth_who *w = &rq->who;
    if (w->kind == AUTH_ACCOUNT && (w->role == CFG_ROLE_ADMIN || w->role == CFG_ROLE_CITY))
        return true;
    http_error(rs, 403, "walls: only admin and city accounts may see and drive the walls");
    return false;
}

/* The wall `id`: its index, or -1 after answering 404 (503 when the module is not running). */
static int wall_arg(http_req *rq, http_resp *rs, const char *id)
{
    if (!rq->hub->wallctl) {
        http_error(rs, 503, "walls: not running");
        return -1;
    }
    int i = cfg_wall_index(rq->hub->cfg, id);
    if (i < 0) http_error(rs, 404, "no such wall: '%s' (see GET /api/v1/walls)", id);
    return i;
}

int rest_walls_list(http_req *rq, http_resp *rs, const char *arg)
{
    (void)arg;
    if (!wall_operator(rq, rs)) return 0;
    if (!rq->hub->wallctl) {
        http_error(rs, 503, "walls: not running");
        return 0;
    }
    json_t *clients = live_clients_json(rq->hub->live, &rq->who);
    json_t *walls = wallctl_list(rq->hub->wallctl, clients);
    json_decref(clients);
    http_json(rs, 200, json_pack("{s:o}", "walls", walls));
    return 0;
}

typedef int (*wall_cmd)(wallctl_t *, int, json_t *, const char *, json_t **, char *, size_t);

static int command(http_req *rq, http_resp *rs, const char *id, wall_cmd fn, bool empty_ok)
{
    if (!wall_operator(rq, rs)) return 0;
    int i = wall_arg(rq, rs, id);
    if (i < 0) return 0;
    json_t *b = NULL;
    if (rq->body_len || !empty_ok) {
        json_error_t e;
        b = json_loadb(rq->body ? rq->body : "", rq->body_len, 0, &e);
        if (!json_is_object(b)) {
            http_error(rs, 400, "body must be a JSON object%s%s", b ? "" : ": ", b ? "" : e.text);
            json_decref(b);
            return 0;
        }
    }
    char err[512] = "";
    json_t *out = NULL;
    int code = fn(rq->hub->wallctl, i, b, rq->who.user, &out, err, sizeof err);
    json_decref(b);
    if (code != 200) {
        http_error(rs, code, "%s", err);
        return 0;
    }
    live_changed(rq->hub->live); /* on the hosts' glass within a tick, not at the next one */
    http_json(rs, 200, json_pack("{s:o}", "wall", out));
    return 0;
}

int rest_wall_show(http_req *rq, http_resp *rs, const char *id)
{
    return command(rq, rs, id, wallctl_show, false);
}

int rest_wall_unpin(http_req *rq, http_resp *rs, const char *id)
{
    return command(rq, rs, id, wallctl_unpin, true);
}

int rest_wall_tour(http_req *rq, http_resp *rs, const char *id)
{
    return command(rq, rs, id, wallctl_tour, false);
}
