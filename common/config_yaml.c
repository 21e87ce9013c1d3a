/* config_yaml: reading the configuration's YAML nodes for the loader -- node lines, key
 * checks, typed scalars (strings, ids, integers, numbers, times, spans, weekdays, dates),
 * opening hours -- each reporting "FILE:LINE: FIELD: problem" through cfgl_error().
 */
#include "config_load.h"

#include "cwtime.h"
#include "yamldiag.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void cfgl_error(cfgl *L, int line, const char *field, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (L->nerrs == L->caperrs) {
        int cap = L->caperrs ? L->caperrs * 2 : 16;
        cfgl_err *n = realloc(L->errs, (size_t)cap * sizeof *n);
        if (!n) {
            L->oom = true;
            return;
        }
        L->errs = n;
        L->caperrs = cap;
    }
    char *text;
    if (asprintf(&text, "%s:%d: %s: %s", L->file, line > 0 ? line : 1, field, msg) < 0) {
        L->oom = true;
        return;
    }
    L->errs[L->nerrs].line = line;
    L->errs[L->nerrs].seq = L->nerrs;
    L->errs[L->nerrs].text = text;
    L->nerrs++;
}

void *cfgl_calloc(cfgl *L, size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size);
    if (!p) L->oom = true;
    return p;
}

char *cfgl_strndup(cfgl *L, const char *s, size_t n)
{
    char *p = strndup(s, n);
    if (!p) L->oom = true;
    return p;
}

/* out (CFGL_PATHN bytes) = "base.key" ("key" at the root); "base[i]". Long paths are cut. */
void cfgl_path_key(char *out, const char *base, const char *key)
{
    if (snprintf(out, CFGL_PATHN, "%s%s%s", base, *base ? "." : "", key) >= CFGL_PATHN)
        out[CFGL_PATHN - 1] = '\0';
}

void cfgl_path_idx(char *out, const char *base, int i)
{
    if (snprintf(out, CFGL_PATHN, "%s[%d]", base, i) >= CFGL_PATHN) out[CFGL_PATHN - 1] = '\0';
}

int cfgl_line_or(struct fy_node *n, int fallback)
{
    int l = ydiag_node_line(n);
    return l ? l : fallback;
}

/* A plain empty, "~" or "null" scalar (or no node at all). */
bool cfgl_is_null(struct fy_node *n)
{
    if (!n) return true;
    if (fy_node_get_type(n) != FYNT_SCALAR || fy_node_get_style(n) != FYNS_PLAIN) return false;
    size_t len;
    const char *s = fy_node_get_scalar(n, &len);
    if (!s || len == 0) return true;
    return (len == 1 && s[0] == '~') ||
           (len == 4 && (!memcmp(s, "null", 4) || !memcmp(s, "Null", 4) || !memcmp(s, "NULL", 4)));
}

bool cfgl_scalar_is(struct fy_node *n, const char *s)
{
    size_t len;
    const char *v;
    if (!n || fy_node_get_type(n) != FYNT_SCALAR || !(v = fy_node_get_scalar(n, &len)))
        return false;
    return len == strlen(s) && !memcmp(v, s, len);
}

/* The value of KEY in MAP, or NULL when absent or null. *line gets the line of the value
 * (of its key when the value has no token; `fallback` when absent). */
struct fy_node *cfgl_get(struct fy_node *map, const char *key, int fallback, int *line)
{
    void *it = NULL;
    struct fy_node_pair *p;
    *line = fallback;
    while ((p = fy_node_mapping_iterate(map, &it))) {
        if (!cfgl_scalar_is(fy_node_pair_key(p), key)) continue;
        struct fy_node *v = fy_node_pair_value(p);
        *line = cfgl_line_or(v, cfgl_line_or(fy_node_pair_key(p), fallback));
        return cfgl_is_null(v) ? NULL : v;
    }
    return NULL;
}

