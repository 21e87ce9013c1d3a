/* test_sim_model: the simulator's traffic model (tools/sim/sim_model.c), without network or
 * real time.
 *
 * Loads config/demo.yaml (through CW_SOURCE_DIR) and runs the model over business time:
 * determinism (same seed, same events whatever the advance steps), the shape of a working
 * day at LH-00 (volume, nothing outside opening hours, the lunch dip), the ordering
 * invariants every hall must keep (seq 1, 2, 3 ..., `at` never decreasing, a ticket issued
 * before anything else names it), the mid-day start, --halls independence, and the
 * scripted scenarios. 2026-11-23 is a Monday and a working day. Last, the gateway's resend
 * queue against a scripted HTTP peer on loopback: what an ack covers is dropped, a rejected
 * event is dropped once, a failure keeps everything and backs off, a refused token is fatal.
 *
 * The sim is not a library in the build, so its sources are compiled into this test.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <jansson.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../../tools/sim/sim_gateway.c"
#include "../../tools/sim/sim_model.c"
#include "../../tools/sim/sim_scenario.c"
#include "../../tools/sim/sim_text.c"

#define T_MON_0000 "2026-11-23T00:00:00+08:00"
#define T_MON_0845 "2026-11-23T08:45:00+08:00"

static cfg_t *demo_cfg;

static int64_t ts(const char *s)
{
    int64_t ms = 0;
    assert_int_equal(cwt_parse_rfc3339(s, &ms, NULL), 0);
    return ms;
}

static int setup(void **state)
{
    (void)state;
    const char *dir = getenv("CW_SOURCE_DIR");
    char path[1024];
    snprintf(path, sizeof path, "%s/config/demo.yaml", dir && *dir ? dir : ".");
    char *errors = NULL;
    demo_cfg = cfg_load(path, &errors);
    if (!demo_cfg) {
        fprintf(stderr, "%s: %s", path, errors ? errors : "cannot load\n");
        free(errors);
        return -1;
    }
    return cwt_set_timezone(demo_cfg->city.timezone) == 0 ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    cfg_free(demo_cfg);
    return 0;
}

static sim_model *model_new(const char *scenario, uint64_t seed, int64_t start, const bool *halls)
{
    sim_model_opts o = {.seed = seed,
                        .scenario = sim_scenario_find(scenario),
                        .start_ms = start,
                        .heartbeat_ms = 30000,
                        .halls = halls,
                        .run_tag = "t"};
    assert_non_null(o.scenario);
    sim_model *m = sim_model_create(demo_cfg, &o);
    assert_non_null(m);
    return m;
}

/* Run a model from `start` to `end` in steps of step_ms (0: one step) into out. */
static void run(const char *scenario, uint64_t seed, int64_t start, int64_t end, int64_t step_ms,
                const bool *halls, sim_evbuf *out)
{
    sim_model *m = model_new(scenario, seed, start, halls);
    if (step_ms <= 0)
        assert_true(sim_model_advance(m, end, out) >= 0);
    else
        for (int64_t t = start; t < end + step_ms; t += step_ms)
            assert_true(sim_model_advance(m, t < end ? t : end, out) >= 0);
    sim_model_destroy(m);
}

static char *serialize(const sim_event *ev)
{
    json_t *o = sim_event_json(demo_cfg, ev, "sim-test");
    assert_non_null(o);
    char *s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(o);
    assert_non_null(s);
    return s;
}

static bool same_events(const sim_evbuf *a, const sim_evbuf *b)
{
    if (a->n != b->n) return false;
    for (size_t i = 0; i < a->n; i++) {
        char *x = serialize(&a->v[i]), *y = serialize(&b->v[i]);
        bool eq = strcmp(x, y) == 0;
        if (!eq) fprintf(stderr, "event %zu differs:\n  %s\n  %s\n", i, x, y);
        free(x);
        free(y);
        if (!eq) return false;
    }
    return true;
}

static const char *str(const sim_event *ev, const char *key)
{
    return json_string_value(json_object_get(ev->data, key));
}

