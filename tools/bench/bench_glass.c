/* bench_glass: the event-to-glass benchmark (SPEC §1, §10) -- ingest ack to the first frame a
 * real citywall-wall presents that shows the event.
 *
 * The wall. The bench starts --wall-bin itself, on the DISPLAY it inherits (the caller runs it
 * under Xvfb), as `WALL --hub URL --token T --windowed --stats --present-log /dev/fd/3
 * [--layout L]` with LP_NUM_THREADS=2 unless set, fd 3 the write end of a pipe and its stdout
 * sent to the bench's stderr. After each presented frame that shows a new city state the wall
 * writes {"t_ms","mono_us","frame","rev","issued"} (docs/wall.md): mono_us is CLOCK_MONOTONIC
 * after the frame was presented, the bench's own clock (one machine); frame counts every
 * presented frame, so the lines also give the frame rate.
 *
 * Which rev carries an event. An ingest ack names no rev, so the bench keeps one /live
 * connection of its own with the wall's token (the same view, hence the same `city` document
 * and revs as the wall's), applying the snapshot and every delta (mp_apply). The publisher
 * (bench_pub) posts `ticket.issued` for one hall at --rate events/s; with base = the hall's
 * kpi.issued when it starts, event k is in a state exactly when the state shows
 * issued >= base + k, so rev(k) = the rev of the first message whose state shows it.
 *
 * Matching. Event k is on glass at the first presented frame whose rev >= rev(k) (revs only
 * grow, and a state at rev r holds every change up to r); latency = that frame's mono_us -
 * ack time of k. A frame presented before the publisher read the ack counts as 0 ms
 * ("before ack"). The run: wait (60 s at most) until the bench has its snapshot and the wall
 * has presented it, 1 s of warm-up, --duration of publishing, then up to GRACE_US for the
 * wall to present the last event; the wall is stopped with SIGTERM and its log read to EOF.
 *
 * Threads: the lws service thread (the /live client, the wall's pipe, the run) and the
 * publisher thread (bench_pub.h); they share only the bench_pub.
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <libwebsockets.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"
#include "bench_pub.h"
#include "bench_stats.h"
#include "bench_ws.h"
#include "mergepatch.h"

#define READY_WAIT_US 60000000LL /* snapshot and the wall showing it */
#define WARMUP_US 1000000LL      /* after the wall first shows the city */
#define GRACE_US 5000000LL       /* after the publisher stops */
#define STOP_WAIT_US 5000000LL   /* SIGTERM -> exit, then SIGKILL */
#define TICK_US 5000

enum gl_phase { GL_START, GL_WARMUP, GL_PUBLISH, GL_GRACE, GL_DONE };

typedef struct gl_frame {
    int64_t mono_us;
    uint64_t frame, rev;
} gl_frame;

typedef struct gl_run {
    const bench_opts *o; /* = &opts */
    bench_opts opts;     /* a copy: its clock comes from the hub's hello unless --clock */
    bool clock_set;      /* opts.clock is final (--clock given, or a hello seen) */
    const char *hall_id;
    enum gl_phase phase;
    bench_err err;
    int64_t ready_deadline_us, warm_until_us, grace_until_us, next_sample_us;

    /* the /live client */
    struct lws_context *ctx;
    struct lws *wsi;
    lws_sorted_usec_list_t sul;
    char auth[512];
    int sent; /* control messages written: 0 none, 1 auth, 2 auth + subscribe */
    bool closing;
    json_t *state; /* the city topic as this client has it; owned */
    uint64_t state_rev;
    cw_msgbuf rx; /* the message being received */
    uint64_t msgs, errors;

    /* the publisher and what it produced */
    bench_pub pub;
    int64_t base, seen; /* hall issued at the start; counts recorded so far */
    uint64_t *ev_rev;   /* [k] = first rev whose state shows event k; owned, pub.cap + 1 */
    uint64_t foreign;

    /* the wall */
    pid_t wall;
    bool wall_exited;
    int wall_status;
    int plog; /* read end of the present log pipe, or -1 */
    char pbuf[4096];
    size_t plen;
    gl_frame *frames; /* every present-log line, in order; owned */
    size_t nframes, capframes;
    uint64_t wall_rev; /* highest rev presented */
    uint64_t bad_lines, rev_backwards;

    bench_proc hubp, wallp;
} gl_run;

