/* video: camera tiles -- RTSP pipelines on a worker thread, newest-frame handover, GL upload.
 *
 * Design. A tile (video_t) is shared by three parties:
 *  - the caller (render thread, or whoever opened it) holds the handle until video_close;
 *  - the worker thread (one for the process) owns the tile's pipeline lifecycle: it builds a
 *    pipeline (rtspsrc -> decodebin -> videoconvert -> appsink), watches it on its own clock
 *    every VIDEO_TICK_MS and retires it when it fails (bus ERROR/EOS, flagged from the bus sync
 *    handler) or stalls (no frame for VIDEO_NO_SIGNAL_MS, or no first frame for
 *    VIDEO_FIRST_FRAME_MS), then builds a new one after a backoff (0.5 s doubling to 10 s,
 *    back to 0.5 s once a pipeline has delivered a frame);
 *  - GStreamer's streaming thread hands each decoded frame over by swapping the tile's newest
 *    sample under the tile lock (appsink max-buffers=1 drop=true, so a slow renderer only ever
 *    sees the newest frame), then calls wake(ud).
 * A retired pipeline is set to NULL and freed on a teardown thread pool, never on the worker or
 * the render thread: a dead camera's teardown may block, and nothing else waits for it.
 *
 * Invariants:
 *  1. A tile is freed when its last reference goes: one for the handle (dropped by the worker
 *     after video_close) and one per pipeline not yet torn down.
 *  2. After video_close returns, wake is never called again (the streaming thread and the
 *     worker call it only under the tile lock while `closed` is false).
 *  3. A pipeline's callbacks only touch its vpipe and its tile; the vpipe outlives the
 *     pipeline (it is freed after the pipeline is set to NULL and its bus handler removed).
 *  4. State is computed when asked, from the monotonic time of the newest frame: NO SIGNAL
 *     does not depend on the worker's tick or on rtspsrc's own timeouts.
 */
#include "video.h"

#include <epoxy/gl.h>
#include <gst/app/gstappsink.h>
#include <gst/gst.h>
#include <gst/video/video.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define VIDEO_TICK_MS 50
#define VIDEO_FIRST_FRAME_MS 5000 /* a new pipeline must deliver its first frame this soon */
#define VIDEO_BACKOFF_MIN_MS 500
#define VIDEO_BACKOFF_MAX_MS 10000
#define VIDEO_RTSP_LATENCY_MS 150
#define VIDEO_RTSP_TCP_TIMEOUT_US 3000000
#define VIDEO_RTSP_TEARDOWN_NS 100000000
#define VIDEO_TRIM_EVERY_MS 30000 /* give freed heap pages back after teardowns, this often */

typedef struct vpipe {
    video_t *v;
    GstElement *pipe;
    GstElement *decode, *convert; /* borrowed from pipe */
    atomic_bool failed;           /* bus ERROR or EOS */
    atomic_bool retired;          /* frames are no longer taken */
    atomic_uint_fast64_t frames;  /* frames this pipeline delivered */
    int video_stream;             /* rtspsrc stream number taken, -1 before the first */
    char why[160];                /* first error; written before `failed` is set */
} vpipe;

struct video {
    char *url;
    void (*wake)(void *ud);
    void *ud;
    atomic_int refs;

    pthread_mutex_t mu;
    /* mu: */
    GstSample *latest; /* newest frame (one reference) */
    uint64_t seq;      /* counts frames handed over; the render thread compares */
    uint64_t frames;
    uint64_t reconnects;
    int64_t last_frame_ms; /* monotonic */
    int width, height;
    bool failed_once; /* a pipeline failed before any frame: NO SIGNAL rather than CONNECTING */
    bool closed;

    /* worker thread: */
    vpipe *vp;
    int64_t pipe_start_ms, next_try_ms;
    int backoff_ms;
    bool logged_loss;
    video_t *next;      /* active list */
    video_t *open_next; /* pending opens */
    video_t *close_next;

    /* render thread: */
    GLuint tex[3];
    int tex_w[3], tex_h[3];
    int frame_w, frame_h;
    uint64_t uploaded_seq;
};