/* Reports every key of MAP that is not in KEYS (NULL-terminated). */
void cfgl_check_keys(cfgl *L, struct fy_node *map, const char *base, const char *const *keys)
{
    void *it = NULL;
    struct fy_node_pair *p;
    while ((p = fy_node_mapping_iterate(map, &it))) {
        struct fy_node *k = fy_node_pair_key(p);
        char path[CFGL_PATHN];
        size_t len = 0;
        const char *ks =
            k && fy_node_get_type(k) == FYNT_SCALAR ? fy_node_get_scalar(k, &len) : NULL;
        if (!ks) {
            cfgl_error(L, cfgl_line_or(k, cfgl_line_or(map, 0)), *base ? base : "(root)",
                       "keys must be plain strings");
            continue;
        }
        bool known = false;
        for (int i = 0; keys[i] && !known; i++)
            known = strlen(keys[i]) == len && !memcmp(keys[i], ks, len);
        if (known) continue;
        char kbuf[96];
        snprintf(kbuf, sizeof kbuf, "%.*s", (int)(len < 80 ? len : 80), ks);
        cfgl_path_key(path, base, kbuf);
        cfgl_error(L, cfgl_line_or(k, 0), path, "unknown key");
    }
}

bool cfgl_want_map(cfgl *L, struct fy_node *v, int line, const char *path)
{
    if (fy_node_get_type(v) == FYNT_MAPPING) return true;
    cfgl_error(L, line, path, "expected a mapping");
    return false;
}

bool cfgl_want_seq(cfgl *L, struct fy_node *v, int line, const char *path)
{
    if (fy_node_get_type(v) == FYNT_SEQUENCE) return true;
    cfgl_error(L, line, path, "expected a list");
    return false;
}

/* The text of scalar V (not NUL-terminated, *len set), or NULL with an error. */
const char *cfgl_want_scalar(cfgl *L, struct fy_node *v, int line, const char *path, size_t *len)
{
    const char *s = fy_node_get_type(v) == FYNT_SCALAR ? fy_node_get_scalar(v, len) : NULL;
    if (!s) {
        cfgl_error(L, line, path, "expected a string");
        return NULL;
    }
    if (memchr(s, '\0', *len)) {
        cfgl_error(L, line, path, "contains a NUL byte");
        return NULL;
    }
    return s;
}

char *cfgl_str(cfgl *L, struct fy_node *v, int line, const char *path)
{
    size_t len;
    const char *s = cfgl_want_scalar(L, v, line, path, &len);
    if (!s) return NULL;
    if (len == 0) {
        cfgl_error(L, line, path, "must not be empty");
        return NULL;
    }
    return cfgl_strndup(L, s, len);
}

static bool id_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > CFGL_ID_MAX) return false;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)s[i]) && s[i] != '-' && s[i] != '_' && s[i] != '.')
            return false;
    return true;
}

char *cfgl_id(cfgl *L, struct fy_node *v, int line, const char *path)
{
    char *s = cfgl_str(L, v, line, path);
    if (s && !id_ok(s)) {
        cfgl_error(L, line, path, "bad id '%s' (1-%d of A-Z a-z 0-9 - _ .)", s, CFGL_ID_MAX);
        free(s);
        return NULL;
    }
    return s;
}

void cfgl_missing(cfgl *L, int line, const char *base, const char *key)
{
    char path[CFGL_PATHN];
    cfgl_path_key(path, base, key);
    cfgl_error(L, line, path, "required field missing");
}

/* Required string/id field KEY of MAP (mline: the map's line). NULL after an error. */
char *cfgl_req_str(cfgl *L, struct fy_node *map, int mline, const char *base, const char *key,
                   bool id)
{
    char path[CFGL_PATHN];
    int line;
    struct fy_node *v = cfgl_get(map, key, mline, &line);
    if (!v) {
        cfgl_missing(L, line, base, key);
        return NULL;
    }
    cfgl_path_key(path, base, key);
    return id ? cfgl_id(L, v, line, path) : cfgl_str(L, v, line, path);
}

