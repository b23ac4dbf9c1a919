// Parameters into the layout of more input features (see nn_widen.h).
#include "workers/nn/nn_widen.h"

#include <string.h>

enum { IN_W = 1 };  // in_w's place in nn_params order (nn_param_names[1])

int nn_params_widen_features(const nn_config *from, const float *src, const nn_config *to, float *dst, qp_err *err) {
    size_t za[NN_NUM_PARAM_TENSORS], zb[NN_NUM_PARAM_TENSORS];
    nn_param_sizes(za, from);
    nn_param_sizes(zb, to);
    int Fa = from->num_features, Fb = to->num_features, H = to->hidden;
    if (Fa < 1 || Fb < Fa)
        return qp_fail(err, "nn_params_widen_features: %d input features do not widen to %d", Fa, Fb);
    for (int t = 0; t < NN_NUM_PARAM_TENSORS; t++)
        if (t != IN_W && za[t] != zb[t])  // equal in_b (2,H): equal H
            return qp_fail(err, "nn_params_widen_features: %s has %zu values in the model, %zu in the target layout",
                           nn_param_names[t], za[t], zb[t]);
    for (int t = 0; t < NN_NUM_PARAM_TENSORS; t++) {
        if (t == IN_W) {
            // in_w (2,H,F): row (k,h) keeps its F_from weights, then F_to - F_from zeros.
            for (int kh = 0; kh < 2 * H; kh++) {
                memcpy(dst + (size_t)kh * Fb, src + (size_t)kh * Fa, (size_t)Fa * sizeof(float));
                memset(dst + (size_t)kh * Fb + Fa, 0, (size_t)(Fb - Fa) * sizeof(float));
            }
        } else if (za[t]) {
            memcpy(dst, src, za[t] * sizeof(float));
        }
        src += za[t];
        dst += zb[t];
    }
    return 0;
}
