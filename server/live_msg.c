/* live_msg: parsing of client frames on /live into plain values. See live_msg.h. */
#include "live_msg.h"

#include "utf8.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void livemsg_format(char *out, size_t n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(out, n, fmt, ap);
    va_end(ap);
    utf8_scrub(out);
}

static int fail(livemsg *m, const char *code, const char *message)
{
    m->code = code;
    livemsg_format(m->message, sizeof(m->message), "%s", message);
    return -1;
}

int livemsg_topic_parse(const cfg_t *cfg, const char *name, int *kind, int *hall)
{
    *kind = LIVEMSG_NOTOPIC;
    *hall = -1;
    if (strlen(name) > LIVEMSG_TOPIC_MAX) return -1;
    if (strcmp(name, "city") == 0) {
        *kind = LIVEMSG_CITY;
        return 0;
    }
    if (strcmp(name, "alerts") == 0) {
        *kind = LIVEMSG_ALERTS;
        return 0;
    }
    if (strcmp(name, "province") == 0 && cfg->province.name) {
        *kind = LIVEMSG_PROVINCE;
        return 0;
    }
    if (strncmp(name, "hall/", 5) == 0) {
        int h = cfg_hall_index(cfg, name + 5);
        if (h < 0) return -1;
        *kind = LIVEMSG_HALL;
        *hall = h;
        return 0;
    }
    if (strncmp(name, "wall/", 5) == 0) {
        int w = cfg_wall_index(cfg, name + 5);
        if (w < 0) return -1;
        *kind = LIVEMSG_WALL;
        *hall = w;
        return 0;
    }
    return -1;
}

void livemsg_topic_error(const livemsg_topic *t, char *out, size_t n)
{
    livemsg_format(out, n, "unknown topic '%s'", t->name ? t->name : "(not a string)");
}

/* topics: an array of names (strings or not), each resolved; -1 (bad_request) when not an
 * array. */
static int parse_topics(const cfg_t *cfg, livemsg *m, const char *what)
{
    json_t *topics = json_object_get(m->json, "topics");
    if (!json_is_array(topics)) {
        char msg[96];
        snprintf(msg, sizeof(msg), "%s: topics must be an array of strings", what);
        return fail(m, "bad_request", msg);
    }
    size_t n = json_array_size(topics);
    if (n) {
        m->topics = calloc(n, sizeof(*m->topics));
        if (!m->topics) return fail(m, "bad_request", "out of memory");
    }
    size_t i;
    json_t *t;
    json_array_foreach(topics, i, t)
    {
        livemsg_topic *lt = &m->topics[i];
        lt->name = json_string_value(t);
        if (!lt->name || livemsg_topic_parse(cfg, lt->name, &lt->kind, &lt->hall) < 0) {
            lt->kind = LIVEMSG_NOTOPIC;
            lt->hall = -1;
        }
    }
    m->ntopics = n;
    return 0;
}

static int parse_subscribe(const cfg_t *cfg, livemsg *m)
{
    if (parse_topics(cfg, m, "subscribe") < 0) return -1;
    json_t *since = json_object_get(m->json, "since");
    if (since) {
        json_t *e = json_object_get(since, "epoch"), *r = json_object_get(since, "rev");
        if (!json_is_string(e) || !json_is_integer(r) || json_integer_value(r) < 0)
            return fail(m, "bad_request",
                        "subscribe: since must be {\"epoch\":string,\"rev\":integer}");
        m->has_since = true;
        m->since_epoch = json_string_value(e);
        m->since_rev = (uint64_t)json_integer_value(r);
    }
    json_t *hz = json_object_get(m->json, "max_hz");
    if (hz) {
        double v = json_number_value(hz);
        if (!json_is_number(hz) || v <= 0)
            return fail(m, "bad_request", "subscribe: max_hz must be a positive number");
        m->max_hz = v >= LIVEMSG_MAX_HZ ? LIVEMSG_MAX_HZ : v < 1 ? 1 : (int)v;
    }
    return 0;
}

int livemsg_parse(const cfg_t *cfg, const char *text, size_t len, livemsg *m)
{
    memset(m, 0, sizeof(*m));
    json_error_t jerr;
    m->json = json_loadb(text, len, 0, &jerr);
    const char *op = json_string_value(json_object_get(m->json, "op"));
    if (!op) {
        m->op = LIVEMSG_INVALID;
        m->code = "bad_request";
        if (!m->json)
            livemsg_format(m->message, sizeof(m->message), "not JSON: %s at line %d column %d",
                           jerr.text, jerr.line, jerr.column);
        else
            livemsg_format(m->message, sizeof(m->message),
                           "message must be an object with a string \"op\"");
        return -1;
    }
    if (strcmp(op, "auth") == 0) {
        m->op = LIVEMSG_AUTH;
        m->token = json_string_value(json_object_get(m->json, "token"));
        return 0;
    }
    if (strcmp(op, "subscribe") == 0) {
        m->op = LIVEMSG_SUBSCRIBE;
        return parse_subscribe(cfg, m);
    }
    if (strcmp(op, "unsubscribe") == 0) {
        m->op = LIVEMSG_UNSUBSCRIBE;
        return parse_topics(cfg, m, "unsubscribe");
    }
    if (strcmp(op, "ping") == 0) {
        m->op = LIVEMSG_PING;
        return 0;
    }
    if (strcmp(op, "report") == 0) {
        m->op = LIVEMSG_REPORT;
        return 0;
    }
    m->op = LIVEMSG_UNKNOWN;
    m->code = "bad_request";
    livemsg_format(m->message, sizeof(m->message), "unknown op '%.64s'", op);
    return -1;
}

void livemsg_free(livemsg *m)
{
    json_decref(m->json);
    free(m->topics);
    m->json = NULL;
    m->topics = NULL;
    m->ntopics = 0;
}
