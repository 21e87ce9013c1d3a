/* map_mesh: the map's projection and its meshes (borders as anti-aliased line triangles, areas as
 * triangle fans for the stencil fill), shared by the city map (panel_map.c) and its province
 * mode (panel_map_province.c) -- the bottom of the map panel: it calls neither. See
 * panel_map.h.
 *
 * Thread: render thread only. */
#include <math.h>
#include <stdlib.h>

#include "panel_map.h"

void map_project(const map_priv *m, double lng, double lat, float *x, float *y)
{
    *x = (float)(m->ox + (lng - m->min_lng) * m->k * m->sc);
    *y = (float)(m->oy + (m->max_lat - lat) * m->sc);
}

/* Line segments as triangles (6 vertices each) with the AA line mode. */
draw_mesh *map_line_mesh(const map_priv *m, int r0, int r1, float w, uint32_t c)
{
    int total = 0;
    for (int i = r0; i < r1; i++)
        total += m->rings[i].n;
    draw_vertex *v = malloc(sizeof(draw_vertex) * (size_t)total * 6);
    if (!v) return NULL;
    int nv = 0;
    float hw = w / 2, e = hw + 1;
    for (int i = r0; i < r1; i++) {
        const map_ring *r = &m->rings[i];
        for (int j = 0; j < r->n; j++) {
            int k = (j + 1) % r->n;
            float x0, y0, x1, y1;
            map_project(m, r->ll[2 * j], r->ll[2 * j + 1], &x0, &y0);
            map_project(m, r->ll[2 * k], r->ll[2 * k + 1], &x1, &y1);
            float dx = x1 - x0, dy = y1 - y0, len = sqrtf(dx * dx + dy * dy);
            if (len < 1e-3f) continue;
            float nx = -dy / len * e, ny = dx / len * e;
            draw_vertex a = draw_vert(x0 + nx, y0 + ny, 0, e, c, DRAW_LINE, hw, 0, 0);
            draw_vertex b = draw_vert(x1 + nx, y1 + ny, 0, e, c, DRAW_LINE, hw, 0, 0);
            draw_vertex cc = draw_vert(x1 - nx, y1 - ny, 0, -e, c, DRAW_LINE, hw, 0, 0);
            draw_vertex dd = draw_vert(x0 - nx, y0 - ny, 0, -e, c, DRAW_LINE, hw, 0, 0);
            v[nv++] = a;
            v[nv++] = b;
            v[nv++] = cc;
            v[nv++] = a;
            v[nv++] = cc;
            v[nv++] = dd;
        }
    }
    int first = 0;
    draw_mesh *mesh = draw_mesh_create(v, nv, GL_TRIANGLES, &first, &nv, 1);
    free(v);
    return mesh;
}

/* Rings [r0, r1) as triangle fans for the stencil fill. */
draw_mesh *map_fan_mesh(const map_priv *m, int r0, int r1)
{
    int total = 0, nr = r1 - r0;
    for (int i = r0; i < r1; i++)
        total += m->rings[i].n;
    if (nr <= 0 || total <= 0) return NULL;
    draw_vertex *v = malloc(sizeof(draw_vertex) * (size_t)total);
    int *first = malloc(sizeof(int) * (size_t)nr), *count = malloc(sizeof(int) * (size_t)nr);
    draw_mesh *mesh = NULL;
    if (v && first && count) {
        int nv = 0;
        for (int i = r0; i < r1; i++) {
            first[i - r0] = nv;
            for (int j = 0; j < m->rings[i].n; j++) {
                float x, y;
                map_project(m, m->rings[i].ll[2 * j], m->rings[i].ll[2 * j + 1], &x, &y);
                v[nv++] = draw_vert(x, y, 0, 0, DRAW_RGBA(255, 255, 255, 255), DRAW_SOLID, 0, 0, 0);
            }
            count[i - r0] = m->rings[i].n;
        }
        mesh = draw_mesh_create(v, nv, GL_TRIANGLE_FAN, first, count, nr);
    }
    free(v);
    free(first);
    free(count);
    return mesh;
}
