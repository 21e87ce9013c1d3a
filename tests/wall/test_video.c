/* test_video: the wall's camera tiles (display/video.c) against the sim's real RTSP cameras.
 *
 * Starts `citywall-sim --dump --scenario quiet --rtsp-port P --rtsp-control -` (posix_spawn;
 * the control lines go to its stdin, its events come back on its stdout) and checks, with
 * deadlines: the first frame of a /sub stream (320x180) arrives and the picture moves; a
 * camera stopped in the sim is NO SIGNAL within 2 s and the sim announces it offline; started
 * again it plays within 5 s and is announced online with its URLs; closing a dead tile
 * returns at once (< 50 ms); unreachable and unknown streams go NO SIGNAL; 16 tiles play
 * together, with the CPU they cost measured (CW_VIDEO_CPU_S seconds, default 5; the
 * benchmark figure uses 30). No GL context is needed: video_get_stats reads the frames as
 * the streaming threads hand them over.
 *
 * Needs citywall-sim built with gst-rtsp-server (CW_BUILD_DIR) and the demo config
 * (CW_SOURCE_DIR).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <SDL.h>
#include <cmocka.h>
#include <epoxy/gl.h>

#include "video.h"

extern char **environ;

#define CAM "LH-00-CAM-W01"

#if defined(__SANITIZE_ADDRESS__)
/* LeakSanitizer: GLib keeps its first quark block when GStreamer's quarks outgrow it; Mesa,
 * reached through EGL by SDL's offscreen driver (test_gl_upload), keeps a block in a driver it
 * unloads at exit, so only a full unwind (Mesa has no frame pointers) shows libEGL_mesa. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
    return "leak:libglib-2.0.so\nleak:libEGL_mesa.so\n";
}
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
    return "fast_unwind_on_malloc=0";
}
#endif

static struct {
    pid_t pid;
    int port;
    int ctl;      /* write end of the sim's stdin */
    int out;      /* read end of the sim's stdout */
    char *events; /* everything the sim printed so far */
    size_t nevents, capevents;
} sim = {.pid = -1, .ctl = -1, .out = -1};

static atomic_int wakes;

static void on_wake(void *ud)
{
    (void)ud;
    atomic_fetch_add(&wakes, 1);
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static double now_ms_f(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

static void pause_ms(int ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static int free_port(void)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof a) < 0 ||
        getsockname(s, (struct sockaddr *)&a, &len) < 0) {
        if (s >= 0) close(s);
        return -1;
    }
    close(s);
    return ntohs(a.sin_port);
}

static bool port_open(int port)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    bool ok = s >= 0 && connect(s, (struct sockaddr *)&a, sizeof a) == 0;
    if (s >= 0) close(s);
    return ok;
}

/* Read what the sim printed so far (non-blocking). */
static void sim_drain(void)
{
    for (;;) {
        char buf[4096];
        ssize_t n = read(sim.out, buf, sizeof buf);
        if (n <= 0) return;
        if (sim.nevents + (size_t)n + 1 > sim.capevents) {
            size_t cap = (sim.nevents + (size_t)n + 1) * 2;
            char *p = realloc(sim.events, cap);
            assert_non_null(p);
            sim.events = p;
            sim.capevents = cap;
        }
        memcpy(sim.events + sim.nevents, buf, (size_t)n);
        sim.nevents += (size_t)n;
        sim.events[sim.nevents] = '\0';
    }
}

/* Wait until the sim's stdout from offset `from` holds `needle`; its offset or -1. */
static long sim_wait_output(size_t from, const char *needle, int timeout_ms)
{
    int64_t deadline = now_ms() + timeout_ms;
    do {
        sim_drain();
        if (sim.events && sim.nevents > from) {
            char *hit = strstr(sim.events + from, needle);
            if (hit) return hit - sim.events;
        }
        pause_ms(20);
    } while (now_ms() < deadline);
    return -1;
}

