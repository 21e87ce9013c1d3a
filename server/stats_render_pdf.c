/* stats_render_pdf: a report model as an A4 PDF (cairo + pango with Noto Sans CJK; see
 * stats_report.h): the title, every table (a header row repeated on each new page), the bar
 * chart after the second table, and "第 N 页 / 共 M 页" at the foot of every page. Laid out
 * twice: once to count the pages, once to draw. */
#include <cairo-pdf.h>
#include <pango/pangocairo.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stats_report.h"

#define PAGE_W 595.276 /* A4 in points */
#define PAGE_H 841.890
#define MARGIN 42.0
#define ROW_H 16.0
#define FONT "Noto Sans CJK SC"
#define HEAD_SIZE 7 /* the font size of column headers */

typedef struct pdf {
    cairo_t *cr; /* NULL while counting */
    double y;
    int page, pages;
} pdf;

static void text(pdf *p, double x, double y, double w, const char *s, int size, bool bold,
                 bool right)
{
    if (!p->cr) return;
    PangoLayout *l = pango_cairo_create_layout(p->cr);
    char font[64];
    snprintf(font, sizeof font, FONT " %s %d", bold ? "Bold" : "", size);
    PangoFontDescription *fd = pango_font_description_from_string(font);
    pango_layout_set_font_description(l, fd);
    pango_layout_set_text(l, s, -1);
    pango_layout_set_width(l, (int)(w * PANGO_SCALE));
    if (size == HEAD_SIZE) /* a column header may take two lines */
        pango_layout_set_wrap(l, PANGO_WRAP_CHAR);
    else
        pango_layout_set_ellipsize(l, PANGO_ELLIPSIZE_END);
    pango_layout_set_alignment(l, right ? PANGO_ALIGN_RIGHT : PANGO_ALIGN_LEFT);
    cairo_move_to(p->cr, x, y);
    pango_cairo_show_layout(p->cr, l);
    pango_font_description_free(fd);
    g_object_unref(l);
}

static void footer(pdf *p)
{
    char s[64];
    snprintf(s, sizeof s, "第 %d 页 / 共 %d 页", p->page, p->pages);
    text(p, MARGIN, PAGE_H - MARGIN + 12, PAGE_W - 2 * MARGIN, s, 8, false, true);
}

static void new_page(pdf *p)
{
    footer(p);
    if (p->cr) cairo_show_page(p->cr);
    p->page++;
    p->y = MARGIN;
}

static void ensure(pdf *p, double h)
{
    if (p->y + h > PAGE_H - MARGIN) new_page(p);
}

static void fmt_cell(const json_t *v, char *out, size_t n)
{
    if (json_is_string(v))
        snprintf(out, n, "%s", json_string_value(v));
    else if (json_is_integer(v))
        snprintf(out, n, "%lld", (long long)json_integer_value(v));
    else if (json_is_real(v))
        snprintf(out, n, "%.1f", json_real_value(v));
    else
        snprintf(out, n, "-");
}

static void table_row(pdf *p, const json_t *cells, const char *key, bool head)
{
    size_t nc = json_array_size(cells), i;
    double first = nc > 4 ? 130 : 200, w = (PAGE_W - 2 * MARGIN - first) / (double)(nc - 1);
    json_t *v;
    double h = head ? 2 * ROW_H - 4 : ROW_H;
    if (p->cr && head) {
        cairo_set_source_rgb(p->cr, 0.90, 0.93, 0.97);
        cairo_rectangle(p->cr, MARGIN, p->y, PAGE_W - 2 * MARGIN, h);
        cairo_fill(p->cr);
        cairo_set_source_rgb(p->cr, 0, 0, 0);
    }
    json_array_foreach(cells, i, v)
    {
        char s[200];
        fmt_cell(key ? json_object_get(v, key) : v, s, sizeof s);
        double x = i ? MARGIN + first + w * (double)(i - 1) : MARGIN;
        text(p, x + 2, p->y + 2, (i ? w : first) - 4, s, head ? HEAD_SIZE : 8, head, i > 0);
    }
    p->y += h;
}

