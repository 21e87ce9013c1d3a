/* bench_stats: latency samples and percentiles, the hub's CPU and RSS from /proc, and the
 * result line.
 *
 * Latencies are kept as every sample (µs, 4 bytes each) and sorted once at the end, so the
 * percentiles are exact (nearest rank), not bucketed.
 *
 * Thread: a bench_lat or bench_proc is used by one thread at a time.
 */
#ifndef CW_BENCH_STATS_H
#define CW_BENCH_STATS_H

#include <jansson.h>
#include <stdbool.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* CLOCK_MONOTONIC in microseconds (comparable across threads). */
int64_t bench_now_us(void);

/* The error that ends a run: the first one is kept (later ones are its consequences). */
typedef struct bench_err {
    bool set;
    char msg[512];
} bench_err;
__attribute__((format(printf, 2, 3))) void bench_err_set(bench_err *e, const char *fmt, ...);

typedef struct bench_lat {
    uint32_t *v; /* µs; owned */
    size_t n, cap;
} bench_lat;

/* Record one latency; a negative one counts as 0, one over ~71 min is capped. Returns 0, or
 * -1 when out of memory (the sample is lost). */
int bench_lat_add(bench_lat *l, int64_t us);
/* Append every sample of `from` to `to` (a shard's into the run's). -1 when out of memory. */
int bench_lat_add_all(bench_lat *to, const bench_lat *from);
void bench_lat_free(bench_lat *l);

typedef struct bench_lat_sum {
    size_t n;
    double p50_ms, p90_ms, p99_ms, max_ms, mean_ms; /* 0 when n == 0 */
} bench_lat_sum;

/* Sort the samples (in place) and summarise them (nearest-rank percentiles). */
void bench_lat_summarise(bench_lat *l, bench_lat_sum *out);

/* CPU and RSS of another process (the hub), read from /proc/PID/stat and /proc/PID/status. */
typedef struct bench_proc {
    int pid;         /* 0 = not sampling */
    bool ok;         /* every read so far worked */
    int64_t t0_us;   /* window start */
    uint64_t ticks0; /* utime + stime at the window start */
    double cpu_pct;  /* over the window, after bench_proc_end; 100 = one core */
    double rss_mb;   /* at the last sample */
    double rss_mb_max;
} bench_proc;

/* Start a CPU window now (pid 0: sampling off; every call is then a no-op). Returns 0, or -1
 * when the process cannot be read (p->ok false). */
int bench_proc_begin(bench_proc *p, int pid);
/* Read the RSS now (keeps the maximum). */
void bench_proc_sample(bench_proc *p);
/* End the CPU window now: sets cpu_pct, and samples the RSS once more. */
void bench_proc_end(bench_proc *p);
/* The RSS of pid in MiB, or -1 when it cannot be read. */
double bench_proc_rss_mb(int pid);

/* v rounded to a multiple of unit (e.g. 0.001) as a JSON real (new reference). */
json_t *bench_real(double v, double unit);

/* Print obj (stolen) as one compact JSON line on stdout and flush. */
void bench_print_json(json_t *obj);

#endif