static int hall_of(const char *id)
{
    int h = cfg_hall_index(demo_cfg, id);
    assert_true(h >= 0);
    return h;
}

static int count(const sim_evbuf *b, int hall, ev_type type, int64_t from, int64_t to)
{
    int n = 0;
    for (size_t i = 0; i < b->n; i++)
        if ((hall < 0 || b->v[i].hall == hall) && b->v[i].type == type && b->v[i].at_ms >= from &&
            b->v[i].at_ms < to)
            n++;
    return n;
}

/* Per hall: seq 1, 2, 3 ... without gaps, `at` never decreasing, every event valid for the
 * hub (ev_parse, the hub's own check), and every ticket event of a business day names a
 * ticket issued earlier that day in that hall. */
static void check_invariants(const sim_evbuf *b)
{
    int nh = demo_cfg->nhalls;
    int64_t *seq = calloc((size_t)nh, sizeof *seq), *at = calloc((size_t)nh, sizeof *at);
    json_t *issued = json_object(); /* "hall/date/ticket" -> true */
    assert_non_null(seq);
    assert_non_null(at);
    for (size_t i = 0; i < b->n; i++) {
        const sim_event *ev = &b->v[i];
        assert_int_equal(ev->seq, seq[ev->hall] + 1);
        seq[ev->hall] = ev->seq;
        assert_true(ev->at_ms >= at[ev->hall]);
        at[ev->hall] = ev->at_ms;
        json_t *wire = sim_event_json(demo_cfg, ev, "sim-test");
        ev_event parsed;
        char err[256];
        if (ev_parse(demo_cfg, wire, &parsed, err, sizeof err) != 0) {
            char *s = serialize(ev);
            fail_msg("the hub would reject %s: %s", s, err);
        }
        json_decref(wire);
        const char *ticket = str(ev, "ticket");
        if (!ticket || ev->type == EV_REVIEW_SUBMITTED) continue;
        cwt_local loc;
        cwt_to_local(ev->at_ms, &loc);
        char key[96];
        snprintf(key, sizeof key, "%d/%d/%s", ev->hall, loc.date, ticket);
        if (ev->type == EV_TICKET_ISSUED) {
            assert_null(json_object_get(issued, key)); /* ticket ids are unique per day */
            json_object_set_new(issued, key, json_true());
        } else if (!json_object_get(issued, key)) {
            char *s = serialize(ev);
            fail_msg("a ticket event before its issue: %s", s);
        }
    }
    json_decref(issued);
    free(seq);
    free(at);
}

/* Same seed, same clock: the same events, whether the model is advanced an hour at once or
 * 7 s at a time; another seed gives other events. */
static void test_determinism(void **state)
{
    (void)state;
    int64_t start = ts(T_MON_0845), end = start + 3600 * 1000;
    sim_evbuf a = {0}, b = {0}, c = {0};
    run("normal", 42, start, end, 0, NULL, &a);
    run("normal", 42, start, end, 7000, NULL, &b);
    run("normal", 43, start, end, 0, NULL, &c);
    assert_true(a.n > 1000); /* an hour of the morning peak in 20 halls */
    assert_true(same_events(&a, &b));
    assert_false(same_events(&a, &c));
    check_invariants(&a);
    sim_evbuf_free(&a);
    sim_evbuf_free(&b);
    sim_evbuf_free(&c);
}

/* Every staff id the simulator sends for the demo city has a name in config/demo.yaml (issue 12:
 * windows from W0021 up showed ids, because LH-00 listed 20 staff for 40 windows and the sim
 * invented ids for the rest). A whole Monday: each window.opened / ticket.called / review staff
 * is one of its hall's configured staff. */
