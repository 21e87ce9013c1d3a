/* peer_load: the citywall fan-out load (one publisher, N subscribers, one topic, fixed rate
 * and payload size) against the peers people already run, for BENCHMARKS.md: mosquitto over
 * MQTT 3.1.1 on TCP (QoS 0) and nats-server's WebSocket listener speaking the NATS text
 * protocol. Subscribers share one epoll thread; the publisher is its own thread with a
 * blocking socket. Each payload starts with its CLOCK_MONOTONIC send time in ns, so latency
 * is publish -> received by a subscriber. Loopback only. Built by scripts/bench:
 *   cc -O2 -pthread -o peer_load tools/peers/peer_load.c
 * Usage: peer_load mqtt|natsws HOST PORT CLIENTS RATE DURATION PAYLOAD [SERVER_PID]
 * Last line of stdout: {"mode":"peer","proto":..,"clients":..,"deliveries_per_s":..,
 * "p50_ms":..,"p99_ms":..,"max_ms":..,"published":..,"deliveries":..,"undelivered":..,
 * "server_cpu_pct":..,"server_rss_mb":..}
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum { PROTO_MQTT, PROTO_NATSWS };

struct pl_conn {
    int fd;
    int ready;          /* subscription confirmed by the server */
    int upgraded;       /* natsws: HTTP upgrade answered */
    unsigned char *buf; /* bytes received, not yet consumed */
    size_t len, cap;
    unsigned char *txt; /* natsws: WS payload stream (NATS text) */
    size_t tlen, tcap;
};

static int g_proto, g_port, g_clients, g_rate, g_payload;
static double g_duration;
static const char *g_host;
static uint32_t *g_lat_us; /* one slot per delivery */
static size_t g_nlat, g_caplat;
static volatile long g_published;
static volatile int g_pub_done;
static uint64_t g_first_pub_ns, g_last_deliv_ns;

static uint64_t pl_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void pl_die(const char *what)
{
    fprintf(stderr, "peer_load: %s: %s\n", what, strerror(errno));
    exit(1);
}

static int pl_connect(void)
{
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)g_port)};
    int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    if (fd < 0 || inet_pton(AF_INET, g_host, &sa.sin_addr) != 1) pl_die("socket");
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) pl_die("connect");
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

static void pl_send_all(int fd, const void *p, size_t n)
{
    const char *c = p;
    while (n) {
        ssize_t w = send(fd, c, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) pl_die("send");
        c += w;
        n -= (size_t)w;
    }
}

static size_t pl_mqtt_varint(unsigned char *out, size_t v)
{
    size_t n = 0;
    do {
        unsigned char b = v % 128;
        v /= 128;
        out[n++] = (unsigned char)(b | (v ? 128 : 0));
    } while (v);
    return n;
}

/* Append one MQTT packet (type byte, body) to out; returns its length. */
static size_t pl_mqtt_packet(unsigned char *out, unsigned char type, const unsigned char *body,
                             size_t blen)
{
    size_t n = 0;
    out[n++] = type;
    n += pl_mqtt_varint(out + n, blen);
    memcpy(out + n, body, blen);
    return n + blen;
}

static void pl_mqtt_hello(int fd, int id, int subscribe)
{
    unsigned char body[64], pkt[128];
    char cid[32];
    int cl = snprintf(cid, sizeof cid, "pl%d", id);
    size_t n = 0;
    memcpy(body, "\0\4MQTT\4\2\0\0", 10); /* level 4, clean session, no keepalive */
    n = 10;
    body[n++] = 0;
    body[n++] = (unsigned char)cl;
    memcpy(body + n, cid, (size_t)cl);
    n += (size_t)cl;
    size_t plen = pl_mqtt_packet(pkt, 0x10, body, n);
    if (subscribe) {
        unsigned char sb[16] = {0, 1, 0, 5, 'b', 'e', 'n', 'c', 'h', 0};
        plen += pl_mqtt_packet(pkt + plen, 0x82, sb, 10);
    }
    pl_send_all(fd, pkt, plen);
}

