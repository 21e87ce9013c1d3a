/* gw_map: vendor record -> SPEC §3 event, by an input's mapping; see gw_map.h. */
#include "gw_map.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cwtime.h"
#include "event.h"

/* The value at a dotted path ("a.b.c") of rec, or NULL. */
static json_t *get_path(json_t *rec, const char *path)
{
    json_t *v = rec;
    const char *s = path;
    while (v && *s) {
        const char *dot = strchr(s, '.');
        size_t n = dot ? (size_t)(dot - s) : strlen(s);
        v = json_is_object(v) ? json_object_getn(v, s, n) : NULL;
        s = dot ? dot + 1 : s + n;
    }
    return v;
}

/* The text of a scalar JSON value into buf; NULL for null, objects and arrays. */
static const char *scalar_text(json_t *v, char *buf, size_t n)
{
    if (json_is_string(v)) return json_string_value(v);
    if (json_is_integer(v)) {
        snprintf(buf, n, "%lld", (long long)json_integer_value(v));
        return buf;
    }
    if (json_is_real(v)) {
        snprintf(buf, n, "%.17g", json_real_value(v));
        return buf;
    }
    if (json_is_true(v)) return "true";
    if (json_is_false(v)) return "false";
    return NULL;
}

/* The text of field f in rec after codes and defaults: 0 with *out set (NULL when absent and
 * allowed to be), -1 with err. */
static int field_text(const gw_input *in, const gw_fmap *f, json_t *rec, const char *ref, char *buf,
                      size_t bn, const char **out, char *err, size_t errlen)
{
    *out = NULL;
    if (f->value) {
        *out = f->value;
        return 0;
    }
    json_t *v = get_path(rec, f->field);
    const char *s = v ? scalar_text(v, buf, bn) : NULL;
    if (v && !s && !json_is_null(v)) {
        snprintf(err, errlen, "input %s: record %s: field %s: not a scalar (for %s)", in->name, ref,
                 f->field, f->key);
        return -1;
    }
    if (!s || !*s) {
        if (f->dflt) {
            *out = f->dflt;
            return 0;
        }
        if (f->required) {
            snprintf(err, errlen, "input %s: record %s: field %s: missing (for %s)", in->name, ref,
                     f->field, f->key);
            return -1;
        }
        return 0;
    }
    if (f->ncodes) {
        for (int i = 0; i < f->ncodes; i++)
            if (!strcmp(f->codes[i].from, s)) {
                *out = f->codes[i].to;
                return 0;
            }
        if (f->dflt) {
            *out = f->dflt;
            return 0;
        }
        snprintf(err, errlen, "input %s: record %s: field %s: unknown code '%.60s' (for %s)",
                 in->name, ref, f->field, s, f->key);
        return -1;
    }
    *out = s;
    return 0;
}

static bool parse_i64(const char *s, long long *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    while (*end && isspace((unsigned char)*end))
        end++;
    if (errno || end == s || *end) return false;
    *out = v;
    return true;
}

/* Typed JSON value of text s for f, or NULL with err. */
static json_t *typed(const gw_input *in, const gw_fmap *f, const char *s, const char *ref,
                     char *err, size_t errlen)
{
    const char *fname = f->field ? f->field : "(value)";
    if (f->vtype == GW_V_INT) {
        long long v;
        if (parse_i64(s, &v)) return json_integer(v);
        snprintf(err, errlen, "input %s: record %s: field %s: '%.60s' is not an integer (for %s)",
                 in->name, ref, fname, s, f->key);
        return NULL;
    }
    if (f->vtype == GW_V_BOOL) {
        static const char *const yes[] = {"true", "1", "yes", "y", "Y", "TRUE", "True", "是"};
        static const char *const no[] = {"false", "0", "no", "n", "N", "FALSE", "False", "否"};
        for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) {
            if (!strcmp(s, yes[i])) return json_true();
            if (!strcmp(s, no[i])) return json_false();
        }
        snprintf(err, errlen, "input %s: record %s: field %s: '%.60s' is not a boolean (for %s)",
                 in->name, ref, fname, s, f->key);
        return NULL;
    }
    if (!ev_utf8_valid(s, strlen(s), true)) {
        snprintf(err, errlen, "input %s: record %s: field %s: invalid UTF-8 (for %s)", in->name,
                 ref, fname, f->key);
        return NULL;
    }
    return json_string(s);
}

/* RFC 3339 text of UTC ms at a fixed offset into out (40 bytes). */
static void format_at(int64_t ms, int off_min, char out[40])
{
    char buf[96];
    int64_t local = ms + (int64_t)off_min * 60000;
    time_t secs = (time_t)(local >= 0 ? local / 1000 : (local - 999) / 1000);
    int frac = (int)(local - (int64_t)secs * 1000);
    struct tm tm;
    gmtime_r(&secs, &tm);
    int a = off_min < 0 ? -off_min : off_min;
    snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03d%c%02d:%02d", tm.tm_year + 1900,
             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, frac,
             off_min < 0 ? '-' : '+', a / 60, a % 60);
    snprintf(out, 40, "%.39s", buf);
}

