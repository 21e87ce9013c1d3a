/* sim_rtsp: the sim's RTSP cameras (gst-rtsp-server), their on/off state and control channel.
 *
 * Design. One shared GstRTSPMediaFactory per mount (two per camera). A media is built from a
 * launch line when the first client plays the mount: videotestsrc (moving ball on a per-camera
 * tint) -> textoverlay (hall + camera name) -> clockoverlay -> valve "gate" -> x264enc
 * (zerolatency, ultrafast, one thread) -> rtph264pay. Stopping a camera closes the gate of
 * each of its running medias, so nothing is encoded or sent while it is dead; opening it
 * again asks the encoder for a key frame so the clients' decoders resume at once. A key frame
 * is also requested on every PLAY, so a new client does not wait for the next GOP.
 *
 * Invariants (all under mu):
 *  1. cam->live == (cam->model_on && !cam->forced_off) once cam_apply has run.
 *  2. Every running media of a camera is in its stream's weak list, and its gate is closed
 *     exactly when the camera is not live.
 *  3. pend holds the hand-made live changes not yet taken by sim_rtsp_take_events, in order.
 */
#ifdef CW_SIM_RTSP

#include "sim_rtsp.h"

#include <errno.h>
#include <fcntl.h>
#include <glib-unix.h>
#include <gst/gst.h>
#include <gst/rtsp-server/rtsp-server.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "event.h"
#include "sim_rng.h"

#define CTL_LINE_MAX 512

enum { STREAM_MAIN, STREAM_SUB };

typedef struct rtsp_cam rtsp_cam;

typedef struct rtsp_stream {
    rtsp_cam *cam;
    int kind;
    GPtrArray *medias; /* GWeakRef * to GstRTSPMedia (mu) */
} rtsp_stream;

struct rtsp_cam {
    sim_rtsp *r;
    int hall; /* index into cfg->halls */
    const cfg_camera *cfg;
    char title[512];
    guint bg;                        /* ARGB tint of the scene */
    bool model_on, forced_off, live; /* mu */
    rtsp_stream st[2];
};

typedef struct rtsp_change {
    int cam;
    bool live;
} rtsp_change;

struct sim_rtsp {
    const cfg_t *cfg;
    char base[64];
    GMutex mu;
    rtsp_cam *cams;
    int ncams;
    rtsp_change *pend; /* mu */
    size_t npend, cappend;
    int64_t *seq; /* per hall, camera feed (caller's thread) */
    bool have_text;

    GMainContext *ctx;
    GMainLoop *loop;
    GThread *thread;
    GstRTSPServer *server;
    guint server_src;

    /* control channel (server thread) */
    int ctl_fd;
    bool ctl_own_fd;
    char *fifo_made; /* path of a FIFO this process created, unlinked at stop */
    GSource *ctl_src;
    char line[CTL_LINE_MAX];
    size_t linelen;
    bool line_overflow;

    /* --rtsp-outage (server thread) */
    int outage_cam;
    guint outage_for_ms;
};

/* ---- cameras ---- */

static rtsp_cam *cam_find(sim_rtsp *r, const char *id, size_t len)
{
    for (int i = 0; i < r->ncams; i++) {
        const char *cid = r->cams[i].cfg->id;
        if (strlen(cid) == len && memcmp(cid, id, len) == 0) return &r->cams[i];
    }
    return NULL;
}

/* "/<camera>/main" or "/<camera>/sub": the camera, NULL for any other path. */
static rtsp_cam *cam_by_path(sim_rtsp *r, const char *path)
{
    if (!path || path[0] != '/') return NULL;
    const char *slash = strrchr(path, '/');
    if (slash == path || (strcmp(slash, "/main") != 0 && strcmp(slash, "/sub") != 0)) return NULL;
    return cam_find(r, path + 1, (size_t)(slash - path - 1));
}