/* One WS frame from the client: FIN, opcode text, mask key 0 (payload unchanged). */
static size_t pl_ws_frame(unsigned char *out, const void *p, size_t n)
{
    size_t h = 0;
    out[h++] = 0x81;
    if (n < 126) {
        out[h++] = (unsigned char)(0x80 | n);
    } else {
        out[h++] = 0x80 | 126;
        out[h++] = (unsigned char)(n >> 8);
        out[h++] = (unsigned char)n;
    }
    memset(out + h, 0, 4);
    h += 4;
    memcpy(out + h, p, n);
    return h + n;
}

static void pl_ws_upgrade(int fd)
{
    char req[256];
    int n =
        snprintf(req, sizeof req,
                 "GET / HTTP/1.1\r\nHost: %s:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                 "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
                 g_host, g_port);
    pl_send_all(fd, req, (size_t)n);
}

static void pl_ws_send_text(int fd, const char *s, size_t n)
{
    unsigned char *f = malloc(n + 16);
    if (!f) pl_die("malloc");
    pl_send_all(fd, f, pl_ws_frame(f, s, n));
    free(f);
}

static void pl_reserve(unsigned char **b, size_t *cap, size_t need)
{
    if (need <= *cap) return;
    size_t c = *cap ? *cap : 4096;
    while (c < need)
        c *= 2;
    *b = realloc(*b, c);
    if (!*b) pl_die("realloc");
    *cap = c;
}

static void pl_record(const unsigned char *payload, size_t n)
{
    uint64_t now = pl_now_ns(), sent = 0;
    for (size_t i = 0; i < n && payload[i] >= '0' && payload[i] <= '9'; i++)
        sent = sent * 10 + (uint64_t)(payload[i] - '0');
    if (g_nlat == g_caplat) {
        g_caplat = g_caplat ? g_caplat * 2 : 1 << 20;
        g_lat_us = realloc(g_lat_us, g_caplat * sizeof *g_lat_us);
        if (!g_lat_us) pl_die("realloc");
    }
    g_lat_us[g_nlat++] = (uint32_t)((now - sent) / 1000);
    g_last_deliv_ns = now;
}

/* Consume complete MQTT packets in c->buf. */
static void pl_mqtt_consume(struct pl_conn *c)
{
    size_t off = 0;
    for (;;) {
        size_t p = off + 1, rl = 0, mul = 1;
        if (p >= c->len) break;
        while (p < c->len) {
            rl += (c->buf[p] & 127u) * mul;
            mul *= 128;
            if (!(c->buf[p++] & 128)) goto have_len;
        }
        break;
    have_len:
        if (p + rl > c->len) break;
        unsigned type = c->buf[off] >> 4;
        if (type == 9) {
            c->ready = 1;
        } else if (type == 3 && rl >= 2) {
            size_t tl = ((size_t)c->buf[p] << 8) | c->buf[p + 1];
            pl_record(c->buf + p + 2 + tl, rl - 2 - tl);
        }
        off = p + rl;
    }
    memmove(c->buf, c->buf + off, c->len - off);
    c->len -= off;
}

/* Consume NATS text protocol lines in c->txt. */
static void pl_nats_consume(struct pl_conn *c)
{
    size_t off = 0;
    for (;;) {
        unsigned char *nl = memmem(c->txt + off, c->tlen - off, "\r\n", 2);
        if (!nl) break;
        size_t ll = (size_t)(nl - (c->txt + off));
        const char *line = (const char *)c->txt + off;
        if (ll >= 4 && !memcmp(line, "MSG ", 4)) {
            const char *sp = memrchr(line, ' ', ll);
            size_t sz = strtoul(sp + 1, NULL, 10);
            if (off + ll + 2 + sz + 2 > c->tlen) break;
            pl_record(c->txt + off + ll + 2, sz);
            off += ll + 2 + sz + 2;
            continue;
        }
        if (ll >= 4 && !memcmp(line, "PONG", 4))
            c->ready = 1;
        else if (ll >= 4 && !memcmp(line, "PING", 4))
            pl_ws_send_text(c->fd, "PONG\r\n", 6);
        else if (ll >= 4 && !memcmp(line, "-ERR", 4))
            fprintf(stderr, "peer_load: server: %.*s\n", (int)ll, line);
        off += ll + 2;
    }
    memmove(c->txt, c->txt + off, c->tlen - off);
    c->tlen -= off;
}

