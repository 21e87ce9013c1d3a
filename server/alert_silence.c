/* alert_silence: silences (SPEC §6) -- matchers on alert labels and a time window in business
 * time: absolute (startsAt..endsAt), recurring ({"days":"workdays","from":"12:00",
 * "to":"13:30"}), or both (the recurrence inside the window). A silence with a recurrence and
 * no endsAt lasts until it is expired (DELETE). Matchers are Alertmanager's: {name, value,
 * isRegex, isEqual}; a regex matches the whole value (POSIX extended); a label an alert does
 * not have reads as "". A hall account's silence must hold an equality matcher hall=<one of
 * its halls>; hall accounts see only such silences.
 *
 * Stored in the `silences` table (the request as accepted, plus creator, creation time and
 * expiry) and read back at start; expired silences are listed for a day, then forgotten.
 */
#include "alerts_internal.h"

#include <ctype.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cwtime.h"
#include "silence_regex.h"
#include "xalloc.h"

#define MAX_MATCHERS 16
#define MAX_VALUE SILRE_MAX_LEN
#define MAX_SILENCES 1000   /* listed (active or expired within a day) at once */
#define CREATE_BURST 10     /* silences one account may create at once ... */
#define CREATE_PER_MIN 10.0 /* ... and then per minute (real time) */
#define MAX_COMMENT 500
#define EXPIRED_KEEP_MS (24LL * 3600 * 1000)

/* The compiled expressions of a silence that can never match again (expired): their memory
 * goes back at once rather than a day later with the silence. */
static void silence_release_regex(al_silence *s)
{
    for (int i = 0; i < s->nm; i++)
        if (s->m[i].compiled) {
            regfree(&s->m[i].re);
            s->m[i].compiled = false;
        }
}

static void silence_free(al_silence *s)
{
    if (!s) return;
    for (int i = 0; i < s->nm; i++) {
        free(s->m[i].name);
        free(s->m[i].value);
        if (s->m[i].compiled) regfree(&s->m[i].re);
    }
    free(s->m);
    free(s->id);
    free(s->created_by);
    free(s->comment);
    free(s->hall);
    json_decref(s->body);
    free(s);
}

void al_silences_free(alerts_t *a)
{
    for (int i = 0; i < a->nsil; i++)
        silence_free(a->sil[i]);
    free(a->sil);
    a->sil = NULL;
    a->nsil = 0;
}

static bool expired_at(const al_silence *s, int64_t now_ms)
{
    return s->expired_real_ms >= 0 || (s->ends_ms >= 0 && now_ms >= s->ends_ms);
}

bool al_silence_active(alerts_t *a, const al_silence *s, int64_t now_ms)
{
    if (expired_at(s, now_ms)) return false;
    if (s->starts_ms >= 0 && now_ms < s->starts_ms) return false;
    if (!s->recurring) return true;
    cwt_local lt;
    cwt_to_local(now_ms, &lt);
    if (s->days == AL_DAYS_WORKDAYS && !cfg_is_workday(a->hub->cfg, lt.date, lt.weekday))
        return false;
    if (s->days == AL_DAYS_MASK && !(s->mask & (1u << lt.weekday))) return false;
    return lt.minute >= s->from_min && lt.minute < s->to_min;
}

bool al_silence_matches(const al_silence *s, json_t *labels)
{
    for (int i = 0; i < s->nm; i++) {
        const al_matcher *m = &s->m[i];
        const char *v = json_string_value(json_object_get(labels, m->name));
        if (!v) v = "";
        bool hit = m->regex ? m->compiled && regexec(&m->re, v, 0, NULL, 0) == 0
                            : strcmp(v, m->value) == 0;
        if (hit != m->equal) return false;
    }
    return true;
}

/* ---- parsing ------------------------------------------------------------------------------ */

static bool label_name_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 64 || !(isalpha((unsigned char)s[0]) || s[0] == '_')) return false;
    for (size_t i = 1; i < n; i++)
        if (!isalnum((unsigned char)s[i]) && s[i] != '_') return false;
    return true;
}

static int hhmm(const char *s)
{
    int h, m;
    char tail;
    if (!s || strlen(s) != 5 || sscanf(s, "%2d:%2d%c", &h, &m, &tail) != 2 || h < 0 || h > 24 ||
        m < 0 || m > 59 || (h == 24 && m))
        return -1;
    return h * 60 + m;
}

static int day_index(const char *s, size_t n)
{
    static const char *const names[] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};
    for (int i = 0; i < 7; i++)
        if (n == 3 && strncmp(s, names[i], 3) == 0) return i;
    return -1;
}

