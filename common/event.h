/* event: the hall event model and its validation (SPEC §3.1).
 *
 * ev_parse() takes one decoded JSON event object and checks everything the SPEC asks at the
 * edge: envelope fields, the type, every data field's presence, JSON type, enum value, size
 * and UTF-8, and that biz / window / camera ids are known to that hall in the config. The
 * error message names the field: "ticket.called: data.window missing",
 * "seq: must be an integer from 1 to 2^53-1", "ticket.issued: data.biz: unknown biz 'Z' for
 * hall LH-03".
 *
 * It reads the event through ev_jobj, a parser-neutral view of a JSON object: jansson's tree
 * (ev_parse) or the flat batch of evscan.h (ev_parse_view), so one validator serves both.
 *
 * Ownership: string pointers in ev_event point into the parsed object (borrowed); the event
 * is valid only while that object is alive and unmodified.
 */
#ifndef CW_EVENT_H
#define CW_EVENT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"

#define EV_SEQ_MAX 9007199254740991LL /* 2^53 - 1 */
#define EV_TICKET_MAX_CHARS 32
#define EV_COMMENT_MAX_BYTES 2000
#define EV_ID_MAX_BYTES 64    /* staff, review, case, item, feed */
#define EV_TEXT_MAX_BYTES 500 /* reason, note */
#define EV_URL_MAX_BYTES 1024

typedef enum ev_type {
    EV_TICKET_ISSUED,
    EV_TICKET_CALLED,
    EV_TICKET_RECALLED,
    EV_TICKET_STARTED,
    EV_TICKET_FINISHED,
    EV_TICKET_NO_SHOW,
    EV_TICKET_TRANSFERRED,
    EV_TICKET_SUSPENDED,
    EV_TICKET_RESUMED,
    EV_TICKET_VOIDED,
    EV_WINDOW_OPENED,
    EV_WINDOW_PAUSED,
    EV_WINDOW_RESUMED,
    EV_WINDOW_CLOSED,
    EV_REVIEW_SUBMITTED,
    EV_REVIEW_CASE,
    EV_CAMERA_STATUS,
    EV_HALL_HEARTBEAT,
    EV__COUNT
} ev_type;

enum ev_channel { EV_CH_KIOSK, EV_CH_WECHAT, EV_CH_APPOINTMENT, EV_CH_COUNTER, EV_CH_ONLINE };
enum ev_priority { EV_PRIO_NORMAL, EV_PRIO_GREEN, EV_PRIO_VIP, EV_PRIO_APPOINTMENT };
enum ev_result { EV_RES_DONE, EV_RES_RETURNED, EV_RES_CONSULT, EV_RES_SUPPLEMENT };
enum ev_noshow_action { EV_NOSHOW_SKIP, EV_NOSHOW_RECYCLE };
enum ev_pause_reason { EV_PAUSE_LUNCH, EV_PAUSE_BREAK, EV_PAUSE_MEETING, EV_PAUSE_OTHER };
enum ev_review_channel {
    EV_RCH_EVALUATOR,
    EV_RCH_QRCODE,
    EV_RCH_WEB,
    EV_RCH_APP,
    EV_RCH_SMS,
    EV_RCH_HOTLINE
};
enum ev_case_state {
    EV_CASE_ASSIGNED,
    EV_CASE_CONTACTED,
    EV_CASE_RECTIFYING,
    EV_CASE_CLOSED,
    EV_CASE_APPEALED,
    EV_CASE_APPEAL_UPHELD,
    EV_CASE_APPEAL_REJECTED
};
enum ev_cam_status { EV_CAM_UNKNOWN, EV_CAM_ONLINE, EV_CAM_OFFLINE, EV_CAM_NO_FRAME };

/* ---- a JSON value as ev_parse reads it, from whichever parser made it ---- */

