/* gw_rtsp: RTSP probing of the hall's cameras (GStreamer rtspsrc); see gw_rtsp.h. */
#include "gw_rtsp.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cwtime.h"
#include "event.h"

#ifdef CW_GW_RTSP
#include <gst/gst.h>

int gw_rtsp_available(void)
{
    return 1;
}

/* One probe's state, shared with GStreamer's streaming threads (atomics only). */
typedef struct probe {
    GstElement *pipe;
    volatile gint described; /* DESCRIBE answered with an SDP: the camera is there */
    volatile gint pads;      /* rtspsrc pads added (on the first RTP data) */
    volatile gint buffers;   /* RTP buffers that reached a fakesink */
} probe;

static void on_handoff(GstElement *sink, GstBuffer *buf, GstPad *pad, gpointer user)
{
    (void)sink, (void)buf, (void)pad;
    g_atomic_int_inc(&((probe *)user)->buffers);
}

static void on_sdp(GstElement *src, gpointer sdp, gpointer user)
{
    (void)src, (void)sdp;
    g_atomic_int_set(&((probe *)user)->described, 1);
}

/* rtspsrc's streaming thread: one fakesink per stream. */
static void on_pad_added(GstElement *src, GstPad *pad, gpointer user)
{
    (void)src;
    probe *p = user;
    GstElement *sink = gst_element_factory_make("fakesink", NULL);
    if (!sink) return;
    g_object_set(sink, "sync", FALSE, "async", FALSE, "signal-handoffs", TRUE, NULL);
    g_signal_connect(sink, "handoff", G_CALLBACK(on_handoff), p);
    gst_bin_add(GST_BIN(p->pipe), sink);
    gst_element_sync_state_with_parent(sink);
    GstPad *sinkpad = gst_element_get_static_pad(sink, "sink");
    gst_pad_link(pad, sinkpad);
    gst_object_unref(sinkpad);
    g_atomic_int_inc(&p->pads);
}

