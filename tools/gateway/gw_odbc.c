/* gw_odbc: the SQL table tailer (unixODBC); see gw_odbc.h. */
#include "gw_odbc.h"

#include <sql.h>
#include <sqlext.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct gw_odbc {
    const gw_input *in;
    SQLHENV env;
    SQLHDBC dbc;
    bool connected;
    bool failing; /* an error was logged; the next success logs the recovery */
};

/* The first diagnostic record of handle h into out. */
static void diag(SQLSMALLINT type, SQLHANDLE h, char *out, size_t n)
{
    SQLCHAR state[8] = "", msg[400] = "";
    SQLINTEGER native = 0;
    SQLSMALLINT len = 0;
    if (!SQL_SUCCEEDED(SQLGetDiagRec(type, h, 1, state, &native, msg, sizeof msg, &len)))
        snprintf(out, n, "(no diagnostic)");
    else
        snprintf(out, n, "%s %s", (const char *)state, (const char *)msg);
}

static void disconnect(gw_odbc *q)
{
    if (q->dbc) {
        if (q->connected) SQLDisconnect(q->dbc);
        SQLFreeHandle(SQL_HANDLE_DBC, q->dbc);
    }
    if (q->env) SQLFreeHandle(SQL_HANDLE_ENV, q->env);
    q->dbc = q->env = NULL;
    q->connected = false;
}

static int connect_db(gw_odbc *q, char *err, size_t n)
{
    if (q->connected) return 0;
    if (!SQL_SUCCEEDED(SQLAllocHandle(SQL_HANDLE_ENV, SQL_NULL_HANDLE, &q->env)) ||
        !SQL_SUCCEEDED(SQLSetEnvAttr(q->env, SQL_ATTR_ODBC_VERSION, (SQLPOINTER)SQL_OV_ODBC3, 0)) ||
        !SQL_SUCCEEDED(SQLAllocHandle(SQL_HANDLE_DBC, q->env, &q->dbc))) {
        snprintf(err, n, "cannot allocate ODBC handles");
        disconnect(q);
        return -1;
    }
    SQLSetConnectAttr(q->dbc, SQL_ATTR_LOGIN_TIMEOUT, (SQLPOINTER)5, 0);
    SQLCHAR out[1024];
    SQLSMALLINT outlen;
    SQLRETURN r = SQLDriverConnect(q->dbc, NULL, (SQLCHAR *)q->in->dsn, SQL_NTS, out, sizeof out,
                                   &outlen, SQL_DRIVER_NOPROMPT);
    if (!SQL_SUCCEEDED(r)) {
        diag(SQL_HANDLE_DBC, q->dbc, err, n);
        disconnect(q);
        return -1;
    }
    q->connected = true;
    return 0;
}

gw_odbc *gw_odbc_new(const gw_input *in)
{
    gw_odbc *q = calloc(1, sizeof *q);
    if (q) q->in = in;
    return q;
}

void gw_odbc_free(gw_odbc *q)
{
    if (!q) return;
    disconnect(q);
    free(q);
}

/* Column value i (1-based) as a malloc'd string; *null when SQL NULL. NULL on error. */
static char *get_text(SQLHSTMT st, SQLUSMALLINT col, bool *null)
{
    size_t cap = 256, len = 0;
    char *buf = malloc(cap);
    *null = false;
    if (!buf) return NULL;
    for (;;) {
        SQLLEN ind = 0;
        SQLRETURN r = SQLGetData(st, col, SQL_C_CHAR, buf + len, (SQLLEN)(cap - len), &ind);
        if (r == SQL_NO_DATA) break;
        if (!SQL_SUCCEEDED(r)) {
            free(buf);
            return NULL;
        }
        if (ind == SQL_NULL_DATA) {
            *null = true;
            break;
        }
        if (r == SQL_SUCCESS_WITH_INFO && (ind == SQL_NO_TOTAL || (size_t)ind >= cap - len)) {
            len = cap - 1; /* the buffer is full up to its NUL */
            cap *= 2;
            char *b = realloc(buf, cap);
            if (!b) {
                free(buf);
                return NULL;
            }
            buf = b;
            continue;
        }
        len += (size_t)ind;
        break;
    }
    buf[len] = '\0';
    return buf;
}