static void sim_command(const char *fmt, ...)
{
    char line[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    size_t len = strlen(line);
    assert_int_equal(write(sim.ctl, line, len), (ssize_t)len);
}

static void sub_url(char *out, size_t len, const char *cam)
{
    snprintf(out, len, "rtsp://127.0.0.1:%d/%s/sub", sim.port, cam);
}

/* Poll a condition on a tile until true or the deadline; returns the elapsed ms or -1. */
typedef bool (*tile_cond)(const video_t *v);

static double wait_for(const video_t *v, tile_cond cond, int timeout_ms)
{
    double t0 = now_ms_f();
    while (now_ms_f() - t0 < timeout_ms) {
        if (cond(v)) return now_ms_f() - t0;
        pause_ms(5);
    }
    return -1;
}

static bool has_frame(const video_t *v)
{
    video_stats st;
    video_get_stats(v, &st);
    return st.frames > 0;
}

static bool is_playing(const video_t *v)
{
    return video_state(v) == VIDEO_PLAYING;
}

static bool is_no_signal(const video_t *v)
{
    return video_state(v) == VIDEO_NO_SIGNAL;
}

static int group_setup(void **state)
{
    (void)state;
    const char *build = getenv("CW_BUILD_DIR"), *src = getenv("CW_SOURCE_DIR");
    char exe[1024], config[1024], portarg[16];
    snprintf(exe, sizeof exe, "%s/citywall-sim", build ? build : "build");
    snprintf(config, sizeof config, "%s/config/demo.yaml", src ? src : ".");
    if (access(exe, X_OK) != 0) {
        fprintf(stderr, "test_video: %s not found (set CW_BUILD_DIR)\n", exe);
        return -1;
    }
    sim.port = free_port();
    if (sim.port <= 0) return -1;
    snprintf(portarg, sizeof portarg, "%d", sim.port);
    int in[2], out[2];
    if (pipe(in) < 0 || pipe(out) < 0) return -1;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, in[0], STDIN_FILENO);
    posix_spawn_file_actions_adddup2(&fa, out[1], STDOUT_FILENO);
    posix_spawn_file_actions_addclose(&fa, in[1]);
    posix_spawn_file_actions_addclose(&fa, out[0]);
    char *argv[] = {exe,          "--dump",      "--scenario", "quiet",          "--config",
                    config,       "--rtsp-port", portarg,      "--rtsp-control", "-",
                    "--duration", "600",         NULL};
    int rc = posix_spawn(&sim.pid, exe, &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(in[0]);
    close(out[1]);
    if (rc != 0) {
        fprintf(stderr, "test_video: cannot start %s: %s\n", exe, strerror(rc));
        return -1;
    }
    sim.ctl = in[1];
    sim.out = out[0];
    fcntl(sim.out, F_SETFL, O_NONBLOCK);
    fcntl(sim.ctl, F_SETFD, FD_CLOEXEC);
    fcntl(sim.out, F_SETFD, FD_CLOEXEC);
    int64_t deadline = now_ms() + 15000;
    while (!port_open(sim.port)) {
        int status;
        if (waitpid(sim.pid, &status, WNOHANG) == sim.pid) {
            fprintf(stderr, "test_video: the sim exited before serving RTSP\n");
            sim.pid = -1;
            return -1;
        }
        if (now_ms() > deadline) return -1;
        pause_ms(20);
    }
    return video_init();
}

/* Stops the sim with SIGTERM: it must exit 0 (clients closed, server stopped) within 10 s. */
static int group_teardown(void **state)
{
    (void)state;
    video_shutdown();
    int rc = 0;
    if (sim.ctl >= 0) close(sim.ctl);
    if (sim.pid > 0) {
        kill(sim.pid, SIGTERM);
        int status = 0;
        pid_t got = 0;
        int64_t t0 = now_ms(), deadline = t0 + 10000;
        while ((got = waitpid(sim.pid, &status, WNOHANG)) == 0 && now_ms() < deadline)
            pause_ms(20);
        if (got != sim.pid) {
            fprintf(stderr, "test_video: the sim did not stop within 10 s of SIGTERM\n");
            kill(sim.pid, SIGKILL);
            waitpid(sim.pid, &status, 0);
            rc = -1;
        } else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            fprintf(stderr, "test_video: the sim ended with status 0x%x after SIGTERM\n", status);
            rc = -1;
        } else {
            printf("[video] the sim exited 0 %lld ms after SIGTERM\n", (long long)(now_ms() - t0));
        }
    }
    if (sim.out >= 0) close(sim.out);
    free(sim.events);
    return rc;
}

