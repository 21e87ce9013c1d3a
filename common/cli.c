/* cli: see cli.h. */
#include "cli.h"

#include <getopt.h>
#include <stdio.h>

int cli_bad_usage(const char *prog, const char *fmt, const char *arg)
{
    fprintf(stderr, "%s: ", prog);
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\n(try %s --help)\n", prog);
    return 2;
}

int cli_getopt_error(const char *prog, char **argv)
{
    if (optopt && optopt != '?')
        return cli_bad_usage(prog, "option %s needs a value", argv[optind - 1]);
    return cli_bad_usage(prog, "unknown option '%s'", argv[optind - 1]);
}
