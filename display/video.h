/* video: one camera tile's live stream.
 *
 * A GStreamer pipeline per tile: rtspsrc (latency <= 200 ms) -> decodebin (hardware decoders
 * when present) -> videoconvert -> appsink (I420, max-buffers=1, drop=true). Pipelines are
 * built, restarted and torn down on the video module's own worker thread, never on the render
 * thread: a dead camera never stalls the loop. The streaming thread keeps only the newest frame
 * per tile (swapped under a small lock) and calls wake(ud) so the render loop can redraw.
 *
 * A tile whose frames stop for VIDEO_NO_SIGNAL_MS is in VIDEO_NO_SIGNAL (the wall shows NO
 * SIGNAL with the age of the last frame, never the frozen frame as live) and is reconnected
 * with backoff (0.5 s doubling to 10 s).
 *
 * Threads: video_open/video_close/video_state/video_last_frame_age_ms from any thread;
 * video_update/video_textures only on the render thread (they touch GL).
 */
#ifndef CW_VIDEO_H
#define CW_VIDEO_H

#include <stdbool.h>
#include <stdint.h>

#define VIDEO_NO_SIGNAL_MS 1500

typedef struct video video_t;

enum video_state { VIDEO_CONNECTING, VIDEO_PLAYING, VIDEO_NO_SIGNAL };

/* Once per process, before any video_open (gst_init and the worker thread). */
int video_init(void);
/* At exit, after every tile is closed. */
void video_shutdown(void);

/* Start playing url (rtsp://...). Returns at once. wake may be NULL. */
video_t *video_open(const char *url, void (*wake)(void *ud), void *ud);
/* Stop and free (asynchronously on the worker). Render thread: call after the tile's textures
 * are no longer drawn; its GL textures are deleted here. */
void video_close(video_t *v);

/* Render thread: upload the newest frame, if one arrived since the last call, into the tile's
 * textures (three GL_R8 planes Y, U, V). Returns true when the tile holds a frame that is live
 * (state VIDEO_PLAYING). */
bool video_update(video_t *v);
/* Render thread: the textures and the frame size (tex all 0 before the first frame). */
void video_textures(const video_t *v, unsigned tex[3], int *width, int *height);

int video_state(const video_t *v);
/* Real-time age of the newest frame in ms, -1 before the first frame. */
int64_t video_last_frame_age_ms(const video_t *v);

typedef struct video_stats {
    uint64_t frames;     /* decoded frames received */
    uint64_t reconnects; /* pipeline restarts */
    uint32_t luma_sum;   /* sum of the newest frame's Y plane, for tests (changes when it moves) */
    int width, height;
} video_stats;
void video_get_stats(const video_t *v, video_stats *out);

#endif
