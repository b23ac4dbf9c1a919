// Parameters into a model of more input features, more layers or a wider state (see nn_widen.h).
#include "workers/nn/nn_widen.h"

#include <stdlib.h>
#include <string.h>

#include "workers/nn/nn_geom_bias.h"
#include "workers/util/alloc.h"
#include "workers/util/rng.h"

// Places in nn_params order (nn_param_names).
enum {
    STAB_EMB, IN_W, IN_B, LN1W, LN1B, QKVW, QKVB, ATTN_BIAS, PROJW, PROJB, LN2W, LN2B, FC1W, FC1B, FC2W, FC2B,
    AUX_W, AUX_B, LNFW, LNFB, RO1W, RO1B, RO2W, RO2B, GEO_BIAS, CONVLNW, CONVLNB, CONVW, CONVB
};

static int per_layer(int t) { return (t >= LN1W && t <= FC2B) || (t >= GEO_BIAS && t <= CONVB); }

// Tensors whose output is added to the residual state: zero in a new layer.
static int writes_residual(int t) {
    return t == PROJW || t == PROJB || t == FC2W || t == FC2B || t == CONVW || t == CONVB;
}

// Width growth by an integer factor m (hidden, heads, ffn_hidden, readout_hidden all x m; the
// head size stays). Each tensor is P outer blocks (layers, q/k/v parts, ...) of up to three
// axes. An axis is kept, tiled (unit j of the wider axis holds unit j mod n of the source,
// so every unit has m equal copies) or split (an input axis that reads tiled units: copy c
// of input k gets the source weight times a share s_c, the m shares summing to 1, so the
// copies together add what input k added). With the state tiled, every LayerNorm sees the
// source's mean and variance and every head the source's scores, so the wider model computes
// the source's function. Unequal shares (from a hash: deterministic, no state) break the
// symmetry between copies, so their gradients differ from the first step.
enum { KEEP, TILE, SPLIT };
typedef struct {
    size_t P;     // outer blocks, the same in both models
    size_t n[3];  // source sizes (an unused axis: KEEP of size 1)
    int kind[3];
} wshape;

#define AX1(p, k0, n0) ((wshape){(p), {(n0), 1, 1}, {(k0), KEEP, KEEP}})
#define AX2(p, k0, n0, k1, n1) ((wshape){(p), {(n0), (n1), 1}, {(k0), (k1), KEEP}})

static wshape width_shape(int t, const nn_config *c) {
    size_t H = c->hidden, FH = c->ffn_hidden, RH = c->readout_hidden, NH = c->num_heads, L = c->num_layers;
    size_t S = c->num_stabs, F = c->num_features, O = c->num_obs, ND = c->num_dilations;
    size_t G = c->ffn_gated ? 2 : 1, SE = c->stab_emb_by_type ? NN_GEOM_TYPES : S;
    size_t E = c->attn_bias_geometric ? (size_t)nn_geom_bias_entries(c->geom_radius) : 0;
    switch (t) {
    case STAB_EMB: return AX1(SE, TILE, H);
    case IN_W: return AX2(2, TILE, H, KEEP, F);
    case IN_B: return AX1(2, TILE, H);
    case QKVW: return AX2(3 * L, TILE, H, SPLIT, H);  // blocks q, k, v per layer
    case QKVB: return AX1(3 * L, TILE, H);
    case ATTN_BIAS: return AX2(c->attn_bias_geometric ? 0 : L, TILE, NH, KEEP, S * S);
    case PROJW: return AX2(L, TILE, H, SPLIT, H);
    case FC1W: return AX2(G * L, TILE, FH, SPLIT, H);  // gated: blocks a, g per layer
    case FC1B: return AX1(G * L, TILE, FH);
    case FC2W: return AX2(L, TILE, H, SPLIT, FH);
    case AUX_W: return AX1(1, SPLIT, H);
    case AUX_B: return AX1(1, KEEP, 1);
    case LNFW: case LNFB: return AX1(1, TILE, H);
    case RO1W: return AX2(1, TILE, RH, SPLIT, H);
    case RO1B: return AX1(1, TILE, RH);
    case RO2W: return AX1(O, SPLIT, RH);
    case RO2B: return AX1(O, KEEP, 1);
    case GEO_BIAS: return AX2(L, TILE, NH, KEEP, E);
    case CONVW: return (wshape){L * ND, {H, 9, H}, {TILE, KEEP, SPLIT}};
    case CONVLNW: case CONVLNB: case CONVB: return AX1(L * ND, TILE, H);
    default: return AX1(L, TILE, H);  // ln1w ln1b projb ln2w ln2b fc2b
    }
}

// Share of copy c among m, for the split group `group` of tensor t: u_c / sum u, u in [0.5, 1.5).
static float split_share(int t, size_t group, int c, int m) {
    double sum = 0, mine = 0;
    for (int k = 0; k < m; k++) {
        uint64_t h = qp_mix64(qp_mix64(((uint64_t)t << 56) ^ (uint64_t)group) ^ (uint64_t)k);
        double u = 0.5 + (double)(h >> 11) * 0x1.0p-53;
        sum += u;
        if (k == c) mine = u;
    }
    return (float)(mine / sum);
}

