/* http_util: what the hub's protocols share about HTTP: JSON answers and errors, query
 * arguments, error answers written at once, the Origin rule of WebSocket handshakes and
 * cookie writes. See http_util.h. */
#include "http_util.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http_conns.h"
#include "utf8.h"

void http_json(http_resp *r, int status, json_t *body)
{
    free(r->body);
    r->status = status;
    r->ctype = "application/json";
    r->body = json_dumps(body, JSON_COMPACT | JSON_ENCODE_ANY);
    r->len = r->body ? strlen(r->body) : 0;
    json_decref(body);
}

void http_error(http_resp *r, int status, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    utf8_scrub(msg); /* cut mid-character, or quoting a client's bytes */
    http_json(r, status, json_pack("{s:s}", "error", msg));
}

const char *http_arg(const http_req *rq, const char *name, char *buf, int len)
{
    /* lws stops scanning at the first argument longer than the buffer it is given, so scan
     * with a buffer that holds any argument, then copy the value out */
    char key[64], big[2048];
    snprintf(key, sizeof(key), "%s=", name);
    const char *v = lws_get_urlarg_by_name(rq->wsi, key, big, sizeof(big));
    if (!v) return NULL;
    if ((int)strlen(v) >= len) v = "\x01"; /* too long: a value no validator accepts */
    memcpy(buf, v, strlen(v) + 1);
    return buf;
}

/* Writes a whole error answer now, with "connection: close", for a request whose bytes cannot
 * be trusted to end where lws thinks (framing refused, pipelined body) or for a refused
 * WebSocket handshake. The caller returns nonzero from its callback: lws closes the
 * connection after the bytes, which fit the socket buffer of a fresh connection. */
void http_write_error_now(struct lws *wsi, int status, const char *msg)
{
    json_t *o = json_pack("{s:s}", "error", msg);
    char *body = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    if (!body) return;
    const char *reason = status == 400   ? "Bad Request"
                         : status == 403 ? "Forbidden"
                         : status == 411 ? "Length Required"
                         : status == 413 ? "Payload Too Large"
                         : status == 501 ? "Not Implemented"
                         : status == 503 ? "Service Unavailable"
                                         : "Error";
    char head[400];
    int hl = snprintf(head, sizeof(head),
                      "HTTP/1.1 %d %s\r\ncontent-type: application/json\r\n"
                      "content-length: %zu\r\ncache-control: no-store\r\n"
                      "x-content-type-options: nosniff\r\nconnection: close\r\n\r\n",
                      status, reason, strlen(body));
    size_t bl = strlen(body), len = (size_t)hl + bl;
    unsigned char *buf = malloc(LWS_PRE + len);
    if (buf) {
        memcpy(buf + LWS_PRE, head, (size_t)hl);
        memcpy(buf + LWS_PRE + hl, body, bl);
        (void)lws_write(wsi, buf + LWS_PRE, len, LWS_WRITE_HTTP);
        free(buf);
    }
    free(body);
}

/* A client's header value as it may be logged or quoted: printable ASCII, cut to n - 1. */
void http_printable(char *dst, size_t n, const char *src)
{
    size_t k = 0;
    for (const char *c = src; *c && k < n - 1; c++)
        dst[k++] = (*c >= 0x20 && *c < 0x7f) ? *c : '?';
    dst[k] = 0;
}

static const char *const ws_path_names[HTTP_WS_NPATHS] = {"/live", "/ingest"};
static uint64_t ws_origin_refused[HTTP_WS_NPATHS];

const char *http_ws_path_name(int path)
{
    return path >= 0 && path < HTTP_WS_NPATHS ? ws_path_names[path] : "?";
}

uint64_t http_ws_origin_refused(int path)
{
    return path >= 0 && path < HTTP_WS_NPATHS ? ws_origin_refused[path] : 0;
}

bool http_origin_allowed(const hub_t *hub, struct lws *wsi, const char *origin)
{
    const cfg_t *cfg = hub->cfg;
    for (int i = 0; i < cfg->norigins; i++)
        if (strcmp(origin, cfg->origins[i]) == 0) return true;
    /* the cluster's hubs (cluster.public_urls): a page one of them served may move its live
     * connection here (docs/cluster.md "Browsers") */
    for (int i = 0; i < cfg->cluster.npublic_urls; i++)
        if (strcmp(origin, cfg->cluster.public_urls[i]) == 0) return true;
    /* the hub's own origin: the scheme it serves (not both: SECURITY.md S8), the Host */
    char host[256], self[300];
    if (lws_hdr_copy(wsi, host, sizeof(host), WSI_TOKEN_HOST) <= 0) return false;
    snprintf(self, sizeof(self), "%s://%s", cfg->tls_cert ? "https" : "http", host);
    return strcmp(origin, self) == 0;
}