static struct {
    pthread_mutex_t mu;
    pthread_cond_t cond;
    bool running, quit;
    pthread_t thread;
    video_t *opens, *closes; /* pending, LIFO (reversed when taken) */
    video_t *active;         /* worker only */
    GThreadPool *teardown;
    _Atomic int64_t last_trim_ms; /* teardown pool: when malloc_trim last ran */
} vw = {.mu = PTHREAD_MUTEX_INITIALIZER};

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void tile_unref(video_t *v)
{
    if (atomic_fetch_sub(&v->refs, 1) != 1) return;
    if (v->latest) gst_sample_unref(v->latest);
    pthread_mutex_destroy(&v->mu);
    free(v->url);
    free(v);
}

/* ---- streaming threads ---- */

static GstFlowReturn on_new_sample(GstAppSink *sink, gpointer ud)
{
    vpipe *p = ud;
    video_t *v = p->v;
    GstSample *s = gst_app_sink_pull_sample(sink);
    if (!s) return GST_FLOW_OK;
    if (atomic_load(&p->retired)) {
        gst_sample_unref(s);
        return GST_FLOW_OK;
    }
    int w = 0, h = 0;
    GstCaps *caps = gst_sample_get_caps(s);
    if (caps && gst_caps_get_size(caps) > 0) {
        const GstStructure *st = gst_caps_get_structure(caps, 0);
        gst_structure_get_int(st, "width", &w);
        gst_structure_get_int(st, "height", &h);
    }
    int64_t now = mono_ms();
    pthread_mutex_lock(&v->mu);
    GstSample *old = v->latest;
    v->latest = s;
    v->seq++;
    v->frames++;
    v->last_frame_ms = now;
    v->width = w;
    v->height = h;
    atomic_fetch_add(&p->frames, 1);
    if (!v->closed && v->wake) v->wake(v->ud);
    pthread_mutex_unlock(&v->mu);
    if (old) gst_sample_unref(old);
    return GST_FLOW_OK;
}

static GstBusSyncReply on_bus(GstBus *bus, GstMessage *msg, gpointer ud)
{
    (void)bus;
    vpipe *p = ud;
    switch (GST_MESSAGE_TYPE(msg)) {
    case GST_MESSAGE_ERROR:
        if (!atomic_load(&p->failed)) {
            GError *err = NULL;
            gst_message_parse_error(msg, &err, NULL);
            snprintf(p->why, sizeof p->why, "%s", err ? err->message : "error");
            g_clear_error(&err);
            atomic_store(&p->failed, true);
        }
        break;
    case GST_MESSAGE_EOS:
        if (!atomic_load(&p->failed)) {
            snprintf(p->why, sizeof p->why, "end of stream");
            atomic_store(&p->failed, true);
        }
        break;
    default:
        break;
    }
    /* nobody pops the bus: keep it empty. A sync handler that drops a message owns it
     * (GstBusSyncHandler's contract); each message holds a reference on its source, so a
     * message left alive here keeps the whole pipeline, its sockets and its bus alive. */
    gst_message_unref(msg);
    return GST_BUS_DROP;
}

static gboolean on_select_stream(GstElement *src, guint num, GstCaps *caps, gpointer ud)
{
    (void)src;
    vpipe *p = ud;
    const GstStructure *st =
        caps && gst_caps_get_size(caps) ? gst_caps_get_structure(caps, 0) : NULL;
    const char *media = st ? gst_structure_get_string(st, "media") : NULL;
    if (!media || strcmp(media, "video") != 0) return FALSE;
    if (p->video_stream < 0) p->video_stream = (int)num;
    return p->video_stream == (int)num;
}

static void link_if_free(GstPad *pad, GstElement *to)
{
    GstPad *sink = gst_element_get_static_pad(to, "sink");
    if (sink && !gst_pad_is_linked(sink)) gst_pad_link(pad, sink);
    if (sink) gst_object_unref(sink);
}

static void on_src_pad(GstElement *src, GstPad *pad, gpointer ud)
{
    (void)src;
    vpipe *p = ud;
    link_if_free(pad, p->decode);
}

