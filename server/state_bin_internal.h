/* state_bin_internal: the compact binary image of the whole state (fast restart and config
 * reload) -- its layout and the helpers its writer (state_bin_write.c) and reader (state_bin.c)
 * share.
 *
 * It holds exactly what state_save() puts in its JSON document, in a form that is cheap to
 * write and to read back: no per-field parsing, cross references by ticket id resolved with
 * the hall's own ticket map, hash maps pre-sized from the image. An image is disk input, so
 * state_load_bin() trusts nothing in it: every read is bounds-checked, every count is checked
 * against the bytes left before anything is allocated for it, every enum against its range,
 * and the whole image against a trailing checksum before any of it is used.
 *
 * Layout (version 1). Integers are little-endian and fixed-width (u8 i8 u32 i32 u64 i64);
 * a string is u32 length, the bytes, and a NUL (length 0xffffffff = none, no bytes); times
 * are ms since the epoch, -1 meaning none. A load refuses a time outside [-1, 9999-12-31]
 * (now: [0, 9999-12-31]) and a count or duration beyond +-2^53, so nothing read can overflow
 * later arithmetic or the calendar.
 *
 *   "CWSB" u32 version
 *   i64 now, i32 day, u64 ver, i64 last_sec, i64 last_min,
 *   u64 applied, unknown_tickets, late_events, bad_transitions
 *   u32 nhalls, then per hall: str id, u64 body length, body:
 *     u64 ver, i64 last_event, i64 issued finished no_show visits wait_sum svc_n svc_sum
 *       rv_n rv_good rv_sat rv_bad rv_sum
 *     u32 nbiz + str ids, u32 nwin + str ids, u32 ncam + str ids  (the hall's dictionary)
 *     u32 map capacity, u32 ntickets, u32 nwaiting
 *     ntickets x ticket: u32 biz, i32 window, i32 visit_biz (dictionary indexes, -1 none),
 *       i32 widx (position in the waiting list, -1), i32 recalls, u8 state, u8 flags
 *       (1 unknown, 2 entry_known, 4 has_visit), i8 channel, i8 priority, i64 issued entered
 *       called started ended visit_call visit_w, str id
 *     nbiz x biz: i64 issued visits wait_sum, u32 n + n x call (i64 at, i64 W, u8 ok,
 *       str ticket), u32 n + n x finish (i64 at, i64 S)
 *     nwin x window: u8 status, i32 reason, str staff, str ticket, i64 since served svc_n
 *       svc_sum no_show calls
 *     ncam x camera: i32 status, i64 since, str main_url, str sub_url
 *     u32 capacity, u32 n + n x str review id
 *     u32 n + n x last review: str id, i32 level, i64 at, i32 channel, str window, str staff,
 *       str comment, u8 flags (1 real_name, 2 upheld)
 *     u32 n + n x case: str review, i32 level, i32 date, i64 at, i32 state, u8 flags
 *       (1 real_name, 2 contacted, 4 upheld), i64 contact_deadline, i64 rectify_deadline
 *     u32 n + n x closure: i64 from, i64 to, str reason
 *   u64 FNV-1a (64-bit) of every byte before it
 *
 * Tickets and review ids are written in the order of their map's slots, starting after an
 * empty slot, and read back into a map of the saved capacity: every key lands in the slot it
 * had, so the loaded state iterates (and saves) in the same order as the one saved.
 */
#ifndef CW_STATE_BIN_INTERNAL_H
#define CW_STATE_BIN_INTERNAL_H

#include "state_internal.h"

#define BIN_MAGIC "CWSB"

#define BIN_VERSION 1

#define NOSTR 0xffffffffu

#define STR_MIN 5 /* u32 length + NUL */

#define TK_FIXED (4 * 5 + 4 + 8 * 7) /* a ticket before its id */

#define TK_MIN (TK_FIXED + STR_MIN)

#define HALL_COUNTERS 12

#define TIME_MAX 253402300799999LL /* 9999-12-31T23:59:59.999Z */

#define NUM_MAX (1LL << 53)

/* ---------------------------------------------------------------- little-endian */

static inline inline void put32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
    p[2] = (unsigned char)(v >> 16);
    p[3] = (unsigned char)(v >> 24);
}

static inline inline void put64(unsigned char *p, uint64_t v)
{
    put32(p, (uint32_t)v);
    put32(p + 4, (uint32_t)(v >> 32));
}

static inline inline uint32_t get32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline inline uint64_t get64(const unsigned char *p)
{
    return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32;
}

static inline uint64_t fnv1a64(const unsigned char *p, size_t n)
{
    uint64_t h = 14695981039346656037ull;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 1099511628211ull;
    }
    return h;
}

/* The slot after which a walk of map m visits every chain in insertion order. */
static inline uint32_t map_walk_start(const state_map *m)
{
    for (uint32_t i = 0; i < m->cap; i++)
        if (!m->e[i].key) return i;
    return 0;
}

#endif
