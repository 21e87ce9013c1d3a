/* bench_gen: ingest traffic for the benchmark, pre-generated from the sim's traffic model.
 *
 * Each client of an ingest run gets its own stream: one sim_model (seed + client index,
 * every hall or the first --halls) advanced in steps of 10 business minutes from a working
 * Monday morning, for as many model days as it takes to collect the events asked for. So the
 * mix of event types is the sim's own (tickets issued, called, started, finished, no-shows,
 * transfers, windows opening and pausing, reviews and cases, camera status), minus heartbeats.
 *
 * Each event is rewritten for a run that lasts seconds but covers many model days:
 *   - feed "<prefix>-<client>", seq per (hall, feed) from 1 with no gaps;
 *   - ticket ids get ".<run tag>.<client>.<model day>" appended, so that no two runs, no two
 *     streams and no two model days share a ticket on the hub's one business day (review
 *     ids carry the model date, and the run tag through the model's own run_tag);
 *   - `at` is a placeholder of BENCH_AT_LEN characters, stamped with the real send time by
 *     bench_batch_stamp() just before the batch goes out.
 * Events are serialised once, into batch bodies (a JSON array each) with LWS_PRE bytes of
 * headroom so that a WebSocket client can send the buffer as it is.
 *
 * Generating and serialising costs about 5 µs an event here (the model alone ~1.4 µs), more
 * than a hub at 200k events/s leaves of a 2-core machine, hence the pre-generation before
 * the timed part of the run.
 */
#ifndef CW_BENCH_GEN_H
#define CW_BENCH_GEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "event.h"

/* Length of a local RFC 3339 instant with ms and a "+HH:MM" offset. */
#define BENCH_AT_LEN 29

typedef struct bench_batch {
    unsigned char *buf; /* LWS_PRE bytes of headroom, then the body, then a NUL; owned */
    size_t len;         /* body bytes */
    uint32_t *at_off;   /* per event: offset of its `at` value in the body; owned */
    int nev;
    int64_t *maxseq; /* per hall of the config: highest seq in this batch, 0 = none; owned */
} bench_batch;

typedef struct bench_stream {
    int client;
    char feed[64];
    bench_batch *batches; /* owned */
    size_t nbatches;
    size_t nevents;
    uint64_t types[EV__COUNT]; /* events per type */
} bench_stream;

typedef struct bench_gen_opts {
    const cfg_t *cfg;        /* borrowed; the time zone must be set */
    int halls;               /* the first N halls; 0 = all */
    uint64_t seed;           /* client i uses seed + i */
    const char *feed_prefix; /* feed = "<prefix>-<client>" */
    const char *run_tag;     /* unique per run, up to 8 characters (bench_gen_run_tag) */
    int batch;               /* events per batch */
    size_t events_per_stream;
} bench_gen_opts;

/* Generate n streams (clients 0..n-1), one thread per stream. streams[] is filled (zeroed
 * first). Returns 0, or -1 on allocation or model failure (streams are then freed). */
int bench_gen_streams(const bench_gen_opts *o, bench_stream *streams, int n);

void bench_stream_free(bench_stream *s);

/* A tag that differs between runs (base 36 of the real time in 10 ms, 6 characters) into out
 * (8 bytes at least). */
void bench_gen_run_tag(char *out);

/* Write `at` (BENCH_AT_LEN characters, e.g. "2026-11-23T09:00:00.000+08:00") into every
 * event of b. */
void bench_batch_stamp(bench_batch *b, const char *at);

#endif
