// nn_params_widen: a detection-event model (F = 1) carried into the layout of F = 2 (soft
// detection event, leakage), and a model carried into one of more layers.
//  1. Every parameter lands where it should: with distinct nonzero source values, each tensor
//     of the target (read through the model's own nn_params_point) equals the source's tensor,
//     in_w[k][h][0] is the source's in_w[k][h] and in_w[k][h][1] is 0; nothing else is nonzero.
//     Grown by a layer: layer 0 and 1 of every per-layer tensor are the source's, the new
//     layer's residual outputs (projw, projb, fc2w, fc2b, convw, convb) are 0 and its other
//     values are the target's own.
//  2. The widened model computes what the original does: on the d=3 memory-Z reference shots
//     with feature 0 the same (hard events, and fractional "soft" values) and feature 1
//     arbitrary (uniform in [-3, 40]), streaming predictions, the training loss and every
//     gradient but in_w's new column are bitwise equal (a zero weight adds exactly 0). The
//     control: a nonzero weight on feature 1 changes the predictions, so the check can fail.
//     The same for a model grown from 2 to 3 layers (the new layer adds exactly 0), whose new
//     residual weights do get a gradient (so training can use the layer).
//  3. Refusals leave dst untouched: fewer features, fewer layers, another width, another
//     number of stabilizers with a per-stabilizer tensor.
//  4. A model widened m times (hidden, heads, ffn and readout widths; m = 2 and 3, with and
//     without the AlphaQubit layers, alone and together with more layers and features)
//     computes what the source does, to float rounding: predictions within 2e-5, the loss
//     within 1e-5 relative. Each copy of a source unit starts equal (ln1w), and the copies'
//     gradients differ (what lets training separate them; equal shares would fail this).
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tests/nn/nn_test_data.h"
#include "workers/nn/nn_model.h"
#include "workers/nn/nn_widen.h"
#include "workers/util/rng.h"

// The shipped layers model's architecture (models/nn_d3_z_uniform_layers.yaml), F = 1.
static nn_config layers_config(int S) {
    nn_config c = {.num_stabs = S, .num_features = 1, .num_obs = 1, .hidden = 16, .num_layers = 2,
                   .num_heads = 2, .ffn_hidden = 32, .readout_hidden = 16, .state_scale = 0.70710678f,
                   .aux_weight = 0.5f, .attn_bias_geometric = 1, .geom_radius = 4, .stab_emb_by_type = 1,
                   .num_dilations = 2, .dilations = {1, 2}, .ffn_gated = 1, .readout_lines = 1};
    return c;
}

static void check_layout(nn_config a) {
    nn_config b = a;
    b.num_features = 2;
    size_t za[NN_NUM_PARAM_TENSORS], zb[NN_NUM_PARAM_TENSORS];
    size_t na = nn_param_sizes(za, &a), nb = nn_param_sizes(zb, &b);
    int H = a.hidden;
    cr_assert_eq(nb, na + 2 * (size_t)H, "only in_w grows, by 2H: %zu -> %zu", na, nb);
    float *src = malloc(na * sizeof(float)), *dst = malloc(nb * sizeof(float));
    for (size_t i = 0; i < na; i++) src[i] = (float)(i + 1);
    for (size_t i = 0; i < nb; i++) dst[i] = NAN;
    qp_err err;
    cr_assert(nn_params_widen(&a, src, &b, dst, &err) == 0, "%s", err.msg);
    // Tensor t starts after tensors 0..t-1 in both buffers (the flat layout nn_params_point
    // points into); the model reads in_w through its pointer, checked against the offset too.
    size_t nonzero = 0, oa = 0, ob = 0;
    for (size_t i = 0; i < nb; i++) nonzero += dst[i] != 0;
    cr_expect_eq(nonzero, na, "%zu nonzero values, the source has %zu", nonzero, na);
    nn_params pa, pb;
    nn_params_point(&pa, src, za);
    nn_params_point(&pb, dst, zb);
    for (int t = 0; t < NN_NUM_PARAM_TENSORS; t++) {
        if (t == 1) cr_expect(pa.in_w == src + oa && pb.in_w == dst + ob, "in_w at %zu / %zu", oa, ob);
        else cr_expect_eq(za[t], zb[t], "%s", nn_param_names[t]);
        for (size_t i = 0; t != 1 && i < za[t]; i++)
            if (src[oa + i] != dst[ob + i]) {
                cr_expect_fail("%s[%zu]: %g, source %g", nn_param_names[t], i, dst[ob + i], src[oa + i]);
                break;
            }
        oa += za[t];
        ob += zb[t];
    }
    for (int k = 0; k < 2; k++)
        for (int h = 0; h < H; h++) {
            cr_expect_eq(pb.in_w[(k * H + h) * 2], pa.in_w[k * H + h], "in_w[%d][%d][0]", k, h);
            cr_expect_eq(pb.in_w[(k * H + h) * 2 + 1], 0.0f, "in_w[%d][%d][1]", k, h);
        }
    free(src);
    free(dst);
}