static void test_staff_have_names(void **state)
{
    (void)state;
    int64_t day = ts(T_MON_0000), end = day + 24LL * 3600 * 1000 - 1;
    sim_evbuf b = {0};
    run("normal", 1, day, end, 0, NULL, &b);
    int seen = 0;
    for (size_t i = 0; i < b.n; i++) {
        const char *staff = str(&b.v[i], "staff");
        if (!staff) continue;
        seen++;
        const cfg_hall *h = &demo_cfg->halls[b.v[i].hall];
        if (cfg_staff_index(h, staff) < 0)
            fail_msg("%s: staff %s (event %zu) is not in the config: shown as an id", h->id, staff,
                     i);
    }
    assert_true(seen > 1000);
    sim_evbuf_free(&b);
}

/* A whole Monday from midnight: LH-00 (40 windows, 08:30-17:00, lunch 12:00-13:30) issues
 * 1,000-3,000 tickets, none before 08:30 or after the kiosks stop at 16:45, fewer in the
 * lunch hour than in 09:00-10:00; every hall issues something and keeps the invariants. */
static void test_working_day(void **state)
{
    (void)state;
    int64_t day = ts(T_MON_0000), end = day + 24LL * 3600 * 1000 - 1;
    sim_evbuf b = {0};
    run("normal", 1, day, end, 0, NULL, &b);
    check_invariants(&b);
    int h0 = hall_of("LH-00");
    int64_t min = 60 * 1000;
    int issued = count(&b, h0, EV_TICKET_ISSUED, day, end);
    assert_in_range(issued, 1000, 3000);
    assert_int_equal(count(&b, h0, EV_TICKET_ISSUED, day, day + 510 * min), 0);
    assert_int_equal(count(&b, h0, EV_TICKET_ISSUED, day + 8 * 60 * min, day + 9 * 60 * min),
                     count(&b, h0, EV_TICKET_ISSUED, day + 510 * min, day + 9 * 60 * min));
    assert_int_equal(count(&b, h0, EV_TICKET_ISSUED, day + 1005 * min, end), 0);
    int lunch = count(&b, h0, EV_TICKET_ISSUED, day + 12 * 60 * min, day + 13 * 60 * min);
    int peak = count(&b, h0, EV_TICKET_ISSUED, day + 9 * 60 * min, day + 10 * 60 * min);
    assert_true(lunch < peak);
    for (int h = 0; h < demo_cfg->nhalls; h++) {
        int n = count(&b, h, EV_TICKET_ISSUED, day, end);
        if (h != h0) assert_in_range(n, 40, 400); /* towns: 80-300 on a normal Monday, +-noise */
        /* every window that opened closed again by the end of the day */
        assert_int_equal(count(&b, h, EV_WINDOW_OPENED, day, end),
                         count(&b, h, EV_WINDOW_CLOSED, day, end));
    }
    /* the day's mix: calls never outnumber issues plus recycles and transfers; reviews
     * follow about 60 % of finished tickets */
    int calls = count(&b, -1, EV_TICKET_CALLED, day, end);
    int all_issued = count(&b, -1, EV_TICKET_ISSUED, day, end);
    int finished = count(&b, -1, EV_TICKET_FINISHED, day, end);
    int reviews = count(&b, -1, EV_REVIEW_SUBMITTED, day, end);
    int recycled = 0;
    for (size_t i = 0; i < b.n; i++)
        if (b.v[i].type == EV_TICKET_NO_SHOW && strcmp(str(&b.v[i], "action"), "recycle") == 0)
            recycled++;
    assert_true(calls <= all_issued + recycled + count(&b, -1, EV_TICKET_TRANSFERRED, day, end));
    assert_in_range(reviews * 100 / finished, 50, 70);
    sim_evbuf_free(&b);
}

/* Started at 08:45 (the demo), each hall comes up as it would be: windows already open and
 * people waiting, all stamped 08:45:00.000. */