/* ---- the wall ---------------------------------------------------------------------------- */

static int wall_start(gl_run *r)
{
    const bench_opts *o = r->o;
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) < 0) return -1;
    const char *argv[16];
    int n = 0;
    argv[n++] = o->wall_bin;
    argv[n++] = "--hub";
    argv[n++] = o->hub;
    argv[n++] = "--token";
    argv[n++] = o->token;
    argv[n++] = "--windowed";
    argv[n++] = "--stats";
    argv[n++] = "--present-log";
    argv[n++] = "/dev/fd/3";
    if (o->layout) {
        argv[n++] = "--layout";
        argv[n++] = o->layout;
    }
    argv[n] = NULL;
    pid_t pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        return -1;
    }
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        if (fds[1] == 3)
            fcntl(3, F_SETFD, 0);
        else if (dup2(fds[1], 3) < 0)
            _exit(127);
        dup2(2, 1);
        setenv("LP_NUM_THREADS", "2", 0);
        signal(SIGPIPE, SIG_DFL);
        execv(o->wall_bin, (char *const *)argv);
        fprintf(stderr, "citywall-bench: cannot run %s: %s\n", o->wall_bin, strerror(errno));
        _exit(127);
    }
    close(fds[1]);
    fcntl(fds[0], F_SETFL, O_NONBLOCK);
    r->plog = fds[0];
    r->wall = pid;
    return 0;
}

static void wall_line(gl_run *r, const char *line, size_t len)
{
    json_t *j = json_loadb(line, len, 0, NULL);
    json_t *mono = json_object_get(j, "mono_us"), *frame = json_object_get(j, "frame"),
           *rev = json_object_get(j, "rev");
    if (!json_is_integer(mono) || !json_is_integer(frame) || !json_is_integer(rev)) {
        if (r->bad_lines++ == 0)
            fprintf(stderr,
                    "citywall-bench: the wall's present log has no mono_us/frame/rev: "
                    "%.200s (is --wall-bin older than this bench?)\n",
                    line);
        json_decref(j);
        return;
    }
    if (r->nframes == r->capframes) {
        size_t cap = r->capframes ? r->capframes * 2 : 1024;
        gl_frame *f = realloc(r->frames, cap * sizeof *f);
        if (!f) {
            bench_err_set(&r->err, "out of memory");
            json_decref(j);
            return;
        }
        r->frames = f;
        r->capframes = cap;
    }
    gl_frame *f = &r->frames[r->nframes++];
    f->mono_us = (int64_t)json_integer_value(mono);
    f->frame = (uint64_t)json_integer_value(frame);
    f->rev = (uint64_t)json_integer_value(rev);
    if (f->rev < r->wall_rev) r->rev_backwards++;
    if (f->rev > r->wall_rev) r->wall_rev = f->rev;
    json_decref(j);
}

/* Read what the wall has written; returns false at EOF. */
static bool wall_read(gl_run *r)
{
    if (r->plog < 0) return false;
    for (;;) {
        ssize_t n = read(r->plog, r->pbuf + r->plen, sizeof r->pbuf - r->plen);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return errno == EAGAIN;
        if (n == 0) {
            close(r->plog);
            r->plog = -1;
            return false;
        }
        r->plen += (size_t)n;
        size_t start = 0;
        for (size_t i = 0; i < r->plen; i++) {
            if (r->pbuf[i] != '\n') continue;
            if (i > start) wall_line(r, r->pbuf + start, i - start);
            start = i + 1;
        }
        if (start == 0 && r->plen == sizeof r->pbuf) r->plen = 0; /* no line fits: drop */
        memmove(r->pbuf, r->pbuf + start, r->plen - start);
        r->plen -= start;
    }
}