static void on_decoded_pad(GstElement *dec, GstPad *pad, gpointer ud)
{
    (void)dec;
    vpipe *p = ud;
    GstCaps *caps = gst_pad_get_current_caps(pad);
    if (!caps) caps = gst_pad_query_caps(pad, NULL);
    const GstStructure *st =
        caps && gst_caps_get_size(caps) ? gst_caps_get_structure(caps, 0) : NULL;
    if (st && g_str_has_prefix(gst_structure_get_name(st), "video/")) link_if_free(pad, p->convert);
    if (caps) gst_caps_unref(caps);
}

static void on_deep_element(GstBin *bin, GstBin *sub, GstElement *e, gpointer ud)
{
    (void)bin;
    (void)sub;
    (void)ud;
    GstElementFactory *f = gst_element_get_factory(e);
    const char *name = f ? gst_plugin_feature_get_name(GST_PLUGIN_FEATURE(f)) : NULL;
    if (name && g_str_has_prefix(name, "avdec_h26")) {
        /* one thread: no frame-threading delay, and 16 tiles do not start 16 x ncpu threads;
         * never show a smeared picture after a gap, wait for the next key frame instead */
        g_object_set(e, "max-threads", 1, "output-corrupt", FALSE, NULL);
    }
}

/* ---- worker thread ---- */

static void teardown_job(gpointer data, gpointer ud)
{
    (void)ud;
    vpipe *p = data;
    gst_element_set_state(p->pipe, GST_STATE_NULL);
    GstBus *bus = gst_element_get_bus(p->pipe);
    if (bus) {
        gst_bus_set_sync_handler(bus, NULL, NULL, NULL);
        gst_object_unref(bus);
    }
    gst_object_unref(p->pipe);
    video_t *v = p->v;
    free(p);
    tile_unref(v);
#ifdef __GLIBC__
    /* A touring wall builds and frees pipelines all day; what they freed sits in glibc's
     * arenas between live blocks, and the wall's RSS crept up while its heap in use stayed
     * flat (heaptrack, docs/wall.md). malloc_trim gives those pages back. It runs here, on a
     * teardown thread, at most every VIDEO_TRIM_EVERY_MS; the render thread only waits for it
     * if it allocates from an arena the trim holds at that moment. */
    int64_t now = mono_ms(), last = atomic_load(&vw.last_trim_ms);
    if (now - last >= VIDEO_TRIM_EVERY_MS &&
        atomic_compare_exchange_strong(&vw.last_trim_ms, &last, now))
        malloc_trim(0);
#endif
}

static void pipe_retire(vpipe *p)
{
    atomic_store(&p->retired, true);
    g_thread_pool_push(vw.teardown, p, NULL);
}