static void test_mid_day_start(void **state)
{
    (void)state;
    int64_t start = ts(T_MON_0845);
    sim_evbuf b = {0};
    run("normal", 1, start, start, 0, NULL, &b);
    int h0 = hall_of("LH-00");
    for (size_t i = 0; i < b.n; i++)
        assert_int_equal(b.v[i].at_ms, start);
    /* 36 windows planned at LH-00 before noon; those opening late are not there yet */
    assert_in_range(count(&b, h0, EV_WINDOW_OPENED, start, start + 1), 20, 36);
    assert_true(count(&b, h0, EV_TICKET_ISSUED, start, start + 1) > 0);
    /* 14 cameras at LH-00, all announced online with their URLs */
    assert_int_equal(count(&b, h0, EV_CAMERA_STATUS, start, start + 1), 14);
    for (size_t i = 0; i < b.n; i++)
        if (b.v[i].type == EV_CAMERA_STATUS && b.v[i].hall == h0) {
            assert_string_equal(str(&b.v[i], "status"), "online");
            char want[128];
            snprintf(want, sizeof want, "rtsp://127.0.0.1:8554/%s/sub", str(&b.v[i], "camera"));
            assert_string_equal(str(&b.v[i], "sub"), want);
        }
    sim_evbuf_free(&b);
}

/* Leaving halls out (--halls) does not change the traffic of the others. */
static void test_hall_subset(void **state)
{
    (void)state;
    int64_t start = ts(T_MON_0845), end = start + 2 * 3600 * 1000;
    int h3 = hall_of("LH-03");
    bool *mask = calloc((size_t)demo_cfg->nhalls, sizeof *mask);
    assert_non_null(mask);
    mask[h3] = true;
    sim_evbuf all = {0}, one = {0}, only3 = {0};
    run("normal", 5, start, end, 0, NULL, &all);
    run("normal", 5, start, end, 0, mask, &one);
    for (size_t i = 0; i < all.n; i++)
        if (all.v[i].hall == h3) {
            sim_event ev = all.v[i];
            ev.data = json_incref(ev.data);
            assert_int_equal(evbuf_push(&only3, &ev), 0);
        }
    for (size_t i = 0; i < one.n; i++)
        assert_int_equal(one.v[i].hall, h3);
    assert_true(one.n > 50);
    assert_true(same_events(&one, &only3));
    sim_evbuf_free(&all);
    sim_evbuf_free(&one);
    sim_evbuf_free(&only3);
    free(mask);
}

/* bad-review: within the first business minute LH-03 gets a level-1 real-name review whose
 * comment names 跳楼 and carries an 11-digit mobile number. */
static void test_scenario_bad_review(void **state)
{
    (void)state;
    int64_t start = ts(T_MON_0845);
    sim_evbuf b = {0};
    run("bad-review", 1, start, start + 60 * 1000, 0, NULL, &b);
    int h3 = hall_of("LH-03"), found = 0;
    for (size_t i = 0; i < b.n; i++) {
        const sim_event *ev = &b.v[i];
        if (ev->hall != h3 || ev->type != EV_REVIEW_SUBMITTED) continue;
        if (json_integer_value(json_object_get(ev->data, "level")) != 1) continue;
        found++;
        assert_true(json_is_true(json_object_get(ev->data, "real_name")));
        const char *c = str(ev, "comment");
        assert_non_null(c);
        assert_non_null(strstr(c, "跳楼"));
        const char *p = strstr(c, "请回电1");
        assert_non_null(p);
        p += strlen("请回电");
        for (int k = 0; k < 11; k++)
            assert_true(p[k] >= '0' && p[k] <= '9');
        assert_non_null(str(ev, "window"));
    }
    assert_int_equal(found, 1);
    sim_evbuf_free(&b);
}

/* silent-hall: LH-05 sends nothing from 2 business minutes after the start; the others go
 * on (heartbeats every 30 s at least). */