static void table(pdf *p, const json_t *t)
{
    size_t nrows = json_array_size(json_object_get(t, "rows"));
    ensure(p, (double)(nrows < 6 ? nrows + 3 : 8) * ROW_H + 10); /* a short table stays whole */
    p->y += 6;
    text(p, MARGIN, p->y, PAGE_W - 2 * MARGIN, json_string_value(json_object_get(t, "title")), 11,
         true, false);
    p->y += ROW_H + 4;
    const json_t *cols = json_object_get(t, "columns");
    table_row(p, cols, "name", true);
    size_t j;
    json_t *r;
    json_array_foreach(json_object_get(t, "rows"), j, r)
    {
        if (p->y + ROW_H > PAGE_H - MARGIN) {
            new_page(p);
            table_row(p, cols, "name", true);
        }
        table_row(p, r, NULL, false);
    }
}

static void chart(pdf *p, const json_t *c)
{
    const json_t *labels = json_object_get(c, "labels"), *values = json_object_get(c, "values");
    size_t n = json_array_size(values);
    if (!n) return;
    double h = 180, w = PAGE_W - 2 * MARGIN, max = 1;
    for (size_t i = 0; i < n; i++)
        if (json_number_value(json_array_get(values, i)) > max)
            max = json_number_value(json_array_get(values, i));
    ensure(p, h + 40);
    p->y += 8;
    text(p, MARGIN, p->y, w, json_string_value(json_object_get(c, "title")), 11, true, false);
    p->y += ROW_H + 4;
    double base = p->y + h - 20, bw = w / (double)n;
    for (size_t i = 0; p->cr && i < n; i++) {
        double v = json_number_value(json_array_get(values, i)), bh = (h - 40) * v / max;
        cairo_set_source_rgb(p->cr, 0.18, 0.45, 0.80);
        cairo_rectangle(p->cr, MARGIN + bw * (double)i + bw * 0.15, base - bh, bw * 0.7, bh);
        cairo_fill(p->cr);
        cairo_set_source_rgb(p->cr, 0, 0, 0);
        char s[32];
        snprintf(s, sizeof s, "%.0f", v);
        text(p, MARGIN + bw * (double)i, base - bh - 12, bw, s, 6, false, false);
        text(p, MARGIN + bw * (double)i, base + 2, bw, json_string_value(json_array_get(labels, i)),
             6, false, false);
    }
    p->y += h;
}

static void layout(pdf *p, const json_t *model)
{
    p->page = 1;
    p->y = MARGIN;
    text(p, MARGIN, p->y, PAGE_W - 2 * MARGIN, json_string_value(json_object_get(model, "title")),
         16, true, false);
    p->y += 26;
    text(p, MARGIN, p->y, PAGE_W - 2 * MARGIN,
         json_string_value(json_object_get(model, "subtitle")), 9, false, false);
    p->y += 16;
    size_t i;
    json_t *t;
    json_array_foreach(json_object_get(model, "tables"), i, t)
    {
        table(p, t);
        if (i == 1) chart(p, json_object_get(model, "chart"));
    }
    footer(p);
    if (p->cr) cairo_show_page(p->cr);
}

static cairo_status_t grow(void *closure, const unsigned char *data, unsigned int length)
{
    FILE *f = closure;
    return fwrite(data, 1, length, f) == length ? CAIRO_STATUS_SUCCESS : CAIRO_STATUS_WRITE_ERROR;
}

char *stats_render_pdf(const json_t *model, size_t *len, char *err, size_t n)
{
    pdf p = {0};
    layout(&p, model); /* count the pages */
    p.pages = p.page;
    char *buf = NULL;
    FILE *f = open_memstream(&buf, len);
    if (!f) return snprintf(err, n, "pdf: out of memory"), NULL;
    cairo_surface_t *s = cairo_pdf_surface_create_for_stream(grow, f, PAGE_W, PAGE_H);
    cairo_pdf_surface_set_metadata(s, CAIRO_PDF_METADATA_TITLE,
                                   json_string_value(json_object_get(model, "title")));
    p.cr = cairo_create(s);
    layout(&p, model);
    cairo_destroy(p.cr);
    cairo_surface_finish(s);
    cairo_status_t st = cairo_surface_status(s);
    cairo_surface_destroy(s);
    fclose(f);
    if (st != CAIRO_STATUS_SUCCESS) {
        free(buf);
        snprintf(err, n, "pdf: %s", cairo_status_to_string(st));
        return NULL;
    }
    return buf;
}