Test(nn_widen, every_parameter_lands_in_place) {
    check_layout(layers_config(8));
    check_layout(nn_config_default(8, 1, 2));  // the original architecture: free tables, 2 observables
}

// Model a (config ca, random weights) and model b (config cb): b initialised from another seed
// (values nn_params_widen keeps, in new layers), then a's parameters widened into it.
static void widened_pair(const nn_test_case *tc, const nn_config *ca, const nn_config *cb, int B, nn_model *ma,
                         nn_model *mb) {
    qp_err err;
    int R = tc->layout.num_rounds;
    nn_geometry geo = nn_layout_geometry(&tc->layout);
    cr_assert(nn_model_create(ma, ca, tc->layout.pool_w, B, R, &err) == 0, "%s", err.msg);
    cr_assert(nn_model_create(mb, cb, tc->layout.pool_w, B, R, &err) == 0, "%s", err.msg);
    cr_assert(nn_model_set_geometry(ma, &geo, &err) == 0 && nn_model_set_geometry(mb, &geo, &err) == 0);
    nn_model_init_params(ma, 11);
    nn_model_init_params(mb, 12);
    cr_assert(nn_params_widen(ca, ma->params_memory, cb, mb->params_memory, &err) == 0, "%s", err.msg);
}

Test(nn_widen, widened_model_computes_the_same) {
    nn_test_case tc;
    if (nn_test_case_load(&tc, "surface_z_d3_r3_p0.003")) cr_skip_test("test data absent");
    enum { B = 64 };
    int S = tc.layout.num_stabs, R = tc.layout.num_rounds;
    nn_config ca = layers_config(S), cb = ca;
    cb.num_features = 2;
    nn_model ma, mb;
    widened_pair(&tc, &ca, &cb, B, &ma, &mb);

    size_t cells = (size_t)B * R * S;
    float *in1 = malloc(cells * sizeof(float)), *in2 = malloc(2 * cells * sizeof(float)), targets[B];
    nn_layout_inputs_from_b8(&tc.layout, tc.dets, NULL, B, 1, in1);
    nn_layout_targets_from_b8(tc.obs, B, 1, targets);
    qp_rng rng;
    qp_rng_stream(&rng, 5, 0, 0);
    for (int pass = 0; pass < 2; pass++) {
        // pass 1: feature 0 fractional, as soft detection events are
        if (pass == 1)
            for (size_t i = 0; i < cells; i++) in1[i] = in1[i] ? 1.0f - 0.3f * (float)qp_rng_uniform(&rng)
                                                               : 0.3f * (float)qp_rng_uniform(&rng);
        for (size_t i = 0; i < cells; i++) {
            in2[2 * i] = in1[i];
            in2[2 * i + 1] = (float)(-3.0 + 43.0 * qp_rng_uniform(&rng));
        }
        float pa[B], pb[B];
        nn_model_predict(&ma, in1, B, R, pa);
        nn_model_predict(&mb, in2, B, R, pb);
        for (int b = 0; b < B; b++) cr_expect(pa[b] == pb[b], "pass %d shot %d: %.9g vs %.9g", pass, b, pa[b], pb[b]);
        nn_model_zero_grad(&ma);
        nn_model_zero_grad(&mb);
        double la = nn_model_forward(&ma, in1, NULL, targets, B, R), lb = nn_model_forward(&mb, in2, NULL, targets, B, R);
        cr_expect(la == lb && isfinite(la), "pass %d: loss %.17g vs %.17g", pass, la, lb);
        nn_model_backward(&ma);
        nn_model_backward(&mb);
        float *ga = ma.grads_memory, *gb = mb.grads_memory;
        for (int t = 0; t < NN_NUM_PARAM_TENSORS; t++) {
            size_t n = ma.param_sizes[t], nbt = mb.param_sizes[t];
            for (size_t i = 0; i < nbt; i++) {
                // in_w: feature 0 of row i/2 against the source's row; feature 1 is new.
                float want = t == 1 ? (i % 2 ? NAN : ga[i / 2]) : ga[i];
                if (!isnan(want) && gb[i] != want) {
                    cr_expect_fail("pass %d: d %s[%zu] %g vs %g", pass, nn_param_names[t], i, gb[i], want);
                    break;
                }
            }
            ga += n;
            gb += nbt;
        }
    }
    // The control: a weight on feature 1 reaches the predictions.
    for (int i = 0; i < 2 * cb.hidden; i++) mb.params.in_w[2 * i + 1] = 0.5f;
    float pa[B], pb[B];
    nn_model_predict(&ma, in1, B, R, pa);
    nn_model_predict(&mb, in2, B, R, pb);
    int differ = 0;
    for (int b = 0; b < B; b++) differ += pa[b] != pb[b];
    cr_expect(differ > B / 2, "a weight on feature 1 changes only %d of %d predictions", differ, B);
    free(in1);
    free(in2);
    nn_model_free(&ma);
    nn_model_free(&mb);
    nn_test_case_free(&tc);
}