/* One tile: first frame, motion, stop -> NO SIGNAL, start -> PLAYING, close while dead. */
static void test_play_stop_start_close(void **state)
{
    (void)state;
    char url[256];
    sub_url(url, sizeof url, CAM);
    atomic_store(&wakes, 0);
    double t0 = now_ms_f();
    video_t *v = video_open(url, on_wake, NULL);
    assert_non_null(v);
    assert_int_equal(video_state(v), VIDEO_CONNECTING);
    assert_int_equal(video_last_frame_age_ms(v), -1);

    double first = wait_for(v, has_frame, 10000);
    assert_true(first >= 0);
    video_stats st;
    video_get_stats(v, &st);
    assert_int_equal(st.width, 320);
    assert_int_equal(st.height, 180);
    assert_int_equal(video_state(v), VIDEO_PLAYING);
    assert_true(atomic_load(&wakes) > 0);
    printf("[video] first frame of %s after %.0f ms (from video_open)\n", url, now_ms_f() - t0);

    /* the picture moves: the Y sum of a later frame differs (the ball moves, the clock ticks) */
    uint32_t luma0 = st.luma_sum;
    uint64_t frames0 = st.frames;
    assert_true(luma0 > 0);
    int64_t deadline = now_ms() + 3000;
    bool moved = false;
    while (!moved && now_ms() < deadline) {
        pause_ms(50);
        video_get_stats(v, &st);
        moved = st.frames > frames0 && st.luma_sum != luma0;
    }
    assert_true(moved);
    printf("[video] picture moves: luma %u -> %u after %llu more frames\n", luma0, st.luma_sum,
           (unsigned long long)(st.frames - frames0));

    /* 10 fps from the sim: 2 s of playing gives 20 frames (+-5 for the edges and jitter) */
    video_get_stats(v, &st);
    uint64_t f1 = st.frames;
    pause_ms(2000);
    video_get_stats(v, &st);
    printf("[video] %llu frames in 2 s\n", (unsigned long long)(st.frames - f1));
    assert_in_range(st.frames - f1, 15, 25);

    /* the camera dies: NO SIGNAL within 2 s, announced offline by the sim */
    sim_drain();
    size_t mark = sim.nevents;
    double ts = now_ms_f();
    sim_command("stop %s\n", CAM);
    double lost = wait_for(v, is_no_signal, 2000);
    assert_true(lost >= 0);
    printf("[video] stop -> NO SIGNAL after %.0f ms (threshold %d ms of no frame)\n",
           now_ms_f() - ts, VIDEO_NO_SIGNAL_MS);
    assert_true(video_last_frame_age_ms(v) >= VIDEO_NO_SIGNAL_MS);
    long off = sim_wait_output(mark, "\"camera\":\"" CAM "\",\"status\":\"offline\"", 2000);
    assert_true(off >= 0);

    /* back: PLAYING within 5 s, announced online with its URLs */
    mark = sim.nevents;
    ts = now_ms_f();
    sim_command("start %s\n", CAM);
    double back = wait_for(v, is_playing, 5000);
    assert_true(back >= 0);
    printf("[video] start -> PLAYING after %.0f ms\n", now_ms_f() - ts);
    char online[256];
    snprintf(online, sizeof online,
             "\"camera\":\"%s\",\"status\":\"online\",\"main\":\"rtsp://127.0.0.1:%d/%s/main\","
             "\"sub\":\"rtsp://127.0.0.1:%d/%s/sub\"",
             CAM, sim.port, CAM, sim.port, CAM);
    assert_true(sim_wait_output(mark, online, 2000) >= 0);
    video_get_stats(v, &st);
    assert_true(st.reconnects >= 1);
    assert_int_equal(st.width, 320);

    /* dead again, then closed: video_close returns at once */
    sim_command("stop %s\n", CAM);
    assert_true(wait_for(v, is_no_signal, 2000) >= 0);
    double tc = now_ms_f();
    video_close(v);
    double close_ms = now_ms_f() - tc;
    printf("[video] video_close of a dead tile took %.3f ms\n", close_ms);
    assert_true(close_ms < 50.0);
    sim_command("start %s\n", CAM);
}

