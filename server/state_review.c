/* state_review: reviews (好差评) and their cases -- counting by level, the bad-review case's
 * rectification and revisit, appeals (upheld or not). See state.c for the decisions.
 *
 * Thread: service thread (the state's owner). */
#include "state_internal.h"

#include <stdlib.h>
#include <string.h>

#include "pii.h"
#include "xalloc.h"

void state_review_clear(state_review *r)
{
    free(r->id);
    free(r->window);
    free(r->staff);
    free(r->comment);
    memset(r, 0, sizeof *r);
}

void state_case_free(state_case *c)
{
    if (!c) return;
    free(c->review);
    free(c);
}

/* ---------------------------------------------------------------- reviews, cases */

int state_review_push(state_hs *hs, const state_review *r)
{
    int pos = 0;
    while (pos < hs->nlast && hs->last[pos].at_ms > r->at_ms)
        pos++;
    if (pos >= STATE_LAST_REVIEWS) {
        state_review tmp = *r;
        state_review_clear(&tmp);
        return 0;
    }
    if (hs->nlast == STATE_LAST_REVIEWS) state_review_clear(&hs->last[--hs->nlast]);
    memmove(&hs->last[pos + 1], &hs->last[pos], (size_t)(hs->nlast - pos) * sizeof *hs->last);
    hs->last[pos] = *r;
    hs->nlast++;
    return 0;
}

int state_case_add(state_hs *hs, state_case *c)
{
    if (hs->ncases == hs->capcases) {
        int ncap = hs->capcases ? hs->capcases * 2 : 16;
        state_case **nc = realloc(hs->cases, (size_t)ncap * sizeof *nc);
        if (!nc) return -1;
        hs->cases = nc;
        hs->capcases = ncap;
    }
    if (state_map_put(&hs->cases_map, c->review, c) < 0) return -1;
    hs->cases[hs->ncases++] = c;
    return 0;
}

static void count_review(state_hs *hs, int level, int sign)
{
    hs->rv_n += sign;
    hs->rv_level_sum += sign * level;
    if (level >= 4) hs->rv_good += sign;
    if (level >= 3) hs->rv_sat += sign;
    if (level <= 2) hs->rv_bad += sign;
}

void state_apply_review(state_t *st, int h, const ev_event *ev)
{
    state_hs *hs = &st->halls[h];
    const cfg_hall *ch = &st->cfg->halls[h];
    if (!ev->review || ev->level < 1 || ev->level > 5) return;
    if (state_map_get(&hs->review_ids, ev->review) || state_map_get(&hs->cases_map, ev->review))
        return;
    char *key = cw_xstrdup(ev->review);
    if (!key || state_map_put(&hs->review_ids, key, key) < 0) {
        free(key);
        return;
    }
    count_review(hs, ev->level, 1);

    state_review r = {0};
    r.id = cw_xstrdup(ev->review);
    r.level = ev->level;
    r.at_ms = ev->at_ms;
    r.channel = ev->channel;
    r.window = ev->window >= 0 && ev->window < ch->nwindows ? cw_xstrdup(ch->windows[ev->window].id)
                                                            : NULL;
    r.staff = cw_xstrdup(ev->staff);
    r.comment = ev->comment ? pii_mask(ev->comment) : NULL;
    r.real_name = ev->real_name;
    state_review_push(hs, &r);

    if (ev->level > 2) return;
    state_case *c = cw_xcalloc(1, sizeof *c);
    if (!c || !(c->review = cw_xstrdup(ev->review))) goto fail;
    c->level = ev->level;
    c->date = st->day;
    c->at_ms = ev->at_ms;
    c->state = EV_CASE_ASSIGNED;
    c->real_name = ev->real_name;
    c->contact_deadline_ms =
        ev->real_name ? state_deadline(st, h, ev->at_ms, st->cfg->case_contact_days) : -1;
    c->rectify_deadline_ms = state_deadline(st, h, ev->at_ms, st->cfg->case_rectify_days);
    if (state_case_add(hs, c) < 0) goto fail;
    return;
fail:
    state_case_free(c);
}

static void case_set_upheld(state_t *st, state_hs *hs, state_case *c, bool upheld)
{
    if (c->upheld == upheld) return;
    c->upheld = upheld;
    if (c->date == st->day) count_review(hs, c->level, upheld ? -1 : 1);
    for (int i = 0; i < hs->nlast; i++)
        if (strcmp(hs->last[i].id, c->review) == 0) hs->last[i].upheld = upheld;
}

void state_apply_case(state_t *st, state_hs *hs, const ev_event *ev)
{
    state_case *c = ev->review ? state_map_get(&hs->cases_map, ev->review) : NULL;
    if (!c) return;
    switch (ev->case_state) {
    case EV_CASE_CONTACTED:
        c->contacted = true;
        c->state = EV_CASE_CONTACTED;
        break;
    case EV_CASE_APPEAL_UPHELD:
        c->state = EV_CASE_APPEAL_UPHELD;
        case_set_upheld(st, hs, c, true);
        break;
    case EV_CASE_APPEAL_REJECTED:
        c->state = EV_CASE_RECTIFYING;
        case_set_upheld(st, hs, c, false);
        break;
    case EV_CASE_ASSIGNED:
    case EV_CASE_RECTIFYING:
    case EV_CASE_CLOSED:
    case EV_CASE_APPEALED:
        c->state = ev->case_state;
        break;
    default:
        break;
    }
}