// dst keeps its contents when the layouts do not fit.
static void refused(const nn_config *a, const nn_config *b, const char *want) {
    size_t za[NN_NUM_PARAM_TENSORS], zb[NN_NUM_PARAM_TENSORS];
    size_t na = nn_param_sizes(za, a), nb = nn_param_sizes(zb, b);
    float *src = calloc(na, sizeof(float)), *dst = malloc(nb * sizeof(float));
    for (size_t i = 0; i < nb; i++) dst[i] = 7.0f;
    qp_err err = {0};
    cr_expect(nn_params_widen(a, src, b, dst, &err) == -1);
    cr_expect(strstr(err.msg, want) != NULL, "message '%s' lacks '%s'", err.msg, want);
    size_t touched = 0;
    for (size_t i = 0; i < nb; i++) touched += dst[i] != 7.0f;
    cr_expect_eq(touched, 0, "%zu values of dst changed", touched);
    free(src);
    free(dst);
}

Test(nn_widen, refuses_other_layouts) {
    nn_config a = layers_config(8), b = a;
    a.num_features = 2;  // fewer features: narrowing
    b.num_features = 1;
    refused(&a, &b, "2 input features do not widen to 1");
    a.num_features = 1, b.num_features = 1, a.num_layers = 3;  // fewer layers
    refused(&a, &b, "3 layers do not grow to 2");
    a.num_layers = 2, b.num_features = 2, b.hidden = 32, b.ffn_hidden = 64, b.readout_hidden = 32;
    refused(&a, &b, "needs heads 2 -> 4");
    nn_config t = nn_config_default(8, 1, 1), u = nn_config_default(12, 2, 1);  // free tables, another S
    refused(&t, &u, "stab_emb has 384 values in the model, 576");
    nn_config p = layers_config(8), q = layers_config(12);  // distance-portable: S may differ
    q.num_features = 2;
    size_t zp[NN_NUM_PARAM_TENSORS], zq[NN_NUM_PARAM_TENSORS];
    float *src = calloc(nn_param_sizes(zp, &p), sizeof(float)), *dst = malloc(nn_param_sizes(zq, &q) * sizeof(float));
    qp_err err;
    cr_expect(nn_params_widen(&p, src, &q, dst, &err) == 0, "%s", err.msg);
    free(src);
    free(dst);
}