/* Optional string field: NULL when absent (or after an error). */
char *cfgl_opt_str(cfgl *L, struct fy_node *map, int mline, const char *base, const char *key)
{
    char path[CFGL_PATHN];
    int line;
    struct fy_node *v = cfgl_get(map, key, mline, &line);
    if (!v) return NULL;
    cfgl_path_key(path, base, key);
    return cfgl_str(L, v, line, path);
}

bool cfgl_parse_ll(const char *s, size_t len, long long *out)
{
    char buf[32];
    if (len == 0 || len >= sizeof buf) return false;
    memcpy(buf, s, len);
    buf[len] = '\0';
    size_t i = buf[0] == '-' || buf[0] == '+';
    if (!buf[i]) return false;
    for (size_t j = i; buf[j]; j++)
        if (!isdigit((unsigned char)buf[j])) return false;
    errno = 0;
    *out = strtoll(buf, NULL, 10);
    return errno == 0;
}

int cfgl_int(cfgl *L, struct fy_node *v, int line, const char *path, long long min, long long max,
             long long *out)
{
    size_t len;
    const char *s = cfgl_want_scalar(L, v, line, path, &len);
    long long x;
    if (!s) return -1;
    if (!cfgl_parse_ll(s, len, &x)) {
        cfgl_error(L, line, path, "expected an integer, got '%.*s'", (int)(len < 40 ? len : 40), s);
        return -1;
    }
    if (x < min || x > max) {
        cfgl_error(L, line, path, "%lld out of range %lld..%lld", x, min, max);
        return -1;
    }
    *out = x;
    return 0;
}

/* Optional integer field; *out keeps its default when absent or wrong. */
void cfgl_opt_int(cfgl *L, struct fy_node *map, int mline, const char *base, const char *key,
                  long long min, long long max, long long *out)
{
    char path[CFGL_PATHN];
    int line;
    struct fy_node *v = cfgl_get(map, key, mline, &line);
    if (!v) return;
    cfgl_path_key(path, base, key);
    cfgl_int(L, v, line, path, min, max, out);
}

void cfgl_opt_int32(cfgl *L, struct fy_node *map, int mline, const char *base, const char *key,
                    int min, int max, int *out)
{
    long long x = *out;
    cfgl_opt_int(L, map, mline, base, key, min, max, &x);
    *out = (int)x;
}

int cfgl_double(cfgl *L, struct fy_node *v, int line, const char *path, double min, double max,
                double *out)
{
    size_t len;
    const char *s = cfgl_want_scalar(L, v, line, path, &len);
    char buf[64], *end;
    if (!s) return -1;
    if (len == 0 || len >= sizeof buf) {
        cfgl_error(L, line, path, "expected a number");
        return -1;
    }
    memcpy(buf, s, len);
    buf[len] = '\0';
    errno = 0;
    double x = strtod(buf, &end);
    if (*end || errno || isspace((unsigned char)buf[0]) || x != x) {
        cfgl_error(L, line, path, "expected a number, got '%s'", buf);
        return -1;
    }
    if (x < min || x > max) {
        cfgl_error(L, line, path, "%s out of range %g..%g", buf, min, max);
        return -1;
    }
    *out = x;
    return 0;
}

/* "HH:MM" (00:00..24:00) into minutes; -1 when malformed. */
static int parse_hhmm(const char *s, size_t len)
{
    if (len != 5 || !isdigit((unsigned char)s[0]) || !isdigit((unsigned char)s[1]) || s[2] != ':' ||
        !isdigit((unsigned char)s[3]) || !isdigit((unsigned char)s[4]))
        return -1;
    int h = (s[0] - '0') * 10 + (s[1] - '0'), m = (s[3] - '0') * 10 + (s[4] - '0');
    if (h > 24 || m > 59 || (h == 24 && m != 0)) return -1;
    return h * 60 + m;
}

int cfgl_time(cfgl *L, struct fy_node *v, int line, const char *path)
{
    size_t len;
    const char *s = cfgl_want_scalar(L, v, line, path, &len);
    if (!s) return -1;
    int t = parse_hhmm(s, len);
    if (t < 0)
        cfgl_error(L, line, path, "bad time '%.*s' (expected HH:MM, 00:00..24:00)",
                   (int)(len < 40 ? len : 40), s);
    return t;
}

