/* sim_args: citywall-sim's command line. */
#ifndef CW_SIM_ARGS_H
#define CW_SIM_ARGS_H

#include <stdbool.h>
#include <stdint.h>

#include "cwtime.h"

typedef struct sim_opts {
    const char *hub, *token, *config, *clock_spec, *scenario_name, *halls_arg;
    uint64_t seed;
    double duration_s; /* 0: until stopped */
    long batch_ms;
    int rtsp_port; /* 0: no RTSP cameras */
    const char *rtsp_control, *rtsp_outage;
    bool dump;
    const struct sim_scenario *scenario; /* the one --scenario names */
    cwt_clock clock;                     /* --clock, or real time */
} sim_opts;

/* Fill o from the command line (the scenario found, the clock parsed). -1: run; otherwise the
 * exit status (0 after --help or --version, 2 after a usage error, said on stderr). */
int sim_args_parse(int argc, char **argv, sim_opts *o);

#endif