static void test_scenario_silent_hall(void **state)
{
    (void)state;
    int64_t start = ts(T_MON_0845), cut = start + 2 * 60 * 1000, end = start + 3600 * 1000;
    sim_evbuf b = {0};
    run("silent-hall", 1, start, end, 0, NULL, &b);
    int h5 = hall_of("LH-05"), before = 0;
    for (size_t i = 0; i < b.n; i++)
        if (b.v[i].hall == h5) {
            assert_true(b.v[i].at_ms < cut);
            before++;
        }
    assert_true(before > 0);
    check_invariants(&b);
    for (int h = 0; h < demo_cfg->nhalls; h++) {
        if (h == h5) continue;
        int64_t last = 0;
        for (size_t i = 0; i < b.n; i++)
            if (b.v[i].hall == h && b.v[i].at_ms > last) {
                assert_true(b.v[i].at_ms - (last ? last : start) <= 30 * 1000 + 1);
                last = b.v[i].at_ms;
            }
        assert_true(end - last <= 30 * 1000);
    }
    sim_evbuf_free(&b);
}

/* quiet: an hour of nothing but heartbeats, one per hall every 30 s: 20 halls x 120. */
static void test_scenario_quiet(void **state)
{
    (void)state;
    int64_t start = ts(T_MON_0845), end = start + 3600 * 1000;
    sim_evbuf b = {0};
    run("quiet", 1, start, end, 0, NULL, &b);
    for (size_t i = 0; i < b.n; i++)
        assert_int_equal(b.v[i].type, EV_HALL_HEARTBEAT);
    assert_int_equal(b.n, 20 * 120);
    sim_evbuf_free(&b);
}

/* surge: LH-00 gets 4x the arrivals from the start (compared with the same seed's normal
 * day over the first two hours: more than 2.5x, the Poisson noise being well below that). */
static void test_scenario_surge(void **state)
{
    (void)state;
    int64_t start = ts(T_MON_0845), end = start + 2 * 3600 * 1000;
    sim_evbuf n = {0}, s = {0};
    run("normal", 9, start, end, 0, NULL, &n);
    run("surge", 9, start, end, 0, NULL, &s);
    int h0 = hall_of("LH-00"), h3 = hall_of("LH-03");
    int cn = count(&n, h0, EV_TICKET_ISSUED, start, end + 1);
    int cs = count(&s, h0, EV_TICKET_ISSUED, start, end + 1);
    assert_true(cs * 10 > cn * 25);
    /* the other halls are not part of the surge scenario's script */
    assert_in_range(count(&s, h3, EV_TICKET_ISSUED, start, end + 1), 1, 100);
    sim_evbuf_free(&n);
    sim_evbuf_free(&s);
}

/* A model started at night sends only heartbeats (and the cameras) until the halls open. */
static void test_night_start(void **state)
{
    (void)state;
    int64_t start = ts("2026-11-23T06:00:00+08:00");
    int64_t open = ts("2026-11-23T08:25:00+08:00"); /* earliest window: 5 min early */
    sim_evbuf b = {0};
    run("normal", 1, start, open - 1, 0, NULL, &b);
    for (size_t i = 0; i < b.n; i++) {
        ev_type t = b.v[i].type;
        assert_true(t == EV_HALL_HEARTBEAT || t == EV_CAMERA_STATUS);
    }
    assert_true(count(&b, -1, EV_HALL_HEARTBEAT, start, open) >= 20 * 280);
    sim_evbuf_free(&b);
}

/* ---- the gateway against a scripted peer ---- */

#define PEER_MAX 8

/* A one-connection-at-a-time HTTP/1.1 peer that answers request i with status[i], reply[i]
 * and keeps each request body. */
typedef struct peer {
    int lfd, port;
    pthread_t th;
    int status[PEER_MAX];
    const char *reply[PEER_MAX];
    int nreplies;
    char *body[PEER_MAX];
    int nreq; /* written by the peer thread; read after peer_stop */
} peer;