/* Nothing listens: connection refused, NO SIGNAL soon; an unknown mount (404) likewise. */
static void test_unreachable_and_unknown(void **state)
{
    (void)state;
    char dead[128], unknown[128];
    int port = free_port();
    assert_true(port > 0);
    snprintf(dead, sizeof dead, "rtsp://127.0.0.1:%d/%s/sub", port, CAM);
    snprintf(unknown, sizeof unknown, "rtsp://127.0.0.1:%d/NO-SUCH-CAM/sub", sim.port);
    double t0 = now_ms_f(), ta = -1, tb = -1;
    video_t *a = video_open(dead, NULL, NULL), *b = video_open(unknown, NULL, NULL);
    assert_non_null(a);
    assert_non_null(b);
    while ((ta < 0 || tb < 0) && now_ms_f() - t0 < 3000) {
        if (ta < 0 && is_no_signal(a)) ta = now_ms_f() - t0;
        if (tb < 0 && is_no_signal(b)) tb = now_ms_f() - t0;
        pause_ms(2);
    }
    printf("[video] refused connection -> NO SIGNAL after %.0f ms, unknown mount after %.0f ms\n",
           ta, tb);
    assert_true(ta >= 0);
    assert_true(tb >= 0);
    assert_int_equal(video_last_frame_age_ms(a), -1);
    /* it keeps retrying with backoff: 0.5 s, 1 s, 2 s... */
    int64_t deadline = now_ms() + 3000;
    video_stats st;
    do {
        pause_ms(50);
        video_get_stats(a, &st);
    } while (st.reconnects < 2 && now_ms() < deadline);
    assert_true(st.reconnects >= 2);
    assert_int_equal(st.frames, 0);
    double tc = now_ms_f();
    video_close(a);
    video_close(b);
    assert_true(now_ms_f() - tc < 50.0);
}

static double proc_cpu_s(pid_t pid)
{
    char path[64], buf[2048];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    char *p = strrchr(buf, ')'); /* the name may hold spaces */
    if (!p) return -1;
    unsigned long ut = 0, stt = 0;
    /* after ")": state(3) ... utime(14) stime(15) */
    if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &stt) != 2)
        return -1;
    return (double)(ut + stt) / (double)sysconf(_SC_CLK_TCK);
}

static int proc_threads(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    int n = -1;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "Threads: %d", &n) == 1) break;
    if (f) fclose(f);
    return n;
}

/* The sim's CPU over the next `ms`, in % of one core. */
static double sim_cpu_window(int ms)
{
    double s0 = proc_cpu_s(sim.pid), w0 = now_ms_f();
    pause_ms(ms);
    double s1 = proc_cpu_s(sim.pid);
    return 100 * (s1 - s0) / ((now_ms_f() - w0) / 1000);
}

static int fd_count(void)
{
    DIR *d = opendir("/proc/self/fd");
    if (!d) return -1;
    int n = 0;
    for (struct dirent *e; (e = readdir(d));)
        if (e->d_name[0] != '.') n++;
    closedir(d);
    return n - 1; /* the directory's own fd */
}

/* 25 rounds of 4 tiles opened, playing and closed (100 pipelines built and torn down): the
 * process's file descriptors and threads come back to where they were (the teardown is
 * asynchronous, so wait for it with a deadline). A leaked pipeline keeps its bus's poll fds
 * and rtspsrc's sockets open, which months of 轮巡 tours would turn into thousands. */
static void test_open_close_releases_everything(void **state)
{
    (void)state;
    static const char *cams[4] = {"LH-00-CAM-W02", "LH-01-CAM-W01", "LH-02-CAM-W01",
                                  "LH-03-CAM-W01"};
    /* one warm-up round: plugins load, pools and the teardown threads start */
    int fds0 = -1, threads0 = -1;
    for (int round = 0; round < 26; round++) {
        video_t *v[4];
        for (int i = 0; i < 4; i++) {
            char url[256];
            sub_url(url, sizeof url, cams[i]);
            v[i] = video_open(url, on_wake, NULL);
            assert_non_null(v[i]);
        }
        for (int i = 0; i < 4; i++)
            assert_true(wait_for(v[i], has_frame, 15000) >= 0);
        for (int i = 0; i < 4; i++)
            video_close(v[i]);
        if (round == 0) {
            /* the warm-up's teardowns finish: the count stops falling */
            int64_t deadline = now_ms() + 10000;
            int prev = fd_count();
            for (;;) {
                pause_ms(300);
                int now = fd_count();
                if (now == prev || now_ms() > deadline) break;
                prev = now;
            }
            fds0 = fd_count();
            threads0 = proc_threads();
        }
    }
    int64_t t0 = now_ms(), deadline = t0 + 10000;
    int fds = fd_count();
    while (fds > fds0 + 2 && now_ms() < deadline) {
        pause_ms(50);
        fds = fd_count();
    }
    /* idle pool threads (GStreamer's task pool, the teardown pool) retire on their own */
    deadline = now_ms() + 30000;
    int threads = proc_threads();
    while (threads > threads0 + 4 && now_ms() < deadline) {
        pause_ms(100);
        threads = proc_threads();
    }
    printf("[video] 100 tiles opened and closed: fds %d -> %d, threads %d -> %d (settled %.1f s "
           "after the last close)\n",
           fds0, fds, threads0, threads, (double)(now_ms() - t0) / 1000);
    assert_true(fds <= fds0 + 2);
    assert_true(threads <= threads0 + 4);
}

