/* http: the HTTP protocol of the hub on libwebsockets (requests, bodies, CSRF, routing to
 * ingest, login and REST; static files and error pages are in http_static.c). See http.h. */
#include "http.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http_conns.h"
#include "http_framing.h"
#include "http_util.h"
#include "ingest.h"
#include "metrics.h"
#include "rest.h"
#include "xalloc.h"

#define HTTP_SMALL_BODY (64 * 1024) /* every body but an ingest batch */
#define HTTP_CHUNK (64 * 1024)

typedef struct http_pss {
    uint64_t conn_id;
    struct lws *wsi;
    int method;
    char path[512];
    bool is_ingest;
    int64_t limit;
    char *body;
    size_t body_len, body_cap;
    bool over_limit;
    /* response */
    bool have_resp, headers_sent, close_after;
    http_resp resp;
    size_t sent;
    bool parked;     /* waiting for a store commit or a login check */
    bool dispatched; /* this request was dispatched: its answer is on the way */
    bool chunked;    /* the body comes in the chunked coding, decoded by dechunk */
    http_chunked dechunk;
    int64_t t0_us;
    int token; /* ingest: the token */
} http_pss;

size_t http_pss_size(void)
{
    return sizeof(http_pss);
}

static void pss_reset(http_pss *p)
{
    free(p->body);
    free(p->resp.body);
    http_chunked_free(&p->dechunk);
    uint64_t id = p->conn_id;
    struct lws *wsi = p->wsi;
    memset(p, 0, sizeof(*p));
    p->conn_id = id;
    p->wsi = wsi;
}

/* The framing of the request whose headers lws just parsed (see http_framing.h). */
static int request_framing(struct lws *wsi, int method, http_framing *fr, char *err, size_t errlen)
{
    char cl[64], te[256];
    http_framing_in in = {.body_method = method == LWSHUMETH_POST || method == LWSHUMETH_PUT ||
                                         method == LWSHUMETH_PATCH,
                          .body_optional = method == LWSHUMETH_DELETE};
    while (in.n_content_length < 8 &&
           lws_hdr_copy_fragment(wsi, in.n_content_length ? te : cl, sizeof(cl),
                                 WSI_TOKEN_HTTP_CONTENT_LENGTH, in.n_content_length) >= 0)
        in.n_content_length++;
    if (in.n_content_length) in.content_length = cl;
    int tl = lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_TRANSFER_ENCODING);
    if (tl > 0) {
        if (tl >= (int)sizeof(te) ||
            lws_hdr_copy(wsi, te, sizeof(te), WSI_TOKEN_HTTP_TRANSFER_ENCODING) <= 0)
            snprintf(te, sizeof(te), "(over 255 bytes)");
        in.transfer_encoding = te;
    }
    /* lws keeps a name with white space before its colon as an unknown, lower-cased header
     * whose name includes that white space: look for the framing headers so spelled */
    static const char *const names[] = {"transfer-encoding", "content-length"};
    static const char *const gaps[] = {" ", "\t", "  ", " \t", "\t ", "\t\t"};
    for (size_t i = 0; i < 2 && !in.ws_before_colon; i++)
        for (size_t g = 0; g < sizeof(gaps) / sizeof(gaps[0]) && !in.ws_before_colon; g++) {
            char name[32];
            int nl = snprintf(name, sizeof(name), "%s%s:", names[i], gaps[g]);
            in.ws_before_colon = lws_hdr_custom_length(wsi, name, nl) >= 0;
        }
    return http_framing_decide(&in, fr, err, errlen);
}

static void respond(struct lws *wsi, http_pss *p)
{
    p->have_resp = true;
    p->parked = false;
    lws_callback_on_writable(wsi);
}