/* Read one request on fd into p->body[p->nreq]; 0, or -1 at EOF or after 5 s of silence. */
static int peer_read_request(peer *p, int fd)
{
    char buf[65536];
    size_t n = 0;
    char *end = NULL;
    while (!end) {
        struct pollfd pf = {.fd = fd, .events = POLLIN};
        if (n == sizeof buf - 1 || poll(&pf, 1, 5000) <= 0) return -1;
        ssize_t r = read(fd, buf + n, sizeof buf - 1 - n);
        if (r <= 0) return -1;
        n += (size_t)r;
        buf[n] = '\0';
        end = strstr(buf, "\r\n\r\n");
    }
    size_t len = 0;
    for (char *l = strstr(buf, "\r\n"); l && l < end; l = strstr(l + 2, "\r\n"))
        if (strncasecmp(l + 2, "Content-Length:", 15) == 0) len = strtoul(l + 17, NULL, 10);
    size_t have = n - (size_t)(end + 4 - buf);
    char *body = malloc(len + 1);
    if (!body) return -1;
    memcpy(body, end + 4, have < len ? have : len);
    while (have < len) {
        struct pollfd pf = {.fd = fd, .events = POLLIN};
        ssize_t r = poll(&pf, 1, 5000) > 0 ? read(fd, body + have, len - have) : -1;
        if (r <= 0) {
            free(body);
            return -1;
        }
        have += (size_t)r;
    }
    body[len] = '\0';
    p->body[p->nreq] = body;
    return 0;
}

static void *peer_main(void *arg)
{
    peer *p = arg;
    while (p->nreq < p->nreplies) {
        struct pollfd pf = {.fd = p->lfd, .events = POLLIN};
        if (poll(&pf, 1, 5000) <= 0) break;
        int fd = accept(p->lfd, NULL, NULL);
        if (fd < 0) break;
        while (p->nreq < p->nreplies && peer_read_request(p, fd) == 0) {
            char head[256];
            const char *rep = p->reply[p->nreq];
            int hl = snprintf(head, sizeof head,
                              "HTTP/1.1 %d X\r\nContent-Type: application/json\r\n"
                              "Content-Length: %zu\r\n\r\n",
                              p->status[p->nreq], strlen(rep));
            p->nreq++;
            if (write(fd, head, (size_t)hl) != hl ||
                write(fd, rep, strlen(rep)) != (ssize_t)strlen(rep))
                break;
        }
        close(fd);
    }
    return NULL;
}