/* A new pipeline for v, playing (asynchronously). NULL when it cannot be built. */
static vpipe *pipe_build(video_t *v, char *why, size_t whylen)
{
    vpipe *p = calloc(1, sizeof *p);
    if (!p) {
        snprintf(why, whylen, "out of memory");
        return NULL;
    }
    p->v = v;
    p->video_stream = -1;
    atomic_init(&p->failed, false);
    atomic_init(&p->retired, false);
    atomic_init(&p->frames, 0);
    GstElement *src = gst_element_factory_make("rtspsrc", NULL);
    p->decode = gst_element_factory_make("decodebin", NULL);
    p->convert = gst_element_factory_make("videoconvert", NULL);
    GstElement *sink = gst_element_factory_make("appsink", NULL);
    p->pipe = gst_pipeline_new(NULL);
    if (!src || !p->decode || !p->convert || !sink || !p->pipe) {
        snprintf(why, whylen,
                 "a GStreamer element is missing (rtspsrc, decodebin, videoconvert, "
                 "appsink)");
        if (src) gst_object_unref(src);
        if (p->decode) gst_object_unref(p->decode);
        if (p->convert) gst_object_unref(p->convert);
        if (sink) gst_object_unref(sink);
        if (p->pipe) gst_object_unref(p->pipe);
        free(p);
        return NULL;
    }
    g_object_set(src, "location", v->url, "latency", (guint)VIDEO_RTSP_LATENCY_MS,
                 "drop-on-latency", TRUE, "tcp-timeout", (guint64)VIDEO_RTSP_TCP_TIMEOUT_US,
                 "teardown-timeout", (guint64)VIDEO_RTSP_TEARDOWN_NS, "user-agent", "citywall-wall",
                 NULL);
    gst_util_set_object_arg(G_OBJECT(src), "protocols", "tcp");
    GstCaps *caps = gst_caps_from_string("video/x-raw,format=I420");
    g_object_set(sink, "caps", caps, "max-buffers", 1, "drop", TRUE, "sync", FALSE,
                 "enable-last-sample", FALSE, "qos", FALSE, "wait-on-eos", FALSE, NULL);
    gst_caps_unref(caps);
    GstAppSinkCallbacks cb = {.new_sample = on_new_sample};
    gst_app_sink_set_callbacks(GST_APP_SINK(sink), &cb, p, NULL);
    gst_bin_add_many(GST_BIN(p->pipe), src, p->decode, p->convert, sink, NULL);
    gst_element_link(p->convert, sink);
    g_signal_connect(src, "select-stream", G_CALLBACK(on_select_stream), p);
    g_signal_connect(src, "pad-added", G_CALLBACK(on_src_pad), p);
    g_signal_connect(p->decode, "pad-added", G_CALLBACK(on_decoded_pad), p);
    g_signal_connect(p->pipe, "deep-element-added", G_CALLBACK(on_deep_element), NULL);
    GstBus *bus = gst_element_get_bus(p->pipe);
    gst_bus_set_sync_handler(bus, on_bus, p, NULL);
    gst_object_unref(bus);
    atomic_fetch_add(&v->refs, 1); /* the pipeline's reference, dropped by teardown_job */
    if (gst_element_set_state(p->pipe, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
        snprintf(p->why, sizeof p->why, "cannot start the pipeline");
        atomic_store(&p->failed, true);
    }
    return p;
}

/* Take the pending opens and closes; returns whether to quit. */
static bool worker_take(void)
{
    pthread_mutex_lock(&vw.mu);
    video_t *opens = vw.opens, *closes = vw.closes;
    vw.opens = vw.closes = NULL;
    bool quit = vw.quit;
    pthread_mutex_unlock(&vw.mu);
    /* opens first: a tile closed right after its open is in both lists */
    video_t *rev = NULL;
    while (opens) {
        video_t *n = opens->open_next;
        opens->open_next = rev;
        rev = opens;
        opens = n;
    }
    for (video_t *v = rev; v; v = v->open_next) {
        v->next = vw.active;
        vw.active = v;
    }
    while (closes) {
        video_t *v = closes;
        closes = v->close_next;
        for (video_t **pp = &vw.active; *pp; pp = &(*pp)->next)
            if (*pp == v) {
                *pp = v->next;
                break;
            }
        if (v->vp) pipe_retire(v->vp);
        v->vp = NULL;
        tile_unref(v);
    }
    return quit;
}

static void tile_lost(video_t *v, int64_t now, const char *why, bool had_frames)
{
    pthread_mutex_lock(&v->mu);
    v->reconnects++;
    if (!had_frames) v->failed_once = true;
    if (!v->closed && v->wake) v->wake(v->ud);
    pthread_mutex_unlock(&v->mu);
    if (!v->logged_loss) {
        fprintf(stderr, "video: %s: %s; reconnecting\n", v->url, why);
        v->logged_loss = true;
    }
    v->next_try_ms = now + v->backoff_ms;
    v->backoff_ms =
        v->backoff_ms * 2 > VIDEO_BACKOFF_MAX_MS ? VIDEO_BACKOFF_MAX_MS : v->backoff_ms * 2;
}

static void worker_tick(video_t *v, int64_t now)
{
    char why[200];
    if (!v->vp) {
        if (now < v->next_try_ms) return;
        v->vp = pipe_build(v, why, sizeof why);
        v->pipe_start_ms = now;
        if (!v->vp) tile_lost(v, now, why, false);
        return;
    }
    vpipe *p = v->vp;
    uint64_t frames = atomic_load(&p->frames);
    pthread_mutex_lock(&v->mu);
    int64_t last = v->last_frame_ms;
    pthread_mutex_unlock(&v->mu);
    if (frames > 0) {
        v->backoff_ms = VIDEO_BACKOFF_MIN_MS;
        if (v->logged_loss) {
            fprintf(stderr, "video: %s: playing again\n", v->url);
            v->logged_loss = false;
        }
    }
    if (atomic_load(&p->failed)) {
        snprintf(why, sizeof why, "%s", p->why);
    } else if (frames == 0 && now - v->pipe_start_ms > VIDEO_FIRST_FRAME_MS) {
        snprintf(why, sizeof why, "no frame within %d ms of connecting", VIDEO_FIRST_FRAME_MS);
    } else if (frames > 0 && now - last > VIDEO_NO_SIGNAL_MS) {
        snprintf(why, sizeof why, "no frame for %d ms", VIDEO_NO_SIGNAL_MS);
    } else {
        return;
    }
    pipe_retire(p);
    v->vp = NULL;
    tile_lost(v, now, why, frames > 0);
}

static void *worker_main(void *arg)
{
    (void)arg;
    for (;;) {
        bool quit = worker_take();
        if (quit) break;
        int64_t now = mono_ms();
        for (video_t *v = vw.active; v; v = v->next)
            worker_tick(v, now);
        pthread_mutex_lock(&vw.mu);
        if (!vw.opens && !vw.closes && !vw.quit) {
            struct timespec ts;
            clock_gettime(CLOCK_MONOTONIC, &ts);
            ts.tv_nsec += VIDEO_TICK_MS * 1000000L;
            if (ts.tv_nsec >= 1000000000L) {
                ts.tv_sec++;
                ts.tv_nsec -= 1000000000L;
            }
            pthread_cond_timedwait(&vw.cond, &vw.mu, &ts);
        }
        pthread_mutex_unlock(&vw.mu);
    }
    /* tiles still open at shutdown (a caller bug): stop their pipelines, keep the tiles */
    for (video_t *v = vw.active; v; v = v->next)
        if (v->vp) {
            pipe_retire(v->vp);
            v->vp = NULL;
        }
    vw.active = NULL;
    return NULL;
}

/* ---- public ---- */

int video_init(void)
{
    pthread_mutex_lock(&vw.mu);
    bool running = vw.running;
    pthread_mutex_unlock(&vw.mu);
    if (running) return 0;
    GError *err = NULL;
    if (!gst_init_check(NULL, NULL, &err)) {
        fprintf(stderr, "video: GStreamer failed to initialise: %s\n", err ? err->message : "?");
        g_clear_error(&err);
        return -1;
    }
    static const char *const needed[] = {"rtspsrc", "decodebin", "videoconvert", "appsink"};
    for (size_t i = 0; i < sizeof needed / sizeof needed[0]; i++) {
        GstElementFactory *f = gst_element_factory_find(needed[i]);
        if (!f) {
            fprintf(stderr,
                    "video: GStreamer element %s is missing (gstreamer1.0-plugins-base/"
                    "-good; scripts/setup installs them)\n",
                    needed[i]);
            return -1;
        }
        gst_object_unref(f);
    }
    /* at most 4 teardowns at once: a tour switching 16 tiles queues the rest, and a dead
     * camera's teardown (bounded by rtspsrc's teardown-timeout) delays only the queue */
    vw.teardown = g_thread_pool_new(teardown_job, NULL, 4, FALSE, NULL);
    if (!vw.teardown) return -1;
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&vw.cond, &ca);
    pthread_condattr_destroy(&ca);
    vw.quit = false;
    if (pthread_create(&vw.thread, NULL, worker_main, NULL) != 0) {
        pthread_cond_destroy(&vw.cond);
        g_thread_pool_free(vw.teardown, FALSE, TRUE);
        vw.teardown = NULL;
        return -1;
    }
    pthread_mutex_lock(&vw.mu);
    vw.running = true;
    pthread_mutex_unlock(&vw.mu);
    return 0;
}