static int write_response(hub_t *hub, struct lws *wsi, http_pss *p)
{
    if (!p->headers_sent) {
        unsigned char hbuf[LWS_PRE + 2048], *start = hbuf + LWS_PRE, *q = start,
                                            *end = hbuf + sizeof(hbuf) - 1;
        if (lws_add_http_common_headers(wsi, (unsigned)p->resp.status,
                                        p->resp.ctype ? p->resp.ctype : "application/json",
                                        p->resp.len, &q, end))
            return -1;
        if (p->resp.set_cookie[0] &&
            lws_add_http_header_by_name(wsi, (const unsigned char *)"set-cookie:",
                                        (const unsigned char *)p->resp.set_cookie,
                                        (int)strlen(p->resp.set_cookie), &q, end))
            return -1;
        if (p->resp.allow[0] && lws_add_http_header_by_name(wsi, (const unsigned char *)"allow:",
                                                            (const unsigned char *)p->resp.allow,
                                                            (int)strlen(p->resp.allow), &q, end))
            return -1;
        static const char nocache[] = "no-store", close[] = "close";
        if (p->close_after &&
            lws_add_http_header_by_name(wsi, (const unsigned char *)"connection:",
                                        (const unsigned char *)close, sizeof(close) - 1, &q, end))
            return -1;
        if (lws_add_http_header_by_name(
                wsi, (const unsigned char *)"cache-control:", (const unsigned char *)nocache,
                sizeof(nocache) - 1, &q, end))
            return -1;
        if (http_add_security_headers(wsi, &q, end)) return -1;
        if (lws_finalize_write_http_header(wsi, start, &q, end)) return -1;
        p->headers_sent = true;
        if (p->resp.len) {
            lws_callback_on_writable(wsi);
            return 0;
        }
    } else {
        size_t n = p->resp.len - p->sent;
        if (n > HTTP_CHUNK) n = HTTP_CHUNK;
        bool final = p->sent + n == p->resp.len;
        unsigned char *buf = malloc(LWS_PRE + n);
        if (!buf) return -1;
        memcpy(buf + LWS_PRE, p->resp.body + p->sent, n);
        int w = lws_write(wsi, buf + LWS_PRE, n, final ? LWS_WRITE_HTTP_FINAL : LWS_WRITE_HTTP);
        free(buf);
        if (w < (int)n) return -1;
        p->sent += n;
        if (!final) {
            lws_callback_on_writable(wsi);
            return 0;
        }
    }
    if (p->t0_us && p->is_ingest)
        hub_hist_add(&hub->m.ack_ms, (double)(cwt_mono_ms() * 1000 - p->t0_us) / 1000.0);
    bool close = p->close_after;
    pss_reset(p);
    if (close) return -1;
    return http_transaction_done(wsi);
}

/* ---- dispatch --------------------------------------------------------------------------- */

/* Who sent rq: a bearer token, else a session cookie. Returns true when the cookie did (the
 * credential a browser attaches to any site's request: see csrf_refusal). */
static bool identify(hub_t *hub, struct lws *wsi, http_req *rq)
{
    char hdr[1024];
    rq->authed = false;
    if (lws_hdr_copy(wsi, hdr, sizeof(hdr), WSI_TOKEN_HTTP_AUTHORIZATION) > 0 &&
        auth_bearer(hub->auth, hdr, &rq->who) == 0) {
        rq->authed = true;
    } else if (lws_hdr_copy(wsi, hdr, sizeof(hdr), WSI_TOKEN_HTTP_COOKIE) > 0 &&
               auth_cookie(hub->auth, hdr, &rq->who) == 0) {
        rq->authed = true;
        return true;
    }
    return false;
}

/* Cross-site request forgery (SECURITY.md S3). A browser attaches the session cookie to a
 * request that another site's page makes, so a state-changing request that a cookie
 * authenticates, and every login (login CSRF), must come from the hub's own pages: its Origin
 * (or, without one, its Referer's origin) must be the hub's own or one of
 * server.allowed_origins -- the rule the WebSocket handshake uses -- and a body must be
 * application/json, which no form and no "simple" cross-site request can send. Tools without
 * a browser send neither header and use tokens. Returns NULL, or why the request is refused
 * (written into buf). */
static const char *csrf_refusal(hub_t *hub, struct lws *wsi, const http_pss *p, char *buf,
                                size_t len)
{
    char origin[256], ctype[128];
    int total = lws_hdr_total_length(wsi, WSI_TOKEN_ORIGIN);
    if (total > 0 && (total >= (int)sizeof(origin) ||
                      lws_hdr_copy(wsi, origin, sizeof(origin), WSI_TOKEN_ORIGIN) <= 0))
        origin[0] = 0; /* never an allowed one */
    if (total <= 0) {
        /* no Origin: a Referer, when there is one, must be the hub's own */
        char ref[512];
        int rl = lws_hdr_copy(wsi, ref, sizeof(ref), WSI_TOKEN_HTTP_REFERER);
        if (rl > 0) {
            char *host = strstr(ref, "://");
            char *path = host ? strchr(host + 3, '/') : NULL;
            if (path) *path = 0; /* scheme://host[:port] */
            if (!host || !http_origin_allowed(hub, wsi, ref)) {
                snprintf(buf, len, "cross-site request refused: Referer is not this hub's page");
                return buf;
            }
        }
    } else if (!http_origin_allowed(hub, wsi, origin)) {
        char shown[80];
        http_printable(shown, sizeof(shown), origin[0] ? origin : "(empty or over 255 bytes)");
        snprintf(buf, len, "cross-site request refused: Origin %s is not an allowed origin", shown);
        return buf;
    }
    if (p->body_len > 0) {
        int cl = lws_hdr_copy(wsi, ctype, sizeof(ctype), WSI_TOKEN_HTTP_CONTENT_TYPE);
        size_t n = strlen("application/json");
        if (cl <= 0 || strncasecmp(ctype, "application/json", n) != 0 ||
            (ctype[n] && ctype[n] != ';' && ctype[n] != ' ')) {
            snprintf(buf, len,
                     "a request with a session cookie must send its body as "
                     "Content-Type: application/json");
            return buf;
        }
    }
    return NULL;
}

