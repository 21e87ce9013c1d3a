/* cli: the usage errors of citywall's command-line tools (citywall-sim, citywall-bench): one
 * line naming what is wrong, a pointer to --help, exit status 2. */
#ifndef CW_CLI_H
#define CW_CLI_H

/* "PROG: <fmt with arg>" and "(try PROG --help)" on stderr. Returns 2. */
int cli_bad_usage(const char *prog, const char *fmt, const char *arg);
/* After getopt_long (with opterr 0) returned an option it does not know or one missing its
 * value: says which (from optopt and argv[optind - 1]). Returns 2. */
int cli_getopt_error(const char *prog, char **argv);

#endif