void video_shutdown(void)
{
    pthread_mutex_lock(&vw.mu);
    bool running = vw.running;
    vw.quit = true;
    pthread_cond_signal(&vw.cond);
    pthread_mutex_unlock(&vw.mu);
    if (!running) return;
    pthread_join(vw.thread, NULL);
    worker_take(); /* closes that came after the worker's last look */
    g_thread_pool_free(vw.teardown, FALSE, TRUE); /* waits for the teardowns */
    vw.teardown = NULL;
    pthread_cond_destroy(&vw.cond);
    pthread_mutex_lock(&vw.mu);
    vw.running = false;
    vw.quit = false;
    pthread_mutex_unlock(&vw.mu);
}

video_t *video_open(const char *url, void (*wake)(void *ud), void *ud)
{
    if (!url) return NULL;
    video_t *v = calloc(1, sizeof *v);
    if (!v) return NULL;
    v->url = strdup(url);
    if (!v->url) {
        free(v);
        return NULL;
    }
    v->wake = wake;
    v->ud = ud;
    atomic_init(&v->refs, 1);
    pthread_mutex_init(&v->mu, NULL);
    v->backoff_ms = VIDEO_BACKOFF_MIN_MS;
    pthread_mutex_lock(&vw.mu);
    if (!vw.running || vw.quit) {
        pthread_mutex_unlock(&vw.mu);
        tile_unref(v);
        return NULL;
    }
    v->open_next = vw.opens;
    vw.opens = v;
    pthread_cond_signal(&vw.cond);
    pthread_mutex_unlock(&vw.mu);
    return v;
}

