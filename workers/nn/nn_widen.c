// Parameters into a model of more input features or more layers (see nn_widen.h).
#include "workers/nn/nn_widen.h"

#include <string.h>

// Places in nn_params order (nn_param_names).
enum { IN_W = 1, LN1W = 3, PROJW = 8, PROJB = 9, FC2W = 14, FC2B = 15, GEO_BIAS = 24, CONVW = 27, CONVB = 28 };

static int per_layer(int t) { return (t >= LN1W && t <= FC2B) || (t >= GEO_BIAS && t <= CONVB); }

// Tensors whose output is added to the residual state: zero in a new layer.
static int writes_residual(int t) {
    return t == PROJW || t == PROJB || t == FC2W || t == FC2B || t == CONVW || t == CONVB;
}

int nn_params_widen(const nn_config *from, const float *src, const nn_config *to, float *dst, qp_err *err) {
    size_t za[NN_NUM_PARAM_TENSORS], zb[NN_NUM_PARAM_TENSORS];
    nn_param_sizes(za, from);
    nn_param_sizes(zb, to);
    int Fa = from->num_features, Fb = to->num_features, H = to->hidden;
    int La = from->num_layers, Lb = to->num_layers;
    if (Fa < 1 || Fb < Fa)
        return qp_fail(err, "nn_params_widen: %d input features do not widen to %d", Fa, Fb);
    if (La < 1 || Lb < La) return qp_fail(err, "nn_params_widen: %d layers do not grow to %d", La, Lb);
    for (int t = 0; t < NN_NUM_PARAM_TENSORS; t++) {
        // Compared per layer for the per-layer tensors; in_w's rows (in_b (2,H): equal H).
        size_t a = per_layer(t) ? za[t] / (size_t)La : za[t], b = per_layer(t) ? zb[t] / (size_t)Lb : zb[t];
        if (t != IN_W && a != b)
            return qp_fail(err, "nn_params_widen: %s has %zu values%s in the model, %zu in the target layout",
                           nn_param_names[t], a, per_layer(t) ? " per layer" : "", b);
    }
    for (int t = 0; t < NN_NUM_PARAM_TENSORS; t++) {
        if (t == IN_W) {
            // in_w (2,H,F): row (k,h) keeps its F_from weights, then F_to - F_from zeros.
            for (int kh = 0; kh < 2 * H; kh++) {
                memcpy(dst + (size_t)kh * Fb, src + (size_t)kh * Fa, (size_t)Fa * sizeof(float));
                memset(dst + (size_t)kh * Fb + Fa, 0, (size_t)(Fb - Fa) * sizeof(float));
            }
        } else if (per_layer(t)) {
            // (L,...): the source's layers first, then the new layers' own values (or zeros).
            memcpy(dst, src, za[t] * sizeof(float));
            if (writes_residual(t)) memset(dst + za[t], 0, (zb[t] - za[t]) * sizeof(float));
        } else if (za[t]) {
            memcpy(dst, src, za[t] * sizeof(float));
        }
        src += za[t];
        dst += zb[t];
    }
    return 0;
}
