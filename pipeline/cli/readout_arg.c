// --readout snr=S,t1_over_tint=T. See readout_arg.h.
#include "pipeline/cli/readout_arg.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int qp_readout_arg_parse(const char *text, double *snr, double *t1_over_tint, qp_err *err) {
    int have_snr = 0, have_t1 = 0;
    const char *p = text;
    while (*p) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        const char *eq = memchr(p, '=', len);
        if (!eq) return qp_fail(err, "--readout '%s': expected key=value pairs (snr=S,t1_over_tint=T)", text);
        size_t klen = (size_t)(eq - p);
        char value[64];
        size_t vlen = len - klen - 1;
        if (vlen == 0 || vlen >= sizeof value) return qp_fail(err, "--readout '%s': bad value for '%.*s'", text, (int)klen, p);
        memcpy(value, eq + 1, vlen);
        value[vlen] = 0;
        char *stop;
        double v = strtod(value, &stop);
        if (*stop || isnan(v)) return qp_fail(err, "--readout '%s': '%s' is not a number", text, value);
        if (klen == 3 && strncmp(p, "snr", 3) == 0) *snr = v, have_snr = 1;
        else if (klen == 12 && strncmp(p, "t1_over_tint", 12) == 0) *t1_over_tint = v, have_t1 = 1;
        else return qp_fail(err, "--readout '%s': unknown key '%.*s' (snr, t1_over_tint)", text, (int)klen, p);
        p += len + (end ? 1 : 0);
    }
    if (!have_snr || !have_t1) return qp_fail(err, "--readout '%s': needs both snr=S and t1_over_tint=T", text);
    return 0;
}
