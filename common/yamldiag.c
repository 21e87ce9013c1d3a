/* yamldiag: see yamldiag.h. */
#include "yamldiag.h"

#include <stdlib.h>
#include <string.h>

static void out(struct fy_diag *diag, void *user, const char *buf, size_t len)
{
    (void)diag;
    ydiag *d = user;
    char *n = realloc(d->text, d->len + len + 1);
    if (!n) return;
    memcpy(n + d->len, buf, len);
    d->len += len;
    n[d->len] = '\0';
    d->text = n;
}

int ydiag_open(ydiag *d)
{
    memset(d, 0, sizeof *d);
    struct fy_diag_cfg dc;
    fy_diag_cfg_default(&dc);
    dc.fp = NULL;
    dc.output_fn = out;
    dc.user = d;
    dc.level = FYET_ERROR;
    dc.colorize = false;
    dc.show_source = false;
    dc.show_position = true;
    dc.show_type = false;
    dc.show_module = false;
    d->diag = fy_diag_create(&dc);
    return d->diag ? 0 : -1;
}

void ydiag_close(ydiag *d)
{
    if (d->diag) fy_diag_destroy(d->diag);
    free(d->text);
    memset(d, 0, sizeof *d);
}

/* 1-based line of the first token in N; 0 when N has none (an empty value or {}). */
int ydiag_node_line(struct fy_node *n)
{
    if (!n) return 0;
    void *it = NULL;
    switch (fy_node_get_type(n)) {
    case FYNT_SCALAR: {
        struct fy_token *t = fy_node_get_scalar_token(n);
        const struct fy_mark *m = t ? fy_token_start_mark(t) : NULL;
        return m ? m->line + 1 : 0;
    }
    case FYNT_MAPPING: {
        struct fy_node_pair *p;
        while ((p = fy_node_mapping_iterate(n, &it))) {
            int l = ydiag_node_line(fy_node_pair_key(p));
            if (!l) l = ydiag_node_line(fy_node_pair_value(p));
            if (l) return l;
        }
        return 0;
    }
    case FYNT_SEQUENCE: {
        struct fy_node *c;
        while ((c = fy_node_sequence_iterate(n, &it))) {
            int l = ydiag_node_line(c);
            if (l) return l;
        }
        return 0;
    }
    }
    return 0;
}
