/* sim_model: the demo city's traffic model, a discrete-event simulation in business time.
 *
 * The model knows nothing of sockets or real time: sim_model_advance(m, T, out) runs every
 * simulated happening up to business instant T (UTC ms) and appends the resulting hall events
 * to `out`, each with its hall, its per-hall seq (1, 2, 3, ... in emission order) and its
 * `at`. The same config, options and sequence of targets T that end at the same instant give
 * the same events, byte for byte, whatever the intermediate targets were: the gateway can
 * advance it every 200 ms of real time and a test can advance it a day at once.
 *
 * Invariants:
 *  1. Per hall, `at` never decreases and seq increases by exactly 1 per emitted event.
 *  2. A ticket is issued before any other event names it (per business day and hall).
 *  3. All randomness of a hall comes from that hall's own stream (seed, hall id), so leaving
 *     out halls (--halls) does not change the traffic of the others.
 *  4. While a hall is silent (an incident) its events are held and released, in order, when
 *     the silence ends; a hall silenced for good by a scenario drops them and uses no seq.
 *
 * What is simulated (parameters in docs/sim.md): ticket arrivals as a non-homogeneous Poisson
 * process over opening hours, windows with staff, lunch and breaks, service with recalls,
 * no-shows, transfers, suspensions, voids, reviews and bad-review cases, camera status and
 * flaps, hall silences and surges, and heartbeats.
 *
 * Thread: a model is used by one thread at a time.
 */
#ifndef CW_SIM_MODEL_H
#define CW_SIM_MODEL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "event.h"
#include "sim_scenario.h"

typedef struct sim_event {
    int hall;      /* index into cfg->halls */
    int64_t seq;   /* per hall, from 1 */
    int64_t at_ms; /* business time, UTC ms */
    ev_type type;
    json_t *data; /* owned by the event (one reference) */
} sim_event;

/* A growable list of events; owns the data of the events it holds. */
typedef struct sim_evbuf {
    sim_event *v;
    size_t n, cap;
} sim_evbuf;

/* Drop every event (releasing its data); the buffer stays usable. */
void sim_evbuf_clear(sim_evbuf *b);
/* Clear and free the storage; the buffer is then empty and may be reused. */
void sim_evbuf_free(sim_evbuf *b);

typedef struct sim_model_opts {
    uint64_t seed;
    const sim_scenario *scenario; /* NULL = "normal" */
    int64_t start_ms;             /* business time the model starts at */
    int64_t heartbeat_ms;         /* a hall with no event for this long sends hall.heartbeat */
    const bool *halls;            /* NULL = all; else halls[i] for cfg->halls[i] */
    const char *rtsp_base;        /* announced camera URLs: "<base>/<camera>/main|sub";
                                     NULL = "rtsp://127.0.0.1:8554" */
    const char *run_tag;          /* worked into review and case ids so that a restarted
                                     sim does not reuse them; NULL = "" */
} sim_model_opts;

typedef struct sim_model sim_model;

/* A new model starting at opts->start_ms, with each simulated hall initialised as it would
 * be at that time of day (windows open, a few tickets waiting, cameras online); those
 * events carry `at` = start and come out of the first sim_model_advance. cfg is borrowed
 * and must outlive the model; the local time zone must already be set (cwt_set_timezone).
 * Returns NULL on allocation failure. */
sim_model *sim_model_create(const cfg_t *cfg, const sim_model_opts *opts);
void sim_model_destroy(sim_model *m);

/* Run the model up to business time to_ms (inclusive) and append the events to out.
 * A target earlier than the last one does nothing. Returns the number of events appended,
 * or -1 on allocation failure (the model is then unusable). */
int sim_model_advance(sim_model *m, int64_t to_ms, sim_evbuf *out);

/* The wire form of ev (SPEC §3.1): {"hall","feed","seq","type","at","data"}; feed NULL
 * leaves "feed" out. Returns a new reference (the caller releases it), NULL on failure. */
json_t *sim_event_json(const cfg_t *cfg, const sim_event *ev, const char *feed);

typedef struct sim_model_stats {
    uint64_t events;  /* emitted (or held for a silent hall) */
    uint64_t issued;  /* tickets issued */
    uint64_t reviews; /* reviews submitted */
    uint64_t bad_reviews;
    uint64_t held; /* events now held by silent halls */
} sim_model_stats;
void sim_model_get_stats(const sim_model *m, sim_model_stats *out);

#endif