/* "HH:MM-HH:MM" into *sp; -1 after an error. */
int cfgl_span(cfgl *L, struct fy_node *v, int line, const char *path, cfg_span *sp)
{
    size_t len;
    const char *s = cfgl_want_scalar(L, v, line, path, &len);
    if (!s) return -1;
    int a = len == 11 && s[5] == '-' ? parse_hhmm(s, 5) : -1;
    int b = a >= 0 ? parse_hhmm(s + 6, 5) : -1;
    if (a < 0 || b < 0) {
        cfgl_error(L, line, path, "bad time span '%.*s' (expected HH:MM-HH:MM)",
                   (int)(len < 40 ? len : 40), s);
        return -1;
    }
    if (a >= b) {
        cfgl_error(L, line, path, "span '%.*s' ends before it starts", (int)len, s);
        return -1;
    }
    sp->from_min = a;
    sp->to_min = b;
    return 0;
}

static const char *const day_names[7] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};

static int day_index(const char *s, size_t len)
{
    for (int d = 0; d < 7; d++)
        if (len == 3 && !memcmp(s, day_names[d], 3)) return d;
    return -1;
}

/* "mon-fri", "sat", "mon,wed,fri", "mon-wed,sat" into a weekday mask; 0 after an error. */
unsigned cfgl_days(cfgl *L, struct fy_node *v, int line, const char *path)
{
    size_t len;
    const char *s = cfgl_want_scalar(L, v, line, path, &len);
    if (!s) return 0;
    unsigned mask = 0;
    size_t i = 0;
    while (i <= len) {
        size_t j = i;
        while (j < len && s[j] != ',')
            j++;
        const char *item = s + i;
        size_t n = j - i;
        while (n && *item == ' ')
            item++, n--;
        while (n && item[n - 1] == ' ')
            n--;
        const char *dash = memchr(item, '-', n);
        int a = day_index(item, dash ? (size_t)(dash - item) : n);
        int b = dash ? day_index(dash + 1, n - (size_t)(dash - item) - 1) : a;
        if (a < 0 || b < 0 || a > b) {
            cfgl_error(L, line, path, "bad days '%.*s' (e.g. mon-fri, sat, mon,wed)",
                       (int)(len < 40 ? len : 40), s);
            return 0;
        }
        for (int d = a; d <= b; d++)
            mask |= 1u << d;
        i = j + 1;
    }
    return mask;
}

void cfgl_hours_default(cfg_hours *h)
{
    memset(h, 0, sizeof *h);
    for (int d = 0; d < 5; d++) {
        h->open[d] = (cfg_span){8 * 60 + 30, 17 * 60};
        h->lunch[d] = (cfg_span){12 * 60, 13 * 60 + 30};
    }
}