Test(nn_widen, a_new_layer_lands_after_the_others) {
    nn_config a = layers_config(8), b = a;
    b.num_layers = 3;
    size_t za[NN_NUM_PARAM_TENSORS], zb[NN_NUM_PARAM_TENSORS];
    size_t na = nn_param_sizes(za, &a), nb = nn_param_sizes(zb, &b);
    float *src = malloc(na * sizeof(float)), *dst = malloc(nb * sizeof(float));
    for (size_t i = 0; i < na; i++) src[i] = (float)(i + 1);
    for (size_t i = 0; i < nb; i++) dst[i] = -(float)(i + 1);  // the target's "own" values
    qp_err err;
    cr_assert(nn_params_widen(&a, src, &b, dst, &err) == 0, "%s", err.msg);
    size_t oa = 0, ob = 0;
    const char *zeroed[] = {"projw", "projb", "fc2w", "fc2b", "convw", "convb"};
    int layer_tensors = 0;
    for (int t = 0; t < NN_NUM_PARAM_TENSORS; t++) {
        int grows = zb[t] != za[t], zero = 0;
        for (int k = 0; k < 6; k++) zero |= !strcmp(nn_param_names[t], zeroed[k]);
        if (grows) {
            layer_tensors++;
            cr_expect_eq(zb[t] * 2, za[t] * 3, "%s: %zu -> %zu values, not 3/2", nn_param_names[t], za[t], zb[t]);
        }
        for (size_t i = 0; i < zb[t]; i++) {
            float want = i < za[t] ? src[oa + i] : zero ? 0.0f : -(float)(ob + i + 1);
            if (dst[ob + i] != want) {
                cr_expect_fail("%s[%zu]: %g, want %g", nn_param_names[t], i, dst[ob + i], want);
                break;
            }
        }
        oa += za[t];
        ob += zb[t];
    }
    // ln1w ln1b qkvw qkvb projw projb ln2w ln2b fc1w fc1b fc2w fc2b geo_bias convln w/b convw convb
    cr_expect_eq(layer_tensors, 17, "%d tensors grew", layer_tensors);
    free(src);
    free(dst);
}

Test(nn_widen, deeper_model_computes_the_same) {
    nn_test_case tc;
    if (nn_test_case_load(&tc, "surface_z_d3_r3_p0.003")) cr_skip_test("test data absent");
    enum { B = 64 };
    int S = tc.layout.num_stabs, R = tc.layout.num_rounds;
    nn_config ca = layers_config(S), cb = ca;
    cb.num_layers = 3;
    nn_model ma, mb;
    widened_pair(&tc, &ca, &cb, B, &ma, &mb);

    float *in = malloc((size_t)B * R * S * sizeof(float)), targets[B], pa[B], pb[B];
    nn_layout_inputs_from_b8(&tc.layout, tc.dets, NULL, B, 1, in);
    nn_layout_targets_from_b8(tc.obs, B, 1, targets);
    nn_model_predict(&ma, in, B, R, pa);
    nn_model_predict(&mb, in, B, R, pb);
    for (int b = 0; b < B; b++) cr_expect(pa[b] == pb[b], "shot %d: %.9g vs %.9g", b, pa[b], pb[b]);
    nn_model_zero_grad(&ma);
    nn_model_zero_grad(&mb);
    double la = nn_model_forward(&ma, in, NULL, targets, B, R), lb = nn_model_forward(&mb, in, NULL, targets, B, R);
    cr_expect(la == lb && isfinite(la), "loss %.17g vs %.17g", la, lb);
    nn_model_backward(&ma);
    nn_model_backward(&mb);
    // The source's parameters: equal gradients. The new layer's residual outputs: nonzero ones.
    const float *ga = ma.grads_memory, *gb = mb.grads_memory;
    int new_with_grad = 0, new_residual = 0;
    for (int t = 0; t < NN_NUM_PARAM_TENSORS; t++) {
        size_t n = ma.param_sizes[t], nbt = mb.param_sizes[t];
        for (size_t i = 0; i < n; i++)
            if (ga[i] != gb[i]) {
                cr_expect_fail("d %s[%zu] %g vs %g", nn_param_names[t], i, gb[i], ga[i]);
                break;
            }
        const char *nm = nn_param_names[t];
        if (nbt > n && (!strcmp(nm, "projw") || !strcmp(nm, "fc2w") || !strcmp(nm, "convw"))) {
            new_residual++;
            double g2 = 0;
            for (size_t i = n; i < nbt; i++) g2 += (double)gb[i] * gb[i];
            new_with_grad += g2 > 0;
        }
        ga += n;
        gb += nbt;
    }
    cr_expect(new_residual == 3 && new_with_grad == 3, "%d of %d new residual weights get a gradient", new_with_grad,
              new_residual);
    // The control: a nonzero residual weight in the new layer changes the predictions.
    size_t per_layer = (size_t)cb.hidden * cb.hidden;
    for (size_t i = 0; i < per_layer; i++) mb.params.projw[2 * per_layer + i] = 0.05f * (float)((i % 7) - 3);
    nn_model_predict(&mb, in, B, R, pb);
    int differ = 0;
    for (int b = 0; b < B; b++) differ += pa[b] != pb[b];
    cr_expect(differ > B / 2, "a weight in the new layer changes only %d of %d predictions", differ, B);
    free(in);
    nn_model_free(&ma);
    nn_model_free(&mb);
    nn_test_case_free(&tc);
}

