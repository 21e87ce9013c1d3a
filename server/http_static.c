/* http_static: the dashboard's files (assets/web, or CW_WEB_ROOT) and the city map, served by
 * lws with the security headers, and the error pages a browser gets instead of JSON errors.
 * See http.h.
 *
 * Thread: service thread. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "http.h"
#include "http_util.h"
#include "utf8.h"

#ifndef CW_SOURCE_DIR
#define CW_SOURCE_DIR "."
#endif

/* ---- static files ----------------------------------------------------------------------- */

static const char *mime_of(const char *path)
{
    const char *dot = strrchr(path, '.');
    if (!dot) return "application/octet-stream";
    static const char *map[][2] = {{".html", "text/html; charset=utf-8"},
                                   {".js", "text/javascript; charset=utf-8"},
                                   {".mjs", "text/javascript; charset=utf-8"},
                                   {".css", "text/css; charset=utf-8"},
                                   {".json", "application/json"},
                                   {".geojson", "application/geo+json"},
                                   {".svg", "image/svg+xml"},
                                   {".png", "image/png"},
                                   {".ico", "image/x-icon"},
                                   {".woff2", "font/woff2"},
                                   {".map", "application/json"}};
    for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
        if (strcmp(dot, map[i][0]) == 0) return map[i][1];
    return "application/octet-stream";
}

/* Returns 1 when lws is serving a file (or failed), 0 when no such file. */
int http_serve_static(struct lws *wsi, const char *path, int *rc)
{
    if (strstr(path, "..") || strchr(path, '\\')) return 0;
    const char *root = getenv("CW_WEB_ROOT");
    char full[1024];
    const char *rel = strcmp(path, "/") == 0 ? "/index.html" : path;
    if (strncmp(rel, "/map/", 5) == 0) /* the city outline, shared with the wall */
        snprintf(full, sizeof(full), "%s/assets%s", CW_SOURCE_DIR, rel);
    else if (root)
        snprintf(full, sizeof(full), "%s%s", root, rel);
    else
        snprintf(full, sizeof(full), "%s/assets/web%s", CW_SOURCE_DIR, rel);
    struct stat st;
    if (stat(full, &st) < 0 || !S_ISREG(st.st_mode)) return 0;
    unsigned char hdrs[1024], *q = hdrs; /* encoded by lws: h1 text or h2 HPACK */
    if (http_add_security_headers(wsi, &q, hdrs + sizeof(hdrs) - 1)) {
        *rc = -1;
        return 1;
    }
    *q = 0; /* lws looks for a cache-control in it with strstr */
    int n = lws_serve_http_file(wsi, full, mime_of(full), (const char *)hdrs, (int)(q - hdrs));
    *rc = (n < 0 || (n > 0 && http_transaction_done(wsi))) ? -1 : 0;
    return 1;
}

/* ---- error pages for browsers ------------------------------------------------------------ */

/* Whether the client asked for HTML (a browser navigating: Accept holds text/html). API clients
 * (fetch from the dashboard, curl, gateways) keep the JSON errors of SPEC §7. */
bool http_wants_html(struct lws *wsi)
{
    char acc[512];
    if (lws_hdr_copy(wsi, acc, sizeof(acc), WSI_TOKEN_HTTP_ACCEPT) <= 0) return false;
    return strstr(acc, "text/html") != NULL;
}

static void html_esc(const char *s, char *out, size_t n)
{
    size_t o = 0;
    for (; *s && o + 7 < n; s++) {
        const char *e = *s == '<'   ? "&lt;"
                        : *s == '>' ? "&gt;"
                        : *s == '&' ? "&amp;"
                        : *s == '"' ? "&quot;"
                                    : NULL;
        if (e)
            o += (size_t)snprintf(out + o, n - o, "%s", e);
        else
            out[o++] = *s;
    }
    out[o] = 0;
}

/* Replace a JSON error answer by a page a person can read (same status), in Chinese and
 * English, with the hub's message and a link back to the dashboard. */
void http_error_page(struct http_resp *r)
{
    const char *zh, *en;
    switch (r->status) {
    case 401:
        zh = "请先登录", en = "Please log in";
        break;
    case 403:
        zh = "无权访问", en = "Forbidden";
        break;
    case 404:
        zh = "页面不存在", en = "Page not found";
        break;
    case 405:
        zh = "不支持的请求方法", en = "Method not allowed";
        break;
    default:
        zh = "请求未能完成", en = "The request failed";
        break;
    }
    char msg[512] = "", emsg[1200];
    json_t *j = r->body ? json_loads(r->body, 0, NULL) : NULL;
    const char *m = json_string_value(json_object_get(j, "error"));
    if (m) snprintf(msg, sizeof(msg), "%s", m);
    json_decref(j);
    utf8_scrub(msg);
    html_esc(msg, emsg, sizeof(emsg));
    char *page = NULL;
    int n =
        asprintf(&page,
                 "<!doctype html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><title>%d %s · "
                 "citywall</title><link rel=\"icon\" href=\"/favicon.svg\"><link "
                 "rel=\"stylesheet\" href=\"/css/app.css\"></head>"
                 "<body class=\"errdoc\"><main class=\"errpage\" data-error=\"%d\">"
                 "<div class=\"errpage-code\">%d</div><div class=\"errpage-t\">%s · %s</div>"
                 "<div class=\"errpage-s\">%s</div><div class=\"errpage-a\"><a class=\"btn\" "
                 "href=\"/\">返回首页 · Dashboard</a></div></main></body></html>\n",
                 r->status, zh, r->status, r->status, zh, en, emsg);
    if (n < 0) return; /* keep the JSON */
    free(r->body);
    r->body = page;
    r->len = (size_t)n;
    r->ctype = "text/html; charset=utf-8";
}
