/* ingest_ws: the /ingest WebSocket protocol (SPEC §3.3, subprotocol citywall-ingest.v1): a
 * hall token in the handshake's Authorization, one event or an array per message, an ack per
 * message once it is handled, errors per rejected event. See ingest_ws.h.
 *
 * Thread: service thread. */
#include "ingest_ws.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http_util.h"
#include "ingest.h"
#include "msgbuf.h"

typedef struct ingest_pss {
    uint64_t conn_id;
    struct lws *wsi;
    struct ingest_pss *next, *prev; /* all open /ingest connections (for SIGTERM) */
    int token;
    bool closing;
    int close_code;
    char close_msg[124];
    cw_msgbuf rx; /* the message being received */
    char **out;   /* queued text messages */
    int nout, capout;
    int inflight;
} ingest_pss;

static ingest_pss *ingest_conns;
static int n_ingest_conns;
static bool ingest_stopping;

size_t ingest_ws_pss_size(void)
{
    return sizeof(ingest_pss);
}

static void ws_queue(ingest_pss *p, json_t *msg)
{
    if (p->nout == p->capout) {
        int nc = p->capout ? p->capout * 2 : 8;
        char **n = realloc(p->out, sizeof(char *) * nc);
        if (!n) {
            json_decref(msg);
            return;
        }
        p->out = n;
        p->capout = nc;
    }
    p->out[p->nout++] = json_dumps(msg, JSON_COMPACT);
    json_decref(msg);
    lws_callback_on_writable(p->wsi);
}

static void ws_close(ingest_pss *p, int code, const char *msg)
{
    p->closing = true;
    p->close_code = code;
    snprintf(p->close_msg, sizeof(p->close_msg), "%s", msg);
    lws_callback_on_writable(p->wsi);
}

/* ingest_answer_fn: a message's batch is handled. */
static void answered(hub_t *hub, store_job *job, uint64_t conn_id)
{
    ingest_pss *p = hub_conn_lookup(conn_id);
    if (!p) return;
    p->inflight--;
    if (job->rc < 0) {
        ws_queue(p, json_pack("{s:s}", "error", job->err));
    } else {
        json_t *msgs = ingest_ws_messages(hub, job);
        size_t i;
        json_t *m;
        json_array_foreach(msgs, i, m) ws_queue(p, json_incref(m));
        json_decref(msgs);
    }
    if (ingest_stopping && !p->inflight && !p->closing)
        ws_close(p, LWS_CLOSE_STATUS_GOINGAWAY, "hub is stopping");
}

static void ws_message(hub_t *hub, ingest_pss *p)
{
    json_error_t jerr;
    ingest_body body;
    if (ingest_parse(p->rx.buf, p->rx.len, &body, &jerr) < 0) {
        char m[200];
        snprintf(m, sizeof(m), "not JSON: %s at line %d column %d", jerr.text, jerr.line,
                 jerr.column);
        ws_queue(p, json_pack("{s:s}", "error", m));
        return;
    }
    if (!ingest_rate_ok(hub, p->token, ingest_body_count(&body))) {
        hub->m.limit_429++;
        hub->m.limit_1008++;
        ingest_body_free(&body);
        ws_close(p, LWS_CLOSE_STATUS_POLICY_VIOLATION, "ingest rate limit");
        return;
    }
    int status;
    char err[256];
    store_job *job =
        ingest_prepare(hub, p->token, &body, p->rx.buf, true, &status, err, sizeof(err));
    if (!job) {
        ws_queue(p, json_pack("{s:s}", "error", err));
        return;
    }
    hub->m.ingest_requests++;
    p->inflight++;
    ingest_submit(hub, job, answered, p->conn_id);
}

int ingest_ws_shutdown(void)
{
    ingest_stopping = true;
    for (ingest_pss *p = ingest_conns; p; p = p->next)
        if (!p->inflight && !p->closing) ws_close(p, LWS_CLOSE_STATUS_GOINGAWAY, "hub is stopping");
    return n_ingest_conns;
}

