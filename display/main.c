/* citywall-wall: the native video-wall renderer (SPEC §1, §4).
 *
 * One render thread owns SDL, GL and the scene; the hub client and the camera pipelines run
 * on their own threads and wake the loop with an SDL user event. The loop draws a frame when
 * something changed (new state, a video frame, the second hand of the clock and the ages) or
 * while something animates, at most `fps` (layout) times a second; without vsync (llvmpipe
 * under Xvfb) the cap is kept by a timer.
 *
 * Output: the layout's viewport (all of the canvas by default) minus the bezel bands. When
 * that is one region shown 1:1 the scene is drawn straight into the window; otherwise (a
 * viewport over several screens, a screenshot, a window smaller than the output) it is drawn
 * into an offscreen canvas, whose regions are copied into the output framebuffer, which is
 * then shown in the window (scaled when the window is smaller).
 *
 * Headless: --screenshot OUT.png --frames N draws N frames at 60 Hz, waits up to 10 s more for
 * the first frame of every visible online camera tile (and for the first state while the hub
 * has not yet answered), writes the last frame and exits. --text-dump FILE writes the text of
 * the last frame as JSON lines (rewritten every second while running, and at exit).
 */
#include <SDL.h>
#include <epoxy/gl.h>
#include <getopt.h>
#include <malloc.h>
#include <math.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cwtime.h"
#include "draw.h"
#include "gl.h"
#include "hubclient.h"
#include "layout.h"
#include "model.h"
#include "present.h"
#include "scene.h"
#include "screenshot.h"
#include "text.h"

#ifndef CW_VERSION
#define CW_VERSION "0"
#endif
#ifndef CW_SOURCE_DIR
#define CW_SOURCE_DIR "."
#endif

#define SHOT_WAIT_MS 10000
#define REPORT_MS 10000
#define DUMP_MS 1000
#define FT_RING 8192
#define STATUS_MS 1000

typedef struct opts {
    const char *hub, *token, *layout, *viewport, *screenshot, *text_dump, *present_log;
    const char *status_log;
    int frames;
    int display;
    bool stats, windowed;
} opts;

static Uint32 wake_event;
static atomic_bool wake_pending;

static void wake(void *ud)
{
    (void)ud;
    if (atomic_exchange(&wake_pending, true)) return;
    SDL_Event e;
    memset(&e, 0, sizeof e);
    e.type = wake_event;
    SDL_PushEvent(&e);
}

static void usage(FILE *f)
{
    fprintf(f,
            "usage: citywall-wall --hub URL --token TOKEN [--layout FILE] [--viewport X,Y,W,H]\n"
            "                     [--screenshot OUT.png --frames N] [--text-dump FILE] [--stats]\n"
            "                     [--display N] [--windowed] [--status-log FILE]\n"
            "                     [--present-log FILE]\n"
            "  --hub URL            the hub (ws://HOST:PORT; wss://, http://, https:// too)\n"
            "  --token TOKEN        a wall token (e.g. demo-wall)\n"
            "  --layout FILE        wall layout (default config/walls/1080p.yaml)\n"
            "  --viewport X,Y,W,H   the part of the layout's canvas this machine drives\n"
            "  --screenshot FILE    render --frames N frames (60 Hz), write the last as PNG, exit\n"
            "  --frames N           frames to render before the screenshot (default 60)\n"
            "  --text-dump FILE     write the last frame's text items as JSON lines\n"
            "  --stats              print frame time percentiles at exit\n"
            "  --display N          the display to go fullscreen on (default 0)\n"
            "  --windowed           a normal window instead of fullscreen\n"
            "  --status-log FILE    a JSON line {t_ms, frames, ft_ms, cameras, live, auth_failed,\n"
            "                       rev, reconnects, failures, error} when a camera stream's\n"
            "                       state or the hub connection changes, and every second\n"
            "  --present-log FILE   a JSON line {t_ms, mono_us, frame, rev, issued} each time a\n"
            "                       frame showing a new city state has been presented\n"
            "                       (event-to-glass)\n");
}

