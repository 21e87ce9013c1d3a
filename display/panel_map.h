/* panel_map internals shared by the city map (panel_map.c) and its province mode
 * (panel_map_province.c): the GeoJSON rings by feature, the projection, the meshes.
 *
 * Thread: render thread only.
 */
#ifndef CW_PANEL_MAP_H
#define CW_PANEL_MAP_H

#include "scene.h"

typedef struct map_ring {
    double *ll; /* lng, lat pairs */
    int n;
    int feature; /* index into features */
} map_ring;

/* A GeoJSON feature (a county of the province map): its rings are [first, first + nrings). */
typedef struct map_feature {
    char name[64];            /* properties.name, "" when absent */
    int first, nrings;        /* its rings */
    double lab_lng, lab_lat;  /* label point: the centroid of its largest ring */
    draw_mesh *fill, *border; /* province mode: built with the projection */
    float bx0, by0, bx1, by1; /* its projected bounding box (canvas pixels) */
} map_feature;

#define MAP_MAX_CITIES 32

typedef struct map_priv {
    map_ring *rings;
    int nrings;
    map_feature *features;
    int nfeatures;
    double min_lng, max_lng, min_lat, max_lat, k;
    /* projection: x = ox + (lng - min_lng) * k * sc, y = oy + (max_lat - lat) * sc */
    double ox, oy, sc;
    bool built;
    draw_mesh *fill, *border, *glow;
    float legend_h;
    /* markers as last drawn, for the pulses */
    int npulse;
    float px[MODEL_MAX_HALLS], py[MODEL_MAX_HALLS], pr[MODEL_MAX_HALLS];
    uint32_t pc[MODEL_MAX_HALLS];
    /* province mode (source: province) */
    bool province;
    json_t *match; /* option `match`: {city id: feature name}, owned; NULL none */
    double th[3];  /* option `classes`: the people-waiting class thresholds */
} map_priv;

void map_project(const map_priv *m, double lng, double lat, float *x, float *y);
/* Rings [r0, r1) as anti-aliased line triangles of width w; as triangle fans (stencil). */
draw_mesh *map_line_mesh(const map_priv *m, int r0, int r1, float w, uint32_t c);
draw_mesh *map_fan_mesh(const map_priv *m, int r0, int r1);

/* Province mode: parse its options (match, classes); build its per-county meshes; draw each
 * city's county in its waiting class with the figure on it, and the legend; free. */
int map_province_create(panel *p, map_priv *m, char *err, size_t errn);
void map_province_build(map_priv *m, scene_frame *f);
void map_province_draw(panel *p, scene_frame *f);
void map_province_destroy(map_priv *m);

#endif