static bool state_changing(int method)
{
    return method == LWSHUMETH_POST || method == LWSHUMETH_PUT || method == LWSHUMETH_PATCH ||
           method == LWSHUMETH_DELETE;
}

/* Answers 403 for a refused cross-site request (counted). Returns true when it did. */
static bool csrf_refused(hub_t *hub, struct lws *wsi, http_pss *p)
{
    char why[200];
    if (!csrf_refusal(hub, wsi, p, why, sizeof(why))) return false;
    hub->m.csrf_refused++;
    http_error(&p->resp, 403, "%s", why);
    respond(wsi, p);
    return true;
}

/* ingest_answer_fn: a batch taken by start_ingest is handled. */
static void ingest_answered(hub_t *hub, store_job *job, uint64_t conn_id)
{
    http_pss *p = hub_conn_lookup(conn_id);
    if (!p || !p->parked) return;
    if (job->rc < 0)
        http_error(&p->resp, 503, "%s; nothing was acknowledged", job->err);
    else
        http_json(&p->resp, 200, ingest_http_reply(hub, job));
    respond(p->wsi, p);
}

static void start_ingest(hub_t *hub, struct lws *wsi, http_pss *p)
{
    char hdr[1024];
    int token = -1;
    if (lws_hdr_copy(wsi, hdr, sizeof(hdr), WSI_TOKEN_HTTP_AUTHORIZATION) > 0 &&
        strncasecmp(hdr, "Bearer ", 7) == 0)
        token = cfg_token_find(hub->cfg, hdr + 7);
    if (token < 0 || hub->cfg->tokens[token].role != CFG_ROLE_HALL) {
        http_error(&p->resp, 401,
                   token < 0 ? "missing or unknown hall token" : "this token may not write events");
        respond(wsi, p);
        return;
    }
    if (!hub->ready || hub->stopping) {
        http_error(&p->resp, 503, hub->stopping ? "hub is stopping" : "hub is starting");
        respond(wsi, p);
        return;
    }
    json_error_t jerr;
    ingest_body body;
    const char *src = p->body ? p->body : "";
    if (ingest_parse(src, p->body_len, &body, &jerr) < 0) {
        http_error(&p->resp, 400, "body is not JSON: %s at line %d column %d", jerr.text, jerr.line,
                   jerr.column);
        respond(wsi, p);
        return;
    }
    if ((body.scan || json_is_array(body.root)) &&
        !ingest_rate_ok(hub, token, ingest_body_count(&body))) {
        hub->m.limit_429++;
        ingest_body_free(&body);
        http_error(&p->resp, 429, "ingest rate over %.0f events/s for token %s",
                   hub->cfg->limits.ingest_rate, hub->cfg->tokens[token].name);
        respond(wsi, p);
        return;
    }
    int status = 0;
    char err[256];
    store_job *job = ingest_prepare(hub, token, &body, src, false, &status, err, sizeof(err));
    if (!job) {
        if (status == 413) hub->m.limit_413++;
        http_error(&p->resp, status, "%s", err);
        respond(wsi, p);
        return;
    }
    hub->m.ingest_requests++;
    p->parked = true;
    ingest_submit(hub, job, ingest_answered, p->conn_id);
}