/* "workdays", "all" / "daily", or weekdays "mon-fri", "sat,sun": 0, or -1 when malformed. */
static int parse_days(const char *s, al_silence *out)
{
    if (!strcmp(s, "workdays") || !strcmp(s, "working-days")) {
        out->days = AL_DAYS_WORKDAYS;
        return 0;
    }
    if (!strcmp(s, "all") || !strcmp(s, "daily") || !strcmp(s, "every-day")) {
        out->days = AL_DAYS_ANY;
        return 0;
    }
    unsigned mask = 0;
    for (const char *p = s; *p;) {
        size_t n = strcspn(p, ",");
        const char *dash = memchr(p, '-', n);
        int from, to;
        if (dash) {
            from = day_index(p, (size_t)(dash - p));
            to = day_index(dash + 1, n - (size_t)(dash - p) - 1);
        } else {
            from = to = day_index(p, n);
        }
        if (from < 0 || to < 0) return -1;
        for (int d = from;; d = (d + 1) % 7) {
            mask |= 1u << d;
            if (d == to) break;
        }
        p += n;
        if (*p == ',') p++;
    }
    if (!mask) return -1;
    out->days = AL_DAYS_MASK;
    out->mask = (uint8_t)mask;
    return 0;
}

static bool opt_bool(json_t *o, const char *k, bool dflt, bool *ok)
{
    json_t *v = json_object_get(o, k);
    if (!v) return dflt;
    if (!json_is_boolean(v)) *ok = false;
    return json_is_true(v);
}

/* A silence from its request form (or stored form, with the extra members). NULL with a
 * message in err when the body is not acceptable. */
static al_silence *silence_parse(alerts_t *a, json_t *body, int64_t now_ms, bool stored, char *err,
                                 size_t errlen)
{
    al_silence *s = cw_xcalloc(1, sizeof *s);
    if (!s) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    s->starts_ms = s->ends_ms = -1;
    s->expired_real_ms = -1;
    json_t *ms = json_object_get(body, "matchers");
    size_t n = json_array_size(ms);
    if (!json_is_array(ms) || n == 0 || n > MAX_MATCHERS) {
        snprintf(err, errlen, "matchers: must be an array of 1 to %d {name, value, isRegex?}",
                 MAX_MATCHERS);
        goto fail;
    }
    s->m = calloc(n, sizeof *s->m);
    if (!s->m) goto oom;
    for (size_t i = 0; i < n; i++) {
        json_t *m = json_array_get(ms, i);
        const char *name = json_string_value(json_object_get(m, "name"));
        const char *value = json_string_value(json_object_get(m, "value"));
        bool ok = true;
        al_matcher *mt = &s->m[s->nm];
        mt->regex = opt_bool(m, "isRegex", false, &ok);
        mt->equal = opt_bool(m, "isEqual", true, &ok);
        if (!json_is_object(m) || !name || !label_name_ok(name) || !value ||
            strlen(value) > MAX_VALUE || !ok) {
            snprintf(err, errlen,
                     "matchers[%zu]: needs a label name, a string value (at most %d bytes) and "
                     "optional booleans isRegex, isEqual",
                     i, MAX_VALUE);
            goto fail;
        }
        if (!(mt->name = cw_xstrdup(name)) || !(mt->value = cw_xstrdup(value))) goto oom;
        s->nm++;
        if (mt->regex && silre_check(value, err, errlen) < 0) {
            char why[160];
            snprintf(why, sizeof why, "%s", err);
            snprintf(err, errlen, "matchers[%zu]: %s", i, why);
            goto fail;
        }
        if (mt->regex) {
            char *re = malloc(strlen(value) + 5);
            if (!re) goto oom;
            sprintf(re, "^(%s)$", value);
            int rc = regcomp(&mt->re, re, REG_EXTENDED | REG_NOSUB);
            free(re);
            if (rc != 0) {
                snprintf(err, errlen, "matchers[%zu]: value is not a valid regular expression", i);
                goto fail;
            }
            mt->compiled = true;
        }
        if (!strcmp(name, "hall") && !mt->regex && mt->equal && !s->hall &&
            !(s->hall = cw_xstrdup(value)))
            goto oom;
    }
    const char *sa = json_string_value(json_object_get(body, "startsAt"));
    const char *ea = json_string_value(json_object_get(body, "endsAt"));
    if ((json_object_get(body, "startsAt") &&
         (!sa || cwt_parse_rfc3339(sa, &s->starts_ms, NULL) < 0)) ||
        (json_object_get(body, "endsAt") &&
         (!ea || cwt_parse_rfc3339(ea, &s->ends_ms, NULL) < 0))) {
        snprintf(err, errlen, "startsAt / endsAt: must be RFC 3339 times with an offset");
        goto fail;
    }
    json_t *rec = json_object_get(body, "recurrence");
    if (rec) {
        const char *days = json_string_value(json_object_get(rec, "days"));
        s->from_min = hhmm(json_string_value(json_object_get(rec, "from")));
        s->to_min = hhmm(json_string_value(json_object_get(rec, "to")));
        if (!json_is_object(rec) || s->from_min < 0 || s->to_min <= s->from_min ||
            parse_days(days ? days : "all", s) < 0) {
            snprintf(err, errlen,
                     "recurrence: must be {\"days\": \"workdays\" | \"all\" | "
                     "\"mon-fri\" ..., \"from\": \"HH:MM\", \"to\": \"HH:MM\"} "
                     "with from < to");
            goto fail;
        }
        s->recurring = true;
    }
    if (!stored) {
        if (!rec && s->ends_ms < 0) {
            snprintf(err, errlen, "a silence needs endsAt or a recurrence");
            goto fail;
        }
        if (s->ends_ms >= 0 &&
            (s->ends_ms <= now_ms || (s->starts_ms >= 0 && s->ends_ms <= s->starts_ms))) {
            snprintf(err, errlen, "endsAt must be after startsAt and in the future");
            goto fail;
        }
    }
    json_t *c = json_object_get(body, "comment");
    if (c && (!json_is_string(c) || json_string_length(c) > MAX_COMMENT)) {
        snprintf(err, errlen, "comment: must be a string of at most %d bytes", MAX_COMMENT);
        goto fail;
    }
    if (c && !(s->comment = cw_xstrdup(json_string_value(c)))) goto oom;
    (void)a;
    return s;
oom:
    snprintf(err, errlen, "out of memory");
fail:
    silence_free(s);
    return NULL;
}

