/* gw_http: webhook inputs and the status endpoint on one lws vhost; see gw_http.h. */
#include "gw_http.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cwtime.h"
#include "gw_outbox.h"

#define BODY_MAX (4u << 20)
#define QUAR_LISTED 100 /* quarantined records listed one by one in a webhook answer */

typedef struct gw_pss {
    char path[256];
    bool post;
    bool too_big;
    char *body;
    size_t len, cap;
    /* the answer */
    int status;
    const char *ctype;
    char *resp;
    size_t resp_len;
} gw_pss;

static void pss_clear(gw_pss *p)
{
    free(p->body);
    free(p->resp);
    memset(p, 0, sizeof *p);
}

/* Set the answer and ask for a writeable callback. resp is taken over. */
static int answer(struct lws *wsi, gw_pss *p, int status, const char *ctype, char *resp)
{
    p->status = status;
    p->ctype = ctype;
    p->resp = resp;
    p->resp_len = resp ? strlen(resp) : 0;
    lws_callback_on_writable(wsi);
    return 0;
}

static int answer_json(struct lws *wsi, gw_pss *p, int status, json_t *doc)
{
    char *s = json_dumps(doc, JSON_COMPACT);
    json_decref(doc);
    return answer(wsi, p, status, "application/json", s);
}

static int answer_error(struct lws *wsi, gw_pss *p, int status, const char *msg)
{
    return answer_json(wsi, p, status, json_pack("{s:s}", "error", msg));
}

json_t *gw_status_json(gw_app *app)
{
    json_t *st = gw_outbox_status(app->svc.ob);
    if (!st) st = json_object();
    gw_health *h = &app->h;
    pthread_mutex_lock(&h->mu);
    char buf[40];
    json_object_set_new(st, "gateway", json_string(app->cfg->name ? app->cfg->name : ""));
    json_object_set_new(st, "alarm", json_boolean(h->alarm));
    json_object_set_new(st, "full", json_boolean(h->full));
    json_object_set_new(st, "alarm_events", json_integer(app->cfg->alarm_events));
    json_object_set_new(st, "max_events", json_integer(app->cfg->max_events));
    json_object_set_new(st, "taken", json_integer(h->taken));
    json_object_set_new(st, "map_errors", json_integer(h->map_errors));
    json_object_set_new(st, "sent", json_integer(h->sent));
    json_object_set_new(st, "acked", json_integer(h->acked));
    json_object_set_new(st, "rejected_by_hub", json_integer(h->rejected));
    json_object_set_new(st, "requests", json_integer(h->requests));
    json_object_set_new(st, "failures", json_integer(h->failures));
    json_object_set_new(st, "hub", json_string(h->hub));
    json_object_set_new(st, "last_error", json_string(h->last_error));
    if (h->last_ack_ms) {
        json_object_set_new(st, "last_ack", json_string(cwt_format_utc(h->last_ack_ms, buf)));
        json_object_set_new(st, "last_ack_age_s",
                            json_real((double)(cwt_real_ms() - h->last_ack_ms) / 1000.0));
    }
    pthread_mutex_unlock(&h->mu);
    return st;
}

static char *metrics_text(gw_app *app)
{
    json_t *st = gw_status_json(app);
    char *out = NULL;
    const char *last_age = "";
    char agebuf[64] = "";
    json_t *age = json_object_get(st, "last_ack_age_s");
    if (age) {
        snprintf(agebuf, sizeof agebuf, "citywall_gateway_last_ack_age_seconds %.3f\n",
                 json_real_value(age));
        last_age = agebuf;
    }
    if (asprintf(&out,
                 "# TYPE citywall_gateway_outbox_events gauge\n"
                 "citywall_gateway_outbox_events %lld\n"
                 "# TYPE citywall_gateway_outbox_alarm gauge\n"
                 "citywall_gateway_outbox_alarm %d\n"
                 "citywall_gateway_outbox_full %d\n"
                 "citywall_gateway_quarantined %lld\n"
                 "citywall_gateway_taken_total %lld\n"
                 "citywall_gateway_acked_total %lld\n"
                 "citywall_gateway_send_failures_total %lld\n%s",
                 (long long)json_integer_value(json_object_get(st, "outbox_depth")),
                 json_is_true(json_object_get(st, "alarm")),
                 json_is_true(json_object_get(st, "full")),
                 (long long)json_integer_value(json_object_get(st, "quarantined")),
                 (long long)json_integer_value(json_object_get(st, "taken")),
                 (long long)json_integer_value(json_object_get(st, "acked")),
                 (long long)json_integer_value(json_object_get(st, "failures")), last_age) < 0)
        out = NULL;
    json_decref(st);
    return out;
}

