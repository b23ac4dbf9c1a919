// The --leakage flag of `simulate` and `sample`: "p=P,mean_rounds=R" (both keys, any order)
// into the frame simulator's leakage parameters (workers/sim/frame_leak.h has the model).
#ifndef QP_CLI_LEAKAGE_ARG_H
#define QP_CLI_LEAKAGE_ARG_H

#include <stddef.h>

#include "workers/sim/frame_sim.h"

// Returns 0, or -1 with a one-line reason in why (why_len bytes).
int qp_leakage_arg_parse(const char *text, qp_frame_leakage *out, char *why, size_t why_len);

#endif