/* An opening-hours mapping: day spec -> "HH:MM-HH:MM" | {open, lunch} | closed. */
void cfgl_hours(cfgl *L, struct fy_node *map, int mline, const char *base, cfg_hours *h)
{
    if (!cfgl_want_map(L, map, mline, base)) return;
    memset(h, 0, sizeof *h);
    unsigned seen = 0;
    void *it = NULL;
    struct fy_node_pair *p;
    while ((p = fy_node_mapping_iterate(map, &it))) {
        struct fy_node *k = fy_node_pair_key(p), *v = fy_node_pair_value(p);
        int kline = cfgl_line_or(k, mline), vline = cfgl_line_or(v, kline);
        char path[CFGL_PATHN], sub[CFGL_PATHN];
        size_t klen;
        const char *ks = cfgl_want_scalar(L, k, kline, base, &klen);
        if (!ks) continue;
        snprintf(sub, sizeof sub, "%.*s", (int)(klen < 40 ? klen : 40), ks);
        cfgl_path_key(path, base, sub);
        unsigned mask = cfgl_days(L, k, kline, path);
        if (!mask) continue;
        if (mask & seen) {
            cfgl_error(L, kline, path, "a day is given twice");
            continue;
        }
        seen |= mask;
        cfg_span open = {0, 0}, lunch = {0, 0};
        if (cfgl_is_null(v) || cfgl_scalar_is(v, "closed")) {
            /* closed on those days */
        } else if (fy_node_get_type(v) == FYNT_SCALAR) {
            if (cfgl_span(L, v, vline, path, &open) < 0) continue;
        } else if (fy_node_get_type(v) == FYNT_MAPPING) {
            static const char *const keys[] = {"open", "lunch", NULL};
            int line;
            struct fy_node *o;
            cfgl_check_keys(L, v, path, keys);
            if (!(o = cfgl_get(v, "open", vline, &line))) {
                cfgl_missing(L, line, path, "open");
                continue;
            }
            cfgl_path_key(sub, path, "open");
            if (cfgl_span(L, o, line, sub, &open) < 0) continue;
            if ((o = cfgl_get(v, "lunch", vline, &line))) {
                cfgl_path_key(sub, path, "lunch");
                if (cfgl_span(L, o, line, sub, &lunch) < 0) continue;
                if (lunch.from_min < open.from_min || lunch.to_min > open.to_min) {
                    cfgl_error(L, line, sub, "lunch break lies outside the open span");
                    continue;
                }
            }
        } else {
            cfgl_error(L, vline, path, "expected HH:MM-HH:MM, {open, lunch} or closed");
            continue;
        }
        for (int d = 0; d < 7; d++)
            if (mask & (1u << d)) {
                h->open[d] = open;
                h->lunch[d] = lunch;
            }
    }
}

int cfgl_cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

/* A list of "yyyy-mm-dd" or "yyyy-mm-dd..yyyy-mm-dd" into a sorted, deduplicated array. */
void cfgl_dates(cfgl *L, struct fy_node *seq, int sline, const char *base, int **out, int *nout)
{
    if (!cfgl_want_seq(L, seq, sline, base)) return;
    int cap = 0, n = 0, *a = NULL, i = 0;
    void *it = NULL;
    struct fy_node *v;
    for (; (v = fy_node_sequence_iterate(seq, &it)); i++) {
        char path[CFGL_PATHN], buf[32];
        int line = cfgl_line_or(v, sline);
        size_t len;
        cfgl_path_idx(path, base, i);
        const char *s = cfgl_want_scalar(L, v, line, path, &len);
        if (!s) continue;
        int from = -1, to = -1;
        if (len == 10 || len == 22) {
            memcpy(buf, s, len);
            buf[len] = '\0';
            if (len == 22 && buf[10] == '.' && buf[11] == '.') {
                buf[10] = '\0';
                from = cwt_parse_date(buf);
                to = cwt_parse_date(buf + 12);
            } else if (len == 10) {
                from = to = cwt_parse_date(buf);
            }
        }
        if (from < 0 || to < 0) {
            cfgl_error(L, line, path, "bad date '%.*s' (expected YYYY-MM-DD[..YYYY-MM-DD])",
                       (int)(len < 40 ? len : 40), s);
            continue;
        }
        if (from > to) {
            cfgl_error(L, line, path, "date range '%.*s' ends before it starts", (int)len, s);
            continue;
        }
        for (int d = from, k = 0; d <= to; d = cwt_next_date(d), k++) {
            if (k == 366) {
                cfgl_error(L, line, path, "date range longer than 366 days");
                break;
            }
            if (n == cap) {
                int ncap = cap ? cap * 2 : 32;
                int *na = realloc(a, (size_t)ncap * sizeof *na);
                if (!na) {
                    L->oom = true;
                    free(a);
                    return;
                }
                a = na;
                cap = ncap;
            }
            a[n++] = d;
        }
    }
    if (n) qsort(a, (size_t)n, sizeof *a, cfgl_cmp_int);
    int m = 0;
    for (int j = 0; j < n; j++)
        if (m == 0 || a[m - 1] != a[j]) a[m++] = a[j];
    *out = a;
    *nout = m;
}