static void peer_start(peer *p)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t al = sizeof a;
    p->lfd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(p->lfd >= 0);
    assert_int_equal(bind(p->lfd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(listen(p->lfd, 4), 0);
    assert_int_equal(getsockname(p->lfd, (struct sockaddr *)&a, &al), 0);
    p->port = ntohs(a.sin_port);
    assert_int_equal(pthread_create(&p->th, NULL, peer_main, p), 0);
}

static void peer_stop(peer *p)
{
    pthread_join(p->th, NULL);
    close(p->lfd);
}

static void peer_free(peer *p)
{
    for (int i = 0; i < p->nreq; i++)
        free(p->body[i]);
}

static void push_event(sim_evbuf *b, int hall, int64_t seq)
{
    sim_event ev = {.hall = hall,
                    .seq = seq,
                    .at_ms = ts(T_MON_0845) + seq * 1000,
                    .type = EV_HALL_HEARTBEAT,
                    .data = json_object()};
    assert_int_equal(evbuf_push(b, &ev), 0);
}

/* The seqs of the events of a request body, as "LH-00:3,LH-03:1". */
static void body_seqs(const char *body, char *out, size_t len)
{
    json_t *a = json_loads(body, 0, NULL);
    assert_true(json_is_array(a));
    size_t i;
    json_t *v;
    out[0] = '\0';
    json_array_foreach(a, i, v)
    {
        size_t n = strlen(out);
        snprintf(out + n, len - n, "%s%s:%lld", i ? "," : "",
                 json_string_value(json_object_get(v, "hall")),
                 (long long)json_integer_value(json_object_get(v, "seq")));
        assert_string_equal(json_string_value(json_object_get(v, "feed")), "f");
    }
    json_decref(a);
}

static void test_gateway_resend(void **state)
{
    (void)state;
    int h0 = hall_of("LH-00"), h3 = hall_of("LH-03");
    peer p = {.nreplies = 4,
              .status = {200, 503, 200, 401},
              .reply = {"{\"accepted\":3,\"duplicates\":0,\"rejected\":[{\"index\":3,"
                        "\"error\":\"hall.heartbeat: test\"}],\"acked\":{\"LH-00/f\":2,"
                        "\"LH-03/f\":1,\"LH-00/other\":9}}",
                        "{\"error\":\"store unavailable\"}",
                        "{\"accepted\":1,\"duplicates\":0,\"rejected\":[],"
                        "\"acked\":{\"LH-00/f\":3}}",
                        "{\"error\":\"missing or unknown hall token\"}"}};
    peer_start(&p);
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/", p.port);
    sim_gw_opts o = {.hub = url, .token = "tok", .feed = "f"};
    sim_gw *g = sim_gw_create(demo_cfg, &o);
    assert_non_null(g);
    sim_evbuf b = {0};
    push_event(&b, h0, 1);
    push_event(&b, h0, 2);
    push_event(&b, h0, 3);
    push_event(&b, h3, 1);
    assert_int_equal(sim_gw_enqueue(g, &b), 0);
    assert_int_equal(b.n, 0);

    /* request 1 acks LH-00 up to 2 and rejects LH-03 seq 1 (index 3); request 2, with what
     * is left, fails with 503: everything unacked is kept and a backoff starts */
    int64_t now = cwt_mono_ms();
    assert_int_equal(sim_gw_flush(g, now, 10), 1);
    sim_gw_stats st;
    sim_gw_get_stats(g, &st);
    assert_int_equal(st.queued_total, 4);
    assert_int_equal(st.acked, 3);
    assert_int_equal(st.rejected, 1);
    assert_int_equal(st.queued, 1);
    assert_int_equal(st.requests, 2);
    assert_int_equal(st.errors, 1);
    assert_int_equal(st.sent, 5);
    int64_t retry = sim_gw_retry_at(g);
    assert_in_range(retry - now, 250, 750); /* the first backoff is 250 ms (sim_gateway.c) */
    /* before the backoff ends nothing is tried */
    assert_int_equal(sim_gw_flush(g, retry - 1, 10), 1);
    sim_gw_get_stats(g, &st);
    assert_int_equal(st.requests, 2);
    /* then the tail is sent again and acknowledged */
    assert_int_equal(sim_gw_flush(g, retry, 10), 0);
    sim_gw_get_stats(g, &st);
    assert_int_equal(st.queued, 0);
    assert_int_equal(st.acked, 4);
    assert_int_equal(st.requests, 3);
    assert_int_equal(sim_gw_retry_at(g), 0);
    /* a refused token is fatal */
    push_event(&b, h0, 4);
    assert_int_equal(sim_gw_enqueue(g, &b), 0);
    assert_int_equal(sim_gw_flush(g, cwt_mono_ms(), 10), -1);
    sim_gw_get_stats(g, &st);
    assert_int_equal(st.queued, 1);
    sim_gw_destroy(g);
    peer_stop(&p);

    assert_int_equal(p.nreq, 4);
    char seqs[256];
    body_seqs(p.body[0], seqs, sizeof seqs);
    assert_string_equal(seqs, "LH-00:1,LH-00:2,LH-00:3,LH-03:1");
    body_seqs(p.body[1], seqs, sizeof seqs);
    assert_string_equal(seqs, "LH-00:3");
    body_seqs(p.body[2], seqs, sizeof seqs);
    assert_string_equal(seqs, "LH-00:3");
    body_seqs(p.body[3], seqs, sizeof seqs);
    assert_string_equal(seqs, "LH-00:4");
    peer_free(&p);
    sim_evbuf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_determinism),          cmocka_unit_test(test_working_day),
        cmocka_unit_test(test_mid_day_start),        cmocka_unit_test(test_hall_subset),
        cmocka_unit_test(test_staff_have_names),     cmocka_unit_test(test_scenario_bad_review),
        cmocka_unit_test(test_scenario_silent_hall), cmocka_unit_test(test_scenario_quiet),
        cmocka_unit_test(test_scenario_surge),       cmocka_unit_test(test_night_start),
        cmocka_unit_test(test_gateway_resend),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
