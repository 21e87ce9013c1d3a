/* tour: 轮巡 groups and the alert-pinned hero slot; see tour.h. */
#include "tour.h"

#include <stdio.h>
#include <string.h>

void tour_init(tour *t, int dwell_ms, int pin_ms, int preroll_ms)
{
    memset(t, 0, sizeof *t);
    t->dwell_ms = dwell_ms;
    t->pin_ms = pin_ms;
    t->preroll_ms = preroll_ms;
    t->hero = -1;
}

static bool has(const int *a, int n, int id)
{
    for (int i = 0; i < n; i++)
        if (a[i] == id) return true;
    return false;
}

/* slots consecutive eligible cameras from pos, wrapping (n > slots). */
static int group(const int *eligible, int n, int pos, int slots, int *out)
{
    int k = 0;
    for (int i = 0; i < n && k < slots; i++)
        out[k++] = eligible[(pos + i) % n];
    return k;
}

void tour_step(tour *t, const int *eligible, int n, int slots, int64_t now,
               bool (*ready)(int id, void *ud), void *ud)
{
    if (slots > TOUR_MAX) slots = TOUR_MAX;
    if (slots < 0) slots = 0;
    t->slots = slots;
    if (t->hero >= 0 && now >= t->hero_until) tour_unpin(t);
    if (n <= slots) {
        t->ncur = 0;
        for (int i = 0; i < n; i++)
            t->cur[t->ncur++] = eligible[i];
        t->nnext = 0;
        t->preroll = false;
        t->switch_at = 0;
        t->pos = 0;
        return;
    }
    if (t->pos >= n) t->pos %= n;
    if (t->switch_at == 0 || t->ncur == 0) {
        t->ncur = group(eligible, n, t->pos, slots, t->cur);
        t->switch_at = now + t->dwell_ms;
    } else {
        /* cameras that left are replaced in place; the group keeps its size */
        int want[TOUR_MAX];
        int nw = group(eligible, n, t->pos, slots, want);
        int keep = 0;
        int kept[TOUR_MAX];
        for (int i = 0; i < t->ncur; i++)
            if (has(eligible, n, t->cur[i])) kept[keep++] = t->cur[i];
        for (int i = 0; i < nw && keep < slots; i++)
            if (!has(kept, keep, want[i])) kept[keep++] = want[i];
        for (int i = 0; i < n && keep < slots; i++)
            if (!has(kept, keep, eligible[i])) kept[keep++] = eligible[i];
        memcpy(t->cur, kept, sizeof(int) * (size_t)keep);
        t->ncur = keep;
    }
    int npos = (t->pos + slots) % n;
    t->nnext = group(eligible, n, npos, slots, t->next);
    t->preroll = now >= t->switch_at - t->preroll_ms;
    if (now >= t->switch_at) {
        bool all = true;
        for (int i = 0; i < t->nnext && all; i++)
            if (ready && !ready(t->next[i], ud)) all = false;
        if (all || now >= t->switch_at + TOUR_SWITCH_GRACE_MS) {
            memcpy(t->cur, t->next, sizeof(int) * (size_t)t->nnext);
            t->ncur = t->nnext;
            t->pos = npos;
            t->switch_at = now + t->dwell_ms;
            t->switches++;
            t->nnext = group(eligible, n, (t->pos + slots) % n, slots, t->next);
            t->preroll = false;
        }
    }
}

void tour_follow(tour *t, const int *eligible, int n, int slots, int64_t step, int64_t next_ms,
                 int64_t now)
{
    if (slots > TOUR_MAX) slots = TOUR_MAX;
    if (slots < 0) slots = 0;
    t->slots = slots;
    if (n <= slots || slots == 0) {
        t->ncur = 0;
        for (int i = 0; i < n && t->ncur < TOUR_MAX; i++)
            t->cur[t->ncur++] = eligible[i];
        t->nnext = 0;
        t->preroll = false;
        t->switch_at = 0;
        t->pos = 0;
        return;
    }
    int64_t s = step < 0 ? 0 : step;
    int pos = (int)((s % n) * slots % n);
    if (pos != t->pos || t->ncur == 0) t->switches += t->ncur != 0;
    t->pos = pos;
    t->ncur = group(eligible, n, pos, slots, t->cur);
    t->nnext = group(eligible, n, (pos + slots) % n, slots, t->next);
    t->switch_at = next_ms;
    t->preroll = next_ms > 0 && now >= next_ms - t->preroll_ms;
}

void tour_hold(tour *t, int cam, const char *key)
{
    t->hero = cam;
    t->hero_until = cam >= 0 ? INT64_MAX : 0;
    snprintf(t->hero_alert, sizeof t->hero_alert, "%s", cam >= 0 && key ? key : "");
}

bool tour_pin(tour *t, int cam, const char *alert_id, int64_t now)
{
    if (cam < 0 || !alert_id) return false;
    for (int i = 0; i < t->nseen && i < TOUR_MEMORY; i++)
        if (!strcmp(t->seen[i], alert_id)) return false;
    if (t->hero >= 0 && now < t->hero_until) return false;
    snprintf(t->seen[t->nseen % TOUR_MEMORY], sizeof t->seen[0], "%s", alert_id);
    t->nseen++;
    t->hero = cam;
    t->hero_until = now + t->pin_ms;
    snprintf(t->hero_alert, sizeof t->hero_alert, "%s", alert_id);
    return true;
}

void tour_unpin(tour *t)
{
    t->hero = -1;
    t->hero_until = 0;
    t->hero_alert[0] = 0;
}
