/* config_load: internals shared by the configuration loader's files (config.c,
 * config_yaml.c, config_halls.c); not part of the config API.
 *
 * A cfgl is one run of cfg_load(): the file name, the cfg_t being filled and the
 * "FILE:LINE: FIELD: problem" errors found so far. Helpers that read a value report what is
 * wrong with it through cfgl_error() and return a failure value; callers go on so that one
 * run reports every problem. FIELD paths look like `halls[3].windows[2].biz` and are built
 * in CFGL_PATHN-byte buffers. Lines are 1-based; a helper given a node without a token (an
 * empty value or `{}`) reports at the `line`/`fallback` it was given.
 */
#ifndef CW_CONFIG_LOAD_H
#define CW_CONFIG_LOAD_H

#include "config.h"

#include <libfyaml.h>
#include <stdbool.h>
#include <stddef.h>

#define CFGL_PATHN 256
#define CFGL_ID_MAX 64

typedef struct cfgl_err {
    int line, seq;
    char *text;
} cfgl_err;

typedef struct cfgl {
    const char *file;
    char *dir; /* directory of file, for sha256_file */
    cfgl_err *errs;
    int nerrs, caperrs;
    bool oom; /* an allocation failed: the load fails with "out of memory" */
    cfg_t *cfg;
} cfgl;

/* ---- errors, memory, paths ---- */