/* The event's "at" from text s per the mapping's format into out (40 bytes): 0 or -1. */
static int convert_at(const gw_map *m, const char *s, char *out)
{
    int64_t ms;
    int off;
    long long v;
    switch (m->at_format) {
    case GW_AT_RFC3339:
        if (cwt_parse_rfc3339(s, &ms, &off) < 0) return -1;
        format_at(ms, off, out);
        return 0;
    case GW_AT_UNIX:
    case GW_AT_UNIX_MS:
        /* up to 9999-12-31 (found by tests/fuzz/fuzz_gateway.c: larger values overflowed) */
        if (!parse_i64(s, &v) || v < 0 ||
            v > (m->at_format == GW_AT_UNIX ? 253402300799LL : 253402300799999LL))
            return -1;
        format_at(m->at_format == GW_AT_UNIX ? v * 1000 : v, m->tz_offset_min, out);
        return 0;
    case GW_AT_LOCAL: {
        int Y, M, D, h, mi, sec, n = 0;
        if (sscanf(s, "%4d-%2d-%2d%*1[ T]%2d:%2d:%2d%n", &Y, &M, &D, &h, &mi, &sec, &n) != 6)
            return -1;
        int fms = 0;
        const char *r = s + n;
        if (*r == '.') {
            int digits = 0;
            for (r++; isdigit((unsigned char)*r); r++, digits++)
                if (digits < 3) fms = fms * 10 + (*r - '0');
            for (; digits < 3 && digits > 0; digits++)
                fms *= 10;
        }
        if (*r) return -1;
        char buf[64];
        snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03d%c%02d:%02d", Y, M, D, h, mi,
                 sec, fms, m->tz_offset_min < 0 ? '-' : '+', abs(m->tz_offset_min) / 60,
                 abs(m->tz_offset_min) % 60);
        if (cwt_parse_rfc3339(buf, &ms, &off) < 0) return -1;
        format_at(ms, off, out);
        return 0;
    }
    }
    return -1;
}

const char *gw_map_id(const gw_input *in, json_t *rec, char *out, size_t n)
{
    char buf[64];
    json_t *v = in->map.id_field ? get_path(rec, in->map.id_field) : NULL;
    const char *id = v ? scalar_text(v, buf, sizeof buf) : NULL;
    if (!id || !*id) return NULL;
    snprintf(out, n, "%s", id);
    return out;
}

const char *gw_map_ref(const gw_input *in, json_t *rec, const char *ref, char *out, size_t n)
{
    char buf[64];
    json_t *v = in->map.id_field ? get_path(rec, in->map.id_field) : NULL;
    const char *id = v ? scalar_text(v, buf, sizeof buf) : NULL;
    if (id)
        snprintf(out, n, "%s (%s %.60s)", ref, in->map.id_field, id);
    else
        snprintf(out, n, "%s", ref);
    return out;
}

json_t *gw_map_record(const gw_input *in, const cfg_t *city, json_t *rec, const char *ref,
                      char *err, size_t errlen)
{
    char b1[64], b2[64], b3[64];
    const char *hall, *type, *at;
    const gw_map *m = &in->map;
    if (!json_is_object(rec)) {
        snprintf(err, errlen, "input %s: record %s: not a JSON object", in->name, ref);
        return NULL;
    }
    gw_fmap hf = m->hall, tf = m->type, af = m->at;
    hf.required = tf.required = af.required = true;
    if (field_text(in, &hf, rec, ref, b1, sizeof b1, &hall, err, errlen) < 0 ||
        field_text(in, &tf, rec, ref, b2, sizeof b2, &type, err, errlen) < 0 ||
        field_text(in, &af, rec, ref, b3, sizeof b3, &at, err, errlen) < 0)
        return NULL;
    if (ev_type_from_name(type) < 0) {
        snprintf(err, errlen, "input %s: record %s: field %s: '%.60s' is not an event type",
                 in->name, ref, tf.field ? tf.field : "(value)", type);
        return NULL;
    }
    char atbuf[40];
    if (convert_at(m, at, atbuf) < 0) {
        static const char *const fmts[] = {"RFC 3339 with an offset", "YYYY-MM-DD HH:MM:SS",
                                           "unix seconds", "unix milliseconds"};
        snprintf(err, errlen, "input %s: record %s: field %s: '%.60s' is not %s", in->name, ref,
                 af.field ? af.field : "(value)", at, fmts[m->at_format]);
        return NULL;
    }
    json_t *data = json_object();
    json_t *ev = json_pack("{s:s, s:s, s:s, s:s}", "hall", hall, "feed", in->feed, "type", type,
                           "at", atbuf);
    if (!ev || !data) {
        json_decref(ev);
        json_decref(data);
        snprintf(err, errlen, "input %s: record %s: out of memory", in->name, ref);
        return NULL;
    }
    json_object_set_new(ev, "data", data);
    for (int i = 0; i < m->ndata; i++) {
        const gw_fmap *f = &m->data[i];
        char buf[64];
        const char *s;
        if (field_text(in, f, rec, ref, buf, sizeof buf, &s, err, errlen) < 0) goto fail;
        if (!s) continue;
        json_t *v = typed(in, f, s, ref, err, errlen);
        if (!v) goto fail;
        json_object_set_new(data, f->key, v);
    }
    if (city) { /* the hub's own checks, so a bad record stays here with its reason */
        json_object_set_new(ev, "seq", json_integer(1));
        ev_event e;
        char why[300];
        int rc = ev_parse(city, ev, &e, why, sizeof why);
        json_object_del(ev, "seq");
        if (rc < 0) {
            snprintf(err, errlen, "input %s: record %s: %s", in->name, ref, why);
            goto fail;
        }
    }
    return ev;
fail:
    json_decref(ev);
    return NULL;
}
