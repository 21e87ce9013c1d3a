/* stats_report: the report model (see stats_report.h) from period KPIs and scorecards. */
#include "stats_report.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "event.h"
#include "stats_query.h"
#include "stats_score.h"

const char *stats_format_ext(int format)
{
    return format == SR_XLSX ? "xlsx" : format == SR_PDF ? "pdf" : "csv";
}

int stats_format_from_name(const char *s)
{
    if (!s) return -1;
    for (int f = SR_CSV; f <= SR_PDF; f++)
        if (!strcmp(s, stats_format_ext(f))) return f;
    return -1;
}

const char *stats_format_mime(int format)
{
    switch (format) {
    case SR_XLSX:
        return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
    case SR_PDF:
        return "application/pdf";
    default:
        return "text/csv; charset=utf-8";
    }
}

char *stats_render(const json_t *model, int format, size_t *len, char *err, size_t n)
{
    if (format == SR_XLSX) return stats_render_xlsx(model, len, err, n);
    if (format == SR_PDF) return stats_render_pdf(model, len, err, n);
    return stats_render_csv(model, len);
}

/* ---- figures, rounded as shown ------------------------------------------------------------ */

static json_t *num1(double v)
{
    return json_real(round(v * 10.0) / 10.0);
}

static json_t *pct(int64_t num, int64_t den)
{
    return den > 0 ? num1(100.0 * (double)num / (double)den) : json_null();
}

static json_t *minutes(int64_t sum_ms, int64_t cnt)
{
    return cnt > 0 ? num1((double)sum_ms / (double)cnt / 60000.0) : json_null();
}

static json_t *column(const char *name, const char *type)
{
    return json_pack("{s:s,s:s}", "name", name, "type", type);
}

static json_t *table(const char *title, json_t *columns)
{
    return json_pack("{s:s,s:o,s:[]}", "title", title, "columns", columns, "rows");
}

/* The headline figures of an accumulator, as (指标, 数值) rows. */
static json_t *kpi_table(const stats_acc *a)
{
    const int64_t *c = a->c;
    json_t *t =
        table("总体指标", json_pack("[o,o]", column("指标", "text"), column("数值", "num")));
    json_t *rows = json_object_get(t, "rows");
    struct {
        const char *name;
        json_t *v;
    } k[] = {{"取号量", json_integer(c[SC_ISSUED])},
             {"办结量", json_integer(c[SC_FINISHED])},
             {"一次办结率(%)", pct(c[SC_DONE], c[SC_FINISHED])},
             {"补正率(%)", pct(c[SC_SUPPLEMENT], c[SC_FINISHED])},
             {"过号", json_integer(c[SC_NO_SHOW])},
             {"平均等候(分钟)", minutes(c[SC_WAIT_MS], c[SC_WAIT_N])},
             {"平均办理(分钟)", minutes(c[SC_SVC_MS], c[SC_SVC_N])},
             {"评价数", json_integer(c[SC_REVIEWS])},
             {"好评率(%)", pct(c[SC_GOOD], c[SC_REVIEWS])},
             {"差评数", json_integer(c[SC_BAD])},
             {"回访率(%)", pct(c[SC_CONTACTED], c[SC_BAD])},
             {"整改率(%)", pct(c[SC_RECT_ON_TIME], c[SC_BAD_DUE])}};
    for (size_t i = 0; i < sizeof k / sizeof k[0]; i++)
        json_array_append_new(rows, json_pack("[s,o]", k[i].name, k[i].v));
    return t;
}

static json_t *breakdown_columns(const char *first)
{
    return json_pack("[o,o,o,o,o,o,o,o,o,o]", column(first, "text"), column("取号", "int"),
                     column("办结", "int"), column("一次办结率(%)", "num"),
                     column("平均等候(分钟)", "num"), column("平均办理(分钟)", "num"),
                     column("过号", "int"), column("评价", "int"), column("好评率(%)", "num"),
                     column("差评", "int"));
}

static json_t *breakdown_row(const char *label, const stats_acc *a)
{
    const int64_t *c = a->c;
    return json_pack("[s,I,I,o,o,o,I,I,o,I]", label, (json_int_t)c[SC_ISSUED],
                     (json_int_t)c[SC_FINISHED], pct(c[SC_DONE], c[SC_FINISHED]),
                     minutes(c[SC_WAIT_MS], c[SC_WAIT_N]), minutes(c[SC_SVC_MS], c[SC_SVC_N]),
                     (json_int_t)c[SC_NO_SHOW], (json_int_t)c[SC_REVIEWS],
                     pct(c[SC_GOOD], c[SC_REVIEWS]), (json_int_t)c[SC_BAD]);
}

static json_t *channel_table(const stats_acc *a)
{
    json_t *t =
        table("取号渠道", json_pack("[o,o,o,o]", column("渠道", "text"), column("取号", "int"),
                                    column("占比(%)", "num"), column("平均等候(分钟)", "num")));
    json_t *rows = json_object_get(t, "rows");
    static const char *const names[STATS_NCH] = {"自助取号", "微信", "预约", "窗口", "网上"};
    for (int i = 0; i < STATS_NCH; i++)
        json_array_append_new(rows, json_pack("[s,I,o,o]", names[i], (json_int_t)a->ch[i][0],
                                              pct(a->ch[i][0], a->c[SC_ISSUED]),
                                              minutes(a->ch[i][2], a->ch[i][1])));
    return t;
}

