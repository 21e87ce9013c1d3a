/* bench_stats: latency samples, /proc sampling and the JSON result line. See bench_stats.h. */
#include "bench_stats.h"

#include <stdarg.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

void bench_err_set(bench_err *e, const char *fmt, ...)
{
    if (e->set) return;
    e->set = true;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->msg, sizeof e->msg, fmt, ap);
    va_end(ap);
}

int64_t bench_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int bench_lat_add(bench_lat *l, int64_t us)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 4096;
        uint32_t *v = realloc(l->v, cap * sizeof *v);
        if (!v) return -1;
        l->v = v;
        l->cap = cap;
    }
    if (us < 0) us = 0;
    if (us > UINT32_MAX) us = UINT32_MAX;
    l->v[l->n++] = (uint32_t)us;
    return 0;
}

int bench_lat_add_all(bench_lat *to, const bench_lat *from)
{
    for (size_t k = 0; k < from->n; k++)
        if (bench_lat_add(to, from->v[k]) < 0) return -1;
    return 0;
}

void bench_lat_free(bench_lat *l)
{
    free(l->v);
    memset(l, 0, sizeof *l);
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

static double rank_ms(const bench_lat *l, double p)
{
    size_t k = (size_t)ceil(p * (double)l->n);
    if (k < 1) k = 1;
    if (k > l->n) k = l->n;
    return l->v[k - 1] / 1000.0;
}

void bench_lat_summarise(bench_lat *l, bench_lat_sum *out)
{
    memset(out, 0, sizeof *out);
    out->n = l->n;
    if (l->n == 0) return;
    qsort(l->v, l->n, sizeof *l->v, cmp_u32);
    double sum = 0;
    for (size_t i = 0; i < l->n; i++)
        sum += l->v[i];
    out->mean_ms = sum / (double)l->n / 1000.0;
    out->p50_ms = rank_ms(l, 0.50);
    out->p90_ms = rank_ms(l, 0.90);
    out->p99_ms = rank_ms(l, 0.99);
    out->max_ms = l->v[l->n - 1] / 1000.0;
}

/* utime + stime (clock ticks) of pid; -1 on failure. The comm field may hold spaces and
 * parentheses, so fields are counted from the last ')'. */
static int proc_ticks(int pid, uint64_t *ticks)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    char *p = strrchr(buf, ')');
    if (!p) return -1;
    /* after ") ": state(3) ppid(4) ... utime(14) stime(15) */
    unsigned long long ut, st;
    if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
        return -1;
    *ticks = ut + st;
    return 0;
}

double bench_proc_rss_mb(int pid)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", pid);
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    double mb = -1;
    while (fgets(line, sizeof line, f)) {
        long kb;
        if (sscanf(line, "VmRSS: %ld kB", &kb) == 1) {
            mb = kb / 1024.0;
            break;
        }
    }
    fclose(f);
    return mb;
}

int bench_proc_begin(bench_proc *p, int pid)
{
    memset(p, 0, sizeof *p);
    p->pid = pid;
    if (!pid) return 0;
    p->ok = proc_ticks(pid, &p->ticks0) == 0;
    p->t0_us = bench_now_us();
    bench_proc_sample(p);
    return p->ok ? 0 : -1;
}

void bench_proc_sample(bench_proc *p)
{
    if (!p->pid) return;
    double mb = bench_proc_rss_mb(p->pid);
    if (mb < 0) {
        p->ok = false;
        return;
    }
    p->rss_mb = mb;
    if (mb > p->rss_mb_max) p->rss_mb_max = mb;
}

void bench_proc_end(bench_proc *p)
{
    if (!p->pid) return;
    uint64_t t1;
    int64_t now = bench_now_us();
    if (proc_ticks(p->pid, &t1) < 0 || now <= p->t0_us) {
        p->ok = false;
        return;
    }
    long hz = sysconf(_SC_CLK_TCK);
    double cpu_s = (double)(t1 - p->ticks0) / (double)(hz > 0 ? hz : 100);
    p->cpu_pct = 100.0 * cpu_s / ((double)(now - p->t0_us) / 1e6);
    bench_proc_sample(p);
}

json_t *bench_real(double v, double unit)
{
    return json_real(round(v / unit) * unit);
}

void bench_print_json(json_t *obj)
{
    char *s =
        obj ? json_dumps(obj, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(12)) : NULL;
    printf("%s\n", s ? s : "{\"error\":\"out of memory\"}");
    fflush(stdout);
    free(s);
    json_decref(obj);
}
