/* alert_registry: the bottom of the alerts module -- the registry of alerts sorted by id (find,
 * insert, remove, make, free), rule titles and names, a rule's parameter for an alert, and the
 * store sink every alert file writes through. Calls no other alert file. See alerts.h.
 *
 * Thread: service thread. */
#include "alerts_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

static const char *const titles[CFG_NRULES][2] = {
    [CFG_R1] = {"单号等候超时", "ticket waiting too long"},
    [CFG_R2] = {"超时人数聚集", "many waiting over SLA"},
    [CFG_R3] = {"队列积压", "queue backlog"},
    [CFG_R4] = {"服务水平下降", "service level drop"},
    [CFG_R5] = {"办理超时", "service too long"},
    [CFG_R6] = {"窗口暂停过长", "window paused too long"},
    [CFG_R7] = {"窗口空闲有人等", "idle window while people wait"},
    [CFG_R8] = {"在岗不足", "too few windows staffed"},
    [CFG_R9] = {"过号/重呼异常", "recalls or no-shows unusual"},
    [CFG_R10] = {"差评", "bad review"},
    [CFG_R11] = {"差评整改超期", "bad-review case overdue"},
    [CFG_R12] = {"差评集中", "bad reviews cluster"},
    [CFG_R13] = {"满意度下滑", "satisfaction drop"},
    [CFG_R14] = {"摄像头离线", "camera down"},
    [CFG_R15] = {"数据中断", "hall silent"},
    [CFG_H1] = {"存储异常", "store failing or disk low"},
    [CFG_H2] = {"通知积压", "webhook outbox backlog"},
    [CFG_H3] = {"隔离区增长过快", "quarantine growing fast"},
    [CFG_H4] = {"数据源异常", "feed gaps or clock skew"},
    [CFG_R16] = {"城市数据中断", "city silent"},
};

const char *const al_state_names[3] = {"pending", "firing", "resolved"};

const char *const al_esc_names[CFG_ESC_LEVELS] = {"hall", "city", "leader"};

const char *al_rule_title(int rule, bool zh)
{
    return rule >= 0 && rule < CFG_NRULES ? titles[rule][zh ? 0 : 1] : "?";
}

void al_store(alerts_t *a, store_job *j)
{
    if (!j) return;
    a->sink(a->sink_ud, j);
}

void al_arg_take(store_job *j, char *s)
{
    if (j->nargs >= STORE_SQL_MAX_ARGS) abort();
    j->args[j->nargs].is_text = true;
    j->args[j->nargs++].text = s;
}

/* ---- the alert array (sorted by id) -------------------------------------------------------- */

static int find_pos(alerts_t *a, const char *id, bool *found)
{
    int lo = 0, hi = a->n;
    while (lo < hi) {
        int mid = lo + (hi - lo) / 2;
        int c = strcmp(a->v[mid]->id, id);
        if (c == 0) {
            *found = true;
            return mid;
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    *found = false;
    return lo;
}

alert *al_find(alerts_t *a, const char *id)
{
    bool found;
    int pos = find_pos(a, id, &found);
    return found ? a->v[pos] : NULL;
}

int al_insert(alerts_t *a, alert *al)
{
    bool found;
    int pos = find_pos(a, al->id, &found);
    if (found) return -1;
    if (a->n == a->cap) {
        int nc = a->cap ? a->cap * 2 : 64;
        alert **nv = realloc(a->v, (size_t)nc * sizeof *nv);
        if (!nv) return -1;
        a->v = nv;
        a->cap = nc;
    }
    memmove(&a->v[pos + 1], &a->v[pos], (size_t)(a->n - pos) * sizeof *a->v);
    a->v[pos] = al;
    a->n++;
    return 0;
}

void al_alert_free(alert *al)
{
    if (!al) return;
    free(al->id);
    free(al->hall);
    json_decref(al->labels);
    json_decref(al->scope);
    json_decref(al->evidence);
    json_decref(al->evidence_priv);
    free(al->summary_zh);
    free(al->summary_en);
    free(al->ack_by);
    free(al->ack_note);
    free(al->silence_id);
    json_decref(al->esc_steps);
    json_decref(al->route_sent);
    free(al);
}

void al_remove_at(alerts_t *a, int i)
{
    al_alert_free(a->v[i]);
    memmove(&a->v[i], &a->v[i + 1], (size_t)(a->n - i - 1) * sizeof *a->v);
    a->n--;
}

alert *al_alert_new(const char *id, int rule)
{
    alert *al = cw_xcalloc(1, sizeof *al);
    if (!al || !(al->id = cw_xstrdup(id))) {
        free(al);
        return NULL;
    }
    al->rule = rule;
    al->hall_idx = -1;
    al->state = AL_RESOLVED;
    al->severity = al->base_sev = 4;
    al->pending_ms = al->started_ms = al->resolved_ms = al->false_since_ms = al->ack_ms = -1;
    al->esc_ms = al->esc_due_ms = -1;
    al->notified = AL_N_NONE;
    return al;
}

static const char *biz_of(const alert *al)
{
    return json_string_value(json_object_get(al->scope, "biz"));
}

double al_param(alerts_t *a, const alert *al, int p)
{
    return cfg_alert_param(a->hub->cfg, al->rule, al->hall_idx, biz_of(al), p);
}

bool al_str_same(const char *x, const char *y)
{
    if (!x || !y) return x == y;
    return strcmp(x, y) == 0;
}

void al_replace_str(char **dst, const char *src)
{
    if (al_str_same(*dst, src)) return;
    free(*dst);
    *dst = src ? cw_xstrdup(src) : NULL;
}
