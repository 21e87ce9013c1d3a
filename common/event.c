/* event: validation of one hall event against SPEC §3.1 and the config (see event.h).
 *
 * Each type lists its data fields in a table (kind + required); ev_parse() checks the
 * envelope in the order hall, feed, seq, type, at, data, then the data fields in table
 * order, and reports the first problem. Decisions where the SPEC is silent:
 * - an optional data field sent as JSON null counts as absent (gateways that serialise
 *   "no value" as null are common); a required one sent as null is mistyped;
 * - "data": null counts as absent (allowed only for hall.heartbeat);
 * - tickets and ids (staff, review, case, item) may not start or end with a space (ASCII or
 *   U+3000); URL schemes are matched case-insensitively;
 * - values quoted in error messages are cut to 40 characters ("...") with control characters
 *   shown as '?', and err is always cut on a UTF-8 boundary, so it is safe to put in JSON.
 * The enum name functions return NULL for a value out of range.
 */
#include "event.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "cwtime.h"
#include "utf8.h"

static const char *const type_names[EV__COUNT] = {
    "ticket.issued",   "ticket.called",  "ticket.recalled",    "ticket.started",
    "ticket.finished", "ticket.no_show", "ticket.transferred", "ticket.suspended",
    "ticket.resumed",  "ticket.voided",  "window.opened",      "window.paused",
    "window.resumed",  "window.closed",  "review.submitted",   "review.case",
    "camera.status",   "hall.heartbeat",
};

static const char *const channel_names[] = {"kiosk", "wechat", "appointment", "counter", "online"};
static const char *const priority_names[] = {"normal", "green", "vip", "appointment"};
static const char *const result_names[] = {"done", "returned", "consult", "supplement"};
static const char *const action_names[] = {"skip", "recycle"};
static const char *const pause_names[] = {"lunch", "break", "meeting", "other"};
static const char *const rchannel_names[] = {"evaluator", "qrcode", "web", "app", "sms", "hotline"};
static const char *const case_names[] = {"assigned", "contacted",     "rectifying",     "closed",
                                         "appealed", "appeal_upheld", "appeal_rejected"};
static const char *const cam_names[] = {"unknown", "online", "offline", "no_frame"};

#define NELEM(a) ((int)(sizeof(a) / sizeof((a)[0])))

static const char *name_at(const char *const *names, int n, int i)
{
    return i >= 0 && i < n ? names[i] : NULL;
}

const char *ev_type_name(ev_type t)
{
    return name_at(type_names, EV__COUNT, (int)t);
}

int ev_type_from_name(const char *s)
{
    if (!s) return -1;
    for (int i = 0; i < EV__COUNT; i++) {
        if (strcmp(s, type_names[i]) == 0) return i;
    }
    return -1;
}

const char *ev_channel_name(int c)
{
    return name_at(channel_names, NELEM(channel_names), c);
}

const char *ev_review_channel_name(int c)
{
    return name_at(rchannel_names, NELEM(rchannel_names), c);
}

const char *ev_priority_name(int p)
{
    return name_at(priority_names, NELEM(priority_names), p);
}

const char *ev_result_name(int r)
{
    return name_at(result_names, NELEM(result_names), r);
}

const char *ev_case_state_name(int s)
{
    return name_at(case_names, NELEM(case_names), s);
}

const char *ev_cam_status_name(int s)
{
    return name_at(cam_names, NELEM(cam_names), s);
}

const char *ev_pause_reason_name(int r)
{
    return name_at(pause_names, NELEM(pause_names), r);
}

/* ---- UTF-8 ---- */

enum { U8_OK, U8_CONTROL, U8_INVALID };

static int utf8_scan(const char *str, size_t len, bool allow_newlines)
{
    const unsigned char *s = (const unsigned char *)str;
    int control = 0;
    for (size_t i = 0; i < len;) {
        unsigned c = s[i];
        if (c < 0x80) {
            if ((c < 0x20 && !(allow_newlines && (c == '\t' || c == '\r' || c == '\n'))) ||
                c == 0x7F)
                control = 1;
            i++;
            continue;
        }
        size_t n = utf8_seq(s + i, len - i);
        if (!n) return U8_INVALID;
        if (c == 0xC2 && s[i + 1] <= 0x9F) control = 1; /* C1: U+0080..U+009F */
        i += n;
    }
    return control ? U8_CONTROL : U8_OK;
}