/* auth_answer_fn: a login taken by start_login is decided. */
static void login_answered(hub_t *hub, const auth_login_result *res)
{
    http_pss *p = hub_conn_lookup(res->conn_id);
    if (!p || !p->parked) return;
    if (res->ok) {
        snprintf(p->resp.set_cookie, sizeof(p->resp.set_cookie),
                 "cw_session=%s; Path=/; HttpOnly; SameSite=Strict; Max-Age=%d%s", res->cookie,
                 hub->cfg->session_absolute_s, hub->cfg->tls_cert ? "; Secure" : "");
        http_json(&p->resp, 200, json_pack("{s:s,s:s}", "user", res->user, "role", res->role));
    } else if (res->status == 503) {
        http_error(&p->resp, 503, "store unavailable: the session could not be saved");
    } else {
        http_error(&p->resp, 401, "wrong user or password");
    }
    respond(p->wsi, p);
}

static void start_login(hub_t *hub, struct lws *wsi, http_pss *p, const char *peer)
{
    json_t *b = json_loadb(p->body ? p->body : "", p->body_len, 0, NULL);
    const char *user = json_string_value(json_object_get(b, "user"));
    const char *pw = json_string_value(json_object_get(b, "password"));
    if (!user || !pw) {
        http_error(&p->resp, 400, "login: body must be {\"user\":string,\"password\":string}");
        json_decref(b);
        respond(wsi, p);
        return;
    }
    int status = 0;
    if (auth_login_start(hub->auth, user, pw, peer, p->conn_id, login_answered, &status) < 0) {
        if (status == 429) hub->m.limit_429++;
        http_error(&p->resp, status,
                   status == 429 ? "too many failed logins; try again later" : "login failed");
        json_decref(b);
        respond(wsi, p);
        return;
    }
    json_decref(b);
    p->parked = true;
}

static int dispatch(hub_t *hub, struct lws *wsi, http_pss *p)
{
    if (p->dispatched) return 0; /* lws repeats BODY_COMPLETION while an answer is on its way */
    p->dispatched = true;
    hub->m.http_requests++;
    char peer[64] = "";
    lws_get_peer_simple(wsi, peer, sizeof(peer));
    if (p->over_limit) {
        hub->m.limit_413++;
        http_error(&p->resp, 413, "request body over the limit of %lld bytes", (long long)p->limit);
        p->close_after = true;
        respond(wsi, p);
        return 0;
    }
    if (strcmp(p->path, "/api/v1/events") == 0 && p->method == LWSHUMETH_POST) {
        p->t0_us = cwt_mono_ms() * 1000;
        start_ingest(hub, wsi, p);
        return 0;
    }
    if (strcmp(p->path, "/api/v1/login") == 0 && p->method == LWSHUMETH_POST) {
        if (!csrf_refused(hub, wsi, p)) start_login(hub, wsi, p, peer);
        return 0;
    }
    if (p->method == LWSHUMETH_GET && strcmp(p->path, "/metrics") == 0) {
        p->resp.status = 200;
        p->resp.ctype = "text/plain; version=0.0.4; charset=utf-8";
        p->resp.body = metrics_render(hub, &p->resp.len);
        respond(wsi, p);
        return 0;
    }
    http_req rq = {.hub = hub,
                   .wsi = wsi,
                   .method = p->method,
                   .path = p->path,
                   .body = p->body,
                   .body_len = p->body_len};
    snprintf(rq.peer, sizeof(rq.peer), "%s", peer);
    if (identify(hub, wsi, &rq) && state_changing(p->method) && csrf_refused(hub, wsi, p)) return 0;
    bool page = p->method == LWSHUMETH_GET && http_wants_html(wsi);
    if (rest_handle(&rq, &p->resp) == 0) {
        if (page && p->resp.status >= 400) http_error_page(&p->resp);
        respond(wsi, p);
        return 0;
    }
    if (p->method == LWSHUMETH_GET) {
        int rc = 0;
        if (http_serve_static(wsi, p->path, &rc)) return rc;
    }
    http_error(&p->resp, 404, "no such resource: %s", p->path);
    if (page) http_error_page(&p->resp);
    respond(wsi, p);
    return 0;
}

/* A chunked body's bytes (HTTP_BODY): decoded as they come; the request is dispatched at its
 * last chunk. lws still expects more body then (it framed the request as 100 MiB), so the
 * connection is closed after the answer. */
static int body_chunked(hub_t *hub, struct lws *wsi, http_pss *p, const void *in, size_t len)
{
    char err[160];
    int rc = http_chunked_feed(&p->dechunk, in, len, NULL, err, sizeof(err));
    if (rc == HTTP_CHUNKED_MORE) return 0;
    p->close_after = true;
    if (rc == HTTP_CHUNKED_DONE) {
        p->body = http_chunked_take(&p->dechunk, &p->body_len);
        if (!p->body) return -1;
        p->body_cap = p->body_len + 1;
        return dispatch(hub, wsi, p);
    }
    if (rc == HTTP_CHUNKED_TOO_BIG) {
        p->over_limit = true;
        return dispatch(hub, wsi, p);
    }
    if (rc == HTTP_CHUNKED_NOMEM) return -1;
    hub->m.http_requests++;
    hub->m.http_framing_refused++;
    http_write_error_now(wsi, 400, err);
    return -1;
}