static void wall_check(gl_run *r)
{
    if (r->wall <= 0 || r->wall_exited) return;
    if (waitpid(r->wall, &r->wall_status, WNOHANG) == r->wall) r->wall_exited = true;
}

/* SIGTERM, read the log to EOF, reap (SIGKILL after STOP_WAIT_US). */
static void wall_stop(gl_run *r)
{
    if (r->wall <= 0) return;
    wall_check(r);
    if (!r->wall_exited) kill(r->wall, SIGTERM);
    int64_t deadline = bench_now_us() + STOP_WAIT_US;
    while (r->plog >= 0 && bench_now_us() < deadline) {
        struct pollfd p = {.fd = r->plog, .events = POLLIN};
        poll(&p, 1, 50);
        if (!wall_read(r)) break;
    }
    while (!r->wall_exited && bench_now_us() < deadline) {
        wall_check(r);
        if (!r->wall_exited) usleep(10000);
    }
    if (!r->wall_exited) {
        fprintf(stderr, "citywall-bench: the wall did not exit on SIGTERM; killing it\n");
        kill(r->wall, SIGKILL);
        if (waitpid(r->wall, &r->wall_status, 0) == r->wall) r->wall_exited = true;
    }
    if (r->plog >= 0) {
        wall_read(r);
        close(r->plog);
        r->plog = -1;
    }
}

/* ---- the /live client -------------------------------------------------------------------- */

static int64_t shown_issued(const gl_run *r)
{
    json_t *kpi =
        json_object_get(json_object_get(json_object_get(r->state, "halls"), r->hall_id), "kpi");
    json_t *v = json_object_get(kpi, "issued");
    return json_is_integer(v) ? (int64_t)json_integer_value(v) : 0;
}

static void record(gl_run *r)
{
    if (r->phase != GL_PUBLISH && r->phase != GL_GRACE) return;
    int64_t shown = shown_issued(r) - r->base;
    if (shown <= r->seen) return;
    int64_t sent = atomic_load_explicit(&r->pub.sent_n, memory_order_acquire);
    for (int64_t k = r->seen + 1; k <= shown; k++) {
        if (k > sent) {
            r->foreign += (uint64_t)(shown - k + 1);
            break;
        }
        r->ev_rev[k] = r->state_rev;
    }
    r->seen = shown;
}

static void on_message(gl_run *r)
{
    r->msgs++;
    json_t *msg = json_loadb(r->rx.buf, r->rx.len, 0, NULL);
    const char *op = json_string_value(json_object_get(msg, "op"));
    json_t *data = json_object_get(msg, "data");
    json_t *rev = json_object_get(msg, "rev");
    if (!op) {
        r->errors++;
    } else if (!strcmp(op, "hello")) {
        /* the hello sets the business clock, before the publisher thread reads it */
        if (!r->clock_set && r->phase < GL_PUBLISH &&
            bench_ws_hello_clock(msg, &r->opts.clock) == 0)
            r->clock_set = true;
    } else if (!strcmp(op, "snapshot") && json_is_object(data) && json_is_integer(rev)) {
        json_decref(r->state);
        r->state = json_deep_copy(data);
        r->state_rev = (uint64_t)json_integer_value(rev);
        record(r);
    } else if (!strcmp(op, "delta") && json_is_integer(rev)) {
        if (!r->state) {
            r->errors++;
        } else {
            r->state = mp_apply(r->state, data);
            r->state_rev = (uint64_t)json_integer_value(rev);
            record(r);
        }
    } else if (!strcmp(op, "error")) {
        r->errors++;
        bench_err_set(&r->err, "/live: %.300s", r->rx.buf);
    }
    json_decref(msg);
}