/* Unwrap server WS frames (unmasked) from c->buf into c->txt. */
static void pl_ws_consume(struct pl_conn *c)
{
    size_t off = 0;
    if (!c->upgraded) {
        unsigned char *e = memmem(c->buf, c->len, "\r\n\r\n", 4);
        if (!e) return;
        if (c->len < 12 || memcmp(c->buf + 9, "101", 3)) {
            fprintf(stderr, "peer_load: upgrade refused: %.*s\n", (int)c->len, c->buf);
            exit(1);
        }
        c->upgraded = 1;
        off = (size_t)(e - c->buf) + 4;
        static const char hello[] = "CONNECT {\"verbose\":false,\"pedantic\":false}\r\n"
                                    "SUB bench 1\r\nPING\r\n";
        pl_ws_send_text(c->fd, hello, sizeof hello - 1);
    }
    for (;;) {
        if (c->len - off < 2) break;
        unsigned char *f = c->buf + off;
        size_t h = 2, n = f[1] & 127u;
        if (n == 126) {
            if (c->len - off < 4) break;
            n = ((size_t)f[2] << 8) | f[3];
            h = 4;
        } else if (n == 127) {
            if (c->len - off < 10) break;
            n = 0;
            for (int i = 0; i < 8; i++)
                n = (n << 8) | f[2 + i];
            h = 10;
        }
        if (c->len - off < h + n) break;
        unsigned op = f[0] & 15u;
        if (op == 0 || op == 1 || op == 2) {
            pl_reserve(&c->txt, &c->tcap, c->tlen + n);
            memcpy(c->txt + c->tlen, f + h, n);
            c->tlen += n;
        }
        off += h + n;
    }
    memmove(c->buf, c->buf + off, c->len - off);
    c->len -= off;
    pl_nats_consume(c);
}

static void *pl_publisher(void *arg)
{
    (void)arg;
    int fd = pl_connect();
    unsigned char *pkt = malloc((size_t)g_payload + 64), *msg = malloc((size_t)g_payload + 64);
    char ack[512];
    if (!pkt || !msg) pl_die("malloc");
    if (g_proto == PROTO_MQTT) {
        pl_mqtt_hello(fd, 999999, 0);
        if (recv(fd, ack, 4, MSG_WAITALL) != 4) pl_die("connack");
    } else {
        pl_ws_upgrade(fd);
        ssize_t r = recv(fd, ack, sizeof ack, 0); /* 101 (and maybe INFO) */
        if (r <= 0) pl_die("upgrade");
        static const char hello[] = "CONNECT {\"verbose\":false,\"pedantic\":false}\r\n";
        pl_ws_send_text(fd, hello, sizeof hello - 1);
    }
    uint64_t start = pl_now_ns(), period = 1000000000ull / (uint64_t)g_rate;
    uint64_t end = start + (uint64_t)(g_duration * 1e9);
    g_first_pub_ns = start;
    for (long k = 0;; k++) {
        uint64_t due = start + (uint64_t)k * period, now = pl_now_ns();
        if (due >= end) break;
        if (due > now) {
            struct timespec ts = {(time_t)((due - now) / 1000000000ull),
                                  (long)((due - now) % 1000000000ull)};
            nanosleep(&ts, NULL);
        }
        memset(msg, 'x', (size_t)g_payload);
        int tl = snprintf((char *)msg, 24, "%020llu", (unsigned long long)pl_now_ns());
        msg[tl] = ' ';
        size_t n;
        if (g_proto == PROTO_MQTT) {
            unsigned char tmp[8];
            size_t vl = pl_mqtt_varint(tmp, 7 + (size_t)g_payload);
            pkt[0] = 0x30;
            memcpy(pkt + 1, tmp, vl);
            memcpy(pkt + 1 + vl, "\0\5bench", 7);
            memcpy(pkt + 1 + vl + 7, msg, (size_t)g_payload);
            n = 1 + vl + 7 + (size_t)g_payload;
            pl_send_all(fd, pkt, n);
        } else {
            char head[48];
            int hl = snprintf(head, sizeof head, "PUB bench %d\r\n", g_payload);
            unsigned char *line = malloc((size_t)hl + (size_t)g_payload + 2);
            if (!line) pl_die("malloc");
            memcpy(line, head, (size_t)hl);
            memcpy(line + hl, msg, (size_t)g_payload);
            memcpy(line + hl + g_payload, "\r\n", 2);
            pl_ws_send_text(fd, (char *)line, (size_t)hl + (size_t)g_payload + 2);
            free(line);
        }
        __atomic_add_fetch(&g_published, 1, __ATOMIC_RELAXED);
    }
    free(pkt);
    free(msg);
    __atomic_store_n(&g_pub_done, 1, __ATOMIC_RELEASE);
    return NULL; /* fd stays open until exit so nothing is cut short */
}