bool ev_utf8_valid(const char *s, size_t len, bool allow_newlines)
{
    return utf8_scan(s, len, allow_newlines) == U8_OK;
}

size_t ev_utf8_chars(const char *s, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        if (((unsigned char)s[i] & 0xC0) != 0x80) n++;
    }
    return n;
}

/* ---- errors ---- */

typedef struct ev_ctx {
    const cfg_t *cfg;
    const cfg_hall *hall;
    const char *type;
    ev_jobj data;
    ev_event *ev;
    char *err;
    size_t errlen;
} ev_ctx;

/* Drop an incomplete UTF-8 sequence at the end of buf (after truncation). */
static void utf8_trim_tail(char *buf)
{
    size_t len = strlen(buf);
    size_t i = len;
    while (i > 0 && ((unsigned char)buf[i - 1] & 0xC0) == 0x80 && len - i < 3)
        i--;
    if (i == 0) return;
    unsigned char lead = (unsigned char)buf[i - 1];
    size_t need = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
    if (len - (i - 1) < need) buf[i - 1] = '\0';
}

static int seterr(ev_ctx *c, const char *fmt, ...)
{
    if (!c->err || c->errlen == 0) return -1;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(c->err, c->errlen, fmt, ap);
    va_end(ap);
    if (n >= (int)c->errlen) utf8_trim_tail(c->err);
    return -1;
}

/* A value for an error message: at most 40 characters, control characters as '?'. The
 * input must be valid UTF-8 up to controls. out holds 200 bytes. */
static const char *quote(const char *s, size_t len, char *out)
{
    size_t o = 0, chars = 0;
    for (size_t i = 0; i < len && o < 180;) {
        unsigned char c = (unsigned char)s[i];
        size_t n = c < 0x80 ? 1 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
        if (n > len - i) break;
        if (chars == 40) {
            memcpy(out + o, "...", 3);
            o += 3;
            break;
        }
        if (c < 0x20 || c == 0x7F || (c == 0xC2 && (unsigned char)s[i + 1] <= 0x9F)) {
            out[o++] = '?';
        } else {
            memcpy(out + o, s + i, n);
            o += n;
        }
        i += n;
        chars++;
    }
    out[o] = '\0';
    return out;
}

/* ---- data fields ---- */

typedef enum ev_kind {
    K_NONE, /* ends a type's field list */
    K_TICKET,
    K_BIZ,
    K_TO_BIZ,
    K_WINDOW,
    K_CAMERA,
    K_STAFF,
    K_REVIEW,
    K_CASE,
    K_ITEM,
    K_CHANNEL,
    K_PRIORITY,
    K_RESULT,
    K_ACTION,
    K_PAUSE_REASON,
    K_REASON,
    K_RCHANNEL,
    K_LEVEL,
    K_REAL_NAME,
    K_COMMENT,
    K_CASE_STATE,
    K_NOTE,
    K_CAM_STATUS,
    K_MAIN,
    K_SUB,
} ev_kind;

static const char *const kind_keys[] = {
    [K_NONE] = "",
    [K_TICKET] = "ticket",
    [K_BIZ] = "biz",
    [K_TO_BIZ] = "to_biz",
    [K_WINDOW] = "window",
    [K_CAMERA] = "camera",
    [K_STAFF] = "staff",
    [K_REVIEW] = "review",
    [K_CASE] = "case",
    [K_ITEM] = "item",
    [K_CHANNEL] = "channel",
    [K_PRIORITY] = "priority",
    [K_RESULT] = "result",
    [K_ACTION] = "action",
    [K_PAUSE_REASON] = "reason",
    [K_REASON] = "reason",
    [K_RCHANNEL] = "channel",
    [K_LEVEL] = "level",
    [K_REAL_NAME] = "real_name",
    [K_COMMENT] = "comment",
    [K_CASE_STATE] = "state",
    [K_NOTE] = "note",
    [K_CAM_STATUS] = "status",
    [K_MAIN] = "main",
    [K_SUB] = "sub",
};

typedef struct ev_field {
    ev_kind kind;
    bool required;
} ev_field;

#define R(k)                                                                                       \
    {                                                                                              \
        k, true                                                                                    \
    }
#define O(k)                                                                                       \
    {                                                                                              \
        k, false                                                                                   \
    }
#define MAX_FIELDS 10