static int live_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                         size_t len)
{
    (void)user;
    gl_run *r = lws_context_user(lws_get_context(wsi));
    switch (reason) {
    case LWS_CALLBACK_CLIENT_ESTABLISHED:
        lws_callback_on_writable(wsi);
        break;
    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
        r->wsi = NULL;
        bench_err_set(&r->err, "cannot open /live: %s", in ? (const char *)in : "connection error");
        break;
    case LWS_CALLBACK_CLIENT_WRITEABLE: {
        const char *m = r->sent == 0   ? r->auth
                        : r->sent == 1 ? "{\"op\":\"subscribe\",\"topics\":[\"city\"]}"
                                       : NULL;
        if (!m) break;
        if (bench_ws_text(wsi, m) < 0) return -1;
        if (++r->sent < 2) lws_callback_on_writable(wsi);
        break;
    }
    case LWS_CALLBACK_CLIENT_RECEIVE:
        switch (bench_ws_rx(wsi, &r->rx, in, len)) {
        case -1:
            return -1;
        case 1:
            on_message(r);
            break;
        default:
            break;
        }
        break;
    case LWS_CALLBACK_CLIENT_CLOSED:
        r->wsi = NULL;
        if (!r->closing) bench_err_set(&r->err, "the hub closed /live");
        break;
    default:
        break;
    }
    return 0;
}

/* ---- the run ----------------------------------------------------------------------------- */

static void pub_done(void *ud)
{
    gl_run *r = ud;
    lws_cancel_service(r->ctx);
}

static void start_publishing(gl_run *r)
{
    const char *day = json_string_value(json_object_get(r->state, "day"));
    char now[40];
    cwt_format_local(cwt_clock_now(&r->o->clock), now);
    if (day && strncmp(day, now, 10) != 0) {
        bench_err_set(&r->err,
                      "the hub's business day is %s but the bench's clock says %.10s: drop "
                      "--clock (the hub's hello gives its clock) or give the hub's",
                      day, now);
        return;
    }
    r->base = shown_issued(r);
    r->seen = 0;
    bench_proc_begin(&r->hubp, r->o->hub_pid);
    bench_proc_begin(&r->wallp, r->wall);
    if (bench_pub_start(&r->pub) < 0) {
        bench_err_set(&r->err, "cannot start the publisher thread");
        return;
    }
    r->phase = GL_PUBLISH;
}

static void tick(lws_sorted_usec_list_t *sul)
{
    gl_run *r = lws_container_of(sul, gl_run, sul);
    int64_t now = bench_now_us();
    bool open = wall_read(r);
    wall_check(r);
    if ((r->wall_exited || !open) && r->phase != GL_DONE) {
        if (r->wall_exited && WIFEXITED(r->wall_status))
            bench_err_set(&r->err, "the wall exited with status %d during the run",
                          WEXITSTATUS(r->wall_status));
        else if (r->wall_exited && WIFSIGNALED(r->wall_status))
            bench_err_set(&r->err, "the wall was killed by signal %d during the run",
                          WTERMSIG(r->wall_status));
        else
            bench_err_set(&r->err, "the wall closed its present log during the run");
    }
    if (r->phase == GL_START && !r->err.set) {
        if (r->state && r->wall_rev > 0 && r->wall_rev >= r->state_rev) {
            r->phase = GL_WARMUP;
            r->warm_until_us = now + WARMUP_US;
        } else if (now > r->ready_deadline_us) {
            bench_err_set(&r->err, "%s within %lld s",
                          !r->state ? "no /live snapshot"
                                    : "the wall presented no frame showing the city",
                          READY_WAIT_US / 1000000);
        }
    }
    if (r->phase == GL_WARMUP && !r->err.set && now >= r->warm_until_us) start_publishing(r);
    if (r->phase == GL_PUBLISH && atomic_load_explicit(&r->pub.done, memory_order_acquire)) {
        r->phase = GL_GRACE;
        r->grace_until_us = now + GRACE_US;
        bench_proc_end(&r->hubp);
        bench_proc_end(&r->wallp);
    }
    if (r->phase == GL_GRACE) {
        int64_t acked = atomic_load_explicit(&r->pub.acked_n, memory_order_acquire);
        bool shown = r->seen >= acked && (acked == 0 || r->wall_rev >= r->ev_rev[acked]);
        if (shown || now >= r->grace_until_us) r->phase = GL_DONE;
    }
    if (r->err.set && r->phase != GL_PUBLISH) r->phase = GL_DONE;
    if ((r->phase == GL_PUBLISH || r->phase == GL_GRACE) && now >= r->next_sample_us) {
        bench_proc_sample(&r->hubp);
        bench_proc_sample(&r->wallp);
        r->next_sample_us = now + 1000000;
    }
    if (r->phase != GL_DONE) lws_sul_schedule(r->ctx, 0, &r->sul, tick, TICK_US);
}