int http_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                  size_t len)
{
    struct lws_vhost *vh = lws_get_vhost(wsi);
    hub_t *hub = vh ? lws_get_vhost_user(vh) : NULL;
    http_pss *p = user;
    switch (reason) {
    case LWS_CALLBACK_FILTER_NETWORK_CONNECTION:
        return hub && user ? http_conns_admit(hub, user) : 0;
    case LWS_CALLBACK_WSI_CREATE:
        http_conns_created(wsi);
        return 0;
    case LWS_CALLBACK_WSI_DESTROY:
        http_conns_destroyed(wsi);
        return 0;
    case LWS_CALLBACK_HTTP: {
        pss_reset(p);
        p->wsi = wsi;
        if (!p->conn_id) p->conn_id = hub_conn_register(p);
        char *uri;
        int ulen;
        p->method = lws_http_get_uri_and_method(wsi, &uri, &ulen);
        snprintf(p->path, sizeof(p->path), "%s", (const char *)in);
        p->is_ingest = strcmp(p->path, "/api/v1/events") == 0;
        p->limit = p->is_ingest ? hub->cfg->limits.max_body_bytes : HTTP_SMALL_BODY;
        http_framing fr;
        char err[200];
        int status = request_framing(wsi, p->method, &fr, err, sizeof(err));
        if (!status && fr.kind != HTTP_FRAME_NONE && http_conns_pipelined(wsi)) {
            status = 503;
            snprintf(err, sizeof(err),
                     "a request with a body pipelined behind another is not "
                     "read: send it again after the previous answer");
        }
        if (status) {
            hub->m.http_requests++;
            hub->m.http_framing_refused++;
            http_write_error_now(wsi, status, err);
            return -1;
        }
        if (fr.kind == HTTP_FRAME_NONE) return dispatch(hub, wsi, p);
        if (fr.kind == HTTP_FRAME_LENGTH && fr.length > p->limit) {
            /* decided from Content-Length, before reading the body */
            p->over_limit = true;
            return dispatch(hub, wsi, p);
        }
        if (fr.kind == HTTP_FRAME_CHUNKED) {
            p->chunked = true;
            http_chunked_init(&p->dechunk, (size_t)p->limit);
        }
        return 0; /* the body follows */
    }
    case LWS_CALLBACK_HTTP_BODY:
        if (p->over_limit || p->dispatched) return 0;
        if (p->chunked) return body_chunked(hub, wsi, p, in, len);
        if (p->body_len + len > (size_t)p->limit) {
            p->over_limit = true;
            free(p->body);
            p->body = NULL;
            p->body_len = 0;
            return dispatch(hub, wsi, p); /* as soon as a body passes the limit */
        }
        if (p->body_len + len + 1 > p->body_cap) {
            size_t nc = p->body_cap ? p->body_cap : 4096;
            while (nc < p->body_len + len + 1)
                nc *= 2;
            char *nb = realloc(p->body, nc);
            if (!nb) return -1;
            p->body = nb;
            p->body_cap = nc;
        }
        if (len) memcpy(p->body + p->body_len, in, len);
        p->body_len += len;
        p->body[p->body_len] = 0;
        return 0;
    case LWS_CALLBACK_HTTP_BODY_COMPLETION:
        if (p->over_limit || p->chunked) return 0; /* answered, or ends with its last chunk */
        if (!p->body) {
            p->body = cw_xcalloc(1, 1);
            p->body_cap = 1;
        }
        return dispatch(hub, wsi, p);
    case LWS_CALLBACK_HTTP_WRITEABLE:
        if (!p->have_resp) return 0;
        return write_response(hub, wsi, p);
    case LWS_CALLBACK_HTTP_FILE_COMPLETION:
        return http_transaction_done(wsi);
    case LWS_CALLBACK_CLOSED_HTTP:
    case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
        if (p && p->conn_id) {
            hub_conn_unregister(p->conn_id);
            p->conn_id = 0;
        }
        if (p) pss_reset(p);
        return 0;
    default:
        return lws_callback_http_dummy(wsi, reason, user, in, len);
    }
}