void video_close(video_t *v)
{
    if (!v) return;
    if (v->tex[0] || v->tex[1] || v->tex[2]) {
        glDeleteTextures(3, v->tex);
        memset(v->tex, 0, sizeof v->tex);
    }
    pthread_mutex_lock(&v->mu);
    v->closed = true;
    pthread_mutex_unlock(&v->mu);
    pthread_mutex_lock(&vw.mu);
    v->close_next = vw.closes;
    vw.closes = v;
    pthread_cond_signal(&vw.cond);
    pthread_mutex_unlock(&vw.mu);
}

static bool upload(video_t *v, GstSample *s)
{
    GstCaps *caps = gst_sample_get_caps(s);
    GstBuffer *buf = gst_sample_get_buffer(s);
    GstVideoInfo info;
    if (!caps || !buf || !gst_video_info_from_caps(&info, caps) ||
        GST_VIDEO_INFO_FORMAT(&info) != GST_VIDEO_FORMAT_I420)
        return false;
    GstVideoFrame f;
    if (!gst_video_frame_map(&f, &info, buf, GST_MAP_READ)) return false;
    GLint align = 4, bound = 0;
    glGetIntegerv(GL_UNPACK_ALIGNMENT, &align);
    glGetIntegerv(GL_TEXTURE_BINDING_2D, &bound);
    glPixelStorei(GL_UNPACK_ALIGNMENT, 1);
    for (int i = 0; i < 3; i++) {
        int w = GST_VIDEO_FRAME_COMP_WIDTH(&f, i), h = GST_VIDEO_FRAME_COMP_HEIGHT(&f, i);
        if (!v->tex[i]) glGenTextures(1, &v->tex[i]);
        glBindTexture(GL_TEXTURE_2D, v->tex[i]);
        if (w != v->tex_w[i] || h != v->tex_h[i]) {
            glTexImage2D(GL_TEXTURE_2D, 0, GL_R8, w, h, 0, GL_RED, GL_UNSIGNED_BYTE, NULL);
            glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_LINEAR);
            glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, GL_LINEAR);
            glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_S, GL_CLAMP_TO_EDGE);
            glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_T, GL_CLAMP_TO_EDGE);
            v->tex_w[i] = w;
            v->tex_h[i] = h;
        }
        glPixelStorei(GL_UNPACK_ROW_LENGTH, GST_VIDEO_FRAME_PLANE_STRIDE(&f, i));
        glTexSubImage2D(GL_TEXTURE_2D, 0, 0, 0, w, h, GL_RED, GL_UNSIGNED_BYTE,
                        GST_VIDEO_FRAME_PLANE_DATA(&f, i));
    }
    glPixelStorei(GL_UNPACK_ROW_LENGTH, 0);
    glPixelStorei(GL_UNPACK_ALIGNMENT, align);
    glBindTexture(GL_TEXTURE_2D, (GLuint)bound);
    v->frame_w = GST_VIDEO_INFO_WIDTH(&info);
    v->frame_h = GST_VIDEO_INFO_HEIGHT(&info);
    gst_video_frame_unmap(&f);
    return true;
}