/* Rows with key > after, at most max: an array of records; *last = the highest key. */
static json_t *fetch(gw_odbc *q, long long after, int max, long long *last, char *err, size_t n)
{
    const gw_input *in = q->in;
    SQLHSTMT st = NULL;
    json_t *rows = NULL;
    char sql[512];
    snprintf(sql, sizeof sql, "SELECT * FROM %s WHERE %s > ? ORDER BY %s", in->table, in->key,
             in->key);
    if (!SQL_SUCCEEDED(SQLAllocHandle(SQL_HANDLE_STMT, q->dbc, &st))) {
        diag(SQL_HANDLE_DBC, q->dbc, err, n);
        return NULL;
    }
    SQLSetStmtAttr(st, SQL_ATTR_MAX_ROWS, (SQLPOINTER)(SQLULEN)max, 0);
    SQLBIGINT p = after;
    SQLLEN pind = 0;
    if (!SQL_SUCCEEDED(SQLBindParameter(st, 1, SQL_PARAM_INPUT, SQL_C_SBIGINT, SQL_BIGINT, 0, 0, &p,
                                        0, &pind)) ||
        !SQL_SUCCEEDED(SQLExecDirect(st, (SQLCHAR *)sql, SQL_NTS))) {
        diag(SQL_HANDLE_STMT, st, err, n);
        goto done;
    }
    SQLSMALLINT ncols = 0;
    SQLNumResultCols(st, &ncols);
    char names[256][128];
    if (ncols > 256) ncols = 256;
    int keycol = -1;
    for (SQLSMALLINT c = 0; c < ncols; c++) {
        SQLSMALLINT nl, type, dec, nullable;
        SQLULEN size;
        SQLDescribeCol(st, (SQLUSMALLINT)(c + 1), (SQLCHAR *)names[c], sizeof names[c], &nl, &type,
                       &size, &dec, &nullable);
        if (!strcasecmp(names[c], in->key)) keycol = c;
    }
    if (keycol < 0) {
        snprintf(err, n, "table %s has no column %s", in->table, in->key);
        goto done;
    }
    rows = json_array();
    *last = after;
    int got = 0;
    SQLRETURN r;
    while (got < max && SQL_SUCCEEDED(r = SQLFetch(st))) {
        json_t *rec = json_object();
        for (SQLSMALLINT c = 0; c < ncols; c++) {
            bool null;
            char *v = get_text(st, (SQLUSMALLINT)(c + 1), &null);
            if (!v) {
                diag(SQL_HANDLE_STMT, st, err, n);
                json_decref(rec);
                json_decref(rows);
                rows = NULL;
                goto done;
            }
            if (!null) json_object_set_new(rec, names[c], json_string_nocheck(v));
            if (c == keycol) {
                char *end;
                long long k = strtoll(v, &end, 10);
                if (null || *end || end == v) {
                    snprintf(err, n, "column %s: '%.40s' is not an integer", in->key, v);
                    free(v);
                    json_decref(rec);
                    json_decref(rows);
                    rows = NULL;
                    goto done;
                }
                if (k > *last) *last = k;
            }
            free(v);
        }
        json_array_append_new(rows, rec);
        got++;
    }
done:
    SQLFreeHandle(SQL_HANDLE_STMT, st);
    return rows;
}

int gw_odbc_poll(gw_odbc *q, gw_taker *t)
{
    const gw_input *in = q->in;
    char err[600] = "";
    json_t *rows = NULL;
    char *pos = gw_outbox_get_pos(t->ob, in->name);
    long long after = pos ? strtoll(pos, NULL, 10) : 0, last = after;
    free(pos);
    if (connect_db(q, err, sizeof err) < 0) goto fail;
    rows = fetch(q, after, in->batch, &last, err, sizeof err);
    if (!rows) {
        disconnect(q);
        goto fail;
    }
    if (q->failing) fprintf(stderr, "citywall-gateway: input %s: connected again\n", in->name);
    q->failing = false;
    if (json_array_size(rows) == 0) {
        json_decref(rows);
        return 0;
    }
    int rc = gw_take_begin(t);
    if (rc < 0) {
        json_decref(rows);
        return rc == -2 ? 0 : -1;
    }
    size_t i;
    json_t *rec;
    json_array_foreach(rows, i, rec)
    {
        char ref[64];
        snprintf(ref, sizeof ref, "%s=%s", in->key,
                 json_string_value(json_object_get(rec, in->key))
                     ? json_string_value(json_object_get(rec, in->key))
                     : "?");
        if (gw_take_record(t, in, rec, ref, NULL, 0) < 0) {
            gw_take_rollback(t);
            json_decref(rows);
            return -1;
        }
    }
    size_t n = json_array_size(rows);
    json_decref(rows);
    char pbuf[32];
    snprintf(pbuf, sizeof pbuf, "%lld", last);
    if (gw_outbox_set_pos(t->ob, in->name, pbuf) < 0) {
        gw_take_rollback(t);
        return -1;
    }
    return gw_take_commit(t) < 0 ? -1 : (int)n;
fail:
    if (!q->failing)
        fprintf(stderr, "citywall-gateway: input %s: %s (retrying every %d ms)\n", in->name, err,
                in->poll_ms);
    q->failing = true;
    return -1;
}

json_t *gw_odbc_fetch_sample(const gw_input *in, int max, char *err, size_t errlen)
{
    gw_odbc *q = gw_odbc_new(in);
    if (!q) return NULL;
    long long last;
    json_t *rows = NULL;
    if (connect_db(q, err, errlen) == 0) rows = fetch(q, 0, max, &last, err, errlen);
    gw_odbc_free(q);
    return rows;
}