int cfgl_enum(cfgl *L, struct fy_node *map, int mline, const char *base, const char *key,
              const char *(*name)(int), int count)
{
    char path[CFGL_PATHN];
    int line;
    struct fy_node *v = cfgl_get(map, key, mline, &line);
    if (!v) {
        cfgl_missing(L, line, base, key);
        return -1;
    }
    cfgl_path_key(path, base, key);
    size_t len;
    const char *s = cfgl_want_scalar(L, v, line, path, &len);
    if (!s) return -1;
    for (int i = 0; i < count; i++)
        if (strlen(name(i)) == len && !memcmp(name(i), s, len)) return i;
    char allowed[160] = "";
    for (int i = 0; i < count; i++)
        snprintf(allowed + strlen(allowed), sizeof allowed - strlen(allowed), "%s%s", i ? "|" : "",
                 name(i));
    cfgl_error(L, line, path, "unknown %s '%.*s' (expected %s)", key, (int)(len < 40 ? len : 40), s,
               allowed);
    return -1;
}

/* Reports a duplicate id: ID of item I (at LINE) is already used by an item before it. */
void cfgl_dup_check(cfgl *L, const char *id, int i, const void *arr, size_t stride, int line,
                    const char *path)
{
    if (!id) return;
    for (int j = 0; j < i; j++) {
        const char *other = *(char *const *)((const char *)arr + (size_t)j * stride);
        if (other && !strcmp(other, id)) {
            cfgl_error(L, line, path, "duplicate id '%s'", id);
            return;
        }
    }
}

bool cfgl_url_ok(const char *s, const char *const *schemes)
{
    for (int i = 0; schemes[i]; i++) {
        size_t n = strlen(schemes[i]);
        if (!strncmp(s, schemes[i], n) && s[n] && s[n] != '/') return true;
    }
    return false;
}

/* Turns libfyaml's "FILE:LINE:COL: error: MSG" lines into ours. */
void cfgl_report_yaml(cfgl *L, const char *text)
{
    int found = 0;
    size_t flen = strlen(L->file);
    for (const char *s = text; s && *s;) {
        const char *eol = strchr(s, '\n');
        size_t n = eol ? (size_t)(eol - s) : strlen(s);
        int line, col, off = 0;
        if (n > flen && !strncmp(s, L->file, flen) &&
            sscanf(s + flen, ":%d:%d: error: %n", &line, &col, &off) == 2 && off > 0) {
            cfgl_error(L, line, "yaml", "%.*s", (int)(n - flen - (size_t)off), s + flen + off);
            found++;
        }
        s = eol ? eol + 1 : NULL;
    }
    if (!found) cfgl_error(L, 1, "(root)", "no YAML document in the file");
}

static int cmp_err(const void *a, const void *b)
{
    const cfgl_err *x = a, *y = b;
    if (x->line != y->line) return (x->line > y->line) - (x->line < y->line);
    return (x->seq > y->seq) - (x->seq < y->seq);
}

char *cfgl_join_errors(cfgl *L)
{
    if (L->oom) return NULL;
    qsort(L->errs, (size_t)L->nerrs, sizeof *L->errs, cmp_err);
    size_t len = 1;
    for (int i = 0; i < L->nerrs; i++)
        len += strlen(L->errs[i].text) + 1;
    char *out = malloc(len), *p = out;
    if (!out) return NULL;
    for (int i = 0; i < L->nerrs; i++)
        p += sprintf(p, "%s\n", L->errs[i].text);
    *p = '\0';
    return out;
}

double cfgl_duration(const char *s, size_t len)
{
    char buf[48], *end;
    if (len == 0 || len >= sizeof buf) return -1;
    memcpy(buf, s, len);
    buf[len] = '\0';
    double x = strtod(buf, &end);
    if (end == buf || x < 0 || x != x) return -1;
    double mult = 1;
    if (*end == 's')
        mult = 1, end++;
    else if (*end == 'm')
        mult = 60, end++;
    else if (*end == 'h')
        mult = 3600, end++;
    if (*end) return -1;
    return x * mult;
}
