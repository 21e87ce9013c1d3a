/* route: the REST API's route table and the values of its query arguments (SPEC §7), as plain
 * data -- which route a method and path select, and what an argument's text means (an integer
 * within bounds, a time, a hall, a flag), or the message that says why not.
 *
 * No libwebsockets and no hub: rest.c binds each route to its handler and turns the messages
 * into HTTP errors; tests/fuzz/fuzz_route.c feeds these parsers arbitrary bytes.
 *
 * Thread: any; the table is constant.
 */
#ifndef CW_ROUTE_H
#define CW_ROUTE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"

/* HTTP methods, numbered as libwebsockets' LWSHUMETH_* (rest.c checks that they agree). */
enum route_method { ROUTE_GET, ROUTE_POST, ROUTE_OPTIONS, ROUTE_PUT, ROUTE_PATCH, ROUTE_DELETE };

enum route_id {
    ROUTE_HEALTHZ,
    ROUTE_READYZ,
    ROUTE_LOGOUT,
    ROUTE_ME,
    ROUTE_HALLS,
    ROUTE_HALL,
    ROUTE_CLOSURE,
    ROUTE_SNAPSHOT,
    ROUTE_HISTORY,
    ROUTE_EVENTS,
    ROUTE_QUARANTINE,
    ROUTE_CLIENTS,
    ROUTE_RECOMMEND,
    ROUTE_AUDIT,
    ROUTE_BACKUP,
    ROUTE_ALERTS,
    ROUTE_ALERT,
    ROUTE_ALERT_ACK,
    ROUTE_SILENCES,
    ROUTE_SILENCE_ADD,
    ROUTE_SILENCES_EXPIRE,
    ROUTE_SILENCE_EXPIRE,
    ROUTE_REVIEWS,
    ROUTE_CASES,
    ROUTE_CASE_MOVE,
    ROUTE_STATS,      /* rest_stats.c */
    ROUTE_SCORECARDS, /* rest_stats.c */
    ROUTE_REPORTS,    /* rest_reports.c */
    ROUTE_REPORT,     /* rest_reports.c */
    ROUTE_WALLS,
    ROUTE_WALL_SHOW,
    ROUTE_WALL_UNPIN,
    ROUTE_WALL_TOUR,
    ROUTE_INGEST,  /* answered by http.c; listed so that a wrong method gets 405 */
    ROUTE_LOGIN,   /* ditto */
    ROUTE_METRICS, /* ditto */
    ROUTE_COUNT
};

typedef struct route_def {
    int method;          /* enum route_method */
    const char *pattern; /* a "*" segment matches one non-empty path segment */
    bool public_;        /* no authentication needed */
    bool elsewhere;      /* answered outside rest.c, never selected by route_find */
} route_def;

/* Indexed by enum route_id; the order is the order in which paths are tried. */
extern const route_def route_table[ROUTE_COUNT];

#define ROUTE_SEG_MAX 128
#define ROUTE_ALLOW_MAX 64

typedef struct route_result {
    int id;                      /* enum route_id selected, or -1 */
    char seg[ROUTE_SEG_MAX];     /* the "*" segment of the selected route, "" when none */
    bool path_known;             /* some route has this path (with any method) */
    char allow[ROUTE_ALLOW_MAX]; /* id -1: methods tried for this path, "GET, POST"; else "" */
} route_result;

/* Match path against pattern. A "*" matches one non-empty segment shorter than n bytes, which
 * is copied to seg; seg is "" for a pattern without one. */
bool route_match(const char *pattern, const char *path, char *seg, size_t n);
/* Select the first route of route_table (not `elsewhere`) whose pattern matches path and whose
 * method is method, into *r. When none is selected, r->path_known and r->allow say whether
 * the path exists under other methods (a 405) or not (a 404, or a static file). */
void route_find(int method, const char *path, route_result *r);
/* "GET" ... "DELETE"; "?" for any other number. */
const char *route_method_name(int method);

/* Query argument values. v is the argument's decoded text, NULL when absent. Each returns 1 and
 * sets *out for a good value, 0 (out untouched) when v is NULL, -1 with a message in err[n]
 * ("step: 'x' must be an integer from 60 to 2678400") for a bad one. */

/* A decimal integer from lo to hi. */
int route_int(const char *name, const char *v, int64_t lo, int64_t hi, int64_t *out, char *err,
              size_t n);
/* An RFC 3339 time, or a date YYYY-MM-DD (its local midnight in the city's zone), as ms. */
int route_time(const char *name, const char *v, int64_t *out, char *err, size_t n);
/* A configured hall id: returns its index, or -1 with "unknown hall 'x'" in err[n]. */
int route_hall(const cfg_t *cfg, const char *id, char *err, size_t n);
/* A flag argument such as raw=1: true only for the value "1". */
bool route_flag(const char *v);
/* v when it can be shown in a JSON message (valid UTF-8), else "(not UTF-8)". */
const char *route_text(const char *v);

#endif