// a widened m times: hidden, heads, ffn and readout widths x m.
static nn_config wider(nn_config a, int m) {
    a.hidden *= m, a.num_heads *= m, a.ffn_hidden *= m, a.readout_hidden *= m;
    return a;
}

static void check_wider(const nn_test_case *tc, nn_config ca, nn_config cb) {
    enum { B = 64 };
    int S = tc->layout.num_stabs, R = tc->layout.num_rounds, H = ca.hidden, Hb = cb.hidden;
    nn_model ma, mb;
    widened_pair(tc, &ca, &cb, B, &ma, &mb);
    for (int k = 0; k < Hb; k++)
        cr_expect(mb.params.ln1w[k] == ma.params.ln1w[k % H], "ln1w[%d] is not a copy of unit %d", k, k % H);

    size_t cells = (size_t)B * R * S;
    int F = cb.num_features;
    float *in = malloc(cells * sizeof(float)), *inb = malloc(cells * F * sizeof(float)), targets[B], pa[B], pb[B];
    nn_layout_inputs_from_b8(&tc->layout, tc->dets, NULL, B, 1, in);
    nn_layout_targets_from_b8(tc->obs, B, 1, targets);
    for (size_t i = 0; i < cells; i++)
        for (int f = 0; f < F; f++) inb[i * F + f] = f ? (float)((i * 7 + (size_t)f) % 5) : in[i];
    nn_model_predict(&ma, in, B, R, pa);
    nn_model_predict(&mb, inb, B, R, pb);
    for (int b = 0; b < B; b++)
        cr_expect(fabsf(pa[b] - pb[b]) <= 2e-5f, "H %d -> %d, shot %d: %.9g vs %.9g", H, Hb, b, pa[b], pb[b]);
    nn_model_zero_grad(&ma);
    nn_model_zero_grad(&mb);
    double la = nn_model_forward(&ma, in, NULL, targets, B, R), lb = nn_model_forward(&mb, inb, NULL, targets, B, R);
    cr_expect(isfinite(la) && fabs(la - lb) <= 1e-5 * fabs(la), "H %d -> %d: loss %.9g vs %.9g", H, Hb, la, lb);
    nn_model_backward(&mb);
    int differ = 0;
    for (int k = 0; k < H; k++) differ += mb.grads.ln1w[k] != mb.grads.ln1w[k + H];
    cr_expect(differ > H / 2, "H %d -> %d: only %d of %d units' copies get different gradients", H, Hb, differ, H);
    free(in);
    free(inb);
    nn_model_free(&ma);
    nn_model_free(&mb);
}

Test(nn_widen, wider_model_computes_the_same) {
    nn_test_case tc;
    if (nn_test_case_load(&tc, "surface_z_d3_r3_p0.003")) cr_skip_test("test data absent");
    int S = tc.layout.num_stabs;
    nn_config layers = layers_config(S), deeper3 = wider(layers, 3), plain = nn_config_default(S, 1, 1);
    deeper3.num_layers = 3;
    deeper3.num_features = 2;
    check_wider(&tc, layers, wider(layers, 2));
    check_wider(&tc, layers, deeper3);  // width, then layers and features
    check_wider(&tc, plain, wider(plain, 2));  // free attention-bias table, plain FFN, mean readout
    nn_test_case_free(&tc);
}

Test(nn_widen, refuses_other_widths) {
    nn_config a = layers_config(8), b = wider(a, 2);
    refused(&b, &a, "hidden 32 does not widen to 16");
    b.hidden = 24, b.num_heads = 3;
    refused(&a, &b, "hidden 16 does not widen to 24");
    b = wider(a, 2), b.num_heads = 2;
    refused(&a, &b, "needs heads 2 -> 4");
}
