/* hero: the words of the camera wall's hero slot on a hub-decided wall (--wall): why the hall is
 * there (告警联动 · P2 · 江南街道 · 单号等候超时 · 已持续 1分47秒 · 已恢复, or 上墙 · 东塍镇 ·
 * 操作员 city) and its KPIs. Pure text: the camera panel draws them. Thread: render thread. */
#ifndef CW_HERO_H
#define CW_HERO_H

#include <stddef.h>

#include "scene.h"

/* The hero's reason from f->m->wall; hall: its index in the model (-1: the hub's id is used). */
void hero_reason_text(scene_frame *f, int hall, char *buf, size_t n);
/* "当前等候 4  平均等候 1分56秒  开放窗口 8  好评率 100.0%" for model hall `hall` ("" when none).
 */
void hero_kpi_line(scene_frame *f, int hall, char *line, size_t n);

#endif