static const ev_field type_fields[EV__COUNT][MAX_FIELDS + 1] = {
    [EV_TICKET_ISSUED] = {R(K_TICKET), R(K_BIZ), R(K_CHANNEL), R(K_PRIORITY), O(K_ITEM)},
    [EV_TICKET_CALLED] = {R(K_TICKET), R(K_WINDOW), O(K_STAFF)},
    [EV_TICKET_RECALLED] = {R(K_TICKET), R(K_WINDOW)},
    [EV_TICKET_STARTED] = {R(K_TICKET), R(K_WINDOW), O(K_STAFF)},
    [EV_TICKET_FINISHED] = {R(K_TICKET), R(K_WINDOW), R(K_RESULT), O(K_CASE)},
    [EV_TICKET_NO_SHOW] = {R(K_TICKET), R(K_WINDOW), R(K_ACTION)},
    [EV_TICKET_TRANSFERRED] = {R(K_TICKET), R(K_WINDOW), R(K_TO_BIZ)},
    [EV_TICKET_SUSPENDED] = {R(K_TICKET), R(K_WINDOW), O(K_REASON)},
    [EV_TICKET_RESUMED] = {R(K_TICKET), R(K_WINDOW), O(K_REASON)},
    [EV_TICKET_VOIDED] = {R(K_TICKET), O(K_REASON)},
    [EV_WINDOW_OPENED] = {R(K_WINDOW), R(K_STAFF)},
    [EV_WINDOW_PAUSED] = {R(K_WINDOW), R(K_PAUSE_REASON)},
    [EV_WINDOW_RESUMED] = {R(K_WINDOW)},
    [EV_WINDOW_CLOSED] = {R(K_WINDOW)},
    [EV_REVIEW_SUBMITTED] = {R(K_REVIEW), R(K_LEVEL), R(K_RCHANNEL), O(K_WINDOW), O(K_STAFF),
                             O(K_TICKET), O(K_CASE), O(K_ITEM), O(K_COMMENT), R(K_REAL_NAME)},
    [EV_REVIEW_CASE] = {R(K_REVIEW), R(K_CASE_STATE), O(K_NOTE)},
    [EV_CAMERA_STATUS] = {R(K_CAMERA), R(K_CAM_STATUS), O(K_MAIN), O(K_SUB)},
    [EV_HALL_HEARTBEAT] = {{K_NONE, false}},
};

static int nfields(ev_type t)
{
    int n = 0;
    while (n < MAX_FIELDS && type_fields[t][n].kind != K_NONE)
        n++;
    return n;
}

/* The string value of data.key into *s / *len after the UTF-8 check. Returns 0, 1 when
 * absent (an error when required), -1 on error. */
static int get_string(ev_ctx *c, const char *key, bool required, bool allow_newlines,
                      const char **s, size_t *len)
{
    ev_jval v;
    c->data.get(c->data.obj, key, &v);
    if (v.kind == EV_J_ABSENT || (v.kind == EV_J_NULL && !required)) {
        if (required) return seterr(c, "%s: data.%s missing", c->type, key);
        return 1;
    }
    if (v.kind != EV_J_STRING) return seterr(c, "%s: data.%s must be a string", c->type, key);
    *s = v.s;
    *len = v.len;
    int r = utf8_scan(*s, *len, allow_newlines);
    if (r == U8_INVALID) return seterr(c, "%s: data.%s: invalid UTF-8", c->type, key);
    if (r == U8_CONTROL)
        return seterr(c, "%s: data.%s: control characters not allowed", c->type, key);
    return 0;
}

static bool edge_space(const char *s, size_t len)
{
    if (len == 0) return false;
    if (s[0] == ' ' || s[len - 1] == ' ') return true;
    return (len >= 3 && memcmp(s, "\xE3\x80\x80", 3) == 0) ||
           (len >= 3 && memcmp(s + len - 3, "\xE3\x80\x80", 3) == 0);
}

/* Printable text: no control characters, not empty, no space at either end. */
static int get_printable(ev_ctx *c, const char *key, bool required, const char **out,
                         size_t max_chars, size_t max_bytes, const char *what)
{
    ev_jval v;
    c->data.get(c->data.obj, key, &v);
    if (v.kind == EV_J_ABSENT || (v.kind == EV_J_NULL && !required)) {
        if (required) return seterr(c, "%s: data.%s missing", c->type, key);
        return 0;
    }
    if (v.kind != EV_J_STRING) return seterr(c, "%s: data.%s must be a string", c->type, key);
    const char *s = v.s;
    size_t len = v.len;
    int r = utf8_scan(s, len, false);
    if (r == U8_INVALID) return seterr(c, "%s: data.%s: invalid UTF-8", c->type, key);
    if (r == U8_CONTROL || len == 0 || len > max_bytes || ev_utf8_chars(s, len) > max_chars ||
        edge_space(s, len))
        return seterr(c, "%s: data.%s: %s", c->type, key, what);
    *out = s;
    return 0;
}

