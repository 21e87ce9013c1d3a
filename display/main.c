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
#include "fmt.h"
#include "gl.h"
#include "hubclient.h"
#include "layout.h"
#include "model.h"
#include "scene.h"
#include "screenshot.h"
#include "text.h"
#include "thumb.h"
#include "wall_output.h"
#include "wall_stats.h"
#include "wall_window.h"

#ifndef CW_VERSION
#define CW_VERSION "0"
#endif
#ifndef CW_SOURCE_DIR
#define CW_SOURCE_DIR "."
#endif

#define SHOT_WAIT_MS 10000
#define REPORT_MS 10000
#define DUMP_MS 1000
#define THUMB_W 192 /* the fleet report's thumbnail width (the dashboard's 大屏控制) */

typedef struct opts {
    const char *hub, *token, *layout, *viewport, *screenshot, *text_dump, *present_log;
    const char *status_log, *wall;
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
            "                     [--present-log FILE] [--wall ID]\n"
            "  --hub URL            the hub (ws://HOST:PORT; wss://, http://, https:// too);\n"
            "                       again for each hub of a cluster (tried in turn)\n"
            "  --token TOKEN        a wall token (e.g. demo-wall)\n"
            "  --layout FILE        wall layout (default config/walls/1080p.yaml)\n"
            "  --viewport X,Y,W,H   the part of the layout's canvas this machine drives\n"
            "  --wall ID            render the hub-decided state of wall ID (tour, hero pins,\n"
            "                       scene: the live topic wall/ID) instead of a tour of its own\n"
            "  --screenshot FILE    render --frames N frames (60 Hz), write the last as PNG, exit\n"
            "  --frames N           frames to render before the screenshot (default 60)\n"
            "  --text-dump FILE     write the last frame's text items as JSON lines\n"
            "  --stats              print frame time percentiles at exit\n"
            "  --display N          the display to go fullscreen on (default 0)\n"
            "  --windowed           a normal window instead of fullscreen\n"
            "  --status-log FILE    a JSON line {t_ms, frames, ft_ms, cameras, live, auth_failed,\n"
            "                       rev, reconnects, failures, snapshots, resumes, error} when a\n"
            "                       camera stream's state or the hub connection changes, and\n"
            "                       every second\n"
            "  --present-log FILE   a JSON line {t_ms, mono_us, frame, rev, issued} each time a\n"
            "                       frame showing a new city state has been presented\n"
            "                       (event-to-glass)\n");
}