/* 16 sub-stream tiles of 16 cameras play together; what they cost. */
static void test_sixteen_tiles(void **state)
{
    (void)state;
    static const char *cams[16] = {
        "LH-00-CAM-W01", "LH-00-CAM-W02", "LH-00-CAM-W03", "LH-00-CAM-W04",
        "LH-00-CAM-W05", "LH-00-CAM-W06", "LH-00-CAM-W07", "LH-00-CAM-W08",
        "LH-00-CAM-W09", "LH-00-CAM-W10", "LH-01-CAM-W01", "LH-02-CAM-W01",
        "LH-03-CAM-W01", "LH-04-CAM-W01", "LH-05-CAM-W01", "LH-06-CAM-W01"};
    video_t *v[16];
    double idle = sim_cpu_window(1000);
    printf("[video] sim CPU with 74 cameras served and none watched: %.1f %% of one core\n", idle);
    assert_true(idle < 3.0);
    double t0 = now_ms_f();
    for (int i = 0; i < 16; i++) {
        char url[256];
        sub_url(url, sizeof url, cams[i]);
        v[i] = video_open(url, on_wake, NULL);
        assert_non_null(v[i]);
    }
    for (int i = 0; i < 16; i++)
        assert_true(wait_for(v[i], has_frame, 15000) >= 0);
    printf("[video] 16 tiles: all have a frame after %.0f ms\n", now_ms_f() - t0);

    const char *env = getenv("CW_VIDEO_CPU_S");
    int secs = env ? atoi(env) : 5;
    if (secs < 2) secs = 2;
    uint64_t f0[16];
    for (int i = 0; i < 16; i++) {
        video_stats st;
        video_get_stats(v[i], &st);
        f0[i] = st.frames;
    }
    double c0 = proc_cpu_s(getpid()), s0 = proc_cpu_s(sim.pid), w0 = now_ms_f();
    pause_ms(secs * 1000);
    double c1 = proc_cpu_s(getpid()), s1 = proc_cpu_s(sim.pid), wall = (now_ms_f() - w0) / 1000;
    uint64_t total = 0, least = UINT64_MAX;
    for (int i = 0; i < 16; i++) {
        video_stats st;
        video_get_stats(v[i], &st);
        uint64_t d = st.frames - f0[i];
        total += d;
        if (d < least) least = d;
        assert_int_equal(video_state(v[i]), VIDEO_PLAYING);
        assert_int_equal(st.width, 320);
        assert_int_equal(st.height, 180);
    }
    printf("[video] 16 x 320x180 sub tiles for %.1f s: %llu frames (%.1f fps per tile, the "
           "slowest %.1f)\n",
           wall, (unsigned long long)total, (double)total / 16 / wall, (double)least / wall);
    printf("[video] decode CPU (this process, 16 tiles): %.1f %% of one core = %.2f %% per tile\n",
           100 * (c1 - c0) / wall, 100 * (c1 - c0) / wall / 16);
    printf("[video] threads in this process with 16 tiles: %d\n", proc_threads());
    printf("[video] sim CPU (16 x H.264 320x180@10 encodes + overlays): %.1f %% of one core\n",
           100 * (s1 - s0) / wall);
    /* 10 fps each; the machine is shared, so a tile must keep at least half of that */
    assert_true((double)least / wall >= 5.0);

    double worst = 0;
    for (int i = 0; i < 16; i++) {
        double tc = now_ms_f();
        video_close(v[i]);
        double d = now_ms_f() - tc;
        if (d > worst) worst = d;
    }
    printf("[video] closing 16 playing tiles: the slowest video_close took %.3f ms\n", worst);
    assert_true(worst < 50.0);

    /* nobody watches any more: the sim stops encoding (the shared medias are torn down) */
    int64_t deadline = now_ms() + 8000;
    double after;
    do {
        after = sim_cpu_window(1000);
    } while (after >= 3.0 && now_ms() < deadline);
    printf("[video] sim CPU once the tiles are closed: %.1f %% of one core\n", after);
    assert_true(after < 3.0);
}

/* GL upload (render thread = this thread, an SDL offscreen GL 3.3 context on llvmpipe): the Y
 * texture holds exactly the newest frame's luma, U and V are half size, and video_close
 * deletes the textures. Skipped when no GL context can be made. */