static int get_text(ev_ctx *c, const char *key, size_t max_bytes, bool allow_newlines,
                    const char **out)
{
    const char *s = NULL;
    size_t len = 0;
    int r = get_string(c, key, false, allow_newlines, &s, &len);
    if (r != 0) return r < 0 ? -1 : 0;
    if (len > max_bytes)
        return seterr(c, "%s: data.%s: longer than %zu bytes", c->type, key, max_bytes);
    *out = s;
    return 0;
}

static int get_url(ev_ctx *c, const char *key, const char **out)
{
    const char *s = NULL;
    size_t len = 0;
    int r = get_string(c, key, false, false, &s, &len);
    if (r != 0) return r < 0 ? -1 : 0;
    if (len > EV_URL_MAX_BYTES)
        return seterr(c, "%s: data.%s: longer than %d bytes", c->type, key, EV_URL_MAX_BYTES);
    static const char *const schemes[] = {"rtsp://", "rtsps://", "http://", "https://"};
    for (int i = 0; i < NELEM(schemes); i++) {
        if (strncasecmp(s, schemes[i], strlen(schemes[i])) == 0) {
            *out = s;
            return 0;
        }
    }
    return seterr(c, "%s: data.%s: must start with rtsp://, rtsps://, http:// or https://", c->type,
                  key);
}

static int get_enum(ev_ctx *c, const char *key, const char *const *names, int from, int n, int *out)
{
    const char *s = NULL;
    size_t len = 0;
    int r = get_string(c, key, true, false, &s, &len);
    if (r != 0) return -1;
    for (int i = from; i < n; i++) {
        if (strlen(names[i]) == len && memcmp(s, names[i], len) == 0) {
            *out = i;
            return 0;
        }
    }
    char alts[160] = "", q[200];
    size_t o = 0;
    for (int i = from; i < n; i++)
        o += (size_t)snprintf(alts + o, sizeof alts - o, "%s%s", i > from ? "|" : "", names[i]);
    return seterr(c, "%s: data.%s: unknown value '%s' (%s)", c->type, key, quote(s, len, q), alts);
}

typedef int (*ev_lookup_fn)(const cfg_hall *hall, const char *id);

static int get_ref(ev_ctx *c, const char *key, bool required, const char *what, ev_lookup_fn lookup,
                   int *out)
{
    const char *s = NULL;
    size_t len = 0;
    int r = get_string(c, key, required, false, &s, &len);
    if (r != 0) return r < 0 ? -1 : 0;
    int i = strlen(s) == len ? lookup(c->hall, s) : -1;
    if (i < 0) {
        char q[200];
        return seterr(c, "%s: data.%s: unknown %s '%s' for hall %s", c->type, key, what,
                      quote(s, len, q), c->hall->id);
    }
    *out = i;
    return 0;
}

#define TICKET_MSG "1 to 32 printable characters"
#define ID_MSG "1 to 64 bytes of printable characters"