static void media_request_key_frame(GstElement *bin)
{
    GstElement *pay = gst_bin_get_by_name(GST_BIN(bin), "pay0");
    if (!pay) return;
    GstPad *src = gst_element_get_static_pad(pay, "src");
    if (src) {
        GstStructure *s = gst_structure_new("GstForceKeyUnit", "running-time", GST_TYPE_CLOCK_TIME,
                                            GST_CLOCK_TIME_NONE, "all-headers", G_TYPE_BOOLEAN,
                                            TRUE, "count", G_TYPE_UINT, 0, NULL);
        gst_pad_send_event(src, gst_event_new_custom(GST_EVENT_CUSTOM_UPSTREAM, s));
        gst_object_unref(src);
    }
    gst_object_unref(pay);
}

/* Open or close the gate of one media; opening asks for a key frame. */
static void media_gate(GstRTSPMedia *media, bool live)
{
    GstElement *bin = gst_rtsp_media_get_element(media);
    if (!bin) return;
    GstElement *gate = gst_bin_get_by_name(GST_BIN(bin), "gate");
    if (gate) {
        g_object_set(gate, "drop", !live, NULL);
        gst_object_unref(gate);
    }
    if (live) media_request_key_frame(bin);
    gst_object_unref(bin);
}

static void weak_free(gpointer p)
{
    g_weak_ref_clear(p);
    g_free(p);
}

/* mu held. Applies invariant 1 and 2 after a change of model_on or forced_off; returns
 * whether live changed. */
static bool cam_apply(rtsp_cam *c)
{
    bool live = c->model_on && !c->forced_off;
    if (live == c->live) return false;
    c->live = live;
    for (int s = 0; s < 2; s++) {
        GPtrArray *a = c->st[s].medias;
        for (guint i = 0; i < a->len;) {
            GstRTSPMedia *m = g_weak_ref_get(a->pdata[i]);
            if (!m) {
                g_ptr_array_remove_index_fast(a, i);
                continue;
            }
            media_gate(m, live);
            g_object_unref(m);
            i++;
        }
    }
    return true;
}

/* A hand-made change: forced_off for camera c, announced when it changes what streams. */
static void cam_force(sim_rtsp *r, rtsp_cam *c, bool off, const char *why)
{
    g_mutex_lock(&r->mu);
    c->forced_off = off;
    bool changed = cam_apply(c);
    bool live = c->live;
    if (changed) {
        if (r->npend == r->cappend) {
            size_t cap = r->cappend ? r->cappend * 2 : 16;
            rtsp_change *p = realloc(r->pend, cap * sizeof *p);
            if (p) {
                r->pend = p;
                r->cappend = cap;
            }
        }
        if (r->npend < r->cappend)
            r->pend[r->npend++] = (rtsp_change){.cam = (int)(c - r->cams), .live = live};
    }
    g_mutex_unlock(&r->mu);
    fprintf(stderr, "citywall-sim: camera %s %s (%s)%s\n", c->cfg->id, off ? "stopped" : "started",
            why, changed ? "" : (live ? ", was live" : ", stays dead: the model has it offline"));
}

/* ---- the server's signals ---- */

static void on_media_configure(GstRTSPMediaFactory *factory, GstRTSPMedia *media, gpointer ud)
{
    (void)factory;
    rtsp_stream *st = ud;
    rtsp_cam *c = st->cam;
    GstElement *bin = gst_rtsp_media_get_element(media);
    if (bin) {
        GstElement *e = gst_bin_get_by_name(GST_BIN(bin), "title");
        if (e) {
            g_object_set(e, "text", c->title, NULL);
            gst_object_unref(e);
        }
        e = gst_bin_get_by_name(GST_BIN(bin), "scene");
        if (e) {
            g_object_set(e, "background-color", c->bg, NULL);
            gst_object_unref(e);
        }
        gst_object_unref(bin);
    }
    g_mutex_lock(&c->r->mu);
    for (guint i = 0; i < st->medias->len;) {
        GObject *o = g_weak_ref_get(st->medias->pdata[i]);
        if (!o) {
            g_ptr_array_remove_index_fast(st->medias, i);
            continue;
        }
        g_object_unref(o);
        i++;
    }
    GWeakRef *w = g_new0(GWeakRef, 1);
    g_weak_ref_init(w, media);
    g_ptr_array_add(st->medias, w);
    if (!c->live) media_gate(media, false);
    g_mutex_unlock(&c->r->mu);
}

