/* sim_rtsp: the simulator's cameras as real RTSP streams (citywall-sim --rtsp-port P).
 *
 * A gst-rtsp-server on 127.0.0.1:P serves every camera of the simulated halls at
 * rtsp://127.0.0.1:P/<camera>/main (640x360) and /sub (320x180): H.264 at 10 fps of a moving
 * test scene with the hall and camera names and a clock burnt in. Each mount is shared: its
 * pipeline is built when the first client plays it, encodes once for every client, and is
 * torn down when the last one leaves, so unwatched cameras cost nothing.
 *
 * A camera is live while the traffic model says it is online (its camera.status events) and
 * no one has stopped it by hand. A camera that is not live sends no frames: its running
 * streams stall (the connections stay open, as with a camera that froze or lost its uplink
 * behind a switch) and new clients are refused with 503. Going live again resumes the
 * streams with a key frame.
 *
 * Stopping by hand: line commands `stop CAM-ID` and `start CAM-ID` on a control channel
 * (stdin or a FIFO), and --rtsp-outage for a scripted outage. Each such change is announced
 * like a camera gateway would, as a camera.status event on the sim's camera feed.
 *
 * Threads: the server runs on its own thread (a GLib main loop). The functions here are
 * called from the sim's main thread; sim_rtsp_model_events and sim_rtsp_take_events must be
 * called from one thread only.
 */
#ifndef CW_SIM_RTSP_H
#define CW_SIM_RTSP_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "sim_model.h"

typedef struct sim_rtsp sim_rtsp;

typedef struct sim_rtsp_opts {
    int port;            /* 1..65535 */
    const bool *halls;   /* NULL = all; else serve only the cameras of halls[i] */
    const char *control; /* NULL: none; "-": stdin; else a FIFO path (created when absent) */
    const char *outage;  /* NULL or "CAM-ID@AFTER+FOR": stopped AFTER real seconds after the
                            start for FOR seconds (parsed by sim_rtsp_parse_outage) */
} sim_rtsp_opts;

/* Parse an --rtsp-outage value "CAM-ID@AFTER+FOR" (seconds, decimals allowed, FOR > 0).
 * Returns 0 and fills the outputs (cam is cut to camlen - 1 bytes), or -1 when malformed. */
int sim_rtsp_parse_outage(const char *spec, char *cam, size_t camlen, double *after_s,
                          double *for_s);

/* Start serving. cfg is borrowed and must outlive the server. Returns NULL (the reason on
 * stderr) when GStreamer, a needed element, the port or the control FIFO is not available,
 * or when the outage names an unknown camera. */
sim_rtsp *sim_rtsp_start(const cfg_t *cfg, const sim_rtsp_opts *opts);
/* Close every client session, stop the server thread and free everything. NULL is fine. */
void sim_rtsp_stop(sim_rtsp *r);

/* "rtsp://127.0.0.1:P": the base of the announced URLs (static storage of r). */
const char *sim_rtsp_base(const sim_rtsp *r);

/* Follow the model: every camera.status event in evs sets its camera live (online) or not.
 * An `online` event of a camera stopped by hand is rewritten to `offline` (without URLs), so
 * what the sim announces matches what it streams. */
void sim_rtsp_model_events(sim_rtsp *r, sim_evbuf *evs);

/* Append the camera.status events of the hand-made changes since the last call to out, with
 * `at` = at_ms and seqs from 1 per hall of the camera feed. Returns the number appended, or
 * -1 on allocation failure. */
int sim_rtsp_take_events(sim_rtsp *r, int64_t at_ms, sim_evbuf *out);

#endif
