/* stats_period: the periods statistics are asked for -- a day, an ISO week, a month, or a
 * custom range of days -- as inclusive ranges of local dates (yyyymmdd), and the period just
 * before one (for "compare with the previous period"). Pure functions; any thread.
 */
#ifndef CW_STATS_PERIOD_H
#define CW_STATS_PERIOD_H

#include <stddef.h>

#define STATS_MAX_DAYS 400 /* the longest custom range */

typedef enum { SP_DAY, SP_WEEK, SP_MONTH, SP_RANGE } stats_period_kind;

typedef struct stats_period {
    int kind;       /* stats_period_kind */
    int from, to;   /* yyyymmdd, inclusive */
    char label[24]; /* "2026-10-09", "2026-W41", "2026-10", "2026-10-05..2026-10-11" */
} stats_period;

/* From the query arguments (each NULL when absent): exactly one of day, week ("2026-W41"),
 * month ("2026-10"), or from+to (dates). Returns 0, or -1 with a message naming the argument
 * in err. */
int stats_period_parse(const char *day, const char *week, const char *month, const char *from,
                       const char *to, stats_period *out, char *err, size_t n);
/* The period of the same kind and length just before p. */
stats_period stats_period_previous(const stats_period *p);
/* Days from a to b inclusive (a <= b). */
int stats_days_between(int a, int b);

#endif