// Axis a's size in the model widened m times (m = 1: the source).
static size_t wshape_axis(const wshape *w, int a, int m) { return w->kind[a] == KEEP ? w->n[a] : (size_t)m * w->n[a]; }

// Values of the whole tensor widened m times.
static size_t wshape_values(const wshape *w, int m) {
    return w->P * wshape_axis(w, 0, m) * wshape_axis(w, 1, m) * wshape_axis(w, 2, m);
}

static void widen_tensor(int t, const wshape *w, int m, const float *src, float *dst) {
    size_t dn[3];
    for (int a = 0; a < 3; a++) dn[a] = wshape_axis(w, a, m);
    size_t ssz = w->n[0] * w->n[1] * w->n[2], dsz = dn[0] * dn[1] * dn[2];
    for (size_t p = 0; p < w->P; p++)
        for (size_t i0 = 0; i0 < dn[0]; i0++)
            for (size_t i1 = 0; i1 < dn[1]; i1++)
                for (size_t i2 = 0; i2 < dn[2]; i2++) {
                    size_t i[3] = {i0, i1, i2}, j[3];
                    for (int a = 0; a < 3; a++) j[a] = i[a] % w->n[a];
                    float v = src[p * ssz + (j[0] * w->n[1] + j[1]) * w->n[2] + j[2]];
                    for (int a = 0; a < 3; a++)
                        if (w->kind[a] == SPLIT) {
                            // The group: this destination position with copy 0 of the input.
                            size_t g[3] = {i0, i1, i2};
                            g[a] = j[a];
                            v *= split_share(t, ((p * dn[0] + g[0]) * dn[1] + g[1]) * dn[2] + g[2],
                                             (int)(i[a] / w->n[a]), m);
                        }
                    dst[p * dsz + (i0 * dn[1] + i1) * dn[2] + i2] = v;
                }
}

// from's parameters into the layout of from widened m times (mid).
static int widen_hidden(const nn_config *from, const float *src, const nn_config *to, nn_config *mid,
                        float **out, qp_err *err) {
    int H = from->hidden, m = to->hidden / H;
    if (to->hidden < H || to->hidden % H)
        return qp_fail(err, "nn_params_widen: hidden %d does not widen to %d (a multiple is needed)", H, to->hidden);
    if (to->num_heads != m * from->num_heads || to->ffn_hidden != m * from->ffn_hidden ||
        to->readout_hidden != m * from->readout_hidden)
        return qp_fail(err,
                       "nn_params_widen: hidden %d -> %d needs heads %d -> %d, ffn_hidden %d -> %d and "
                       "readout_hidden %d -> %d (x%d each: the head size stays); the target has %d, %d, %d",
                       H, to->hidden, from->num_heads, m * from->num_heads, from->ffn_hidden,
                       m * from->ffn_hidden, from->readout_hidden, m * from->readout_hidden, m, to->num_heads,
                       to->ffn_hidden, to->readout_hidden);
    *mid = *from;
    mid->hidden = to->hidden;
    mid->num_heads = to->num_heads;
    mid->ffn_hidden = to->ffn_hidden;
    mid->readout_hidden = to->readout_hidden;
    size_t za[NN_NUM_PARAM_TENSORS], zm[NN_NUM_PARAM_TENSORS];
    nn_param_sizes(za, from);
    size_t total = nn_param_sizes(zm, mid);
    // width_shape is a second place that knows the tensors' shapes: it must agree with
    // nn_param_sizes on both sides, or the map would read or write past tensors.
    for (int t = 0; t < NN_NUM_PARAM_TENSORS; t++) {
        wshape w = width_shape(t, from);
        size_t ns = wshape_values(&w, 1), nd = wshape_values(&w, m);
        if (ns != za[t] || nd != zm[t])
            return qp_fail(err, "nn_params_widen: %s: the width map's shape has %zu -> %zu values, the layout %zu -> %zu",
                           nn_param_names[t], ns, nd, za[t], zm[t]);
    }
    float *dst = *out = qp_malloc((total + 1) * sizeof(float));
    for (int t = 0; t < NN_NUM_PARAM_TENSORS; t++) {
        wshape w = width_shape(t, from);
        widen_tensor(t, &w, m, src, dst);
        src += za[t];
        dst += zm[t];
    }
    return 0;
}

int nn_params_widen(const nn_config *from, const float *src, const nn_config *to, float *dst, qp_err *err) {
    if (from->hidden != to->hidden) {
        nn_config mid;
        float *wide = NULL;
        int rc = widen_hidden(from, src, to, &mid, &wide, err);
        if (rc == 0) rc = nn_params_widen(&mid, wide, to, dst, err);
        free(wide);
        return rc;
    }
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