static GstRTSPStatusCode on_pre_describe(GstRTSPClient *client, GstRTSPContext *ctx, gpointer ud)
{
    (void)client;
    sim_rtsp *r = ud;
    rtsp_cam *c = ctx->uri ? cam_by_path(r, ctx->uri->abspath) : NULL;
    if (!c) return GST_RTSP_STS_OK; /* unknown paths get the server's 404 */
    g_mutex_lock(&r->mu);
    bool live = c->live;
    g_mutex_unlock(&r->mu);
    return live ? GST_RTSP_STS_OK : GST_RTSP_STS_SERVICE_UNAVAILABLE;
}

static void on_play(GstRTSPClient *client, GstRTSPContext *ctx, gpointer ud)
{
    (void)client;
    (void)ud;
    GstRTSPMedia *media = ctx->media;
    if (!media && ctx->sessmedia) media = gst_rtsp_session_media_get_media(ctx->sessmedia);
    if (!media) return;
    GstElement *bin = gst_rtsp_media_get_element(media);
    if (bin) {
        media_request_key_frame(bin);
        gst_object_unref(bin);
    }
}

static void on_client(GstRTSPServer *server, GstRTSPClient *client, gpointer ud)
{
    (void)server;
    g_signal_connect(client, "pre-describe-request", G_CALLBACK(on_pre_describe), ud);
    g_signal_connect(client, "play-request", G_CALLBACK(on_play), ud);
}

/* ---- control channel ---- */

static void ctl_command(sim_rtsp *r, char *line)
{
    char *save = NULL;
    char *verb = strtok_r(line, " \t\r", &save);
    if (!verb || verb[0] == '#') return;
    char *id = strtok_r(NULL, " \t\r", &save);
    char *extra = id ? strtok_r(NULL, " \t\r", &save) : NULL;
    bool stop = strcmp(verb, "stop") == 0, start = strcmp(verb, "start") == 0;
    if ((!stop && !start) || !id || extra) {
        fprintf(stderr, "citywall-sim: control: '%s': expected 'stop CAM-ID' or 'start CAM-ID'\n",
                verb);
        return;
    }
    rtsp_cam *c = cam_find(r, id, strlen(id));
    if (!c) {
        fprintf(stderr,
                "citywall-sim: control: unknown camera '%s' (or its hall is not simulated)\n", id);
        return;
    }
    cam_force(r, c, stop, "control");
}

static gboolean on_ctl_readable(gint fd, GIOCondition cond, gpointer ud)
{
    (void)cond;
    sim_rtsp *r = ud;
    char buf[1024];
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) return G_SOURCE_CONTINUE;
    if (n <= 0) return G_SOURCE_REMOVE; /* EOF or a broken channel: no more commands */
    for (ssize_t i = 0; i < n; i++) {
        if (buf[i] == '\n') {
            r->line[r->linelen] = '\0';
            if (r->line_overflow)
                fprintf(stderr, "citywall-sim: control: line too long, ignored\n");
            else
                ctl_command(r, r->line);
            r->linelen = 0;
            r->line_overflow = false;
        } else if (r->linelen + 1 < sizeof r->line) {
            r->line[r->linelen++] = buf[i];
        } else {
            r->line_overflow = true;
        }
    }
    return G_SOURCE_CONTINUE;
}