void http_csp_cluster(const cfg_t *cfg, char *buf, size_t len)
{
    size_t at = 0;
    buf[0] = 0;
    for (int i = 0; i < cfg->cluster.npublic_urls; i++) {
        const char *u = cfg->cluster.public_urls[i]; /* validated: http[s]://host[:port] */
        bool tls = strncmp(u, "https://", 8) == 0;
        const char *hostport = u + (tls ? 8 : 7);
        int n = snprintf(buf + at, len - at, " %s://%s", tls ? "wss" : "ws", hostport);
        if (n < 0 || (size_t)n >= len - at) {
            buf[at] = 0; /* what fits: the rest fall back to the page's own hub */
            return;
        }
        at += (size_t)n;
    }
}

int http_ws_origin_check(hub_t *hub, struct lws *wsi, int path)
{
    char origin[256];
    if (lws_hdr_total_length(wsi, WSI_TOKEN_ORIGIN) <= 0) return 0; /* not a browser */
    /* an Origin longer than the buffer is never an allowed one */
    if (lws_hdr_copy(wsi, origin, sizeof(origin), WSI_TOKEN_ORIGIN) <= 0)
        origin[0] = 0;
    else if (http_origin_allowed(hub, wsi, origin))
        return 0;
    uint64_t n = ++ws_origin_refused[path];
    char shown[80];
    http_printable(shown, sizeof(shown), origin[0] ? origin : "(over 255 bytes)");
    if (n % 1000 == 1)
        fprintf(stderr,
                "citywall-hub: WebSocket %s refused: Origin %s is not an allowed origin "
                "(citywall_ws_origin_refused_total{path=\"%s\"} %llu)\n",
                http_ws_path_name(path), shown, http_ws_path_name(path), (unsigned long long)n);
    char msg[160];
    snprintf(msg, sizeof(msg), "origin %s is not allowed for %s", shown, http_ws_path_name(path));
    /* the wsi has the ws role already; lws sends LWS_WRITE_HTTP bytes as they are */
    http_write_error_now(wsi, 403, msg);
    return -1;
}

/* Adds the security headers of every answer (SPEC §8) at *q: a Content-Security-Policy that
 * allows only the hub's own scripts, styles, images and connections (inline style attributes
 * stay allowed: the dashboard sets widths and colours in its markup; no inline script), plus
 * nosniff, no referrer and no framing. Returns 0, or -1 when they don't fit before end. */
int http_add_security_headers(struct lws *wsi, unsigned char **q, unsigned char *end)
{
    char host[200], ws[420] = "";
    int hl = lws_hdr_copy(wsi, host, sizeof(host), WSI_TOKEN_HOST);
    bool host_ok = hl > 0;
    for (int i = 0; i < hl && host_ok; i++)
        host_ok = (host[i] >= 'a' && host[i] <= 'z') || (host[i] >= 'A' && host[i] <= 'Z') ||
                  (host[i] >= '0' && host[i] <= '9') || strchr(".-:[]", host[i]);
    if (host_ok) /* 'self' covers ws(s) of the same host only in CSP Level 3 browsers */
        snprintf(ws, sizeof(ws), " ws://%s wss://%s", host, host);
    struct lws_vhost *vh = lws_get_vhost(wsi);
    const hub_t *hub = vh ? lws_get_vhost_user(vh) : NULL;
    char csp[1000], peers[300] = ""; /* peers: the cluster's hubs, for the live failover */
    if (hub) http_csp_cluster(hub->cfg, peers, sizeof(peers));
    int n = snprintf(csp, sizeof(csp),
                     "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
                     "img-src 'self' data:; connect-src 'self'%s%s; object-src 'none'; "
                     "base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
                     ws, peers);
    static const char *const fixed[][2] = {{"x-content-type-options:", "nosniff"},
                                           {"referrer-policy:", "no-referrer"},
                                           {"x-frame-options:", "DENY"}};
    if (lws_add_http_header_by_name(wsi, (const unsigned char *)"content-security-policy:",
                                    (const unsigned char *)csp, n, q, end))
        return -1;
    for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
        if (lws_add_http_header_by_name(wsi, (const unsigned char *)fixed[i][0],
                                        (const unsigned char *)fixed[i][1],
                                        (int)strlen(fixed[i][1]), q, end))
            return -1;
    return 0;
}

/* Ends the request/response on wsi; lws then parses the next request pipelined behind it.
 * Returns 0, or -1 to close the connection. */
int http_transaction_done(struct lws *wsi)
{
    http_conns_answered(wsi);
    return lws_http_transaction_completed(wsi) ? -1 : 0;
}
