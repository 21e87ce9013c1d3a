/* live_msg: parsing of one client text frame on /live (SPEC §4) into plain values -- the op,
 * the auth token, the topics of a subscribe or unsubscribe resolved against the config, the
 * `since` resume point and `max_hz`, or the error the hub answers with.
 *
 * No libwebsockets and no hub: live.c decides what to do with a parsed message (auth first,
 * then the rest), and tests/fuzz/fuzz_live.c feeds this parser arbitrary bytes.
 *
 * Thread: any; a livemsg belongs to its caller.
 */
#ifndef CW_LIVE_MSG_H
#define CW_LIVE_MSG_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"

/* Longest topic name: "hall/" and a hall id of at most 64 bytes (the config's id limit). */
#define LIVEMSG_TOPIC_MAX 69
/* max_hz values above this mean "no pacing beyond the tick" and are clamped to it. */
#define LIVEMSG_MAX_HZ 1000

enum livemsg_op {
    LIVEMSG_INVALID,     /* not JSON, or no string "op": code/message say why */
    LIVEMSG_AUTH,        /* token */
    LIVEMSG_SUBSCRIBE,   /* topics, since, max_hz */
    LIVEMSG_UNSUBSCRIBE, /* topics */
    LIVEMSG_PING,
    LIVEMSG_REPORT,  /* the whole message is in json */
    LIVEMSG_UNKNOWN, /* a string op we do not know: code/message set */
};

enum livemsg_kind {
    LIVEMSG_NOTOPIC = -1,
    LIVEMSG_CITY,
    LIVEMSG_HALL,
    LIVEMSG_ALERTS,
    LIVEMSG_PROVINCE /* a province hub's cities (province.h) */,
    LIVEMSG_WALL /* wall/<id>: *hall gets the wall index */
};

typedef struct livemsg_topic {
    const char *name; /* NULL when the array element is not a string; points into json */
    int kind;         /* enum livemsg_kind; LIVEMSG_NOTOPIC when not a known topic */
    int hall;         /* config hall index for LIVEMSG_HALL, else -1 */
} livemsg_topic;

typedef struct livemsg {
    int op;                /* enum livemsg_op */
    json_t *json;          /* the parsed message (owned), NULL when not JSON */
    const char *token;     /* auth: the token, NULL when missing or not a string */
    livemsg_topic *topics; /* subscribe, unsubscribe: in message order (owned) */
    size_t ntopics;
    bool has_since;
    const char *since_epoch; /* points into json */
    uint64_t since_rev;
    int max_hz;        /* subscribe: 0 when not asked, else 1..LIVEMSG_MAX_HZ */
    const char *code;  /* NULL, or the error code to answer with ("bad_request") */
    char message[200]; /* the error's message when code is set; valid UTF-8 */
} livemsg;

/* Parse the frame text[0..len) into *m, resolving topics against cfg. Returns 0 when the message
 * is well formed (m->code NULL), -1 when m->code and m->message hold the error to answer with;
 * m->op is still set for a known op whose fields are wrong, because an unauthenticated client is
 * told auth_required whatever else is wrong. Per-topic problems (unknown topic) are not message
 * errors: they show as LIVEMSG_NOTOPIC. Always release with livemsg_free(). */
int livemsg_parse(const cfg_t *cfg, const char *text, size_t len, livemsg *m);
/* Free what m owns; m may be zeroed or parsed. */
void livemsg_free(livemsg *m);

/* "city", "alerts" or "hall/<configured id>" into *kind and *hall (-1 unless a hall topic).
 * Returns 0, or -1 for anything else (including names over LIVEMSG_TOPIC_MAX bytes). */
int livemsg_topic_parse(const cfg_t *cfg, const char *name, int *kind, int *hall);
/* The unknown_topic message for t ("unknown topic 'x'") into out[n]; valid UTF-8. */
void livemsg_topic_error(const livemsg_topic *t, char *out, size_t n);
/* snprintf into out[n] (n > 0), then every byte that is not part of a valid UTF-8 sequence
 * (such as a character cut by the truncation) is replaced by '?', so that the result can always
 * go into a JSON string. */
void livemsg_format(char *out, size_t n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
