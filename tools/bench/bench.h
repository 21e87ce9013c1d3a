/* bench: citywall-bench's run options, shared by its modes (SPEC §1, §10).
 *
 * main() parses the command line into one bench_opts and hands it, read-only, to the mode
 * (bench_ingest_run, bench_fanout_run, bench_glass_run). Each mode prints its human-readable
 * table and then, as the very last line of stdout, one JSON object.
 */
#ifndef CW_BENCH_H
#define CW_BENCH_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "cwtime.h"

#define BENCH_MAX_WINDOW 8

typedef struct bench_opts {
    const char *hub;          /* base URL as given, "http://127.0.0.1:8080" */
    char host[256];           /* from the URL */
    int port;                 /* from the URL */
    const char *token;        /* ingest: hall token; fanout, glass: the /live (wall) token */
    const char *ingest_token; /* fanout: the publisher's hall token */
    double duration_s;
    int clients;
    int batch;
    bool ws;    /* ingest over WS /ingest instead of HTTP */
    int window; /* ingest over WS: batches sent before their answers come (1..BENCH_MAX_WINDOW) */
    int halls;  /* ingest: simulate only the first N halls of the config; 0 = all */
    uint64_t seed;
    double rate;          /* fanout, glass: publisher events/s */
    int hub_pid;          /* sample the hub's CPU and RSS from /proc; 0 = no */
    const char *hall;     /* fanout, glass: the hall the publisher writes */
    int max_hz;           /* fanout: subscribe max_hz; 0 = not sent */
    int threads;          /* fanout: client threads, each its own lws context (default 1) */
    double every_s;       /* fanout: print each interval's latencies this often; 0 = never */
    long long events;     /* ingest: events to pre-generate; 0 = from duration */
    cwt_clock clock;      /* business clock for the events' `at` (real time by default) */
    bool clock_given;     /* --clock given; else fanout and glass take the hub's hello clock */
    const char *wall_bin; /* glass: the citywall-wall to start */
    const char *layout;   /* glass: the wall's --layout; NULL = the wall's default */
    const cfg_t *cfg;     /* the city (borrowed from main) */
} bench_opts;

/* Run the ingest mode (SPEC §3.3 transports). Returns the exit status: 0, or 1 when the run
 * failed or saw errors (the result lines are printed whenever a measurement was made). */
int bench_ingest_run(const bench_opts *o);

/* Run the fanout mode (SPEC §4). Same return convention as bench_ingest_run. */
int bench_fanout_run(const bench_opts *o);

/* Run the glass mode (SPEC §10 event-to-glass): starts o->wall_bin on the inherited DISPLAY.
 * Same return convention as bench_ingest_run. */
int bench_glass_run(const bench_opts *o);

#endif