static int check_field(ev_ctx *c, const ev_field *f)
{
    ev_event *ev = c->ev;
    const char *key = kind_keys[f->kind];
    bool req = f->required;
    switch (f->kind) {
    case K_TICKET:
        return get_printable(c, key, req, &ev->ticket, EV_TICKET_MAX_CHARS, EV_TICKET_MAX_CHARS * 4,
                             TICKET_MSG);
    case K_STAFF:
        return get_printable(c, key, req, &ev->staff, EV_ID_MAX_BYTES, EV_ID_MAX_BYTES, ID_MSG);
    case K_REVIEW:
        return get_printable(c, key, req, &ev->review, EV_ID_MAX_BYTES, EV_ID_MAX_BYTES, ID_MSG);
    case K_CASE:
        return get_printable(c, key, req, &ev->case_id, EV_ID_MAX_BYTES, EV_ID_MAX_BYTES, ID_MSG);
    case K_ITEM:
        return get_printable(c, key, req, &ev->item, EV_ID_MAX_BYTES, EV_ID_MAX_BYTES, ID_MSG);
    case K_BIZ:
        return get_ref(c, key, req, "biz", cfg_biz_index, &ev->biz);
    case K_TO_BIZ:
        return get_ref(c, key, req, "biz", cfg_biz_index, &ev->to_biz);
    case K_WINDOW:
        return get_ref(c, key, req, "window", cfg_window_index, &ev->window);
    case K_CAMERA:
        return get_ref(c, key, req, "camera", cfg_camera_index, &ev->camera);
    case K_CHANNEL:
        return get_enum(c, key, channel_names, 0, NELEM(channel_names), &ev->channel);
    case K_RCHANNEL:
        return get_enum(c, key, rchannel_names, 0, NELEM(rchannel_names), &ev->channel);
    case K_PRIORITY:
        return get_enum(c, key, priority_names, 0, NELEM(priority_names), &ev->priority);
    case K_RESULT:
        return get_enum(c, key, result_names, 0, NELEM(result_names), &ev->result);
    case K_ACTION:
        return get_enum(c, key, action_names, 0, NELEM(action_names), &ev->action);
    case K_PAUSE_REASON:
        return get_enum(c, key, pause_names, 0, NELEM(pause_names), &ev->pause_reason);
    case K_CASE_STATE:
        return get_enum(c, key, case_names, 0, NELEM(case_names), &ev->case_state);
    case K_CAM_STATUS:
        return get_enum(c, key, cam_names, EV_CAM_ONLINE, NELEM(cam_names), &ev->cam_status);
    case K_REASON:
        return get_text(c, key, EV_TEXT_MAX_BYTES, false, &ev->reason);
    case K_NOTE:
        return get_text(c, key, EV_TEXT_MAX_BYTES, true, &ev->note);
    case K_COMMENT:
        return get_text(c, key, EV_COMMENT_MAX_BYTES, true, &ev->comment);
    case K_MAIN:
        return get_url(c, key, &ev->main_url);
    case K_SUB:
        return get_url(c, key, &ev->sub_url);
    case K_LEVEL: {
        ev_jval v;
        c->data.get(c->data.obj, key, &v);
        if (v.kind == EV_J_ABSENT) return seterr(c, "%s: data.level missing", c->type);
        int64_t l = v.kind == EV_J_INTEGER ? v.i : 0;
        if (l < 1 || l > 5) return seterr(c, "%s: data.level must be an integer 1..5", c->type);
        ev->level = (int)l;
        return 0;
    }
    case K_NONE:
        break;
    case K_REAL_NAME: {
        ev_jval v;
        c->data.get(c->data.obj, key, &v);
        if (v.kind == EV_J_ABSENT) return seterr(c, "%s: data.real_name missing", c->type);
        if (v.kind != EV_J_TRUE && v.kind != EV_J_FALSE)
            return seterr(c, "%s: data.real_name must be a boolean", c->type);
        ev->real_name = v.kind == EV_J_TRUE;
        return 0;
    }
    }
    return seterr(c, "%s: internal error", c->type);
}

/* ---- envelope ---- */

bool ev_feed_valid(const char *s, size_t len)
{
    if (len < 1 || len > EV_ID_MAX_BYTES) return false;
    for (size_t i = 0; i < len; i++) {
        char ch = s[i];
        if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
              ch == '_' || ch == '.' || ch == '-'))
            return false;
    }
    return true;
}

/* ---- the jansson view ---- */

void ev_jval_of_json(const json_t *v, ev_jval *out)
{
    memset(out, 0, sizeof *out);
    switch (v ? json_typeof(v) : JSON_NULL) {
    case JSON_OBJECT:
        out->kind = EV_J_OBJECT;
        out->o = ev_jobj_of_json(v);
        break;
    case JSON_ARRAY:
        out->kind = EV_J_ARRAY;
        break;
    case JSON_STRING:
        out->kind = EV_J_STRING;
        out->s = json_string_value(v);
        out->len = json_string_length(v);
        break;
    case JSON_INTEGER:
        out->kind = EV_J_INTEGER;
        out->i = json_integer_value(v);
        break;
    case JSON_REAL:
        out->kind = EV_J_REAL;
        break;
    case JSON_TRUE:
        out->kind = EV_J_TRUE;
        break;
    case JSON_FALSE:
        out->kind = EV_J_FALSE;
        break;
    case JSON_NULL:
        out->kind = v ? EV_J_NULL : EV_J_ABSENT;
        break;
    }
}

static void jansson_get(const void *obj, const char *key, ev_jval *out)
{
    ev_jval_of_json(json_object_get(obj, key), out);
}

