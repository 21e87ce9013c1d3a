/* geo: a city outline from GeoJSON, point-in-polygon and distance to it (see geo.h). */
#include "geo.h"
#include "xalloc.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct geo_ring {
    double *ll; /* lng, lat pairs; the closing point may repeat the first */
    int n;
} geo_ring;

struct geo_outline {
    geo_ring *rings;
    int nrings, cap, npts;
};

static int add_ring(geo_outline *g, const json_t *coords)
{
    size_t n = json_array_size(coords);
    if (n < 3) return 0;
    if (g->nrings == g->cap) {
        int c = g->cap ? g->cap * 2 : 16;
        geo_ring *r = realloc(g->rings, (size_t)c * sizeof *r);
        if (!r) return -1;
        g->rings = r;
        g->cap = c;
    }
    geo_ring *r = &g->rings[g->nrings];
    r->ll = malloc(n * 2 * sizeof(double));
    if (!r->ll) return -1;
    r->n = 0;
    size_t i;
    const json_t *p;
    json_array_foreach(coords, i, p)
    {
        const json_t *x = json_array_get(p, 0), *y = json_array_get(p, 1);
        if (!json_is_number(x) || !json_is_number(y)) continue;
        r->ll[2 * r->n] = json_number_value(x);
        r->ll[2 * r->n + 1] = json_number_value(y);
        r->n++;
    }
    g->npts += r->n;
    g->nrings++;
    return 0;
}

static int add_geometry(geo_outline *g, const json_t *geom)
{
    const char *type = json_string_value(json_object_get(geom, "type"));
    const json_t *c = json_object_get(geom, "coordinates");
    size_t i, j;
    const json_t *poly, *ring;
    if (!type) return 0;
    if (!strcmp(type, "Polygon")) {
        json_array_foreach(c, i, ring) if (add_ring(g, ring) < 0) return -1;
    } else if (!strcmp(type, "MultiPolygon")) {
        json_array_foreach(c, i, poly)
            json_array_foreach(poly, j, ring) if (add_ring(g, ring) < 0) return -1;
    } else if (!strcmp(type, "GeometryCollection")) {
        json_array_foreach(json_object_get(geom, "geometries"), i,
                           poly) if (add_geometry(g, poly) < 0) return -1;
    }
    return 0;
}

geo_outline *geo_load(const char *path, char *err, size_t errn)
{
    json_error_t je;
    json_t *doc = json_load_file(path, 0, &je);
    if (!doc) {
        snprintf(err, errn, "cannot read GeoJSON '%s': %s (line %d)", path, je.text, je.line);
        return NULL;
    }
    geo_outline *g = cw_xcalloc(1, sizeof *g);
    int rc = g ? 0 : -1;
    const char *type = json_string_value(json_object_get(doc, "type"));
    if (g && type && !strcmp(type, "FeatureCollection")) {
        size_t i;
        const json_t *f;
        json_array_foreach(json_object_get(doc, "features"), i, f)
        {
            if (rc == 0) rc = add_geometry(g, json_object_get(f, "geometry"));
        }
    } else if (g && type && !strcmp(type, "Feature")) {
        rc = add_geometry(g, json_object_get(doc, "geometry"));
    } else if (g) {
        rc = add_geometry(g, doc);
    }
    json_decref(doc);
    if (rc < 0) {
        snprintf(err, errn, "out of memory reading '%s'", path);
        geo_free(g);
        return NULL;
    }
    if (g->nrings == 0) {
        snprintf(err, errn, "'%s' holds no Polygon or MultiPolygon", path);
        geo_free(g);
        return NULL;
    }
    return g;
}

void geo_free(geo_outline *g)
{
    if (!g) return;
    for (int i = 0; i < g->nrings; i++)
        free(g->rings[i].ll);
    free(g->rings);
    free(g);
}

bool geo_contains(const geo_outline *g, double lng, double lat)
{
    bool in = false;
    for (int r = 0; r < g->nrings; r++) {
        const double *p = g->rings[r].ll;
        int n = g->rings[r].n;
        for (int i = 0, j = n - 1; i < n; j = i++) {
            double xi = p[2 * i], yi = p[2 * i + 1], xj = p[2 * j], yj = p[2 * j + 1];
            if ((yi > lat) != (yj > lat) && lng < (xj - xi) * (lat - yi) / (yj - yi) + xi) in = !in;
        }
    }
    return in;
}

double geo_edge_km(const geo_outline *g, double lng, double lat)
{
    const double km_per_deg = 6371.0088 * M_PI / 180.0;
    double k = cos(lat * M_PI / 180.0), best = INFINITY;
    for (int r = 0; r < g->nrings; r++) {
        const double *p = g->rings[r].ll;
        int n = g->rings[r].n;
        for (int i = 0, j = n - 1; i < n; j = i++) {
            /* segment j -> i in km around the point */
            double ax = (p[2 * j] - lng) * k, ay = p[2 * j + 1] - lat;
            double bx = (p[2 * i] - lng) * k, by = p[2 * i + 1] - lat;
            double dx = bx - ax, dy = by - ay, len2 = dx * dx + dy * dy;
            double t = len2 > 0 ? -(ax * dx + ay * dy) / len2 : 0;
            t = t < 0 ? 0 : t > 1 ? 1 : t;
            double cx = ax + t * dx, cy = ay + t * dy, d = sqrt(cx * cx + cy * cy);
            if (d < best) best = d;
        }
    }
    return best * km_per_deg;
}

int geo_rings(const geo_outline *g)
{
    return g->nrings;
}

int geo_points(const geo_outline *g)
{
    return g->npts;
}