typedef enum ev_jkind {
    EV_J_ABSENT, /* no such member */
    EV_J_NULL,
    EV_J_FALSE,
    EV_J_TRUE,
    EV_J_INTEGER,
    EV_J_REAL,
    EV_J_STRING,
    EV_J_OBJECT,
    EV_J_ARRAY
} ev_jkind;

typedef struct ev_jval ev_jval;
/* Member `key` of object `obj` into *out (the last one when a key repeats; EV_J_ABSENT when
 * there is none). */
typedef void (*ev_jget_fn)(const void *obj, const char *key, ev_jval *out);

/* A JSON object: its parser's getter and the object. */
typedef struct ev_jobj {
    ev_jget_fn get;
    const void *obj;
} ev_jobj;

struct ev_jval {
    ev_jkind kind;
    const char *s; /* EV_J_STRING: NUL-terminated after len bytes */
    size_t len;
    int64_t i; /* EV_J_INTEGER */
    ev_jobj o; /* EV_J_OBJECT */
};

/* The view of a jansson value (any type; a NULL v is EV_J_ABSENT). */
void ev_jval_of_json(const json_t *v, ev_jval *out);
/* The view of a jansson object (get = jansson's lookup). */
ev_jobj ev_jobj_of_json(const json_t *obj);

typedef struct ev_event {
    ev_type type;
    int hall; /* index into cfg->halls */
    const char *hall_id;
    const char *feed; /* "main" when absent */
    bool feed_named;  /* the sender named a feed (acks are then keyed "HALL/FEED") */
    int64_t seq;
    int64_t at_ms; /* UTC ms */
    int at_offset_min;

    /* data fields; absent optional ones are NULL / -1 */
    const char *ticket;
    int biz;    /* ticket.issued: biz; index into the hall's biz */
    int to_biz; /* ticket.transferred */
    int window; /* index into the hall's windows */
    int camera; /* index into the hall's cameras */
    const char *staff;
    int channel;      /* enum ev_channel (tickets) or enum ev_review_channel (reviews) */
    int priority;     /* enum ev_priority */
    int result;       /* enum ev_result */
    int action;       /* enum ev_noshow_action */
    int pause_reason; /* enum ev_pause_reason */
    int level;        /* review 1..5 */
    int case_state;   /* enum ev_case_state */
    int cam_status;   /* enum ev_cam_status */
    bool real_name;
    const char *item, *case_id, *review, *comment, *reason, *note, *main_url, *sub_url;
} ev_event;

/* Validate `obj` (one event) against the config and fill *out. Returns 0 on success; -1 with
 * a message naming the field in err (always NUL-terminated). */
int ev_parse(const cfg_t *cfg, json_t *obj, ev_event *out, char *err, size_t errlen);
/* The same for an event read through a view (`event` of any kind; not an object is an error). */
int ev_parse_view(const cfg_t *cfg, const ev_jval *event, ev_event *out, char *err, size_t errlen);

const char *ev_type_name(ev_type t);
int ev_type_from_name(const char *s); /* -1 when unknown */

/* Enum names as they appear on the wire (e.g. ev_channel_name(EV_CH_KIOSK) = "kiosk"). */
const char *ev_channel_name(int c);
const char *ev_review_channel_name(int c);
const char *ev_priority_name(int p);
const char *ev_result_name(int r);
const char *ev_case_state_name(int s);
const char *ev_cam_status_name(int s);
const char *ev_pause_reason_name(int r);

/* True when s (len bytes) is valid UTF-8 with no NUL and no C0/C1 control characters other
 * than tab, CR and LF (allow_newlines) -- the check applied to every string field. */
bool ev_utf8_valid(const char *s, size_t len, bool allow_newlines);
/* Number of code points in valid UTF-8. */
size_t ev_utf8_chars(const char *s, size_t len);

/* A feed name as SPEC §3.1 allows it: 1 to 64 of A-Z a-z 0-9 _ . - */
bool ev_feed_valid(const char *s, size_t len);

#endif
