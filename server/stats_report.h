/* stats_report: the daily (日报) and monthly (月报) reports, for the city or one hall
 * (docs/statistics.md). A report is first built as a format-neutral model -- a JSON document of
 * titled tables and one bar chart, every figure already rounded as shown -- then rendered as
 * CSV (UTF-8 with BOM), XLSX (libxlsxwriter) or PDF (cairo + pango, Noto Sans CJK, A4, page
 * numbers), so that the three formats show the same numbers.
 *
 * Model: {"title","subtitle","tables":[{"title","columns":[{"name","type"}],"rows":[[…]]}],
 *         "chart":{"title","labels":[…],"values":[…]}}; a column type is "text", "int" or
 * "num" (one decimal); a missing figure is null.
 *
 * Thread: any (its own sqlite connection or the service thread's reader); pure otherwise.
 */
#ifndef CW_STATS_REPORT_H
#define CW_STATS_REPORT_H

#include <jansson.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "stats_period.h"

enum stats_format { SR_CSV, SR_XLSX, SR_PDF };

/* The model of a report over p (a day: 日报, a month: 月报) for hall (-1: the city), staff
 * names when names. NULL with a message in err. */
json_t *stats_report_model(sqlite3 *db, const cfg_t *cfg, const stats_period *p, int hall,
                           bool names, char *err, size_t n);

/* Render a model; returns malloc'd bytes (*len), or NULL with a message in err. */
char *stats_render(const json_t *model, int format, size_t *len, char *err, size_t n);
char *stats_render_csv(const json_t *model, size_t *len);
char *stats_render_xlsx(const json_t *model, size_t *len, char *err, size_t n);
char *stats_render_pdf(const json_t *model, size_t *len, char *err, size_t n);

/* "csv" / "xlsx" / "pdf" and back (-1 when unknown); the MIME type of a format. */
const char *stats_format_ext(int format);
int stats_format_from_name(const char *s);
const char *stats_format_mime(int format);

#endif