static const gw_input *input_for(gw_app *app, const char *path)
{
    for (int i = 0; i < app->cfg->ninputs; i++) {
        const gw_input *in = &app->cfg->inputs[i];
        if (in->kind == GW_IN_HTTP && !strcmp(in->path, path)) return in;
    }
    return NULL;
}

/* A webhook delivery: all records in one transaction, then the answer. */
static int webhook(struct lws *wsi, gw_app *app, gw_pss *p, const gw_input *in)
{
    json_error_t jerr;
    json_t *doc = json_loadb(p->body ? p->body : "", p->len, 0, &jerr);
    if (!json_is_object(doc) && !json_is_array(doc)) {
        json_decref(doc);
        char msg[300];
        snprintf(msg, sizeof msg, "input %s: not a JSON object or array: %s (line %d)", in->name,
                 jerr.text, jerr.line);
        return answer_error(wsi, p, 400, msg);
    }
    if (json_is_object(doc)) {
        json_t *a = json_array();
        json_array_append_new(a, doc);
        doc = a;
    }
    gw_taker *t = &app->svc;
    int rc = gw_take_begin(t);
    if (rc < 0) {
        json_decref(doc);
        return answer_error(wsi, p, 503,
                            rc == -2 ? "the gateway's outbox is full; retry later"
                                     : "the gateway's outbox is unavailable; retry later");
    }
    json_t *quar = json_array();
    size_t i, taken = 0, nq = 0, repeats = 0;
    json_t *rec;
    json_array_foreach(doc, i, rec)
    {
        char ref[32], why[600];
        snprintf(ref, sizeof ref, "%zu", i);
        rc = gw_take_record(t, in, rec, ref, why, sizeof why);
        if (rc < 0) break;
        if (rc == 2)
            repeats++;
        else if (rc > 0)
            taken++;
        else if (nq++ < QUAR_LISTED)
            json_array_append_new(quar,
                                  json_pack("{s:I, s:s}", "index", (json_int_t)i, "error", why));
    }
    json_decref(doc);
    if (rc < 0) {
        gw_take_rollback(t);
        json_decref(quar);
        return answer_error(wsi, p, 503, "the gateway's outbox failed; retry later");
    }
    if (gw_take_commit(t) < 0) {
        json_decref(quar);
        return answer_error(wsi, p, 503, "the gateway's outbox failed to commit; retry later");
    }
    return answer_json(wsi, p, 200,
                       json_pack("{s:I, s:I, s:o}", "taken", (json_int_t)taken, "repeats",
                                 (json_int_t)repeats, "quarantined", quar));
}

static int dispatch(struct lws *wsi, gw_app *app, gw_pss *p)
{
    if (!p->post) {
        if (!strcmp(p->path, "/healthz")) return answer(wsi, p, 200, "text/plain", strdup("ok\n"));
        if (!strcmp(p->path, "/status")) return answer_json(wsi, p, 200, gw_status_json(app));
        if (!strcmp(p->path, "/metrics"))
            return answer(wsi, p, 200, "text/plain; version=0.0.4", metrics_text(app));
        return answer_error(wsi, p, input_for(app, p->path) ? 405 : 404,
                            input_for(app, p->path) ? "POST only" : "not found");
    }
    const gw_input *in = input_for(app, p->path);
    if (!in) return answer_error(wsi, p, 404, "no input at this path");
    if (p->too_big) return answer_error(wsi, p, 413, "body over 4 MiB");
    return webhook(wsi, app, p, in);
}