/* The API form of s at business now_ms (new reference). */
static json_t *silence_json(alerts_t *a, const al_silence *s, int64_t now_ms)
{
    char b[40];
    json_t *ms = json_array();
    for (int i = 0; i < s->nm; i++)
        json_array_append_new(ms, json_pack("{s:s,s:s,s:b,s:b}", "name", s->m[i].name, "value",
                                            s->m[i].value, "isRegex", s->m[i].regex, "isEqual",
                                            s->m[i].equal));
    json_t *o = json_pack("{s:s,s:o}", "id", s->id, "matchers", ms);
    if (s->starts_ms >= 0)
        json_object_set_new(o, "startsAt", json_string(cwt_format_local(s->starts_ms, b)));
    if (s->ends_ms >= 0)
        json_object_set_new(o, "endsAt", json_string(cwt_format_local(s->ends_ms, b)));
    if (s->recurring) {
        static const char *const dn[] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};
        char days[40] = "";
        if (s->days == AL_DAYS_WORKDAYS)
            snprintf(days, sizeof days, "workdays");
        else if (s->days == AL_DAYS_ANY)
            snprintf(days, sizeof days, "all");
        else
            for (int d = 0; d < 7; d++)
                if (s->mask & (1u << d))
                    snprintf(days + strlen(days), sizeof days - strlen(days), "%s%s",
                             days[0] ? "," : "", dn[d]);
        char f[24], t[24];
        snprintf(f, sizeof f, "%02d:%02d", s->from_min / 60, s->from_min % 60);
        snprintf(t, sizeof t, "%02d:%02d", s->to_min / 60, s->to_min % 60);
        json_object_set_new(o, "recurrence",
                            json_pack("{s:s,s:s,s:s}", "days", days, "from", f, "to", t));
    }
    if (s->comment) json_object_set_new(o, "comment", json_string(s->comment));
    if (s->created_by) json_object_set_new(o, "createdBy", json_string(s->created_by));
    if (s->created_real_ms >= 0)
        json_object_set_new(o, "createdAt", json_string(cwt_format_local(s->created_real_ms, b)));
    const char *state = expired_at(s, now_ms)             ? "expired"
                        : al_silence_active(a, s, now_ms) ? "active"
                                                          : "pending";
    json_object_set_new(o, "status", json_pack("{s:s}", "state", state));
    if (s->expired_real_ms >= 0)
        json_object_set_new(o, "expiredAt", json_string(cwt_format_local(s->expired_real_ms, b)));
    return o;
}

