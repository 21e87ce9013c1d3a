/* mergepatch: RFC 7396 JSON merge patches (see mergepatch.h).
 *
 * Composition is not closed: a merge patch can set a member to an object only by merging
 * into whatever object is there, so "delete k (or set it to a scalar), then set k to an
 * object" has no single-patch equivalent when the target may already hold an object at k
 * (the old members would survive). mp_compose() returns NULL in exactly that case, at any
 * depth; the caller then sends a fresh snapshot (SPEC §4 allows either). Every other pair
 * composes exactly: applying the result to any target equals applying first then second.
 */
#include "mergepatch.h"

#include <stddef.h>

json_t *mp_diff(json_t *from, json_t *to)
{
    if (!json_is_object(from) || !json_is_object(to)) {
        if (from == to || (from && to && json_equal(from, to))) return NULL;
        return to ? json_deep_copy(to) : json_null();
    }
    json_t *patch = json_object();
    if (!patch) return NULL;
    const char *key;
    json_t *fv, *tv;
    json_object_foreach(from, key, fv)
    {
        if (!json_object_get(to, key) && json_object_set_new(patch, key, json_null()) != 0)
            goto fail;
    }
    json_object_foreach(to, key, tv)
    {
        fv = json_object_get(from, key);
        json_t *d = fv ? mp_diff(fv, tv) : json_deep_copy(tv);
        if (d && json_object_set_new(patch, key, d) != 0) goto fail;
    }
    if (json_object_size(patch) == 0) {
        json_decref(patch);
        return NULL;
    }
    return patch;
fail:
    json_decref(patch);
    return NULL;
}

json_t *mp_apply(json_t *target, json_t *patch)
{
    if (!json_is_object(patch)) {
        json_decref(target);
        return json_deep_copy(patch);
    }
    if (!json_is_object(target)) {
        json_decref(target);
        target = json_object();
        if (!target) return NULL;
    }
    const char *key;
    json_t *pv;
    json_object_foreach(patch, key, pv)
    {
        if (json_is_null(pv)) {
            json_object_del(target, key);
            continue;
        }
        json_t *cur = json_incref(json_object_get(target, key));
        json_t *r = mp_apply(cur, pv);
        if (!r || json_object_set_new(target, key, r) != 0) {
            json_decref(target);
            return NULL;
        }
    }
    return target;
}

json_t *mp_compose(json_t *first, json_t *second)
{
    if (!json_is_object(second)) return json_deep_copy(second);
    if (!json_is_object(first))
        return NULL; /* not expressible as one merge patch (see the top of this file) */
    json_t *out = json_deep_copy(first);
    if (!out) return NULL;
    const char *key;
    json_t *sv;
    json_object_foreach(second, key, sv)
    {
        json_t *fv = json_object_get(first, key);
        json_t *c;
        if (json_is_null(sv))
            c = json_null();
        else if (fv)
            c = mp_compose(fv, sv);
        else
            c = json_deep_copy(sv);
        if (!c || json_object_set_new(out, key, c) != 0) goto fail;
    }
    return out;
fail:
    json_decref(out);
    return NULL;
}