/* Per hall (a city report) or per biz type (a hall report), with the chart of 办结. */
static int breakdown(sqlite3 *db, const cfg_t *cfg, const stats_period *p, int hall, json_t *model,
                     stats_acc *total, char *err, size_t n)
{
    stats_filter f = {.level = hall < 0 ? SL_HALL : SL_BIZ, .hall = hall};
    stats_result r;
    if (stats_query(db, cfg, p, &f, &r, err, n) < 0) return -1;
    *total = r.total;
    json_t *t =
        table(hall < 0 ? "各中心" : "各业务", breakdown_columns(hall < 0 ? "中心" : "业务"));
    json_t *labels = json_array(), *values = json_array();
    for (int i = 0; i < r.nrows; i++) {
        char label[200];
        const char *name = stats_row_name(cfg, f.level, &r.rows[i], false);
        snprintf(label, sizeof label, "%s %s",
                 hall < 0 ? cfg->halls[r.rows[i].hall].id : r.rows[i].key, name ? name : "");
        json_array_append_new(json_object_get(t, "rows"), breakdown_row(label, &r.rows[i].acc));
        json_array_append_new(
            labels, json_string(hall < 0 ? cfg->halls[r.rows[i].hall].id : r.rows[i].key));
        json_array_append_new(values, json_integer(r.rows[i].acc.c[SC_FINISHED]));
    }
    json_array_append_new(json_object_get(model, "tables"), t);
    json_object_set_new(
        model, "chart",
        json_pack("{s:s,s:o,s:o}", "title", "办结量", "labels", labels, "values", values));
    stats_result_free(&r);
    return 0;
}

static json_t *opt_num(json_t *card, const char *k, double scale)
{
    json_t *v = json_object_get(card, k);
    return v ? num1(json_number_value(v) * scale) : json_null();
}

/* A month: staff scorecards of the hall, or the city's 约谈 list. */
static int staff_table(sqlite3 *db, const cfg_t *cfg, const stats_period *p, int hall, bool names,
                       json_t *model, char *err, size_t n)
{
    json_t *doc = stats_scorecards(db, cfg, p, SL_STAFF, hall, NULL, names, err, n);
    if (!doc) return -1;
    json_t *src = json_object_get(doc, hall < 0 ? "interview" : "rows");
    json_t *t = table(
        hall < 0 ? "约谈名单(连续排名末位)" : "人员考核",
        json_pack("[o,o,o,o,o,o,o,o,o,o]", column("中心", "text"), column("工号", "text"),
                  column("姓名", "text"), column("办结", "int"), column("平均办理(分钟)", "num"),
                  column("好评率(%)", "num"), column("差评", "int"), column("出勤率(%)", "num"),
                  column("中心排名", "int"), column("约谈", "text")));
    size_t i;
    json_t *c;
    json_array_foreach(src, i, c)
    {
        json_t *rank = json_object_get(c, "rank_hall");
        const char *name = json_string_value(json_object_get(c, "name"));
        json_array_append_new(
            json_object_get(t, "rows"),
            json_pack("[O,O,s,O,o,o,O,o,O,s]", json_object_get(c, "hall"),
                      json_object_get(c, "staff"), name ? name : "", json_object_get(c, "served"),
                      opt_num(c, "avg_service_s", 1.0 / 60), opt_num(c, "good_rate", 100),
                      json_object_get(c, "bad_reviews"), opt_num(c, "attendance_rate", 100),
                      rank ? rank : json_null(),
                      json_is_true(json_object_get(c, "interview")) ? "是" : ""));
    }
    json_array_append_new(json_object_get(model, "tables"), t);
    json_decref(doc);
    return 0;
}

json_t *stats_report_model(sqlite3 *db, const cfg_t *cfg, const stats_period *p, int hall,
                           bool names, char *err, size_t n)
{
    bool monthly = p->kind == SP_MONTH;
    char title[300], sub[200];
    snprintf(title, sizeof title, "%s 政务服务%s",
             hall < 0 ? cfg->city.name : cfg->halls[hall].name, monthly ? "月报" : "日报");
    snprintf(sub, sizeof sub, "%s %s", monthly ? "统计月份" : "统计日期", p->label);
    json_t *model = json_pack("{s:s,s:s,s:[]}", "title", title, "subtitle", sub, "tables");
    stats_acc total;
    json_t *tables = json_object_get(model, "tables");
    json_array_append_new(tables, json_null()); /* the headline table, filled below */
    if (breakdown(db, cfg, p, hall, model, &total, err, n) < 0 ||
        (monthly && staff_table(db, cfg, p, hall, names, model, err, n) < 0)) {
        json_decref(model);
        return NULL;
    }
    json_array_set_new(tables, 0, kpi_table(&total));
    json_array_append_new(tables, channel_table(&total));
    return model;
}