static int parse_args(int argc, char **argv, opts *o)
{
    static const struct option lo[] = {{"hub", required_argument, 0, 'H'},
                                       {"token", required_argument, 0, 'T'},
                                       {"layout", required_argument, 0, 'L'},
                                       {"viewport", required_argument, 0, 'V'},
                                       {"screenshot", required_argument, 0, 'S'},
                                       {"frames", required_argument, 0, 'F'},
                                       {"text-dump", required_argument, 0, 'D'},
                                       {"stats", no_argument, 0, 's'},
                                       {"display", required_argument, 0, 'd'},
                                       {"windowed", no_argument, 0, 'w'},
                                       {"present-log", required_argument, 0, 'P'},
                                       {"status-log", required_argument, 0, 'G'},
                                       {"help", no_argument, 0, 'h'},
                                       {"version", no_argument, 0, 'v'},
                                       {0, 0, 0, 0}};
    memset(o, 0, sizeof *o);
    o->frames = -1;
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        char *end;
        switch (c) {
        case 'H':
            o->hub = optarg;
            break;
        case 'T':
            o->token = optarg;
            break;
        case 'L':
            o->layout = optarg;
            break;
        case 'V':
            o->viewport = optarg;
            break;
        case 'S':
            o->screenshot = optarg;
            break;
        case 'D':
            o->text_dump = optarg;
            break;
        case 'P':
            o->present_log = optarg;
            break;
        case 'G':
            o->status_log = optarg;
            break;
        case 's':
            o->stats = true;
            break;
        case 'w':
            o->windowed = true;
            break;
        case 'F':
            o->frames = (int)strtol(optarg, &end, 10);
            if (*end || o->frames < 1 || o->frames > 1000000) {
                fprintf(stderr, "citywall-wall: --frames: expected a count from 1 to 1000000\n");
                return 2;
            }
            break;
        case 'd':
            o->display = (int)strtol(optarg, &end, 10);
            if (*end || o->display < 0) {
                fprintf(stderr, "citywall-wall: --display: expected a display index\n");
                return 2;
            }
            break;
        case 'h':
            usage(stdout);
            exit(0);
        case 'v':
            printf("citywall-wall %s\n", CW_VERSION);
            exit(0);
        default:
            fprintf(stderr, "citywall-wall: unknown or incomplete option '%s'\n", argv[optind - 1]);
            usage(stderr);
            return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "citywall-wall: unexpected argument '%s'\n", argv[optind]);
        return 2;
    }
    if (!o->hub || !o->token) {
        fprintf(stderr, "citywall-wall: --hub and --token are required\n");
        usage(stderr);
        return 2;
    }
    if (o->frames > 0 && !o->screenshot) {
        fprintf(stderr, "citywall-wall: --frames needs --screenshot\n");
        return 2;
    }
    if (o->screenshot && o->frames < 0) o->frames = 60;
    return 0;
}

static const char *default_layout(char *buf, size_t n)
{
    snprintf(buf, n, "config/walls/1080p.yaml");
    if (access(buf, R_OK) == 0) return buf;
    snprintf(buf, n, "%s/config/walls/1080p.yaml", CW_SOURCE_DIR);
    return buf;
}

static int64_t mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Percentile p (0..100) of the last n frame times. */
static double percentile(const double *ring, int n, double p)
{
    if (n <= 0) return 0;
    double *tmp = malloc(sizeof(double) * (size_t)n);
    if (!tmp) return 0;
    memcpy(tmp, ring, sizeof(double) * (size_t)n);
    qsort(tmp, (size_t)n, sizeof(double), cmp_double);
    int i = (int)ceil(p / 100.0 * n) - 1;
    if (i < 0) i = 0;
    if (i >= n) i = n - 1;
    double v = tmp[i];
    free(tmp);
    return v;
}

static int write_dump(text_t *t, const char *path)
{
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f) {
        fprintf(stderr, "citywall-wall: %s: cannot write\n", tmp);
        return -1;
    }
    int rc = text_dump_write(t, f);
    if (fclose(f) != 0) rc = -1;
    if (rc == 0 && rename(tmp, path) != 0) rc = -1;
    if (rc < 0) fprintf(stderr, "citywall-wall: %s: cannot write the text dump\n", path);
    return rc;
}

/* --status-log: every frame time not yet written, and the camera streams' states (the fleet
 * report's {camera: ok|no_signal}) as last written. */
typedef struct status_log {
    FILE *f;
    json_t *ft, *cams;
    int64_t last_us;
    int conn; /* connection state last written: 0 none yet, 1 live, 2 stale, 3 auth failed */
} status_log;

/* After each presented frame (final: at exit): a line when a camera's state or the connection
 * state changed, or a second has passed since the last one. `live` is true once the frame
 * shows state from a live connection (the city snapshot of the current connection). */