static int ctl_open(sim_rtsp *r, const char *control)
{
    if (strcmp(control, "-") == 0) {
        r->ctl_fd = STDIN_FILENO;
        return 0;
    }
    struct stat sb;
    if (stat(control, &sb) == 0) {
        if (!S_ISFIFO(sb.st_mode)) {
            fprintf(stderr, "citywall-sim: --rtsp-control: %s exists and is not a FIFO\n", control);
            return -1;
        }
    } else {
        if (mkfifo(control, 0600) < 0) {
            fprintf(stderr, "citywall-sim: --rtsp-control: cannot create FIFO %s: %s\n", control,
                    strerror(errno));
            return -1;
        }
        r->fifo_made = g_strdup(control);
    }
    /* read-write: the FIFO never reports EOF when a writer goes away */
    r->ctl_fd = open(control, O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (r->ctl_fd < 0) {
        fprintf(stderr, "citywall-sim: --rtsp-control: cannot open %s: %s\n", control,
                strerror(errno));
        return -1;
    }
    r->ctl_own_fd = true;
    return 0;
}

/* ---- --rtsp-outage ---- */

int sim_rtsp_parse_outage(const char *spec, char *cam, size_t camlen, double *after_s,
                          double *for_s)
{
    const char *at = strrchr(spec, '@');
    if (!at || at == spec || (size_t)(at - spec) >= camlen) return -1;
    char *end;
    errno = 0;
    double a = strtod(at + 1, &end);
    if (errno || end == at + 1 || *end != '+' || !(a >= 0) || a > 1e6) return -1;
    const char *f = end + 1;
    double d = strtod(f, &end);
    if (errno || end == f || *end || !(d > 0) || d > 1e6) return -1;
    memcpy(cam, spec, (size_t)(at - spec));
    cam[at - spec] = '\0';
    *after_s = a;
    *for_s = d;
    return 0;
}

static gboolean on_outage_end(gpointer ud)
{
    sim_rtsp *r = ud;
    cam_force(r, &r->cams[r->outage_cam], false, "end of --rtsp-outage");
    return G_SOURCE_REMOVE;
}

static gboolean on_outage_begin(gpointer ud)
{
    sim_rtsp *r = ud;
    cam_force(r, &r->cams[r->outage_cam], true, "--rtsp-outage");
    GSource *s = g_timeout_source_new(r->outage_for_ms);
    g_source_set_callback(s, on_outage_end, r, NULL);
    g_source_attach(s, r->ctx);
    g_source_unref(s);
    return G_SOURCE_REMOVE;
}

/* ---- the server ---- */

static gpointer server_thread(gpointer ud)
{
    sim_rtsp *r = ud;
    g_main_context_push_thread_default(r->ctx);
    g_main_loop_run(r->loop);
    g_main_context_pop_thread_default(r->ctx);
    return NULL;
}

static bool have_element(const char *name)
{
    GstElementFactory *f = gst_element_factory_find(name);
    if (!f) return false;
    gst_object_unref(f);
    return true;
}

static void add_mount(sim_rtsp *r, GstRTSPMountPoints *mounts, rtsp_cam *c, int kind)
{
    int w = kind == STREAM_MAIN ? 640 : 320, h = kind == STREAM_MAIN ? 360 : 180;
    int kbps = kind == STREAM_MAIN ? 400 : 150;
    int title_pt = kind == STREAM_MAIN ? 14 : 8, clock_pt = kind == STREAM_MAIN ? 12 : 7;
    /* The burnt-in text stays in the top band, as a real NVR's OSD: the wall draws its own
     * caption (camera · hall, live dot) over the bottom of every tile, where the clock used to
     * sit. Title (two lines) at the top left, 4 px in; the clock right under it: two title
     * lines at ~1.65 px per point plus the shading. */
    int clock_y = 4 + (int)(2 * 1.65 * title_pt) + 8;
    char overlays[640] = "";
    if (r->have_text)
        snprintf(overlays, sizeof overlays,
                 "textoverlay name=title valignment=top halignment=left line-alignment=left "
                 "xpad=6 ypad=4 shaded-background=true "
                 "auto-resize=false font-desc=\"Sans %d\" ! "
                 "clockoverlay valignment=top halignment=left xpad=6 ypad=%d "
                 "shaded-background=true auto-resize=false font-desc=\"Sans %d\" "
                 "time-format=\"%%Y-%%m-%%d %%H:%%M:%%S\" ! ",
                 title_pt, clock_y, clock_pt);
    char *launch = g_strdup_printf(
        "( videotestsrc name=scene is-live=true pattern=ball motion=wavy ! "
        "video/x-raw,format=I420,width=%d,height=%d,framerate=10/1 ! %s"
        "valve name=gate drop=false ! "
        "x264enc tune=zerolatency speed-preset=ultrafast key-int-max=20 bitrate=%d threads=1 ! "
        "rtph264pay name=pay0 pt=96 config-interval=-1 )",
        w, h, overlays, kbps);
    GstRTSPMediaFactory *f = gst_rtsp_media_factory_new();
    gst_rtsp_media_factory_set_launch(f, launch);
    g_free(launch);
    gst_rtsp_media_factory_set_shared(f, TRUE);
    rtsp_stream *st = &c->st[kind];
    g_signal_connect(f, "media-configure", G_CALLBACK(on_media_configure), st);
    char path[300];
    snprintf(path, sizeof path, "/%s/%s", c->cfg->id, kind == STREAM_MAIN ? "main" : "sub");
    gst_rtsp_mount_points_add_factory(mounts, path, f); /* takes f */
}

sim_rtsp *sim_rtsp_start(const cfg_t *cfg, const sim_rtsp_opts *o)
{
    GError *err = NULL;
    if (!gst_init_check(NULL, NULL, &err)) {
        fprintf(stderr, "citywall-sim: GStreamer failed to initialise: %s\n",
                err ? err->message : "?");
        g_clear_error(&err);
        return NULL;
    }
    static const char *const needed[] = {"videotestsrc", "valve", "x264enc", "rtph264pay"};
    for (size_t i = 0; i < sizeof needed / sizeof needed[0]; i++)
        if (!have_element(needed[i])) {
            fprintf(stderr,
                    "citywall-sim: --rtsp-port: GStreamer element %s is missing "
                    "(gstreamer1.0-plugins-base/-good/-ugly; scripts/setup installs them)\n",
                    needed[i]);
            return NULL;
        }
    sim_rtsp *r = calloc(1, sizeof *r);
    if (!r) return NULL;
    g_mutex_init(&r->mu);
    r->cfg = cfg;
    r->ctl_fd = -1;
    r->outage_cam = -1;
    r->have_text = have_element("textoverlay") && have_element("clockoverlay");
    if (!r->have_text)
        fprintf(stderr, "citywall-sim: textoverlay/clockoverlay missing (gstreamer1.0-x): "
                        "the cameras show no names or clock\n");
    snprintf(r->base, sizeof r->base, "rtsp://127.0.0.1:%d", o->port);
    r->seq = calloc((size_t)(cfg->nhalls > 0 ? cfg->nhalls : 1), sizeof *r->seq);
    int n = 0;
    for (int h = 0; h < cfg->nhalls; h++)
        if (!o->halls || o->halls[h]) n += cfg->halls[h].ncameras;
    r->cams = calloc((size_t)(n > 0 ? n : 1), sizeof *r->cams);
    if (!r->seq || !r->cams) goto fail;
    for (int h = 0; h < cfg->nhalls; h++) {
        if (o->halls && !o->halls[h]) continue;
        const cfg_hall *hall = &cfg->halls[h];
        for (int k = 0; k < hall->ncameras; k++) {
            rtsp_cam *c = &r->cams[r->ncams++];
            c->r = r;
            c->hall = h;
            c->cfg = &hall->cameras[k];
            c->model_on = c->live = true;
            snprintf(c->title, sizeof c->title, "%s  %s\n%s", hall->name, c->cfg->name, c->cfg->id);
            uint64_t hsh = sim_hash_str(c->cfg->id);
            c->bg = 0xff000000u | (guint)(0x18 + (hsh & 0x3f)) << 16 |
                    (guint)(0x20 + ((hsh >> 8) & 0x3f)) << 8 | (guint)(0x30 + ((hsh >> 16) & 0x4f));
            for (int s = 0; s < 2; s++) {
                c->st[s].cam = c;
                c->st[s].kind = s;
                c->st[s].medias = g_ptr_array_new_with_free_func(weak_free);
            }
        }
    }
    if (o->outage) {
        char cam[128];
        double after_s, for_s;
        if (sim_rtsp_parse_outage(o->outage, cam, sizeof cam, &after_s, &for_s) < 0) {
            fprintf(stderr, "citywall-sim: --rtsp-outage: '%s' is not CAM-ID@AFTER+FOR\n",
                    o->outage);
            goto fail;
        }
        rtsp_cam *c = cam_find(r, cam, strlen(cam));
        if (!c) {
            fprintf(stderr, "citywall-sim: --rtsp-outage: unknown camera '%s'\n", cam);
            goto fail;
        }
        r->outage_cam = (int)(c - r->cams);
        r->outage_for_ms = (guint)(for_s * 1000);
        GSource *s = g_timeout_source_new((guint)(after_s * 1000));
        g_source_set_callback(s, on_outage_begin, r, NULL);
        r->ctx = g_main_context_new();
        g_source_attach(s, r->ctx);
        g_source_unref(s);
    }
    if (!r->ctx) r->ctx = g_main_context_new();
    r->loop = g_main_loop_new(r->ctx, FALSE);

    r->server = gst_rtsp_server_new();
    char service[16];
    snprintf(service, sizeof service, "%d", o->port);
    g_object_set(r->server, "address", "127.0.0.1", "service", service, NULL);
    GstRTSPMountPoints *mounts = gst_rtsp_server_get_mount_points(r->server);
    for (int i = 0; i < r->ncams; i++) {
        add_mount(r, mounts, &r->cams[i], STREAM_MAIN);
        add_mount(r, mounts, &r->cams[i], STREAM_SUB);
    }
    g_object_unref(mounts);
    g_signal_connect(r->server, "client-connected", G_CALLBACK(on_client), r);
    r->server_src = gst_rtsp_server_attach(r->server, r->ctx);
    if (r->server_src == 0) {
        fprintf(stderr, "citywall-sim: --rtsp-port: cannot listen on 127.0.0.1:%d\n", o->port);
        goto fail;
    }
    if (o->control) {
        if (ctl_open(r, o->control) < 0) goto fail;
        r->ctl_src = g_unix_fd_source_new(r->ctl_fd, G_IO_IN | G_IO_HUP | G_IO_ERR);
        g_source_set_callback(r->ctl_src, G_SOURCE_FUNC(on_ctl_readable), r, NULL);
        g_source_attach(r->ctl_src, r->ctx);
    }
    r->thread = g_thread_new("sim-rtsp", server_thread, r);
    fprintf(stderr, "citywall-sim: RTSP cameras at %s/<camera>/main|sub (%d cameras)%s%s\n",
            r->base, r->ncams, o->control ? ", control on " : "",
            o->control ? (strcmp(o->control, "-") == 0 ? "stdin" : o->control) : "");
    return r;
fail:
    sim_rtsp_stop(r);
    return NULL;
}

static GstRTSPFilterResult remove_client(GstRTSPServer *server, GstRTSPClient *client, gpointer ud)
{
    (void)server;
    (void)client;
    (void)ud;
    return GST_RTSP_FILTER_REMOVE;
}

static gboolean server_quit(gpointer ud)
{
    sim_rtsp *r = ud;
    gst_rtsp_server_client_filter(r->server, remove_client, NULL);
    g_main_loop_quit(r->loop);
    return G_SOURCE_REMOVE;
}

void sim_rtsp_stop(sim_rtsp *r)
{
    if (!r) return;
    if (r->thread) {
        g_main_context_invoke(r->ctx, server_quit, r);
        g_thread_join(r->thread);
    } else if (r->server) {
        gst_rtsp_server_client_filter(r->server, remove_client, NULL);
    }
    if (r->ctl_src) {
        g_source_destroy(r->ctl_src);
        g_source_unref(r->ctl_src);
    }
    if (r->ctl_own_fd) close(r->ctl_fd);
    if (r->fifo_made) unlink(r->fifo_made);
    g_free(r->fifo_made);
    if (r->server_src) {
        GSource *s = g_main_context_find_source_by_id(r->ctx, r->server_src);
        if (s) g_source_destroy(s);
    }
    if (r->server) g_object_unref(r->server);
    if (r->loop) g_main_loop_unref(r->loop);
    if (r->ctx) {
        while (g_main_context_iteration(r->ctx, FALSE)) {
        }
        g_main_context_unref(r->ctx);
    }
    for (int i = 0; i < r->ncams; i++)
        for (int s = 0; s < 2; s++)
            if (r->cams[i].st[s].medias) g_ptr_array_unref(r->cams[i].st[s].medias);
    free(r->cams);
    free(r->seq);
    free(r->pend);
    g_mutex_clear(&r->mu);
    free(r);
}

const char *sim_rtsp_base(const sim_rtsp *r)
{
    return r->base;
}

/* ---- events ---- */

static int evbuf_add(sim_evbuf *b, const sim_event *ev)
{
    if (b->n == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 64;
        sim_event *v = realloc(b->v, cap * sizeof *v);
        if (!v) return -1;
        b->v = v;
        b->cap = cap;
    }
    b->v[b->n++] = *ev;
    return 0;
}

void sim_rtsp_model_events(sim_rtsp *r, sim_evbuf *evs)
{
    for (size_t i = 0; i < evs->n; i++) {
        sim_event *ev = &evs->v[i];
        if (ev->type != EV_CAMERA_STATUS) continue;
        const char *id = json_string_value(json_object_get(ev->data, "camera"));
        const char *status = json_string_value(json_object_get(ev->data, "status"));
        rtsp_cam *c = id ? cam_find(r, id, strlen(id)) : NULL;
        if (!c || !status) continue;
        bool online = strcmp(status, "online") == 0;
        g_mutex_lock(&r->mu);
        c->model_on = online;
        bool changed = cam_apply(c);
        bool forced = c->forced_off;
        g_mutex_unlock(&r->mu);
        if (changed)
            fprintf(stderr, "citywall-sim: camera %s %s (model: %s)\n", id,
                    online ? "started" : "stopped", status);
        if (online && forced) {
            json_object_set_new(ev->data, "status", json_string("offline"));
            json_object_del(ev->data, "main");
            json_object_del(ev->data, "sub");
        }
    }
}

int sim_rtsp_take_events(sim_rtsp *r, int64_t at_ms, sim_evbuf *out)
{
    g_mutex_lock(&r->mu);
    rtsp_change *p = r->pend;
    size_t n = r->npend;
    r->pend = NULL;
    r->npend = r->cappend = 0;
    g_mutex_unlock(&r->mu);
    int added = 0;
    for (size_t i = 0; i < n; i++) {
        const rtsp_cam *c = &r->cams[p[i].cam];
        json_t *d = json_pack("{s:s, s:s}", "camera", c->cfg->id, "status",
                              ev_cam_status_name(p[i].live ? EV_CAM_ONLINE : EV_CAM_OFFLINE));
        if (d && p[i].live) {
            char url[600];
            snprintf(url, sizeof url, "%s/%s/main", r->base, c->cfg->id);
            json_object_set_new(d, "main", json_string(url));
            snprintf(url, sizeof url, "%s/%s/sub", r->base, c->cfg->id);
            json_object_set_new(d, "sub", json_string(url));
        }
        sim_event ev = {.hall = c->hall,
                        .seq = r->seq[c->hall] + 1,
                        .at_ms = at_ms,
                        .type = EV_CAMERA_STATUS,
                        .data = d};
        if (!d || evbuf_add(out, &ev) < 0) {
            json_decref(d);
            free(p);
            return -1;
        }
        r->seq[c->hall]++;
        added++;
    }
    free(p);
    return added;
}

#if defined(__SANITIZE_ADDRESS__)
/* LeakSanitizer (ASan builds only): GLib keeps its first quark block when the table grows and
 * fontconfig (pango's textoverlay) caches patterns for the process's life; neither is ours. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
    return "leak:libglib-2.0.so\nleak:libfontconfig.so\n";
}
#endif

#else
typedef int sim_rtsp_not_built; /* built without gst-rtsp-server */
#endif