static void pl_proc(int pid, double *cpu_s, double *rss_mb)
{
    char path[64], buf[1024];
    *cpu_s = 0;
    *rss_mb = 0;
    if (pid <= 0) return;
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    FILE *f = fopen(path, "r");
    if (f) {
        if (fgets(buf, sizeof buf, f)) {
            char *p = strrchr(buf, ')');
            unsigned long ut = 0, st = 0;
            if (p &&
                sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) == 2)
                *cpu_s = (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
        }
        fclose(f);
    }
    snprintf(path, sizeof path, "/proc/%d/status", pid);
    f = fopen(path, "r");
    if (f) {
        while (fgets(buf, sizeof buf, f))
            if (!strncmp(buf, "VmRSS:", 6)) *rss_mb = atof(buf + 6) / 1024.0;
        fclose(f);
    }
}

static int pl_cmp(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    if (argc < 8) {
        fprintf(stderr, "usage: peer_load mqtt|natsws HOST PORT CLIENTS RATE DURATION PAYLOAD "
                        "[SERVER_PID]\n");
        return 2;
    }
    g_proto = !strcmp(argv[1], "mqtt") ? PROTO_MQTT : PROTO_NATSWS;
    g_host = argv[2];
    g_port = atoi(argv[3]);
    g_clients = atoi(argv[4]);
    g_rate = atoi(argv[5]);
    g_duration = atof(argv[6]);
    g_payload = atoi(argv[7]);
    int spid = argc > 8 ? atoi(argv[8]) : 0;
    if (g_clients <= 0 || g_rate <= 0 || g_duration <= 0 || g_payload < 24 || g_payload > 60000)
        return 2;
    struct rlimit rl;
    if (!getrlimit(RLIMIT_NOFILE, &rl)) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    int ep = epoll_create1(0);
    struct pl_conn *cs = calloc((size_t)g_clients, sizeof *cs);
    if (ep < 0 || !cs) pl_die("setup");
    for (int i = 0; i < g_clients; i++) {
        cs[i].fd = pl_connect();
        if (g_proto == PROTO_MQTT)
            pl_mqtt_hello(cs[i].fd, i, 1);
        else
            pl_ws_upgrade(cs[i].fd);
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &cs[i]};
        epoll_ctl(ep, EPOLL_CTL_ADD, cs[i].fd, &ev);
    }
    int nready = 0, started = 0;
    pthread_t pub;
    double cpu0 = 0, cpu1, rss, rss_max = 0;
    uint64_t deadline = pl_now_ns() + 60000000000ull, pub_end = 0, last_rss = 0;
    struct epoll_event evs[256];
    for (;;) {
        int n = epoll_wait(ep, evs, 256, 20);
        for (int i = 0; i < n; i++) {
            struct pl_conn *c = evs[i].data.ptr;
            pl_reserve(&c->buf, &c->cap, c->len + 65536);
            ssize_t r = recv(c->fd, c->buf + c->len, c->cap - c->len, 0);
            if (r <= 0) {
                fprintf(stderr, "peer_load: a subscriber lost its connection\n");
                return 1;
            }
            c->len += (size_t)r;
            int was = c->ready;
            if (g_proto == PROTO_MQTT)
                pl_mqtt_consume(c);
            else
                pl_ws_consume(c);
            nready += c->ready && !was;
        }
        uint64_t now = pl_now_ns();
        if (!started && nready == g_clients) {
            started = 1;
            pl_proc(spid, &cpu0, &rss);
            if (pthread_create(&pub, NULL, pl_publisher, NULL)) pl_die("pthread_create");
        }
        if (!started && now > deadline) {
            fprintf(stderr, "peer_load: only %d/%d subscribed in 60 s\n", nready, g_clients);
            return 1;
        }
        if (started && now - last_rss > 1000000000ull) {
            pl_proc(spid, &cpu1, &rss);
            rss_max = rss > rss_max ? rss : rss_max;
            last_rss = now;
        }
        if (started && __atomic_load_n(&g_pub_done, __ATOMIC_ACQUIRE)) {
            if (!pub_end) {
                pub_end = now;
                pl_proc(spid, &cpu1, &rss);
                rss_max = rss > rss_max ? rss : rss_max;
            }
            long want = g_published * (long)g_clients;
            if ((long)g_nlat >= want || now - pub_end > 5000000000ull) break;
        }
    }
    pthread_join(pub, NULL);
    long want = g_published * (long)g_clients;
    qsort(g_lat_us, g_nlat, sizeof *g_lat_us, pl_cmp);
    double p50 = g_nlat ? g_lat_us[g_nlat / 2] / 1000.0 : 0;
    double p99 = g_nlat ? g_lat_us[(size_t)((double)(g_nlat - 1) * 0.99)] / 1000.0 : 0;
    double mx = g_nlat ? g_lat_us[g_nlat - 1] / 1000.0 : 0;
    double span = (double)(g_last_deliv_ns - g_first_pub_ns) / 1e9;
    double dps = span > 0 ? (double)g_nlat / span : 0;
    double cpu_pct = spid ? 100.0 * (cpu1 - cpu0) / ((double)(pub_end - g_first_pub_ns) / 1e9) : 0;
    printf("peer %s: %d subscribers, %ld published at %d/s, payload %d B\n", argv[1], g_clients,
           g_published, g_rate, g_payload);
    printf("deliveries %zu (undelivered %ld), %.0f /s, p50 %.2f ms, p99 %.2f ms, max %.2f ms\n",
           g_nlat, want - (long)g_nlat, dps, p50, p99, mx);
    if (spid) printf("server cpu %.1f %%, rss %.1f MiB\n", cpu_pct, rss_max);
    printf("{\"mode\":\"peer\",\"proto\":\"%s\",\"clients\":%d,\"deliveries_per_s\":%.0f,"
           "\"p50_ms\":%.3f,\"p99_ms\":%.3f,\"max_ms\":%.3f,\"published\":%ld,\"deliveries\":%zu,"
           "\"undelivered\":%ld,\"payload\":%d,\"server_cpu_pct\":%.1f,\"server_rss_mb\":%.1f}\n",
           argv[1], g_clients, dps, p50, p99, mx, g_published, g_nlat, want - (long)g_nlat,
           g_payload, cpu_pct, rss_max);
    return want == (long)g_nlat ? 0 : 1;
}
