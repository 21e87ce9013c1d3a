/* gw_rtsp: camera status by RTSP probing (the gateway knows the hall's LAN; the hub does not).
 *
 * Every `every_s` each camera of an rtsp input is probed with GStreamer (rtspsrc over TCP into
 * fakesinks, `timeout_ms` at most): RTP data arriving -> online; DESCRIBE answered with an
 * SDP but no data -> no_frame; no answer, refused, or an RTSP error (a 503 to DESCRIBE) ->
 * offline.
 * A status different from the camera's last one (kept durably in the outbox's positions, key
 * "INPUT/CAMERA") is committed as a camera.status event with the main and sub URLs, in the
 * same transaction as the new last status, so a restart neither repeats nor loses a change.
 *
 * Thread: gw_rtsp_start spawns one prober thread for all rtsp inputs (its own outbox handle);
 * gw_rtsp_stop joins it (a probe in progress finishes first, bounded by timeout_ms).
 * Built only with GStreamer (CW_GW_RTSP); without it, rtsp inputs are a config error.
 */
#ifndef CW_GW_RTSP_H
#define CW_GW_RTSP_H

#include <signal.h>

#include "gw_take.h"

typedef struct gw_rtsp gw_rtsp;

/* The camera status of one probe (enum ev_cam_status: EV_CAM_ONLINE, _OFFLINE, _NO_FRAME). */
int gw_rtsp_probe(const char *url, int timeout_ms);

/* Start the prober for cfg's rtsp inputs (NULL when there are none, or on failure with err
 * set). t is copied (its ob is replaced by the thread's own handle); stop is polled. */
gw_rtsp *gw_rtsp_start(const gw_taker *t, volatile sig_atomic_t *stop, char *err, size_t errlen);
void gw_rtsp_stop(gw_rtsp *r);

/* True when this build can probe RTSP. */
int gw_rtsp_available(void);

#endif
