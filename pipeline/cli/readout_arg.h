// The --readout argument of `qecpipe gen` and `qecpipe simulate`: "snr=S,t1_over_tint=T"
// (keys in any order, both required; T may be "inf" for no decay), the analog readout model of
// workers/sim/readout_model.h. The config's noise.readout mapping names the same two keys.
#ifndef QP_CLI_READOUT_ARG_H
#define QP_CLI_READOUT_ARG_H

#include "workers/util/err.h"

// Parses text into *snr and *t1_over_tint (ranges are checked by qp_readout_model_init).
int qp_readout_arg_parse(const char *text, double *snr, double *t1_over_tint, qp_err *err);

#endif
