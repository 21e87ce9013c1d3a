/* config_query: read-only questions about a loaded cfg_t -- lookups by id, token checks,
 * the business-day calendar and opening hours, wire names of enums.
 *
 * Calendar rules (SPEC §2): a make-up working day (调休) is open with Monday's hours and
 * staffing plan, a holiday is closed all day, any other date uses its own weekday's hours
 * (so a hall with Saturday hours is open on ordinary Saturdays, and closed on a Saturday
 * that is a holiday).
 */
#include "config.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#define FIND_ID(arr, n, id)                                                                        \
    do {                                                                                           \
        if (!(id)) return -1;                                                                      \
        for (int i_ = 0; i_ < (n); i_++)                                                           \
            if ((arr)[i_].id && !strcmp((arr)[i_].id, (id))) return i_;                            \
        return -1;                                                                                 \
    } while (0)

int cfg_hall_index(const cfg_t *cfg, const char *id)
{
    FIND_ID(cfg->halls, cfg->nhalls, id);
}

int cfg_biz_index(const cfg_hall *hall, const char *id)
{
    FIND_ID(hall->biz, hall->nbiz, id);
}

int cfg_window_index(const cfg_hall *hall, const char *id)
{
    FIND_ID(hall->windows, hall->nwindows, id);
}

int cfg_camera_index(const cfg_hall *hall, const char *id)
{
    FIND_ID(hall->cameras, hall->ncameras, id);
}

int cfg_staff_index(const cfg_hall *hall, const char *id)
{
    FIND_ID(hall->staff, hall->nstaff, id);
}

int cfg_account_index(const cfg_t *cfg, const char *user)
{
    if (!user) return -1;
    for (int i = 0; i < cfg->naccounts; i++)
        if (cfg->accounts[i].user && !strcmp(cfg->accounts[i].user, user)) return i;
    return -1;
}

int cfg_token_find(const cfg_t *cfg, const char *token)
{
    uint8_t h[crypto_hash_sha256_BYTES];
    int found = -1;
    if (!token) return -1;
    crypto_hash_sha256(h, (const unsigned char *)token, strlen(token));
    for (int i = 0; i < cfg->ntokens; i++) {
        /* every token is compared, and the match is selected without a data-dependent branch */
        int eq = sodium_memcmp(h, cfg->tokens[i].sha256, sizeof h) == 0;
        int take = -(eq & (found < 0));
        found = (i & take) | (found & ~take);
    }
    sodium_memzero(h, sizeof h);
    return found;
}

bool cfg_token_may_write(const cfg_token *tok, int hall)
{
    if (!tok || tok->role != CFG_ROLE_HALL || hall < 0) return false;
    if (tok->all_halls) return true;
    for (int i = 0; i < tok->nhalls; i++)
        if (tok->halls[i] == hall) return true;
    return false;
}

static int cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

static bool listed(const int *dates, int n, int date)
{
    return n > 0 && bsearch(&date, dates, (size_t)n, sizeof *dates, cmp_int) != NULL;
}

bool cfg_is_workday(const cfg_t *cfg, int date, int weekday)
{
    const cfg_calendar *cal = &cfg->city.calendar;
    if (listed(cal->workdays, cal->nworkdays, date)) return true;
    if (listed(cal->holidays, cal->nholidays, date)) return false;
    return weekday >= 0 && weekday < 5;
}

/* The weekday whose hours and staffing apply on DATE; -1 when closed all day. */
static int effective_day(const cfg_t *cfg, int date, int weekday)
{
    const cfg_calendar *cal = &cfg->city.calendar;
    if (listed(cal->workdays, cal->nworkdays, date)) return 0;
    if (weekday < 0 || weekday > 6 || listed(cal->holidays, cal->nholidays, date)) return -1;
    return weekday;
}

cfg_span cfg_hall_hours(const cfg_t *cfg, const cfg_hall *hall, int date, int weekday)
{
    int d = effective_day(cfg, date, weekday);
    cfg_span none = {0, 0};
    return d < 0 ? none : hall->hours.open[d];
}

bool cfg_hall_open(const cfg_t *cfg, const cfg_hall *hall, int date, int weekday, int min)
{
    int d = effective_day(cfg, date, weekday);
    if (d < 0) return false;
    cfg_span o = hall->hours.open[d], l = hall->hours.lunch[d];
    if (min < o.from_min || min >= o.to_min) return false;
    return !(min >= l.from_min && min < l.to_min);
}

int cfg_hall_planned(const cfg_t *cfg, const cfg_hall *hall, int date, int weekday, int min)
{
    if (!cfg_hall_open(cfg, hall, date, weekday, min)) return 0;
    int d = effective_day(cfg, date, weekday);
    for (int i = 0; i < hall->nstaffing; i++) {
        const cfg_staffing *s = &hall->staffing[i];
        if ((s->days_mask & (1u << d)) && min >= s->from_min && min < s->to_min) return s->windows;
    }
    return hall->nwindows;
}

const char *cfg_level_name(int level)
{
    static const char *const names[] = {"city", "county", "town", "village"};
    return level >= 0 && level <= CFG_LEVEL_VILLAGE ? names[level] : "unknown";
}

const char *cfg_role_name(int role)
{
    static const char *const names[] = {"admin", "city", "hall", "wall"};
    return role >= 0 && role <= CFG_ROLE_WALL ? names[role] : "unknown";
}

const char *cfg_area_name(int area)
{
    static const char *const names[] = {"window", "waiting", "entrance", "self_service",
                                        "back_office"};
    return area >= 0 && area <= CFG_AREA_BACK_OFFICE ? names[area] : "unknown";
}
