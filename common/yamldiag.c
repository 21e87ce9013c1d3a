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
