/* gw_odbc: the SQL table tailer over ODBC (unixODBC). It follows a vendor table (or view) by
 * an increasing integer key column: `SELECT * FROM T WHERE K > ? ORDER BY K`, at most
 * `batch` rows per poll, every `poll_ms`. The rows of one poll and the new position (the
 * highest key seen) are committed in ONE outbox transaction, so after a crash or power loss
 * the tailer resumes exactly after the last row it took: rows inserted while the gateway is
 * down are taken when it comes back. Every column is read as text (NULL: absent).
 *
 * Limit (docs/gateway.md): a row that becomes visible with a key below the position (a
 * vendor transaction that commits after a later one) is not seen; vendors' auto-increment
 * keys under one writer do not do this.
 *
 * Thread: the poller thread owns a gw_odbc.
 */
#ifndef CW_GW_ODBC_H
#define CW_GW_ODBC_H

#include "gw_take.h"

typedef struct gw_odbc gw_odbc;

gw_odbc *gw_odbc_new(const gw_input *in);
void gw_odbc_free(gw_odbc *q);
/* One poll: connects when needed, takes up to batch rows. Returns rows taken (0: none new),
 * -1 on an error (logged once per outage; the connection is dropped and retried next poll). */
int gw_odbc_poll(gw_odbc *q, gw_taker *t);
/* For --dry-run: up to max rows after position 0 as records (caller decrefs), or NULL. */
json_t *gw_odbc_fetch_sample(const gw_input *in, int max, char *err, size_t errlen);

#endif