int gw_rtsp_probe(const char *url, int timeout_ms)
{
    probe p = {0};
    p.pipe = gst_pipeline_new(NULL);
    GstElement *src = gst_element_factory_make("rtspsrc", NULL);
    if (!p.pipe || !src) {
        if (src) gst_object_unref(src);
        if (p.pipe) gst_object_unref(p.pipe);
        return EV_CAM_OFFLINE;
    }
    g_object_set(src, "location", url, "latency", 0, "protocols", 4 /* TCP */, "tcp-timeout",
                 (guint64)timeout_ms * 1000, "timeout", (guint64)timeout_ms * 1000, "retry", 1,
                 "teardown-timeout", (guint64)100000000 /* ns */, NULL);
    g_signal_connect(src, "pad-added", G_CALLBACK(on_pad_added), &p);
    g_signal_connect(src, "on-sdp", G_CALLBACK(on_sdp), &p);
    gst_bin_add(GST_BIN(p.pipe), src);
    GstBus *bus = gst_element_get_bus(p.pipe);
    int status = EV_CAM_OFFLINE;
    bool failed = gst_element_set_state(p.pipe, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE;
    int64_t end = cwt_mono_ms() + timeout_ms;
    while (!failed) {
        if (g_atomic_int_get(&p.buffers) > 0) {
            status = EV_CAM_ONLINE;
            break;
        }
        int64_t left = end - cwt_mono_ms();
        if (left <= 0) break;
        GstMessage *m =
            gst_bus_timed_pop_filtered(bus, (GstClockTime)(left < 50 ? left : 50) * GST_MSECOND,
                                       GST_MESSAGE_ERROR | GST_MESSAGE_EOS);
        if (m) {
            gst_message_unref(m);
            failed = true;
        }
    }
    if (status != EV_CAM_ONLINE &&
        (g_atomic_int_get(&p.described) || g_atomic_int_get(&p.pads) > 0))
        status = g_atomic_int_get(&p.buffers) > 0 ? EV_CAM_ONLINE : EV_CAM_NO_FRAME;
    gst_element_set_state(p.pipe, GST_STATE_NULL);
    gst_object_unref(bus);
    gst_object_unref(p.pipe);
    return status;
}

struct gw_rtsp {
    gw_taker t;
    volatile sig_atomic_t *stop;
    pthread_t thread;
};

/* The camera's last status kept in positions ("" when none). */
static void last_status(gw_outbox *ob, const char *key, char *out, size_t n)
{
    char *pos = gw_outbox_get_pos(ob, key);
    snprintf(out, n, "%s", pos ? pos : "");
    free(pos);
}

/* Commit a changed status: the event and the new last status in one transaction. */
static void commit_change(gw_rtsp *r, const gw_input *in, const gw_camera *cam, const char *key,
                          const char *status)
{
    char at[40];
    cwt_format_local(cwt_real_ms(), at);
    json_t *data = json_pack("{s:s, s:s}", "camera", cam->id, "status", status);
    if (!data) return;
    if (cam->url) json_object_set_new(data, "main", json_string(cam->url));
    if (cam->sub) json_object_set_new(data, "sub", json_string(cam->sub));
    json_t *ev = json_pack("{s:s, s:s, s:s, s:s, s:o}", "hall", in->hall, "feed", in->feed, "type",
                           "camera.status", "at", at, "data", data);
    if (!ev || gw_take_begin(&r->t) < 0) {
        json_decref(ev);
        return;
    }
    if (gw_outbox_add(r->t.ob, ev, NULL) < 0 || gw_outbox_set_pos(r->t.ob, key, status) < 0) {
        gw_take_rollback(&r->t);
        json_decref(ev);
        return;
    }
    r->t.pending++;
    json_decref(ev);
    if (gw_take_commit(&r->t) == 0)
        fprintf(stderr, "citywall-gateway: input %s: camera %s %s\n", in->name, cam->id, status);
}

static void *prober_main(void *arg)
{
    gw_rtsp *r = arg;
    const gw_cfg *c = r->t.cfg;
    int64_t *due = calloc((size_t)c->ninputs + 1, sizeof *due);
    if (!due) return NULL;
    while (!*r->stop) {
        int64_t now = cwt_mono_ms();
        for (int i = 0; i < c->ninputs && !*r->stop; i++) {
            const gw_input *in = &c->inputs[i];
            if (in->kind != GW_IN_RTSP || now < due[i]) continue;
            due[i] = now + (int64_t)in->every_s * 1000;
            for (int j = 0; j < in->ncameras && !*r->stop; j++) {
                const gw_camera *cam = &in->cameras[j];
                int st = gw_rtsp_probe(cam->sub ? cam->sub : cam->url, in->timeout_ms);
                const char *name = ev_cam_status_name(st);
                char key[300], last[32];
                snprintf(key, sizeof key, "%s/%s", in->name, cam->id);
                last_status(r->t.ob, key, last, sizeof last);
                if (strcmp(last, name)) commit_change(r, in, cam, key, name);
            }
        }
        struct timespec ts = {0, 100 * 1000000L};
        nanosleep(&ts, NULL);
    }
    free(due);
    return NULL;
}

gw_rtsp *gw_rtsp_start(const gw_taker *t, volatile sig_atomic_t *stop, char *err, size_t errlen)
{
    bool any = false;
    for (int i = 0; i < t->cfg->ninputs; i++)
        any = any || t->cfg->inputs[i].kind == GW_IN_RTSP;
    if (!any) return NULL;
    gst_init(NULL, NULL);
    gw_rtsp *r = calloc(1, sizeof *r);
    if (!r) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    r->t = *t;
    r->stop = stop;
    r->t.ob = gw_outbox_open(t->cfg->outbox, false, err, errlen);
    if (!r->t.ob || pthread_create(&r->thread, NULL, prober_main, r) != 0) {
        if (r->t.ob) snprintf(err, errlen, "cannot start the RTSP prober thread");
        gw_outbox_close(r->t.ob);
        free(r);
        return NULL;
    }
    return r;
}

void gw_rtsp_stop(gw_rtsp *r)
{
    if (!r) return;
    pthread_join(r->thread, NULL);
    gw_outbox_close(r->t.ob);
    free(r);
}

#else /* built without GStreamer */

int gw_rtsp_available(void)
{
    return 0;
}

int gw_rtsp_probe(const char *url, int timeout_ms)
{
    (void)url, (void)timeout_ms;
    return EV_CAM_OFFLINE;
}

gw_rtsp *gw_rtsp_start(const gw_taker *t, volatile sig_atomic_t *stop, char *err, size_t errlen)
{
    (void)t, (void)stop, (void)err, (void)errlen;
    return NULL;
}

void gw_rtsp_stop(gw_rtsp *r)
{
    (void)r;
}

#endif