/* ---- report ------------------------------------------------------------------------------ */

static void report(gl_run *r)
{
    const bench_opts *o = r->o;
    int64_t acked = atomic_load(&r->pub.acked_n);
    bench_lat lat = {0};
    uint64_t early = 0, unseen = 0, unshown = 0;
    size_t j = 0;
    for (int64_t k = 1; k <= acked; k++) {
        if (!r->ev_rev[k]) {
            unseen++;
            continue;
        }
        while (j < r->nframes && r->frames[j].rev < r->ev_rev[k])
            j++;
        if (j == r->nframes) {
            unshown += (uint64_t)(acked - k + 1);
            break;
        }
        int64_t d = r->frames[j].mono_us - r->pub.ack_us[k];
        if (d < 0) early++;
        bench_lat_add(&lat, d);
    }
    bench_lat_sum ls;
    bench_lat_summarise(&lat, &ls);
    bench_lat_free(&lat);
    /* frame rate: the presented frames between the first and last log line of the window */
    const gl_frame *f0 = NULL, *f1 = NULL;
    size_t states = 0;
    for (size_t i = 0; i < r->nframes; i++) {
        const gl_frame *f = &r->frames[i];
        if (f->mono_us < r->pub.t0_us || f->mono_us > r->pub.t1_us) continue;
        if (!f0) f0 = f;
        f1 = f;
        states++;
    }
    uint64_t frames = f0 && f1 ? f1->frame - f0->frame : 0;
    double fps = f0 && f1 && f1->mono_us > f0->mono_us
                     ? (double)frames * 1e6 / (double)(f1->mono_us - f0->mono_us)
                     : 0;
    double pub_s = r->pub.t1_us > r->pub.t0_us ? (r->pub.t1_us - r->pub.t0_us) / 1e6 : 0;

    printf("citywall-bench glass: wall %s%s%s, publisher %.1f events/s to %s for %.1f s, hub %s\n",
           o->wall_bin, o->layout ? " --layout " : "", o->layout ? o->layout : "", o->rate,
           r->hall_id, o->duration_s, o->hub);
    printf("  events            %lld acked in %.2f s (%llu requests; publisher at %s priority)\n",
           (long long)acked, pub_s, (unsigned long long)r->pub.requests,
           r->pub.rt ? "real-time" : "normal");
    printf("  on glass          %zu of them; %llu never in the bench's /live state, %llu never "
           "presented\n",
           ls.n, (unsigned long long)unseen, (unsigned long long)unshown);
    printf("  latency           ack -> presented frame: p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, "
           "max %.2f ms, mean %.2f ms\n",
           ls.p50_ms, ls.p90_ms, ls.p99_ms, ls.max_ms, ls.mean_ms);
    printf("                    (%llu presented before the publisher had read its ack: counted "
           "as 0 ms)\n",
           (unsigned long long)early);
    printf("  wall              %llu frames presented in the window (%.1f fps), %zu showing a new "
           "city state\n",
           (unsigned long long)frames, fps, states);
    if (r->wallp.pid)
        printf("  wall process      pid %d: cpu %.0f %% (100 = one core), rss %.1f MiB (max "
               "%.1f)%s\n",
               (int)r->wall, r->wallp.cpu_pct, r->wallp.rss_mb, r->wallp.rss_mb_max,
               r->wallp.ok ? "" : " [could not read /proc]");
    if (o->hub_pid)
        printf(
            "  hub               pid %d: cpu %.0f %% (100 = one core), rss %.1f MiB (max %.1f)%s\n",
            o->hub_pid, r->hubp.cpu_pct, r->hubp.rss_mb, r->hubp.rss_mb_max,
            r->hubp.ok ? "" : " [could not read /proc]");
    printf("  /live             %llu messages, %llu errors; present log: %zu lines, %llu "
           "unreadable, %llu with a lower rev than before\n",
           (unsigned long long)r->msgs, (unsigned long long)r->errors, r->nframes,
           (unsigned long long)r->bad_lines, (unsigned long long)r->rev_backwards);
    if (r->foreign)
        printf("  WARNING           %llu counts not from the publisher: another writer to %s\n",
               (unsigned long long)r->foreign, r->hall_id);
    if (r->pub.err[0]) printf("  FAILED            %s\n", r->pub.err);
    if (r->err.set) printf("  FAILED            %s\n", r->err.msg);

    json_t *js = json_object();
    json_object_set_new(js, "mode", json_string("glass"));
    json_object_set_new(js, "samples", json_integer((json_int_t)ls.n));
    json_object_set_new(js, "p50_ms", bench_real(ls.p50_ms, 0.001));
    json_object_set_new(js, "p90_ms", bench_real(ls.p90_ms, 0.001));
    json_object_set_new(js, "p99_ms", bench_real(ls.p99_ms, 0.001));
    json_object_set_new(js, "max_ms", bench_real(ls.max_ms, 0.001));
    json_object_set_new(js, "events", json_integer(acked));
    json_object_set_new(js, "unshown", json_integer((json_int_t)(unseen + unshown)));
    json_object_set_new(js, "early", json_integer((json_int_t)early));
    json_object_set_new(js, "frames", json_integer((json_int_t)frames));
    json_object_set_new(js, "fps", bench_real(fps, 0.1));
    json_object_set_new(js, "states", json_integer((json_int_t)states));
    json_object_set_new(js, "rate", bench_real(o->rate, 0.1));
    json_object_set_new(
        js, "errors",
        json_integer((json_int_t)(r->errors + r->bad_lines + r->rev_backwards + r->foreign)));
    json_object_set_new(js, "layout", o->layout ? json_string(o->layout) : json_null());
    if (r->wallp.pid && r->wallp.ok) {
        json_object_set_new(js, "wall_cpu_pct", bench_real(r->wallp.cpu_pct, 0.1));
        json_object_set_new(js, "wall_rss_mb", bench_real(r->wallp.rss_mb_max, 0.1));
    }
    if (o->hub_pid && r->hubp.ok) {
        json_object_set_new(js, "hub_cpu_pct", bench_real(r->hubp.cpu_pct, 0.1));
        json_object_set_new(js, "hub_rss_mb", bench_real(r->hubp.rss_mb_max, 0.1));
    }
    if (r->err.set || r->pub.err[0])
        json_object_set_new(js, "error", json_string(r->err.set ? r->err.msg : r->pub.err));
    bench_print_json(js);
    if (unseen + unshown && !r->err.set)
        bench_err_set(&r->err, "%llu events were not presented",
                      (unsigned long long)(unseen + unshown));
    if (r->bad_lines + r->rev_backwards + r->foreign + r->errors && !r->err.set)
        bench_err_set(&r->err, "errors (see the table)");
}