static int write_answer(struct lws *wsi, gw_pss *p)
{
    unsigned char hbuf[LWS_PRE + 1024], *start = hbuf + LWS_PRE, *q = start,
                                        *end = hbuf + sizeof hbuf - 1;
    if (lws_add_http_common_headers(wsi, (unsigned)p->status, p->ctype, p->resp_len, &q, end) ||
        lws_finalize_write_http_header(wsi, start, &q, end))
        return -1;
    if (p->resp_len) {
        unsigned char *buf = malloc(LWS_PRE + p->resp_len);
        if (!buf) return -1;
        memcpy(buf + LWS_PRE, p->resp, p->resp_len);
        int w = lws_write(wsi, buf + LWS_PRE, p->resp_len, LWS_WRITE_HTTP_FINAL);
        free(buf);
        if (w < (int)p->resp_len) return -1;
    }
    pss_clear(p);
    return lws_http_transaction_completed(wsi) ? -1 : 0;
}

static int http_cb(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                   size_t len)
{
    struct lws_vhost *vh = lws_get_vhost(wsi);
    gw_app *app = vh ? lws_get_vhost_user(vh) : NULL;
    gw_pss *p = user;
    switch (reason) {
    case LWS_CALLBACK_HTTP: {
        pss_clear(p);
        snprintf(p->path, sizeof p->path, "%s", (const char *)in);
        p->post = lws_hdr_total_length(wsi, WSI_TOKEN_POST_URI) > 0;
        if (!p->post) return dispatch(wsi, app, p);
        return 0; /* the body follows */
    }
    case LWS_CALLBACK_HTTP_BODY:
        if (p->too_big) return 0;
        if (p->len + len > BODY_MAX) {
            p->too_big = true;
            free(p->body);
            p->body = NULL;
            p->len = 0;
            return 0;
        }
        if (p->len + len + 1 > p->cap) {
            size_t cap = p->cap ? p->cap : 4096;
            while (cap < p->len + len + 1)
                cap *= 2;
            char *b = realloc(p->body, cap);
            if (!b) return -1;
            p->body = b;
            p->cap = cap;
        }
        if (len) memcpy(p->body + p->len, in, len);
        p->len += len;
        p->body[p->len] = '\0';
        return 0;
    case LWS_CALLBACK_HTTP_BODY_COMPLETION:
        return dispatch(wsi, app, p);
    case LWS_CALLBACK_HTTP_WRITEABLE:
        if (!p->status) return 0;
        return write_answer(wsi, p);
    case LWS_CALLBACK_CLOSED_HTTP:
    case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
        if (p) pss_clear(p);
        return 0;
    default:
        return lws_callback_http_dummy(wsi, reason, user, in, len);
    }
}

static struct lws_protocols protocols[] = {{"http", http_cb, sizeof(gw_pss), 0, 0, NULL, 0},
                                           {NULL, NULL, 0, 0, 0, NULL, 0}};

int gw_http_start(gw_app *app)
{
    struct lws_context_creation_info info;
    memset(&info, 0, sizeof info);
    char host[256] = "";
    int port = CONTEXT_PORT_NO_LISTEN;
    if (app->cfg->listen) {
        const char *colon = strrchr(app->cfg->listen, ':');
        snprintf(host, sizeof host, "%.*s", (int)(colon - app->cfg->listen), app->cfg->listen);
        port = atoi(colon + 1);
    }
    lws_set_log_level(LLL_ERR, NULL);
    info.port = port;
    info.iface = host[0] && strcmp(host, "0.0.0.0") ? host : NULL;
    info.protocols = protocols;
    info.vhost_name = "citywall-gateway";
    info.user = app;
    info.timeout_secs = 30;
    app->lws = lws_create_context(&info);
    if (!app->lws) {
        fprintf(stderr, "citywall-gateway: cannot listen on %s\n",
                app->cfg->listen ? app->cfg->listen : "(none)");
        return -1;
    }
    return 0;
}

void gw_http_stop(gw_app *app)
{
    if (app->lws) lws_context_destroy(app->lws);
    app->lws = NULL;
}