static void persist(alerts_t *a, const al_silence *s)
{
    json_t *b = json_deep_copy(s->body);
    if (!b) return;
    json_object_set_new(b, "id", json_string(s->id));
    if (s->created_by) json_object_set_new(b, "createdBy", json_string(s->created_by));
    json_object_set_new(b, "created_ms", json_integer(s->created_real_ms));
    json_object_set_new(b, "expired_ms", json_integer(s->expired_real_ms));
    char *txt = json_dumps(b, JSON_COMPACT);
    json_decref(b);
    store_job *j = txt ? store_job_new_sql("INSERT OR REPLACE INTO silences(id, body, created_ms,"
                                           " expired_ms) VALUES(?,?,?,?)")
                       : NULL;
    if (!j) {
        free(txt);
        return;
    }
    store_job_arg_text(j, s->id);
    al_arg_take(j, txt);
    store_job_arg_int(j, s->created_real_ms);
    if (s->expired_real_ms >= 0)
        store_job_arg_int(j, s->expired_real_ms);
    else
        store_job_arg_text(j, NULL);
    al_store(a, j);
}

static int add(alerts_t *a, al_silence *s)
{
    al_silence **n = realloc(a->sil, (size_t)(a->nsil + 1) * sizeof *n);
    if (!n) return -1;
    a->sil = n;
    a->sil[a->nsil++] = s;
    return 0;
}

static bool sees(alerts_t *a, const al_silence *s, const bool *halls)
{
    if (!halls) return true;
    int h = s->hall ? cfg_hall_index(a->hub->cfg, s->hall) : -1;
    return h >= 0 && halls[h];
}

json_t *alerts_silences(alerts_t *a, const bool *halls)
{
    int64_t now = state_now(a->hub->state);
    json_t *arr = json_array();
    for (int i = 0; i < a->nsil; i++)
        if (sees(a, a->sil[i], halls)) json_array_append_new(arr, silence_json(a, a->sil[i], now));
    return arr;
}

/* Silence creation per account: a token bucket of CREATE_BURST, refilled at CREATE_PER_MIN
 * (real time). A handful of accounts create silences; the table keeps the 64 most recent. */
static bool create_allowed(const char *user)
{
    static struct {
        char user[64];
        double tokens;
        int64_t last_ms;
    } tab[64];
    int64_t now = cwt_mono_ms();
    int slot = 0;
    for (int i = 0; i < 64; i++) {
        if (!strncmp(tab[i].user, user, sizeof tab[i].user - 1) && tab[i].user[0]) {
            slot = i;
            goto found;
        }
        if (tab[i].last_ms < tab[slot].last_ms) slot = i;
    }
    snprintf(tab[slot].user, sizeof tab[slot].user, "%s", user);
    tab[slot].tokens = CREATE_BURST;
    tab[slot].last_ms = now;
found:
    tab[slot].tokens += (double)(now - tab[slot].last_ms) * CREATE_PER_MIN / 60000.0;
    if (tab[slot].tokens > CREATE_BURST) tab[slot].tokens = CREATE_BURST;
    tab[slot].last_ms = now;
    if (tab[slot].tokens < 1) return false;
    tab[slot].tokens -= 1;
    return true;
}

/* id: NULL for a new silence (a random id), else the id another hub of the cluster gave it
 * (no rate limit then: it was counted there). */
static int silence_add(alerts_t *a, json_t *body, const char *user, const bool *halls,
                       const char *id, json_t **out, char *err, size_t errlen)
{
    int64_t now = state_now(a->hub->state);
    if (!id && !create_allowed(user ? user : "")) {
        snprintf(err, errlen,
                 "too many silences created by %s: at most %d at once, then %.0f "
                 "a minute",
                 user ? user : "this account", CREATE_BURST, CREATE_PER_MIN);
        return 429;
    }
    if (a->nsil >= MAX_SILENCES) {
        snprintf(err, errlen, "%d silences are listed already: expire some first", MAX_SILENCES);
        return 429;
    }
    if (!json_is_object(body)) {
        snprintf(err, errlen,
                 "body must be a JSON object {matchers, startsAt?, endsAt?, "
                 "recurrence?, comment?}");
        return 400;
    }
    al_silence *s = silence_parse(a, body, now, false, err, errlen);
    if (!s) return 400;
    if (halls) {
        int h = s->hall ? cfg_hall_index(a->hub->cfg, s->hall) : -1;
        if (h < 0 || !halls[h]) {
            snprintf(err, errlen,
                     "a hall account's silence needs a matcher hall=<one of its "
                     "halls>");
            silence_free(s);
            return 403;
        }
    }
    unsigned char rnd[6];
    char hex[13];
    randombytes_buf(rnd, sizeof rnd);
    sodium_bin2hex(hex, sizeof hex, rnd, sizeof rnd);
    s->id = malloc(16);
    s->created_by = cw_xstrdup(user ? user : "");
    s->body = json_deep_copy(body);
    if (!s->id || !s->created_by || !s->body || add(a, s) < 0) {
        silence_free(s);
        snprintf(err, errlen, "out of memory");
        return 500;
    }
    snprintf(s->id, 16, "%s", id ? id : "");
    if (!id) snprintf(s->id, 16, "s-%s", hex);
    json_object_del(s->body, "id");
    json_object_del(s->body, "createdBy");
    if (s->starts_ms < 0) { /* Alertmanager: a silence without startsAt starts now */
        s->starts_ms = now;
        char b[40];
        json_object_set_new(s->body, "startsAt", json_string(cwt_format_local(now, b)));
    }
    s->created_real_ms = cwt_real_ms();
    persist(a, s);
    a->dirty = true;
    *out = silence_json(a, s, now);
    return 201;
}