int bench_glass_run(const bench_opts *o)
{
    const cfg_t *cfg = o->cfg;
    int hall = o->hall ? cfg_hall_index(cfg, o->hall) : 0;
    if (hall < 0 || cfg->nhalls == 0 || cfg->halls[hall].nbiz == 0) {
        fprintf(stderr, "citywall-bench: --hall: no hall '%s' with a biz type in %s\n",
                o->hall ? o->hall : "(first)", cfg->path);
        return 2;
    }
    if (access(o->wall_bin, X_OK) < 0) {
        fprintf(stderr, "citywall-bench: --wall-bin %s: %s\n", o->wall_bin, strerror(errno));
        return 1;
    }
    const char *display = getenv("DISPLAY");
    if (!display || !display[0]) {
        fprintf(stderr, "citywall-bench: glass: no DISPLAY for the wall (run the bench under "
                        "xvfb-run -a -s \"-screen 0 1920x1080x24\")\n");
        return 1;
    }
    gl_run r;
    memset(&r, 0, sizeof r);
    r.opts = *o;
    r.o = &r.opts;
    r.clock_set = o->clock_given;
    r.hall_id = cfg->halls[hall].id;
    r.plog = -1;
    snprintf(r.auth, sizeof r.auth, "{\"op\":\"auth\",\"token\":\"%s\"}", o->token);
    int rc = 1;
    if (bench_pub_init(&r.pub, r.o, hall, 0, "glass") < 0 ||
        !(r.ev_rev = calloc((size_t)r.pub.cap + 1, sizeof *r.ev_rev))) {
        fprintf(stderr, "citywall-bench: out of memory\n");
        goto out;
    }
    r.pub.on_done = pub_done;
    r.pub.on_done_ud = &r;
    struct lws_protocols protocols[] = {{"citywall-live.v1", live_callback, 0, 65536, 0, NULL, 0},
                                        {NULL, NULL, 0, 0, 0, NULL, 0}};
    r.ctx = bench_ws_context(protocols, &r);
    if (!r.ctx) goto out;
    if (wall_start(&r) < 0) {
        fprintf(stderr, "citywall-bench: cannot start %s: %s\n", o->wall_bin, strerror(errno));
        goto out;
    }
    fprintf(stderr, "citywall-bench: started the wall (pid %d) on DISPLAY=%s\n", (int)r.wall,
            display);
    if (bench_ws_live(r.ctx, o, NULL, &r.wsi) < 0)
        bench_err_set(&r.err, "cannot open /live on %s", o->hub);
    int64_t t_open = bench_now_us();
    r.ready_deadline_us = t_open + READY_WAIT_US;
    lws_sul_schedule(r.ctx, 0, &r.sul, tick, 1);
    while (r.phase != GL_DONE)
        if (lws_service(r.ctx, 0) < 0) break;
    bench_pub_join(&r.pub);
    wall_stop(&r);
    if (r.pub.t0_us) {
        fprintf(stderr, "citywall-bench: the wall showed the city %.1f s after the start\n",
                (r.pub.t0_us - WARMUP_US - t_open) / 1e6);
        report(&r);
    } else {
        fprintf(stderr, "citywall-bench: %s\n", r.err.msg);
    }
    rc = (r.err.set || r.pub.err[0] || atomic_load(&r.pub.acked_n) == 0) ? 1 : 0;
out:
    r.closing = true;
    if (r.ctx) lws_context_destroy(r.ctx);
    if (r.wall > 0 && !r.wall_exited) wall_stop(&r);
    if (r.plog >= 0) close(r.plog);
    json_decref(r.state);
    cw_msgbuf_free(&r.rx);
    free(r.frames);
    free(r.ev_rev);
    bench_pub_free(&r.pub);
    return rc;
}