ev_jobj ev_jobj_of_json(const json_t *obj)
{
    return (ev_jobj){.get = jansson_get, .obj = obj};
}

/* ---- the event ---- */

static void init_event(ev_event *ev)
{
    memset(ev, 0, sizeof *ev);
    ev->hall = -1;
    ev->feed = "main";
    ev->biz = ev->to_biz = ev->window = ev->camera = -1;
    ev->channel = ev->priority = ev->result = ev->action = ev->pause_reason = -1;
    ev->level = ev->case_state = ev->cam_status = -1;
}

int ev_parse(const cfg_t *cfg, json_t *obj, ev_event *out, char *err, size_t errlen)
{
    ev_jval v;
    ev_jval_of_json(obj, &v);
    return ev_parse_view(cfg, &v, out, err, errlen);
}

int ev_parse_view(const cfg_t *cfg, const ev_jval *event, ev_event *out, char *err, size_t errlen)
{
    ev_ctx c = {.cfg = cfg, .ev = out, .err = err, .errlen = errlen};
    if (err && errlen) err[0] = '\0';
    init_event(out);
    if (event->kind != EV_J_OBJECT) return seterr(&c, "event: must be an object");
    const ev_jobj *obj = &event->o;

    ev_jval v;
    obj->get(obj->obj, "hall", &v);
    if (v.kind == EV_J_ABSENT) return seterr(&c, "hall: missing");
    if (v.kind != EV_J_STRING) return seterr(&c, "hall: must be a string");
    const char *hall = v.s;
    size_t hlen = v.len;
    if (utf8_scan(hall, hlen, false) == U8_INVALID) return seterr(&c, "hall: invalid UTF-8");
    out->hall = strlen(hall) == hlen ? cfg_hall_index(cfg, hall) : -1;
    if (out->hall < 0) {
        char q[200];
        return seterr(&c, "hall: unknown hall '%s'", quote(hall, hlen, q));
    }
    out->hall_id = hall;
    c.hall = &cfg->halls[out->hall];

    obj->get(obj->obj, "feed", &v);
    if (v.kind != EV_J_ABSENT && v.kind != EV_J_NULL) {
        if (v.kind != EV_J_STRING) return seterr(&c, "feed: must be a string");
        if (!ev_feed_valid(v.s, v.len))
            return seterr(&c, "feed: 1 to 64 characters of A-Z a-z 0-9 _ . -");
        out->feed = v.s;
        out->feed_named = true;
    }

    obj->get(obj->obj, "seq", &v);
    if (v.kind == EV_J_ABSENT) return seterr(&c, "seq: missing");
    if (v.kind != EV_J_INTEGER || v.i < 1 || v.i > EV_SEQ_MAX)
        return seterr(&c, "seq: must be an integer from 1 to 2^53-1");
    out->seq = v.i;

    obj->get(obj->obj, "type", &v);
    if (v.kind == EV_J_ABSENT) return seterr(&c, "type: missing");
    if (v.kind != EV_J_STRING) return seterr(&c, "type: must be a string");
    int t = strlen(v.s) == v.len ? ev_type_from_name(v.s) : -1;
    if (t < 0) {
        char q[200];
        if (utf8_scan(v.s, v.len, false) == U8_INVALID) return seterr(&c, "type: invalid UTF-8");
        return seterr(&c, "type: unknown type '%s'", quote(v.s, v.len, q));
    }
    out->type = (ev_type)t;
    c.type = type_names[t];

    obj->get(obj->obj, "at", &v);
    if (v.kind == EV_J_ABSENT) return seterr(&c, "at: missing");
    if (v.kind != EV_J_STRING || strlen(v.s) != v.len ||
        cwt_parse_rfc3339(v.s, &out->at_ms, &out->at_offset_min) != 0)
        return seterr(&c, "at: not an RFC 3339 time with offset");

    obj->get(obj->obj, "data", &v);
    if (v.kind != EV_J_ABSENT && v.kind != EV_J_NULL && v.kind != EV_J_OBJECT)
        return seterr(&c, "data: must be an object");
    if (v.kind != EV_J_OBJECT) {
        if (out->type != EV_HALL_HEARTBEAT) return seterr(&c, "%s: data missing", c.type);
        return 0;
    }
    c.data = v.o;

    int n = nfields(out->type);
    for (int i = 0; i < n; i++) {
        if (check_field(&c, &type_fields[out->type][i]) != 0) return -1;
    }
    return 0;
}
