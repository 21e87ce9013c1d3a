/* stats_render_xlsx: a report model as an XLSX workbook (libxlsxwriter; see stats_report.h):
 * one sheet per table with its title above the header, and the model's bar chart on the sheet
 * of the table it counts. libxlsxwriter writes a file: a temporary one, read back. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xlsxwriter.h>

#include "stats_report.h"

typedef struct fmts {
    lxw_format *title, *head, *num1;
} fmts;

static void write_cell(lxw_worksheet *ws, int r, int c, const json_t *v, const fmts *f)
{
    if (json_is_string(v))
        worksheet_write_string(ws, (lxw_row_t)r, (lxw_col_t)c, json_string_value(v), NULL);
    else if (json_is_integer(v))
        worksheet_write_number(ws, (lxw_row_t)r, (lxw_col_t)c, (double)json_integer_value(v), NULL);
    else if (json_is_real(v))
        worksheet_write_number(ws, (lxw_row_t)r, (lxw_col_t)c, json_real_value(v), f->num1);
}

static void write_table(lxw_workbook *wb, const json_t *model, const json_t *t, int ti,
                        const fmts *f)
{
    char name[32];
    snprintf(name, sizeof name, "表%d", ti + 1);
    lxw_worksheet *ws = workbook_add_worksheet(wb, name);
    worksheet_write_string(ws, 0, 0, json_string_value(json_object_get(model, "title")), f->title);
    worksheet_write_string(ws, 1, 0, json_string_value(json_object_get(t, "title")), f->head);
    size_t i, j;
    json_t *c, *r, *v;
    json_array_foreach(json_object_get(t, "columns"), i, c)
    {
        worksheet_write_string(ws, 2, (lxw_col_t)i, json_string_value(json_object_get(c, "name")),
                               f->head);
        worksheet_set_column(ws, (lxw_col_t)i, (lxw_col_t)i, i ? 14 : 30, NULL);
    }
    json_array_foreach(json_object_get(t, "rows"), j, r)
    {
        json_array_foreach(r, i, v) write_cell(ws, (int)j + 3, (int)i, v, f);
    }
    size_t nrows = json_array_size(json_object_get(t, "rows"));
    if (ti != 1 || !nrows) return; /* the chart counts the second table's 办结 (column C) */
    lxw_chart *ch = workbook_add_chart(wb, LXW_CHART_COLUMN);
    lxw_chart_series *s = chart_add_series(ch, NULL, NULL);
    chart_series_set_categories(s, name, 3, 0, (lxw_row_t)(nrows + 2), 0);
    chart_series_set_values(s, name, 3, 2, (lxw_row_t)(nrows + 2), 2);
    chart_title_set_name(
        ch, json_string_value(json_object_get(json_object_get(model, "chart"), "title")));
    chart_legend_set_position(ch, LXW_CHART_LEGEND_NONE);
    worksheet_insert_chart(ws, (lxw_row_t)(nrows + 5), 0, ch);
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = n >= 0 ? malloc((size_t)n + 1) : NULL;
    if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    if (buf) *len = (size_t)n;
    return buf;
}

char *stats_render_xlsx(const json_t *model, size_t *len, char *err, size_t n)
{
    char path[] = "/tmp/citywall-report-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0) return snprintf(err, n, "xlsx: cannot create a temporary file"), NULL;
    close(fd);
    lxw_workbook *wb = workbook_new(path);
    if (!wb) {
        unlink(path);
        return snprintf(err, n, "xlsx: cannot start a workbook"), NULL;
    }
    fmts f = {workbook_add_format(wb), workbook_add_format(wb), workbook_add_format(wb)};
    format_set_bold(f.title);
    format_set_font_size(f.title, 14);
    format_set_bold(f.head);
    format_set_num_format(f.num1, "0.0");
    size_t i;
    json_t *t;
    json_array_foreach(json_object_get(model, "tables"), i, t)
        write_table(wb, model, t, (int)i, &f);
    lxw_error rc = workbook_close(wb);
    char *buf = rc == LXW_NO_ERROR ? slurp(path, len) : NULL;
    unlink(path);
    if (!buf) snprintf(err, n, "xlsx: %s", lxw_strerror(rc));
    return buf;
}
