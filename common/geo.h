/* geo: a city outline from GeoJSON (WGS-84 lng/lat; Polygon and MultiPolygon geometries of
 * every feature, holes included) and the two questions the config check asks of it: is a point
 * inside (even-odd rule over all rings), and how far is it from the outline.
 *
 * Distances use an equirectangular projection around the point's latitude (x = lng·cos(lat)),
 * good to well under 1 % at city scale. A geo_outline is immutable after geo_load; any thread.
 */
#ifndef CW_GEO_H
#define CW_GEO_H

#include <stdbool.h>
#include <stddef.h>

typedef struct geo_outline geo_outline;

/* Load the outline of every Polygon/MultiPolygon in a GeoJSON FeatureCollection, Feature or
 * geometry at path. NULL with a message in err (errn bytes) when it cannot be read or holds no
 * polygon. Free with geo_free. */
geo_outline *geo_load(const char *path, char *err, size_t errn);
void geo_free(geo_outline *g);

/* The point (lng, lat) lies inside the outline (on an edge counts as either). */
bool geo_contains(const geo_outline *g, double lng, double lat);
/* Great-circle-ish distance in km from (lng, lat) to the nearest edge of the outline. */
double geo_edge_km(const geo_outline *g, double lng, double lat);
/* Number of rings and points loaded (for messages and tests). */
int geo_rings(const geo_outline *g);
int geo_points(const geo_outline *g);

#endif
