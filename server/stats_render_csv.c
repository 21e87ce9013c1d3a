/* stats_render_csv: a report model as CSV, UTF-8 with a BOM so that Excel reads the Chinese
 * text (see stats_report.h). One block per table: its title line, the header, the rows, then
 * an empty line. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csvout.h"
#include "stats_report.h"

/* A figure as every renderer shows it: integers plainly, reals with one decimal, null as "". */
static void cell(FILE *f, const json_t *v)
{
    if (json_is_string(v))
        csv_cell(f, json_string_value(v));
    else if (json_is_integer(v))
        fprintf(f, "%lld", (long long)json_integer_value(v));
    else if (json_is_real(v))
        fprintf(f, "%.1f", json_real_value(v));
}

static void line(FILE *f, const json_t *arr, const char *key)
{
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v)
    {
        if (i) fputc(',', f);
        cell(f, key ? json_object_get(v, key) : v);
    }
    fputs("\r\n", f);
}

char *stats_render_csv(const json_t *model, size_t *len)
{
    char *buf = NULL;
    FILE *f = open_memstream(&buf, len);
    if (!f) return NULL;
    fputs("\xEF\xBB\xBF", f);
    csv_cell(f, json_string_value(json_object_get(model, "title")));
    fputs("\r\n", f);
    csv_cell(f, json_string_value(json_object_get(model, "subtitle")));
    fputs("\r\n\r\n", f);
    size_t i, j;
    json_t *t, *r;
    json_array_foreach(json_object_get(model, "tables"), i, t)
    {
        csv_cell(f, json_string_value(json_object_get(t, "title")));
        fputs("\r\n", f);
        line(f, json_object_get(t, "columns"), "name");
        json_array_foreach(json_object_get(t, "rows"), j, r) line(f, r, NULL);
        fputs("\r\n", f);
    }
    fclose(f);
    return buf;
}