static void status_log_frame(status_log *sl, scene *sc, const model *m, double ms, uint64_t frames,
                             int64_t now_us, bool final)
{
    if (!final) json_array_append_new(sl->ft, json_real(round(ms * 100) / 100));
    json_t *cams = scene_camera_report(sc);
    if (!cams) return;
    int conn = m->connected ? 1 : m->auth_failed ? 3 : 2;
    if (!final && sl->cams && json_equal(cams, sl->cams) && conn == sl->conn &&
        now_us - sl->last_us < STATUS_MS * 1000) {
        json_decref(cams);
        return;
    }
    sl->conn = conn;
    json_t *line =
        json_pack("{s:I,s:I,s:O,s:O,s:b,s:b,s:I,s:i,s:i,s:s}", "t_ms", (json_int_t)cwt_real_ms(),
                  "frames", (json_int_t)frames, "ft_ms", sl->ft, "cameras", cams, "live",
                  m->connected, "auth_failed", m->auth_failed, "rev", (json_int_t)m->city_rev,
                  "reconnects", m->reconnects, "failures", m->failures, "error", m->error);
    char *txt = line ? json_dumps(line, JSON_COMPACT | JSON_REAL_PRECISION(6)) : NULL;
    if (txt) {
        fprintf(sl->f, "%s\n", txt);
        fflush(sl->f);
    }
    free(txt);
    json_decref(line);
    json_array_clear(sl->ft);
    json_decref(sl->cams);
    sl->cams = cams;
    sl->last_us = now_us;
}

typedef struct damage_ctx {
    present_t *pr;
    float x0, y0; /* the viewport's canvas origin */
} damage_ctx;

static void on_damage(void *ud, float x, float y, float w, float h, bool opaque)
{
    damage_ctx *dc = ud;
    if (opaque)
        present_damage_opaque(dc->pr, x - dc->x0, y - dc->y0, w, h);
    else
        present_damage(dc->pr, x - dc->x0, y - dc->y0, w, h);
}

static SDL_GLContext make_context(SDL_Window *w)
{
    SDL_GLContext ctx = SDL_GL_CreateContext(w);
    return ctx;
}