/* Adds the error "FILE:LINE: FIELD: <fmt...>". */
void cfgl_error(cfgl *L, int line, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* calloc/strndup that set L->oom on failure; the caller owns the result. */
void *cfgl_calloc(cfgl *L, size_t n, size_t size);
char *cfgl_strndup(cfgl *L, const char *s, size_t n);
/* out (CFGL_PATHN bytes) = "base.key" ("key" at the root); "base[i]". Long paths are cut. */
void cfgl_path_key(char *out, const char *base, const char *key);
void cfgl_path_idx(char *out, const char *base, int i);
/* Reports "required field missing" for base.key at LINE. */
void cfgl_missing(cfgl *L, int line, const char *base, const char *key);

/* ---- nodes ---- */

/* ydiag_node_line(n), or FALLBACK when that is 0. */
int cfgl_line_or(struct fy_node *n, int fallback);
/* A plain empty, "~" or "null" scalar, or no node at all. */
bool cfgl_is_null(struct fy_node *n);
/* N is a scalar whose text is exactly S. */
bool cfgl_scalar_is(struct fy_node *n, const char *s);
/* The value of KEY in mapping MAP, or NULL when absent or null. *line gets the line of the
 * value (of its key when the value has no token; FALLBACK when absent). */
struct fy_node *cfgl_get(struct fy_node *map, const char *key, int fallback, int *line);
/* Reports "unknown key" for every key of MAP not in KEYS (NULL-terminated). */
void cfgl_check_keys(cfgl *L, struct fy_node *map, const char *base, const char *const *keys);
/* True when V is a mapping / a sequence; else reports it and returns false. */
bool cfgl_want_map(cfgl *L, struct fy_node *v, int line, const char *path);
bool cfgl_want_seq(cfgl *L, struct fy_node *v, int line, const char *path);
/* The text of scalar V (not NUL-terminated; *len set; owned by the document), or NULL after
 * an error. */
const char *cfgl_want_scalar(cfgl *L, struct fy_node *v, int line, const char *path, size_t *len);

/* ---- values (each NULL / -1 / 0 after reporting an error) ---- */

/* A non-empty string / an id (1..CFGL_ID_MAX of A-Z a-z 0-9 - _ .); caller frees. */
char *cfgl_str(cfgl *L, struct fy_node *v, int line, const char *path);
char *cfgl_id(cfgl *L, struct fy_node *v, int line, const char *path);
/* Required string (or id when ID) field KEY of MAP, whose own line is MLINE; caller frees. */
char *cfgl_req_str(cfgl *L, struct fy_node *map, int mline, const char *base, const char *key,
                   bool id);
/* Optional string field: NULL when absent (or after an error); caller frees. */
char *cfgl_opt_str(cfgl *L, struct fy_node *map, int mline, const char *base, const char *key);
/* Decimal integer text (optional sign) of LEN bytes; false when malformed or out of range. */
bool cfgl_parse_ll(const char *s, size_t len, long long *out);
/* Integer / number V within [min, max] into *out: 0, or -1 after an error. */
int cfgl_int(cfgl *L, struct fy_node *v, int line, const char *path, long long min, long long max,
             long long *out);
int cfgl_double(cfgl *L, struct fy_node *v, int line, const char *path, double min, double max,
                double *out);
/* Optional integer field KEY; *out keeps its value (the default) when absent or wrong. */
void cfgl_opt_int(cfgl *L, struct fy_node *map, int mline, const char *base, const char *key,
                  long long min, long long max, long long *out);
void cfgl_opt_int32(cfgl *L, struct fy_node *map, int mline, const char *base, const char *key,
                    int min, int max, int *out);
/* Required enum field KEY whose names are name(0..count-1): the index, or -1. */
int cfgl_enum(cfgl *L, struct fy_node *map, int mline, const char *base, const char *key,
              const char *(*name)(int), int count);
/* "HH:MM" (00:00..24:00) as minutes; -1 after an error. */
int cfgl_time(cfgl *L, struct fy_node *v, int line, const char *path);
/* "HH:MM-HH:MM" with from < to into *sp: 0, or -1 after an error. */
int cfgl_span(cfgl *L, struct fy_node *v, int line, const char *path, cfg_span *sp);
/* "mon-fri", "sat", "mon,wed,fri", "mon-wed,sat" as a weekday mask (bit 0 = Monday); 0
 * after an error. */
unsigned cfgl_days(cfgl *L, struct fy_node *v, int line, const char *path);
/* Mon-Fri 08:30-17:00 with lunch 12:00-13:30, closed at weekends. */
void cfgl_hours_default(cfg_hours *h);
/* An opening-hours mapping (day spec -> "HH:MM-HH:MM" | {open, lunch} | closed) into *h;
 * days not named are closed. */
void cfgl_hours(cfgl *L, struct fy_node *map, int mline, const char *base, cfg_hours *h);
/* A list of "YYYY-MM-DD" or "YYYY-MM-DD..YYYY-MM-DD" into a sorted, deduplicated malloc'd
 * array of yyyymmdd (*out, caller frees) and its length. */
void cfgl_dates(cfgl *L, struct fy_node *seq, int sline, const char *base, int **out, int *nout);
/* qsort/bsearch comparison of ints. */
int cfgl_cmp_int(const void *a, const void *b);
/* Reports "duplicate id" when ID equals the id (first member, a char *) of one of the items
 * arr[0..i-1] of STRIDE bytes. */
void cfgl_dup_check(cfgl *L, const char *id, int i, const void *arr, size_t stride, int line,
                    const char *path);
/* S starts with one of SCHEMES (NULL-terminated) followed by something other than '/'. */
bool cfgl_url_ok(const char *s, const char *const *schemes);

/* ---- halls (config_halls.c) ---- */

/* The `halls` list: every hall with its biz, cameras, windows, staffing and staff, then
 * parents (unknown, self or looping parents are errors). Needs the city's categories. */
void cfgl_parse_halls(cfgl *L, struct fy_node *seq, int sline);
/* A list of hall ids (or the scalar "all" when ALLOW_ALL) into sorted hall indexes (*out,
 * caller frees), with the halls' subtrees added when EXPAND. Returns 1 for "all", else 0. */
int cfgl_hall_refs(cfgl *L, struct fy_node *v, int line, const char *path, bool allow_all,
                   bool expand, int **out, int *nout);

/* ---- stats (config_stats.c) ---- */
void cfgl_parse_stats(cfgl *L, struct fy_node *map, int mline);
void cfg_stats_defaults(cfg_stats *s);
void cfg_stats_free(cfg_stats *s);

/* ---- alerts (config_alerts.c) ---- */

/* The `alerts` section (needs the halls). */
void cfgl_parse_alerts(cfgl *L, struct fy_node *map, int mline);
/* The `cluster` section (config_cluster.c); cfgl_free_cluster frees what it holds. */
void cfgl_parse_cluster(cfgl *L, struct fy_node *map, int mline);
void cfgl_free_cluster(cfg_cluster *c);
/* The `province` section (config_cluster.c; needs the halls). */
void cfgl_parse_province(cfgl *L, struct fy_node *map, int mline);
void cfgl_free_province(cfg_province *p);
/* Defaults of an absent section (group wait 10 s, grace 10 s, nothing overridden). */
void cfg_alerts_defaults(cfg_alerts *a);
void cfg_alerts_free(cfg_alerts *a);
/* A duration: integer seconds, or a number with a unit "90s", "2m", "1.5h"; -1 when not
 * (config_yaml.c). */
double cfgl_duration(const char *s, size_t len);
/* The largest value rule parameter p accepts (config_rules.c). */
double cfg_rule_param_max(int rule, int p);

/* ---- walls (config_walls.c) ---- */

/* The `walls` list (needs nothing else). */
void cfgl_parse_walls(cfgl *L, struct fy_node *seq, int sline);
void cfg_walls_free(cfg_t *cfg);

/* ---- routing (config_route.c) ---- */

/* alerts.receivers and alerts.route (receivers first: the route names them). */
void cfgl_parse_receivers(cfgl *L, struct fy_node *seq, int sline);
void cfgl_parse_route(cfgl *L, struct fy_node *map, int mline);
void cfg_routes_free(cfg_alerts *a);

/* libfyaml's "FILE:LINE:COL: error: MSG" lines (ydiag text) as L's errors; "no YAML document"
 * when none names L->file. */
void cfgl_report_yaml(cfgl *L, const char *text);
/* The errors, sorted by line, joined into one malloc'd string (NULL when out of memory). */
char *cfgl_join_errors(cfgl *L);

#endif
