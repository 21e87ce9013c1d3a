/* gw_csv: the CSV-folder input. An export job drops files into `dir` (written elsewhere and
 * renamed in, so a file with the input's suffix is complete); each is parsed (RFC 4180: a
 * header row names the fields, quotes, doubled quotes, CRLF, a UTF-8 BOM), its rows taken in
 * one transaction that also records the file (name, size, mtime) as taken, and only then is
 * it moved to `done_dir` (default DIR/done). A crash between the commit and the move leaves a
 * file that is recognised as taken and just moved at the next scan: each file is taken once.
 *
 * Thread: the poller thread.
 */
#ifndef CW_GW_CSV_H
#define CW_GW_CSV_H

#include <jansson.h>
#include <stddef.h>

#include "gw_take.h"

/* Parse CSV text into an array of records (objects of strings keyed by the header); a row
 * whose field count differs from the header's becomes {"__error": "..."} so that it is
 * quarantined with its reason and the rows behind it still go through. Caller decrefs. */
json_t *gw_csv_parse(const char *text, size_t len, char delim);

/* Take every complete file of in's folder, oldest first. Returns files taken, -1 on error. */
int gw_csv_scan(gw_taker *t, const gw_input *in);

#endif