bool video_update(video_t *v)
{
    pthread_mutex_lock(&v->mu);
    GstSample *s = NULL;
    uint64_t seq = v->seq;
    if (v->latest && seq != v->uploaded_seq) s = gst_sample_ref(v->latest);
    pthread_mutex_unlock(&v->mu);
    if (s) {
        upload(v, s);
        v->uploaded_seq = seq;
        gst_sample_unref(s);
    }
    return v->tex[0] != 0 && video_state(v) == VIDEO_PLAYING;
}

void video_textures(const video_t *v, unsigned tex[3], int *width, int *height)
{
    for (int i = 0; i < 3; i++)
        tex[i] = v->tex[i];
    if (width) *width = v->tex[0] ? v->frame_w : 0;
    if (height) *height = v->tex[0] ? v->frame_h : 0;
}

int video_state(const video_t *v)
{
    video_t *m = (video_t *)v; /* the lock is not part of the value */
    int64_t now = mono_ms();
    pthread_mutex_lock(&m->mu);
    int st;
    if (m->frames == 0)
        st = m->failed_once ? VIDEO_NO_SIGNAL : VIDEO_CONNECTING;
    else
        st = now - m->last_frame_ms < VIDEO_NO_SIGNAL_MS ? VIDEO_PLAYING : VIDEO_NO_SIGNAL;
    pthread_mutex_unlock(&m->mu);
    return st;
}

int64_t video_last_frame_age_ms(const video_t *v)
{
    video_t *m = (video_t *)v;
    int64_t now = mono_ms();
    pthread_mutex_lock(&m->mu);
    int64_t age = m->frames ? now - m->last_frame_ms : -1;
    pthread_mutex_unlock(&m->mu);
    return age;
}

void video_get_stats(const video_t *v, video_stats *out)
{
    video_t *m = (video_t *)v;
    memset(out, 0, sizeof *out);
    pthread_mutex_lock(&m->mu);
    out->frames = m->frames;
    out->reconnects = m->reconnects;
    out->width = m->width;
    out->height = m->height;
    GstSample *s = m->latest ? gst_sample_ref(m->latest) : NULL;
    pthread_mutex_unlock(&m->mu);
    if (!s) return;
    GstVideoInfo info;
    GstCaps *caps = gst_sample_get_caps(s);
    GstBuffer *buf = gst_sample_get_buffer(s);
    GstVideoFrame f;
    if (caps && buf && gst_video_info_from_caps(&info, caps) &&
        gst_video_frame_map(&f, &info, buf, GST_MAP_READ)) {
        const uint8_t *y = GST_VIDEO_FRAME_PLANE_DATA(&f, 0);
        int stride = GST_VIDEO_FRAME_PLANE_STRIDE(&f, 0);
        int w = GST_VIDEO_FRAME_COMP_WIDTH(&f, 0), h = GST_VIDEO_FRAME_COMP_HEIGHT(&f, 0);
        uint32_t sum = 0;
        for (int r = 0; r < h; r++)
            for (int c = 0; c < w; c++)
                sum += y[(size_t)r * (size_t)stride + (size_t)c];
        out->luma_sum = sum;
        gst_video_frame_unmap(&f);
    }
    gst_sample_unref(s);
}