static void test_gl_upload(void **state)
{
    (void)state;
    setenv("SDL_VIDEODRIVER", "offscreen", 0);
    SDL_SetHint(SDL_HINT_NO_SIGNAL_HANDLERS, "1");
    if (SDL_Init(SDL_INIT_VIDEO) != 0) {
        printf("[video] no SDL video (%s): GL upload not tested\n", SDL_GetError());
        skip();
    }
    SDL_GL_SetAttribute(SDL_GL_CONTEXT_MAJOR_VERSION, 3);
    SDL_GL_SetAttribute(SDL_GL_CONTEXT_MINOR_VERSION, 3);
    SDL_GL_SetAttribute(SDL_GL_CONTEXT_PROFILE_MASK, SDL_GL_CONTEXT_PROFILE_CORE);
    SDL_Window *win =
        SDL_CreateWindow("test_video", 0, 0, 64, 64, SDL_WINDOW_OPENGL | SDL_WINDOW_HIDDEN);
    SDL_GLContext ctx = win ? SDL_GL_CreateContext(win) : NULL;
    if (!ctx) {
        printf("[video] no GL context (%s): GL upload not tested\n", SDL_GetError());
        if (win) SDL_DestroyWindow(win);
        SDL_Quit();
        skip();
    }
    const char *cam = "LH-01-CAM-W01";
    char url[256];
    sub_url(url, sizeof url, cam);
    video_t *v = video_open(url, NULL, NULL);
    assert_non_null(v);
    unsigned tex[3];
    int w = -1, h = -1;
    video_textures(v, tex, &w, &h);
    assert_int_equal(tex[0], 0);
    assert_int_equal(w, 0);
    assert_true(wait_for(v, is_playing, 10000) >= 0);
    assert_true(video_update(v));
    video_textures(v, tex, &w, &h);
    assert_true(tex[0] != 0 && tex[1] != 0 && tex[2] != 0);
    assert_int_equal(w, 320);
    assert_int_equal(h, 180);

    /* freeze the picture: stop the camera, so the newest frame stays the same */
    sim_command("stop %s\n", cam);
    assert_true(wait_for(v, is_no_signal, 2000) >= 0);
    assert_false(video_update(v)); /* uploads the last frame, but it is not live */
    video_stats st;
    video_get_stats(v, &st);
    static uint8_t y[320 * 180];
    GLint tw = 0, th = 0;
    glBindTexture(GL_TEXTURE_2D, tex[0]);
    glGetTexLevelParameteriv(GL_TEXTURE_2D, 0, GL_TEXTURE_WIDTH, &tw);
    glGetTexLevelParameteriv(GL_TEXTURE_2D, 0, GL_TEXTURE_HEIGHT, &th);
    assert_int_equal(tw, 320);
    assert_int_equal(th, 180);
    glPixelStorei(GL_PACK_ALIGNMENT, 1);
    glGetTexImage(GL_TEXTURE_2D, 0, GL_RED, GL_UNSIGNED_BYTE, y);
    uint32_t sum = 0;
    for (size_t i = 0; i < sizeof y; i++)
        sum += y[i];
    printf("[video] GL Y texture 320x180, luma sum %u (stats %u)\n", sum, st.luma_sum);
    assert_int_equal(sum, st.luma_sum);
    for (int p = 1; p < 3; p++) {
        glBindTexture(GL_TEXTURE_2D, tex[p]);
        glGetTexLevelParameteriv(GL_TEXTURE_2D, 0, GL_TEXTURE_WIDTH, &tw);
        glGetTexLevelParameteriv(GL_TEXTURE_2D, 0, GL_TEXTURE_HEIGHT, &th);
        assert_int_equal(tw, 160);
        assert_int_equal(th, 90);
    }
    glBindTexture(GL_TEXTURE_2D, 0);
    assert_int_equal(glGetError(), GL_NO_ERROR);
    video_close(v);
    for (int p = 0; p < 3; p++)
        assert_false(glIsTexture(tex[p]));
    sim_command("start %s\n", cam);
    SDL_GL_DeleteContext(ctx);
    SDL_DestroyWindow(win);
    SDL_Quit();
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_play_stop_start_close),
        cmocka_unit_test(test_unreachable_and_unknown),
        cmocka_unit_test(test_gl_upload),
        cmocka_unit_test(test_sixteen_tiles),
        cmocka_unit_test(test_open_close_releases_everything),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