int main(int argc, char **argv)
{
#ifdef M_ARENA_MAX
    /* Decoded frames are allocated on GStreamer's streaming threads, which a tour starts and
     * ends all day, and freed on the render thread; with glibc's default of 8 arenas per core
     * the wall's RSS crept up ~10 MB a minute (341 -> 433 MB in 10 min with 16 touring
     * tiles), with 2 it levels off (scripts/wall-soak, docs/wall.md). */
    mallopt(M_ARENA_MAX, 2);
#endif
    opts o;
    int rc = parse_args(argc, argv, &o);
    if (rc) return rc;
    char lbuf[4096];
    const char *lpath = o.layout ? o.layout : default_layout(lbuf, sizeof lbuf);
    char *errs = NULL;
    layout *L = layout_load(lpath, &errs);
    if (!L) {
        fprintf(stderr, "%s", errs ? errs : "citywall-wall: cannot load the layout\n");
        free(errs);
        return 2;
    }
    layout_rect vp = {0, 0, (float)L->canvas_w, (float)L->canvas_h};
    if (o.viewport && layout_parse_viewport(o.viewport, &vp) < 0) {
        fprintf(stderr, "citywall-wall: --viewport %s: expected X,Y,W,H (integers)\n", o.viewport);
        layout_free(L);
        return 2;
    }
    layout_region regions[LAYOUT_MAX_REGIONS];
    int out_w = 0, out_h = 0;
    int nreg = layout_viewport(L, vp, regions, LAYOUT_MAX_REGIONS, &out_w, &out_h);
    if (nreg < 0) {
        fprintf(stderr,
                "citywall-wall: --viewport %d,%d,%d,%d: outside the %dx%d canvas of %s, or it "
                "shows no screen pixel\n",
                (int)vp.x, (int)vp.y, (int)vp.w, (int)vp.h, L->canvas_w, L->canvas_h, lpath);
        layout_free(L);
        return 2;
    }
    cwt_set_timezone("Asia/Shanghai");

    /* Without a display SDL falls through its drivers (a Wayland warning about XDG_RUNTIME_DIR,
     * then a window nobody sees) and the wall would run blind: refuse, as a usage error. */
    if (!getenv("DISPLAY") && !getenv("WAYLAND_DISPLAY") && !getenv("SDL_VIDEODRIVER")) {
        fprintf(stderr, "citywall-wall: no display: set DISPLAY or SDL_VIDEODRIVER=offscreen\n");
        layout_free(L);
        return 2;
    }
    SDL_SetHint(SDL_HINT_NO_SIGNAL_HANDLERS, "0");
    SDL_SetHint(SDL_HINT_VIDEO_MINIMIZE_ON_FOCUS_LOSS, "0");
    if (SDL_Init(SDL_INIT_VIDEO | SDL_INIT_EVENTS) != 0) {
        fprintf(stderr,
                "citywall-wall: SDL: %s (no display? run under xvfb-run, or set "
                "SDL_VIDEODRIVER=offscreen)\n",
                SDL_GetError());
        layout_free(L);
        return 1;
    }
    wake_event = SDL_RegisterEvents(1);

    int nd = SDL_GetNumVideoDisplays();
    if (o.display >= nd) o.display = 0;
    SDL_Rect db = {0, 0, out_w, out_h};
    if (nd > 0) SDL_GetDisplayBounds(o.display, &db);
    Uint32 flags = SDL_WINDOW_OPENGL | SDL_WINDOW_ALLOW_HIGHDPI;
    int ww = out_w, wh = out_h, wx = SDL_WINDOWPOS_CENTERED_DISPLAY(o.display),
        wy = SDL_WINDOWPOS_CENTERED_DISPLAY(o.display);
    if (o.screenshot) {
        flags |= SDL_WINDOW_HIDDEN;
        if (ww > db.w) ww = db.w;
        if (wh > db.h) wh = db.h;
    } else if (!o.windowed && out_w == db.w && out_h == db.h) {
        flags |= SDL_WINDOW_FULLSCREEN_DESKTOP;
    } else if (!o.windowed && (out_w > db.w || out_h > db.h)) {
        flags |= SDL_WINDOW_BORDERLESS; /* one window spanning several displays */
        wx = db.x;
        wy = db.y;
    } else if (ww > db.w || wh > db.h) {
        ww = ww > db.w ? db.w : ww;
        wh = wh > db.h ? db.h : wh;
    }
    SDL_GL_SetAttribute(SDL_GL_STENCIL_SIZE, 8);
    SDL_GL_SetAttribute(SDL_GL_DOUBLEBUFFER, 1);
    SDL_GL_SetAttribute(SDL_GL_CONTEXT_PROFILE_MASK, SDL_GL_CONTEXT_PROFILE_CORE);
    SDL_GL_SetAttribute(SDL_GL_CONTEXT_MAJOR_VERSION, 3);
    SDL_GL_SetAttribute(SDL_GL_CONTEXT_MINOR_VERSION, 3);
    SDL_Window *win = SDL_CreateWindow("citywall-wall", wx, wy, ww, wh, flags);
    SDL_GLContext ctx = win ? make_context(win) : NULL;
    if (!ctx) {
        /* OpenGL ES 3.0 (embedded boards, EGL-only drivers) */
        if (win) SDL_DestroyWindow(win);
        SDL_GL_SetAttribute(SDL_GL_CONTEXT_PROFILE_MASK, SDL_GL_CONTEXT_PROFILE_ES);
        SDL_GL_SetAttribute(SDL_GL_CONTEXT_MAJOR_VERSION, 3);
        SDL_GL_SetAttribute(SDL_GL_CONTEXT_MINOR_VERSION, 0);
        win = SDL_CreateWindow("citywall-wall", wx, wy, ww, wh, flags);
        ctx = win ? make_context(win) : NULL;
    }
    if (!ctx) {
        fprintf(stderr, "citywall-wall: no OpenGL 3.3 core or OpenGL ES 3.0 context: %s\n",
                SDL_GetError());
        if (win) SDL_DestroyWindow(win);
        SDL_Quit();
        layout_free(L);
        return 1;
    }
    SDL_GL_MakeCurrent(win, ctx);
    bool vsync = !o.screenshot && SDL_GL_SetSwapInterval(1) == 0;
    if (o.screenshot) SDL_GL_SetSwapInterval(0);
    SDL_GL_GetDrawableSize(win, &ww, &wh);
    SDL_ShowCursor(SDL_DISABLE);
    fprintf(stderr,
            "citywall-wall: %s, GL %s (%s), layout %s canvas %dx%d, viewport %d,%d,%d,%d "
            "-> output %dx%d in %d region%s, window %dx%d%s\n",
            gl_is_es() ? "OpenGL ES" : "OpenGL", (const char *)glGetString(GL_VERSION),
            (const char *)glGetString(GL_RENDERER), lpath, L->canvas_w, L->canvas_h, (int)vp.x,
            (int)vp.y, (int)vp.w, (int)vp.h, out_w, out_h, nreg, nreg == 1 ? "" : "s", ww, wh,
            vsync ? ", vsync" : "");

    char err[4096] = "";
    draw_t *d = NULL;
    text_t *t = NULL;
    scene *sc = NULL;
    hubclient *hc = NULL;
    model m;
    model_init(&m);
    gl_fbo canvas = {0}, output = {0}, layer = {0}, base = {0};
    bool layer_ok = false;
    double *ft = calloc(FT_RING, sizeof(double));
    FILE *plog = NULL;
    uint64_t logged_rev = 0;
    status_log sl = {0};
    rc = 1;
    if (!ft) goto out;
    if (o.status_log && (!(sl.ft = json_array()) || !(sl.f = fopen(o.status_log, "w")))) {
        fprintf(stderr, "citywall-wall: --status-log %s: cannot write\n", o.status_log);
        rc = 2;
        goto out;
    }
    if (o.present_log && !(plog = fopen(o.present_log, "w"))) {
        fprintf(stderr, "citywall-wall: --present-log %s: cannot write\n", o.present_log);
        rc = 2;
        goto out;
    }
    d = draw_create(err, sizeof err);
    if (!d) {
        fprintf(stderr, "citywall-wall: %s\n", err);
        goto out;
    }
    t = text_create(d, TEXT_FONT_REGULAR, TEXT_FONT_BOLD, TEXT_FACE_SC, err, sizeof err);
    if (!t) {
        fprintf(stderr, "citywall-wall: %s\n", err);
        goto out;
    }
    if (o.text_dump) text_dump_enable(t, true);
    sc = scene_create(L, wake, NULL, err, sizeof err);
    if (!sc) {
        fprintf(stderr, "%s", err);
        rc = 2;
        goto out;
    }
    if (gl_fbo_resize(&layer, (int)vp.w, (int)vp.h) < 0 ||
        gl_fbo_resize(&base, (int)vp.w, (int)vp.h) < 0)
        goto out;
    bool direct = !o.screenshot && nreg == 1 && (int)vp.w == out_w && (int)vp.h == out_h &&
                  ww == out_w && wh == out_h;
    if (!direct) {
        if (gl_fbo_resize(&canvas, (int)vp.w, (int)vp.h) < 0) goto out;
        bool same = nreg == 1 && (int)vp.w == out_w && (int)vp.h == out_h;
        if (!same && gl_fbo_resize(&output, out_w, out_h) < 0) goto out;
    }
    hc = hubclient_start(o.hub, o.token, wake, NULL, err, sizeof err);
    if (!hc) {
        fprintf(stderr, "citywall-wall: %s\n", err);
        rc = 2;
        goto out;
    }

    hub_update up;
    memset(&up, 0, sizeof up);
    /* direct mode: repaint only what changed when the driver tells the back buffer's age */
    present_t pr;
    present_init(&pr, (float)out_w, (float)out_h);
    damage_ctx dctx = {&pr, vp.x, vp.y};
    const char *vdrv = SDL_GetCurrentVideoDriver();
    bool glx = vdrv && !strcmp(vdrv, "x11");
    bool subcopy = direct && glx && present_can_copy() && !getenv("CW_NO_SUBCOPY");
    bool full_next = true;
    uint64_t partial_frames = 0;
    if (subcopy)
        fprintf(stderr, "citywall-wall: software GL: presenting changed rectangles "
                        "(GLX_MESA_copy_sub_buffer)\n");
    int64_t t0 = mono_us(), next_frame = t0, last_report = t0, last_dump = t0, last_frame = 0;
    int64_t anim_us = 1000000 / L->anim_fps;
    int64_t frame_us = 1000000 / (o.screenshot ? 60 : L->fps);
    int64_t last_second = -1;
    int frames = 0, ftn = 0, ftpos = 0;
    int64_t shot_deadline = 0;
    uint64_t frames_total = 0;
    int64_t fps_t0 = t0;
    uint64_t fps_frames0 = 0;
    double fps = 0;
    bool running = true, dirty = true;
    rc = 0;
    while (running) {
        int64_t now = mono_us();
        bool animating = false;
        scene_frame fr = {.d = d, .t = t, .m = &m, .l = L, .s = L->scale};
        fr.real_ms = cwt_real_ms();
        fr.now_ms = model_now(&m);
        fr.stale = !m.connected;
        fr.anim_s = (double)(now - t0) / 1e6;
        animating = scene_animating(sc, &fr);
        int64_t sec = fr.real_ms / 1000;
        bool tick = sec != last_second;
        /* a new state or a new second: as soon as the frame cap allows; only something moving
         * (pulses, video): at the animation rate */
        bool want = o.screenshot || dirty || tick;
        int64_t due = next_frame;
        if (!want && animating) {
            want = true;
            if (last_frame + anim_us > due) due = last_frame + anim_us;
        }
        int64_t wait_us;
        if (want)
            wait_us = due > now ? due - now : 0;
        else
            wait_us = (sec + 1) * 1000000 - fr.real_ms * 1000;
        if (!o.screenshot && wait_us > (sec + 1) * 1000000 - fr.real_ms * 1000)
            wait_us = (sec + 1) * 1000000 - fr.real_ms * 1000; /* the clock's next second */
        if (wait_us > 0) {
            SDL_Event e;
            if (SDL_WaitEventTimeout(&e, (int)((wait_us + 999) / 1000))) {
                do {
                    if (e.type == SDL_QUIT)
                        running = false;
                    else if (e.type == SDL_KEYDOWN &&
                             (e.key.keysym.sym == SDLK_ESCAPE || e.key.keysym.sym == SDLK_q))
                        running = false;
                    else if (e.type == SDL_WINDOWEVENT)
                        dirty = full_next = true;
                } while (SDL_PollEvent(&e));
            }
            atomic_store(&wake_pending, false);
            if (hubclient_take(hc, &up)) {
                model_apply(&m, &up);
                dirty = true;
            }
            continue; /* re-evaluate with the new time */
        }
        atomic_store(&wake_pending, false);
        if (hubclient_take(hc, &up)) {
            model_apply(&m, &up);
            dirty = true;
        }
        fr.real_ms = cwt_real_ms();
        fr.now_ms = model_now(&m);
        fr.stale = !m.connected;
        fr.exact = o.screenshot != NULL;
        model_sample_trend(&m);

        /* ---- a frame ---- */
        int64_t f0 = mono_us();
        text_frame_begin(t);
        present_begin(&pr);
        fr.damage = on_damage;
        fr.damage_ud = &dctx;
        glDisable(GL_SCISSOR_TEST);
        if (!layer_ok) {
            /* the static layer: drawn once, copied at the start of every frame */
            glBindFramebuffer(GL_FRAMEBUFFER, layer.fbo);
            glClearColor(((COL_BG >> 24) & 0xff) / 255.0f, ((COL_BG >> 16) & 0xff) / 255.0f,
                         ((COL_BG >> 8) & 0xff) / 255.0f, 1.0f);
            glClearStencil(0);
            glClear(GL_COLOR_BUFFER_BIT | GL_STENCIL_BUFFER_BIT);
            draw_begin(d, vp.x, vp.y, (int)vp.w, (int)vp.h);
            scene_draw_static(sc, &fr);
            draw_flush(d);
            glBindFramebuffer(GL_READ_FRAMEBUFFER, layer.fbo);
            glBindFramebuffer(GL_DRAW_FRAMEBUFFER, base.fbo);
            glBlitFramebuffer(0, 0, (int)vp.w, (int)vp.h, 0, 0, (int)vp.w, (int)vp.h,
                              GL_COLOR_BUFFER_BIT, GL_NEAREST);
            layer_ok = true;
        }
        scene_draw_cached(sc, &fr, base.fbo, layer.fbo, vp);
        GLuint target = direct ? 0 : canvas.fbo;
        glBindFramebuffer(GL_READ_FRAMEBUFFER, base.fbo);
        glBindFramebuffer(GL_DRAW_FRAMEBUFFER, target);
        present_rect rects[PRESENT_MAX_RECTS];
        int age = subcopy ? 1 : direct ? present_buffer_age(glx) : 0;
        int nrect = full_next ? -1 : present_plan(&pr, age, true, rects, PRESENT_MAX_RECTS);
        if (nrect < 0) {
            glBlitFramebuffer(0, 0, (int)vp.w, (int)vp.h, 0, 0, (int)vp.w, (int)vp.h,
                              GL_COLOR_BUFFER_BIT, GL_NEAREST);
        } else {
            partial_frames++;
            for (int i = 0; i < nrect; i++) {
                int x0 = (int)rects[i].x, x1 = (int)(rects[i].x + rects[i].w);
                int y1 = (int)vp.h - (int)rects[i].y, y0 = y1 - (int)rects[i].h;
                glBlitFramebuffer(x0, y0, x1, y1, x0, y0, x1, y1, GL_COLOR_BUFFER_BIT, GL_NEAREST);
            }
        }
        glBindFramebuffer(GL_FRAMEBUFFER, target);
        fr.full = nrect < 0 || age != 1; /* older buffers: tiles may be out of date */
        draw_begin(d, vp.x, vp.y, (int)vp.w, (int)vp.h);
        scene_draw_anim(sc, &fr);
        draw_flush(d);
        GLuint outfb = 0;
        if (!direct) {
            outfb = output.fbo ? output.fbo : canvas.fbo;
            if (output.fbo) {
                glBindFramebuffer(GL_READ_FRAMEBUFFER, canvas.fbo);
                glBindFramebuffer(GL_DRAW_FRAMEBUFFER, output.fbo);
                for (int i = 0; i < nreg; i++) {
                    layout_region *r = &regions[i];
                    int sx0 = (int)(r->canvas.x - vp.x),
                        sy0 = (int)(vp.h - (r->canvas.y - vp.y) - r->canvas.h);
                    int dx0 = (int)r->out.x, dy0 = (int)(out_h - r->out.y - r->out.h);
                    glBlitFramebuffer(sx0, sy0, sx0 + (int)r->canvas.w, sy0 + (int)r->canvas.h, dx0,
                                      dy0, dx0 + (int)r->out.w, dy0 + (int)r->out.h,
                                      GL_COLOR_BUFFER_BIT, GL_NEAREST);
                }
            }
            if (!o.screenshot) {
                glBindFramebuffer(GL_READ_FRAMEBUFFER, outfb);
                glBindFramebuffer(GL_DRAW_FRAMEBUFFER, 0);
                glViewport(0, 0, ww, wh);
                glClearColor(0, 0, 0, 1);
                glClear(GL_COLOR_BUFFER_BIT);
                /* fit the output into the window, keeping its aspect */
                double k = fmin((double)ww / out_w, (double)wh / out_h);
                int dw = (int)(out_w * k), dh = (int)(out_h * k);
                int dx = (ww - dw) / 2, dy = (wh - dh) / 2;
                glBlitFramebuffer(0, 0, out_w, out_h, dx, dy, dx + dw, dy + dh, GL_COLOR_BUFFER_BIT,
                                  k == 1.0 ? GL_NEAREST : GL_LINEAR);
            }
        }
        if (subcopy) {
            /* what changed in the back buffer: the copies above and this frame's overlays */
            int n = full_next ? -1 : present_plan(&pr, 1, false, rects, PRESENT_MAX_RECTS);
            present_copy(rects, n, out_w, out_h);
            glFinish();
        } else if (!o.screenshot) {
            SDL_GL_SwapWindow(win);
        } else {
            glFinish();
        }
        full_next = false;
        if (plog && m.city_rev != logged_rev) {
            double issued = -1;
            model_kpi(&m, -1, "issued", &issued);
            fprintf(plog,
                    "{\"t_ms\":%lld,\"mono_us\":%lld,\"frame\":%llu,\"rev\":%llu,"
                    "\"issued\":%.0f}\n",
                    (long long)cwt_real_ms(), (long long)mono_us(),
                    (unsigned long long)frames_total + 1, (unsigned long long)m.city_rev, issued);
            fflush(plog);
            logged_rev = m.city_rev;
        }
        int64_t f1 = mono_us();
        double ms = (double)(f1 - f0) / 1000.0;
        ft[ftpos] = ms;
        ftpos = (ftpos + 1) % FT_RING;
        if (ftn < FT_RING) ftn++;
        frames++;
        frames_total++;
        dirty = false;
        last_second = fr.real_ms / 1000;
        next_frame += frame_us;
        if (next_frame < f1 - frame_us) next_frame = f1; /* fell behind: don't catch up */
        last_frame = f0;
        if (f1 - fps_t0 >= 2000000) {
            fps = (double)(frames_total - fps_frames0) * 1e6 / (double)(f1 - fps_t0);
            fps_t0 = f1;
            fps_frames0 = frames_total;
        }

        if (sl.f) status_log_frame(&sl, sc, &m, ms, frames_total, f1, false);
        if (o.text_dump && f1 - last_dump >= DUMP_MS * 1000) {
            write_dump(t, o.text_dump);
            last_dump = f1;
        }
        if (f1 - last_report >= REPORT_MS * 1000) {
            last_report = f1;
            int n = ftn < 600 ? ftn : 600;
            double recent[600];
            for (int i = 0; i < n; i++)
                recent[i] = ft[(ftpos - 1 - i + FT_RING) % FT_RING];
            char vps[64];
            snprintf(vps, sizeof vps, "%d,%d,%d,%d", (int)vp.x, (int)vp.y, (int)vp.w, (int)vp.h);
            json_t *rep = json_pack("{s:s,s:s,s:f,s:f,s:I,s:b,s:o}", "op", "report", "viewport",
                                    vps, "fps", round(fps * 10) / 10, "frame_p99_ms",
                                    round(percentile(recent, n, 99) * 100) / 100, "rev",
                                    (json_int_t)m.city_rev, "stale", !m.connected, "cameras",
                                    scene_camera_report(sc));
            char *txt = rep ? json_dumps(rep, JSON_COMPACT) : NULL;
            if (txt) hubclient_report(hc, txt);
            free(txt);
            json_decref(rep);
        }

        if (o.screenshot && frames >= o.frames) {
            if (!shot_deadline) shot_deadline = f1 + SHOT_WAIT_MS * 1000;
            bool waiting_data = (!m.city || !m.registry) && m.failures == 0;
            bool waiting_cams = !scene_ready(sc);
            if ((!waiting_data && !waiting_cams) || f1 >= shot_deadline) {
                if (waiting_cams)
                    fprintf(stderr, "citywall-wall: screenshot: some camera tiles have no frame "
                                    "after 10 s\n");
                glBindFramebuffer(GL_READ_FRAMEBUFFER, outfb);
                if (screenshot_save(o.screenshot, out_w, out_h) < 0) rc = 1;
                running = false;
            }
        }
    }
    if (o.text_dump && write_dump(t, o.text_dump) < 0) rc = 1;
    if (sl.f) status_log_frame(&sl, sc, &m, 0, frames_total, mono_us(), true);
    if (o.stats) {
        int n = ftn;
        double *tmp = malloc(sizeof(double) * (size_t)(n ? n : 1));
        if (tmp) {
            for (int i = 0; i < n; i++)
                tmp[i] = ft[i];
            double el = (double)(mono_us() - t0) / 1e6;
            uint64_t calls, quads;
            draw_stats(d, &calls, &quads);
            printf("citywall-wall stats: %.1f draw calls and %.0f quads per frame, %llu of %llu "
                   "frames repainted only what changed\n",
                   (double)calls / (double)(frames_total ? frames_total : 1),
                   (double)quads / (double)(frames_total ? frames_total : 1),
                   (unsigned long long)partial_frames, (unsigned long long)frames_total);
            printf("citywall-wall stats: %llu frames in %.1f s (%.1f fps), frame time p50 %.2f ms, "
                   "p90 %.2f ms, p99 %.2f ms, max %.2f ms (last %d frames)\n",
                   (unsigned long long)frames_total, el, el > 0 ? (double)frames_total / el : 0,
                   percentile(tmp, n, 50), percentile(tmp, n, 90), percentile(tmp, n, 99),
                   percentile(tmp, n, 100), n);
            free(tmp);
        }
    }
    hubclient_update_clear(&up);
out:
    if (hc) hubclient_stop(hc);
    scene_destroy(sc);
    text_destroy(t);
    draw_destroy(d);
    gl_fbo_destroy(&canvas);
    gl_fbo_destroy(&output);
    gl_fbo_destroy(&layer);
    gl_fbo_destroy(&base);
    model_free(&m);
    free(ft);
    if (plog) fclose(plog);
    if (sl.f) fclose(sl.f);
    json_decref(sl.ft);
    json_decref(sl.cams);
    SDL_GL_DeleteContext(ctx);
    SDL_DestroyWindow(win);
    SDL_Quit();
    layout_free(L);
    return rc;
}
