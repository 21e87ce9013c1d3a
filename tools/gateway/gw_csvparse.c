/* gw_csvparse: RFC 4180 text to records (gw_csv_parse, declared in gw_csv.h). Pure: no I/O,
 * no database, so the fuzz target (tests/fuzz/fuzz_gateway.c) links it alone. */
#include "gw_csv.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Read one field starting at *p; returns it (caller frees) and advances *p past the field
 * and its delimiter. *eol set when the field ended a row. */
static char *next_field(const char **p, const char *end, char delim, bool *eol, bool *bad)
{
    const char *s = *p;
    size_t cap = 64, n = 0;
    char *out = malloc(cap);
    if (!out) return NULL;
    bool quoted = s < end && *s == '"';
    if (quoted) s++;
    *eol = false;
    while (s < end) {
        char c = *s;
        if (quoted) {
            if (c == '"') {
                if (s + 1 < end && s[1] == '"') {
                    s += 2;
                    c = '"';
                } else {
                    quoted = false;
                    s++;
                    continue;
                }
            } else
                s++;
        } else {
            if (c == delim) {
                s++;
                break;
            }
            if (c == '\r' || c == '\n') {
                if (c == '\r' && s + 1 < end && s[1] == '\n') s++;
                s++;
                *eol = true;
                break;
            }
            s++;
        }
        if (n + 2 > cap) {
            cap *= 2;
            char *o = realloc(out, cap);
            if (!o) {
                free(out);
                return NULL;
            }
            out = o;
        }
        out[n++] = c;
    }
    if (quoted) *bad = true; /* an unterminated quote ran to the end of the file */
    if (s >= end) *eol = true;
    out[n] = '\0';
    *p = s;
    return out;
}

json_t *gw_csv_parse(const char *text, size_t len, char delim)
{
    const char *p = text, *end = text + len;
    if (len >= 3 && !memcmp(p, "\xEF\xBB\xBF", 3)) p += 3;
    json_t *rows = json_array();
    json_t *header = json_array();
    if (!rows || !header) goto fail;
    int line = 1;
    bool bad = false;
    while (p < end) {
        int row_line = line;
        json_t *fields = json_array();
        bool eol = false;
        while (!eol) {
            const char *before = p;
            char *f = next_field(&p, end, delim, &eol, &bad);
            if (!f) {
                json_decref(fields);
                goto fail;
            }
            for (const char *q = before; q < p; q++)
                if (*q == '\n') line++;
            /* checked as UTF-8 where it is mapped (gw_map), so the record is quarantined */
            json_array_append_new(fields, json_string_nocheck(f));
            free(f);
        }
        /* skip blank lines */
        if (json_array_size(fields) == 1 && !*json_string_value(json_array_get(fields, 0))) {
            json_decref(fields);
            continue;
        }
        if (json_array_size(header) == 0) {
            json_decref(header);
            header = fields;
            continue;
        }
        json_t *rec = json_object();
        if (bad)
            json_object_set_new(rec, "__error", json_string("unterminated quoted field"));
        else if (json_array_size(fields) != json_array_size(header)) {
            char why[120];
            snprintf(why, sizeof why, "%zu fields, the header has %zu", json_array_size(fields),
                     json_array_size(header));
            json_object_set_new(rec, "__error", json_string(why));
        } else {
            size_t i;
            json_t *h;
            json_array_foreach(header, i, h)
            {
                const char *k = json_string_value(h);
                if (k) json_object_set(rec, k, json_array_get(fields, i));
            }
        }
        json_object_set_new(rec, "__line", json_integer(row_line));
        char *raw = NULL;
        size_t i;
        json_t *fv;
        size_t rl = 0;
        json_array_foreach(fields, i, fv) rl += strlen(json_string_value(fv)) + 1;
        raw = malloc(rl + 1);
        if (raw) {
            raw[0] = '\0';
            json_array_foreach(fields, i, fv)
            {
                if (i) strncat(raw, &delim, 1);
                strcat(raw, json_string_value(fv));
            }
            json_t *jr = json_string(raw);
            json_object_set_new(rec, "__raw", jr ? jr : json_string("(not UTF-8)"));
            free(raw);
        }
        json_decref(fields);
        json_array_append_new(rows, rec);
    }
    json_decref(header);
    return rows;
fail:
    json_decref(rows);
    json_decref(header);
    return NULL;
}
