// Parsing "p=P,mean_rounds=R". See leakage_arg.h.
#include "pipeline/cli/leakage_arg.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int qp_leakage_arg_parse(const char *text, qp_frame_leakage *out, char *why, size_t why_len) {
    double v[2] = {NAN, NAN};
    static const char *const keys[2] = {"p", "mean_rounds"};
    const char *s = text;
    while (*s) {
        const char *eq = strchr(s, '=');
        size_t klen = eq ? (size_t)(eq - s) : strlen(s);
        int k = -1;
        for (int i = 0; i < 2; i++)
            if (strlen(keys[i]) == klen && strncmp(s, keys[i], klen) == 0) k = i;
        if (k < 0 || !eq) {
            snprintf(why, why_len, "--leakage '%s': expected p=P,mean_rounds=R, got '%.*s'", text, (int)klen, s);
            return -1;
        }
        char *end;
        errno = 0;
        double x = strtod(eq + 1, &end);
        if (end == eq + 1 || (*end && *end != ',') || errno) {
            snprintf(why, why_len, "--leakage '%s': %s needs a number", text, keys[k]);
            return -1;
        }
        v[k] = x;
        s = *end ? end + 1 : end;
    }
    if (isnan(v[0]) || isnan(v[1])) {
        snprintf(why, why_len, "--leakage '%s': give both p=P and mean_rounds=R", text);
        return -1;
    }
    if (!(v[0] >= 0 && v[0] <= 1)) {
        snprintf(why, why_len, "--leakage: p = %g must be in [0, 1]", v[0]);
        return -1;
    }
    if (!(v[1] >= 1) || isinf(v[1])) {
        snprintf(why, why_len, "--leakage: mean_rounds = %g must be a number >= 1", v[1]);
        return -1;
    }
    out->p = v[0];
    out->mean_rounds = v[1];
    return 0;
}