int ingest_ws_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                       size_t len)
{
    struct lws_vhost *vh = lws_get_vhost(wsi);
    hub_t *hub = vh ? lws_get_vhost_user(vh) : NULL;
    ingest_pss *p = user;
    switch (reason) {
    case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
        return hub && http_ws_origin_check(hub, wsi, HTTP_WS_INGEST) < 0 ? 1 : 0;
    case LWS_CALLBACK_ESTABLISHED: {
        p->wsi = wsi;
        p->conn_id = hub_conn_register(p);
        p->next = ingest_conns;
        if (ingest_conns) ingest_conns->prev = p;
        ingest_conns = p;
        n_ingest_conns++;
        if (ingest_stopping) {
            ws_close(p, LWS_CLOSE_STATUS_GOINGAWAY, "hub is stopping");
            return 0;
        }
        char hdr[1024];
        p->token = -1;
        if (lws_hdr_copy(wsi, hdr, sizeof(hdr), WSI_TOKEN_HTTP_AUTHORIZATION) > 0 &&
            strncasecmp(hdr, "Bearer ", 7) == 0)
            p->token = cfg_token_find(hub->cfg, hdr + 7);
        if (p->token < 0 || hub->cfg->tokens[p->token].role != CFG_ROLE_HALL) {
            hub->m.limit_1008++;
            ws_close(p, LWS_CLOSE_STATUS_POLICY_VIOLATION,
                     p->token < 0 ? "missing or unknown hall token"
                                  : "this token may not write events");
        }
        return 0;
    }
    case LWS_CALLBACK_RECEIVE: {
        if (p->closing) return 0;
        int got = cw_msgbuf_add(&p->rx, lws_is_first_fragment(wsi),
                                lws_is_final_fragment(wsi) && !lws_remaining_packet_payload(wsi),
                                in, len, (size_t)hub->cfg->limits.max_ws_message);
        if (got == CW_MSG_TOO_BIG) {
            hub->m.limit_1009++;
            char m[100];
            snprintf(m, sizeof(m), "message over %lld bytes",
                     (long long)hub->cfg->limits.max_ws_message);
            lws_close_reason(wsi, LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE, (unsigned char *)m,
                             strlen(m));
            return -1;
        }
        if (got == CW_MSG_NOMEM) return -1;
        if (got == CW_MSG_DONE) ws_message(hub, p);
        return 0;
    }
    case LWS_CALLBACK_SERVER_WRITEABLE:
        if (p->nout) {
            char *s = p->out[0];
            memmove(p->out, p->out + 1, sizeof(char *) * (p->nout - 1));
            p->nout--;
            size_t n = s ? strlen(s) : 0;
            unsigned char *buf = malloc(LWS_PRE + n);
            if (!buf) {
                free(s);
                return -1;
            }
            memcpy(buf + LWS_PRE, s, n);
            free(s);
            int w = lws_write(wsi, buf + LWS_PRE, n, LWS_WRITE_TEXT);
            free(buf);
            if (w < (int)n) return -1;
            if (p->nout || p->closing) lws_callback_on_writable(wsi);
            return 0;
        }
        if (p->closing) {
            hub_ws_write_close(wsi, p->close_code, p->close_msg);
            return -1;
        }
        return 0;
    case LWS_CALLBACK_CLOSED:
        if (p->conn_id) {
            hub_conn_unregister(p->conn_id);
            if (p->prev)
                p->prev->next = p->next;
            else
                ingest_conns = p->next;
            if (p->next) p->next->prev = p->prev;
            n_ingest_conns--;
        }
        p->conn_id = 0;
        for (int i = 0; i < p->nout; i++)
            free(p->out[i]);
        free(p->out);
        cw_msgbuf_free(&p->rx);
        p->out = NULL;
        return 0;
    default:
        return 0;
    }
}