static int parse_args(int argc, char **argv, opts *o)
{
    static const struct option lo[] = {
        {"hub", required_argument, 0, 'H'},         {"token", required_argument, 0, 'T'},
        {"layout", required_argument, 0, 'L'},      {"viewport", required_argument, 0, 'V'},
        {"screenshot", required_argument, 0, 'S'},  {"frames", required_argument, 0, 'F'},
        {"text-dump", required_argument, 0, 'D'},   {"stats", no_argument, 0, 's'},
        {"display", required_argument, 0, 'd'},     {"windowed", no_argument, 0, 'w'},
        {"present-log", required_argument, 0, 'P'}, {"status-log", required_argument, 0, 'G'},
        {"wall", required_argument, 0, 'W'},        {"help", no_argument, 0, 'h'},
        {"version", no_argument, 0, 'v'},           {0, 0, 0, 0}};
    memset(o, 0, sizeof *o);
    o->frames = -1;
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        char *end;
        switch (c) {
        case 'H': /* given several times: the hubs of a cluster, tried in turn */
            if (o->hub) {
                static char hubs[2048];
                if (o->hub != hubs) snprintf(hubs, sizeof hubs, "%s", o->hub);
                size_t n = strlen(hubs);
                snprintf(hubs + n, sizeof hubs - n, ",%s", optarg);
                o->hub = hubs;
            } else {
                o->hub = optarg;
            }
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
        case 'W':
            o->wall = optarg;
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

static int write_dump(text_t *t, const model *m, const char *path)
{
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f) {
        fprintf(stderr, "citywall-wall: %s: cannot write\n", tmp);
        return -1;
    }
    int rc = text_dump_write(t, f);
    if (rc == 0 && m->wall.on) { /* the hub-decided state this frame shows (tests) */
        json_t *o =
            json_pack("{s:s,s:s,s:I,s:I,s:s,s:s,s:s,s:b}", "panel", "wall", "wall", m->wall.id,
                      "rev", (json_int_t)m->wall.rev, "step", (json_int_t)m->wall.step, "scene",
                      m->wall.scene, "hero", m->wall.hero ? m->wall.hero_hall : "", "hero_id",
                      m->wall.hero_id, "cleared", m->wall.hero_cleared);
        char *txt = o ? json_dumps(o, JSON_COMPACT) : NULL;
        if (!txt || fprintf(f, "%s\n", txt) < 0) rc = -1;
        free(txt);
        json_decref(o);
    }
    if (fclose(f) != 0) rc = -1;
    if (rc == 0 && rename(tmp, path) != 0) rc = -1;
    if (rc < 0) fprintf(stderr, "citywall-wall: %s: cannot write the text dump\n", path);
    return rc;
}

/* The layout and the viewport asked for: 0, or the exit code (a usage error, reported). */
static int load_layout(const opts *o, layout **out, const char **lpath, char *lbuf, size_t lbufn,
                       layout_rect *vp, layout_region *regions, int *nreg, int *out_w, int *out_h)
{
    *lpath = o->layout ? o->layout : default_layout(lbuf, lbufn);
    char *errs = NULL;
    layout *L = layout_load(*lpath, &errs);
    if (!L) {
        fprintf(stderr, "%s", errs ? errs : "citywall-wall: cannot load the layout\n");
        free(errs);
        return 2;
    }
    *vp = (layout_rect){0, 0, (float)L->canvas_w, (float)L->canvas_h};
    if (o->viewport && layout_parse_viewport(o->viewport, vp) < 0) {
        fprintf(stderr, "citywall-wall: --viewport %s: expected X,Y,W,H (integers)\n", o->viewport);
        layout_free(L);
        return 2;
    }
    *nreg = layout_viewport(L, *vp, regions, LAYOUT_MAX_REGIONS, out_w, out_h);
    if (*nreg < 0) {
        fprintf(stderr,
                "citywall-wall: --viewport %d,%d,%d,%d: outside the %dx%d canvas of %s, or it "
                "shows no screen pixel\n",
                (int)vp->x, (int)vp->y, (int)vp->w, (int)vp->h, L->canvas_w, L->canvas_h, *lpath);
        layout_free(L);
        return 2;
    }
    *out = L;
    return 0;
}

/* Everything the loop works with (render thread). */
typedef struct wall {
    opts o;
    layout *L;
    wall_window win;
    wall_output out;
    wall_stats stats;
    draw_t *d;
    text_t *t;
    scene *sc;
    hubclient *hc;
    model m;
    hub_update up;
} wall;

/* A hub-decided wall switched scenes (--wall): the panels of the new scene replace the old ones
 * (layout_panel_shown), drawn from scratch. Returns false when the new scene cannot be built
 * (the old one stays). */
static bool switch_scene(wall *w)
{
    const char *want = w->m.wall.scene;
    if (!w->m.wall.on || !want[0] || !strcmp(want, w->L->scene)) return false;
    char old[sizeof w->L->scene], err[512] = "";
    snprintf(old, sizeof old, "%s", w->L->scene);
    snprintf(w->L->scene, sizeof w->L->scene, "%s", want);
    scene *ns = scene_create(w->L, wake, NULL, err, sizeof err);
    if (!ns) {
        fprintf(stderr, "citywall-wall: scene %s: %s\n", want, err);
        snprintf(w->L->scene, sizeof w->L->scene, "%s", old);
        return false;
    }
    scene_destroy(w->sc);
    w->sc = ns;
    for (int g = 0; g <= 1 + 2 * LAYOUT_MAX_PANELS; g++) /* the old panels' text */
        text_dump_clear(w->t, g);
    wall_output_new_scene(&w->out);
    fprintf(stderr, "citywall-wall: scene %s (was %s)\n", want, old);
    return true;
}

/* The frame just presented, small, for the fleet report: the output framebuffer, or the
 * window's back buffer where nothing is swapped (llvmpipe copies changed rectangles); after a
 * real swap the back buffer is undefined, so the cached layers (no video tiles) stand in. */
static char *report_thumb(wall *w, GLuint outfb)
{
    const wall_output *o = &w->out;
    if (!o->direct) return thumb_data_url(outfb, GL_COLOR_ATTACHMENT0, o->out_w, o->out_h, THUMB_W);
    if (o->subcopy) return thumb_data_url(0, GL_BACK, o->out_w, o->out_h, THUMB_W);
    return thumb_data_url(o->base.fbo, GL_COLOR_ATTACHMENT0, (int)o->vp.w, (int)o->vp.h, THUMB_W);
}

/* Waits for SDL events until wait_us passes (quit keys end the loop, exposure repaints all);
 * then takes the hub's news. Returns true when something must be drawn again. */
static bool wait_events(wall *w, int64_t wait_us, bool *running)
{
    SDL_Event e;
    bool changed = false;
    if (wait_us > 0 && SDL_WaitEventTimeout(&e, (int)((wait_us + 999) / 1000))) {
        do {
            if (e.type == SDL_QUIT)
                *running = false;
            else if (e.type == SDL_KEYDOWN &&
                     (e.key.keysym.sym == SDLK_ESCAPE || e.key.keysym.sym == SDLK_q))
                *running = false;
            else if (e.type == SDL_WINDOWEVENT) {
                wall_output_invalidate(&w->out);
                changed = true;
            }
        } while (SDL_PollEvent(&e));
    }
    atomic_store(&wake_pending, false);
    if (!hubclient_take(w->hc, &w->up)) return changed;
    model_apply(&w->m, &w->up);
    switch_scene(w);
    return true;
}

/* The loop: a frame when something changed (new state, a new second) as soon as the frame cap
 * allows, at the animation rate while something moves, else sleep until the next second.
 * Returns the exit code. */
static int run(wall *w)
{
    const opts *o = &w->o;
    layout *L = w->L;
    int64_t t0 = wall_mono_us(), next_frame = t0, last_report = t0, last_dump = t0, last_frame = 0;
    int64_t anim_us = 1000000 / L->anim_fps;
    int64_t frame_us = 1000000 / (o->screenshot ? 60 : L->fps);
    int64_t last_second = -1, shot_deadline = 0;
    int frames = 0, rc = 0;
    bool running = true, dirty = true;
    while (running) {
        int64_t now = wall_mono_us();
        scene_frame fr = {.d = w->d, .t = w->t, .m = &w->m, .l = L, .s = L->scale};
        fr.real_ms = cwt_real_ms();
        fr.now_ms = model_now(&w->m);
        fr.stale = !w->m.connected;
        fr.anim_s = (double)(now - t0) / 1e6;
        bool animating = scene_animating(w->sc, &fr);
        int64_t sec = fr.real_ms / 1000;
        /* a new state or a new second: as soon as the frame cap allows; only something moving
         * (pulses, video): at the animation rate */
        bool want = o->screenshot || dirty || sec != last_second;
        int64_t due = next_frame;
        if (!want && animating) {
            want = true;
            if (last_frame + anim_us > due) due = last_frame + anim_us;
        }
        int64_t to_second = (sec + 1) * 1000000 - fr.real_ms * 1000;
        int64_t wait_us = want ? (due > now ? due - now : 0) : to_second;
        if (!o->screenshot && wait_us > to_second) wait_us = to_second; /* the clock's second */
        if (wait_us > 0) {
            if (wait_events(w, wait_us, &running)) dirty = true;
            continue; /* re-evaluate with the new time */
        }
        if (wait_events(w, 0, &running)) dirty = true;
        fr.real_ms = cwt_real_ms();
        fr.now_ms = model_now(&w->m);
        fr.stale = !w->m.connected;
        fr.exact = o->screenshot != NULL;
        model_sample_trend(&w->m);

        int64_t f0 = wall_mono_us();
        text_frame_begin(w->t);
        GLuint outfb =
            wall_output_frame(&w->out, w->sc, w->d, &fr, &w->win, &w->stats.partial_frames);
        int64_t f1 = wall_mono_us();
        wall_stats_frame(&w->stats, w->sc, &w->m, f0, f1);
        if (w->m.glass_ack_ms) { /* this frame showed a change the hub acknowledged then */
            double ms = (double)(cwt_real_ms() - w->m.glass_ack_ms);
            w->m.glass_p50_ms = wall_stats_glass(&w->stats, ms < 0 ? 0 : ms);
            w->m.glass_ack_ms = 0;
        }
        frames++;
        dirty = false;
        last_second = fr.real_ms / 1000;
        next_frame += frame_us;
        if (next_frame < f1 - frame_us) next_frame = f1; /* fell behind: don't catch up */
        last_frame = f0;
        if (o->text_dump && f1 - last_dump >= DUMP_MS * 1000) {
            write_dump(w->t, &w->m, o->text_dump);
            last_dump = f1;
        }
        if (f1 - last_report >= REPORT_MS * 1000) {
            last_report = f1;
            json_t *rep = wall_stats_report(&w->stats, w->sc, &w->m, w->out.vp);
            char *thumb = rep && !o->screenshot ? report_thumb(w, outfb) : NULL;
            if (thumb) json_object_set_new(rep, "thumb", json_string(thumb));
            free(thumb);
            char *txt = rep ? json_dumps(rep, JSON_COMPACT) : NULL;
            if (txt) hubclient_report(w->hc, txt);
            free(txt);
            json_decref(rep);
        }
        if (o->screenshot && frames >= o->frames) {
            if (!shot_deadline) shot_deadline = f1 + SHOT_WAIT_MS * 1000;
            bool waiting_data = (!w->m.city || !w->m.registry ||
                                 (!w->m.province && layout_has_source(w->L, "province"))) &&
                                w->m.failures == 0;
            bool waiting_cams = !scene_ready(w->sc);
            if ((!waiting_data && !waiting_cams) || f1 >= shot_deadline) {
                if (waiting_cams)
                    fprintf(stderr, "citywall-wall: screenshot: some camera tiles have no frame "
                                    "after 10 s\n");
                glBindFramebuffer(GL_READ_FRAMEBUFFER, outfb);
                if (screenshot_save(o->screenshot, w->out.out_w, w->out.out_h) < 0) rc = 1;
                running = false;
            }
        }
    }
    if (o->text_dump && write_dump(w->t, &w->m, o->text_dump) < 0) rc = 1;
    return rc;
}

/* The drawing modules, the output and the hub client, once the window exists. 0, or the exit
 * code (reported). */
static int start(wall *w, layout_rect vp, const layout_region *regions, int nreg, int out_w,
                 int out_h)
{
    char err[4096] = "";
    if (wall_stats_open(&w->stats, w->o.status_log, w->o.present_log, wall_mono_us(), err,
                        sizeof err) < 0) {
        fprintf(stderr, "citywall-wall: %s\n", err);
        return 2;
    }
    if (!(w->d = draw_create(err, sizeof err)) ||
        !(w->t = text_create(w->d, TEXT_FONT_REGULAR, TEXT_FONT_BOLD, TEXT_FACE_SC, err,
                             sizeof err))) {
        fprintf(stderr, "citywall-wall: %s\n", err);
        return 1;
    }
    if (w->o.text_dump) text_dump_enable(w->t, true);
    if (!(w->sc = scene_create(w->L, wake, NULL, err, sizeof err))) {
        fprintf(stderr, "%s", err);
        return 2;
    }
    if (wall_output_init(&w->out, vp, regions, nreg, out_w, out_h, &w->win,
                         w->o.screenshot != NULL) < 0)
        return 1;
    if (w->o.wall) {
        w->m.wall.on = true;
        snprintf(w->m.wall.id, sizeof w->m.wall.id, "%s", w->o.wall);
    }
    if (!(w->hc = hubclient_start_ex(w->o.hub, w->o.token, w->o.wall,
                                     layout_has_source(w->L, "province"), wake, NULL, err,
                                     sizeof err))) {
        fprintf(stderr, "citywall-wall: %s\n", err);
        return 2;
    }
    return 0;
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
    static wall w;
    int rc = parse_args(argc, argv, &w.o);
    if (rc) return rc;
    char lbuf[4096];
    const char *lpath;
    layout_rect vp;
    layout_region regions[LAYOUT_MAX_REGIONS];
    int nreg = 0, out_w = 0, out_h = 0;
    rc = load_layout(&w.o, &w.L, &lpath, lbuf, sizeof lbuf, &vp, regions, &nreg, &out_w, &out_h);
    if (rc) return rc;
    fmt_set_english(w.L->lang == LAYOUT_LANG_EN);
    cwt_set_timezone("Asia/Shanghai");

    /* Without a display SDL falls through its drivers (a Wayland warning about XDG_RUNTIME_DIR,
     * then a window nobody sees) and the wall would run blind: refuse, as a usage error. */
    if (!getenv("DISPLAY") && !getenv("WAYLAND_DISPLAY") && !getenv("SDL_VIDEODRIVER")) {
        fprintf(stderr, "citywall-wall: no display: set DISPLAY or SDL_VIDEODRIVER=offscreen\n");
        layout_free(w.L);
        return 2;
    }
    SDL_SetHint(SDL_HINT_NO_SIGNAL_HANDLERS, "0");
    SDL_SetHint(SDL_HINT_VIDEO_MINIMIZE_ON_FOCUS_LOSS, "0");
    if (SDL_Init(SDL_INIT_VIDEO | SDL_INIT_EVENTS) != 0) {
        fprintf(stderr,
                "citywall-wall: SDL: %s (no display? run under xvfb-run, or set "
                "SDL_VIDEODRIVER=offscreen)\n",
                SDL_GetError());
        layout_free(w.L);
        return 1;
    }
    wake_event = SDL_RegisterEvents(1);
    char err[512];
    if (wall_window_open(&w.win, w.o.display, w.o.windowed, w.o.screenshot != NULL, out_w, out_h,
                         err, sizeof err) < 0) {
        fprintf(stderr, "citywall-wall: %s\n", err);
        SDL_Quit();
        layout_free(w.L);
        return 1;
    }
    fprintf(stderr,
            "citywall-wall: %s, GL %s (%s), layout %s canvas %dx%d, viewport %d,%d,%d,%d "
            "-> output %dx%d in %d region%s, window %dx%d%s\n",
            gl_is_es() ? "OpenGL ES" : "OpenGL", (const char *)glGetString(GL_VERSION),
            (const char *)glGetString(GL_RENDERER), lpath, w.L->canvas_w, w.L->canvas_h, (int)vp.x,
            (int)vp.y, (int)vp.w, (int)vp.h, out_w, out_h, nreg, nreg == 1 ? "" : "s", w.win.w,
            w.win.h, w.win.vsync ? ", vsync" : "");
    model_init(&w.m);
    memset(&w.up, 0, sizeof w.up);
    rc = start(&w, vp, regions, nreg, out_w, out_h);
    bool ran = !rc;
    if (ran) rc = run(&w);
    wall_stats_close(&w.stats, ran ? w.sc : NULL, &w.m, w.d, w.o.stats && ran);
    hubclient_update_clear(&w.up);
    if (w.hc) hubclient_stop(w.hc);
    scene_destroy(w.sc);
    text_destroy(w.t);
    draw_destroy(w.d);
    wall_output_destroy(&w.out);
    model_free(&w.m);
    wall_window_close(&w.win);
    SDL_Quit();
    layout_free(w.L);
    return rc;
}