int alerts_silence_add(alerts_t *a, json_t *body, const char *user, const bool *halls, json_t **out,
                       char *err, size_t errlen)
{
    return silence_add(a, body, user, halls, NULL, out, err, errlen);
}

int alerts_silence_add_as(alerts_t *a, json_t *body, const char *user, const char *id, char *err,
                          size_t errlen)
{
    for (int i = 0; i < a->nsil; i++)
        if (!strcmp(a->sil[i]->id, id)) return 200; /* already here */
    json_t *out = NULL;
    int st = silence_add(a, body, user, NULL, id, &out, err, errlen);
    json_decref(out);
    return st;
}

int alerts_silence_expire(alerts_t *a, const char *id, const char *user, const bool *halls,
                          json_t **out)
{
    (void)user;
    for (int i = 0; id && i < a->nsil; i++) {
        al_silence *s = a->sil[i];
        if (strcmp(s->id, id) != 0 || !sees(a, s, halls)) continue;
        if (s->expired_real_ms < 0) {
            s->expired_real_ms = cwt_real_ms();
            silence_release_regex(s);
            persist(a, s);
            a->dirty = true;
        }
        *out = silence_json(a, s, state_now(a->hub->state));
        return 200;
    }
    return 404;
}

void al_silences_load(alerts_t *a)
{
    if (!a->hub->store) return;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(store_reader(a->hub->store),
                           "SELECT body FROM silences WHERE expired_ms IS NULL OR expired_ms >= ?"
                           " ORDER BY created_ms",
                           -1, &st, NULL) != SQLITE_OK)
        return;
    sqlite3_bind_int64(st, 1, cwt_real_ms() - EXPIRED_KEEP_MS);
    while (sqlite3_step(st) == SQLITE_ROW) {
        json_t *b = json_loads((const char *)sqlite3_column_text(st, 0), 0, NULL);
        char err[200];
        al_silence *s = b ? silence_parse(a, b, 0, true, err, sizeof err) : NULL;
        const char *id = json_string_value(json_object_get(b, "id"));
        const char *by = json_string_value(json_object_get(b, "createdBy"));
        if (s && id && (s->id = cw_xstrdup(id))) {
            s->created_by = by ? cw_xstrdup(by) : NULL;
            s->created_real_ms = json_integer_value(json_object_get(b, "created_ms"));
            json_t *ex = json_object_get(b, "expired_ms");
            s->expired_real_ms = json_is_integer(ex) ? json_integer_value(ex) : -1;
            s->body = json_incref(b);
            json_object_del(s->body, "created_ms");
            json_object_del(s->body, "expired_ms");
            if (add(a, s) < 0) silence_free(s);
        } else {
            silence_free(s);
        }
        json_decref(b);
    }
    sqlite3_finalize(st);
}

void al_silences_retention(alerts_t *a, int64_t real_wall_ms)
{
    int64_t now = state_now(a->hub->state);
    int keep = 0;
    for (int i = 0; i < a->nsil; i++) {
        al_silence *s = a->sil[i];
        bool gone =
            (s->expired_real_ms >= 0 && real_wall_ms - s->expired_real_ms > EXPIRED_KEEP_MS) ||
            (s->ends_ms >= 0 && now - s->ends_ms > EXPIRED_KEEP_MS);
        if (gone) {
            silence_free(s);
            continue;
        }
        if (expired_at(s, now)) silence_release_regex(s);
        a->sil[keep++] = s;
    }
    a->nsil = keep;
}
