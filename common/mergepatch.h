/* mergepatch: RFC 7396 JSON merge patches -- the live protocol's deltas (SPEC §4).
 *
 * State documents never hold null (a KPI with no data is absent), so a merge patch can
 * express every change between two of them.
 */
#ifndef CW_MERGEPATCH_H
#define CW_MERGEPATCH_H

#include <jansson.h>

/* The merge patch that turns `from` into `to`: objects are compared key by key (removed keys
 * become null), anything else is replaced whole when not json_equal. Returns a new reference,
 * or NULL when the two are equal (no change). Neither input is modified. */
json_t *mp_diff(json_t *from, json_t *to);

/* Apply `patch` to `target` (RFC 7396 MergePatch). Returns the result as a new reference:
 * `target` is stolen (it may be modified in place and returned, or released); `patch` is
 * borrowed and not modified. */
json_t *mp_apply(json_t *target, json_t *patch);

/* One patch equivalent to applying `first` then `second` (both borrowed). Returns a new
 * reference, or NULL when no single merge patch can express the two (a key deleted or set to a
 * non-object, then set to an object): then send a snapshot instead. */
json_t *mp_compose(json_t *first, json_t *second);

#endif
