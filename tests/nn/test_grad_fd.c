// Every layer's backward pass, and the whole model's gradient, against central finite
// differences computed in double precision.
//
// The layers are the production source compiled with nn_real = double (workers/nn/nn_f64.c,
// suffix _f64; see nn_real.h), so this checks the very code the float build runs.
// Each check defines a scalar loss: for a layer, loss = sum(out .* G) with a fixed random G
// (so d loss / d out = G is what backward receives); for the model, its own training loss.
// FD: (loss(x + eps) - loss(x - eps)) / (2 eps) with eps = 1e-5. In double the truncation
// error is ~eps^2 * |f'''| ~ 1e-10 and the rounding error ~1e-16 * |loss| / eps ~ 1e-10, so
// we require for EVERY element
//     |analytic - fd| / max(|analytic|, |fd|, 1e-5) < 1e-4,
// i.e. relative error < 1e-4, with gradients smaller than 1e-5 compared to 1e-9 absolute
// (a relative test of a value near zero would only measure the FD rounding noise).
// A failure prints the tensor and element that disagreed.
#define NN_F64 1
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "workers/nn/nn_attention.h"
#include "workers/nn/nn_conv2d.h"
#include "workers/nn/nn_embed.h"
#include "workers/nn/nn_ffn.h"
#include "workers/nn/nn_gated.h"
#include "workers/nn/nn_geom_bias.h"
#include "workers/nn/nn_layernorm.h"
#include "workers/nn/nn_linear.h"
#include "workers/nn/nn_loss.h"
#include "workers/nn/nn_model.h"
#include "workers/nn/nn_readout.h"
#include "workers/util/rng.h"

#define FD_EPS 1e-5
#define FD_TOL 1e-4
#define FD_FLOOR 1e-5

typedef double (*loss_fn)(void *ctx);

static void fill_uniform(double *x, size_t n, double lo, double hi, qp_rng *rng) {
    for (size_t i = 0; i < n; i++) x[i] = lo + (hi - lo) * qp_rng_uniform(rng);
}

// Compares grad (n) with central differences of f over x (n); returns the worst error.
static double check_fd(const char *what, double *x, const double *grad, size_t n, loss_fn f, void *ctx) {
    double worst = 0;
    for (size_t i = 0; i < n; i++) {
        double save = x[i];
        x[i] = save + FD_EPS;
        double lp = f(ctx);
        x[i] = save - FD_EPS;
        double lm = f(ctx);
        x[i] = save;
        double fd = (lp - lm) / (2 * FD_EPS), an = grad[i];
        double denom = fmax(fmax(fabs(an), fabs(fd)), FD_FLOOR);
        double err = fabs(an - fd) / denom;
        if (err > worst) worst = err;
        cr_expect(err < FD_TOL, "%s[%zu]: backward %.10g, finite difference %.10g (rel err %.3g)", what, i, an,
                  fd, err);
    }
    return worst;
}

static double dot(const double *a, const double *b, size_t n) {
    double s = 0;
    for (size_t i = 0; i < n; i++) s += a[i] * b[i];
    return s;
}

// ---- linear ----
typedef struct { int N, C, OC; double *inp, *w, *b, *out, *G; } linear_ctx;
static double linear_loss(void *p) {
    linear_ctx *c = p;
    nn_linear_forward_f64(c->out, c->inp, c->w, c->b, c->N, c->C, c->OC);
    return dot(c->out, c->G, (size_t)c->N * c->OC);
}
Test(nn_fd, linear) {
    qp_rng rng;
    qp_rng_stream(&rng, 1, 0, 0);
    linear_ctx c = {.N = 5, .C = 7, .OC = 4};
    size_t ni = c.N * c.C, nw = c.OC * c.C, no = c.N * c.OC;
    c.inp = malloc(ni * 8); c.w = malloc(nw * 8); c.b = malloc(c.OC * 8); c.out = malloc(no * 8); c.G = malloc(no * 8);
    fill_uniform(c.inp, ni, -1, 1, &rng); fill_uniform(c.w, nw, -1, 1, &rng);
    fill_uniform(c.b, c.OC, -1, 1, &rng); fill_uniform(c.G, no, -1, 1, &rng);
    double *di = calloc(ni, 8), *dw = calloc(nw, 8), *db = calloc(c.OC, 8);
    linear_loss(&c);
    nn_linear_backward_f64(di, dw, db, c.G, c.inp, c.w, c.N, c.C, c.OC);
    check_fd("linear.inp", c.inp, di, ni, linear_loss, &c);
    check_fd("linear.weight", c.w, dw, nw, linear_loss, &c);
    check_fd("linear.bias", c.b, db, c.OC, linear_loss, &c);
    free(c.inp); free(c.w); free(c.b); free(c.out); free(c.G); free(di); free(dw); free(db);
}

// ---- layernorm ----
typedef struct { int N, C; double *inp, *w, *b, *out, *mean, *rstd, *G; } ln_ctx;
static double ln_loss(void *p) {
    ln_ctx *c = p;
    nn_layernorm_forward_f64(c->out, c->mean, c->rstd, c->inp, c->w, c->b, c->N, c->C);
    return dot(c->out, c->G, (size_t)c->N * c->C);
}
Test(nn_fd, layernorm) {
    qp_rng rng;
    qp_rng_stream(&rng, 2, 0, 0);
    ln_ctx c = {.N = 4, .C = 6};
    size_t n = c.N * c.C;
    c.inp = malloc(n * 8); c.w = malloc(c.C * 8); c.b = malloc(c.C * 8); c.out = malloc(n * 8);
    c.mean = malloc(c.N * 8); c.rstd = malloc(c.N * 8); c.G = malloc(n * 8);
    fill_uniform(c.inp, n, -2, 2, &rng); fill_uniform(c.w, c.C, 0.5, 1.5, &rng);
    fill_uniform(c.b, c.C, -1, 1, &rng); fill_uniform(c.G, n, -1, 1, &rng);
    double *di = calloc(n, 8), *dw = calloc(c.C, 8), *db = calloc(c.C, 8);
    ln_loss(&c);
    nn_layernorm_backward_f64(di, dw, db, c.G, c.inp, c.w, c.mean, c.rstd, c.N, c.C);
    check_fd("layernorm.inp", c.inp, di, n, ln_loss, &c);
    check_fd("layernorm.weight", c.w, dw, c.C, ln_loss, &c);
    check_fd("layernorm.bias", c.b, db, c.C, ln_loss, &c);
    free(c.inp); free(c.w); free(c.b); free(c.out); free(c.mean); free(c.rstd); free(c.G);
    free(di); free(dw); free(db);
}

// ---- attention ----
typedef struct { int B, S, H, NH; double *qkv, *bias, *att, *out, *G; } att_ctx;
static double att_loss(void *p) {
    att_ctx *c = p;
    nn_attention_forward_f64(c->out, c->att, c->qkv, c->bias, c->B, c->S, c->H, c->NH);
    return dot(c->out, c->G, (size_t)c->B * c->S * c->H);
}
// One shape; the second covers a full tile of 16 shots with 3H a multiple of 16 (the forward
// and backward move 16x16 blocks by in-register transposes) and a partial tile.
static void attention_fd(int B, int S, int H, int NH, uint64_t seed) {
    qp_rng rng;
    qp_rng_stream(&rng, seed, 0, 0);
    att_ctx c = {.B = B, .S = S, .H = H, .NH = NH};
    size_t nq = (size_t)c.B * c.S * 3 * c.H, nb = (size_t)c.NH * c.S * c.S, no = (size_t)c.B * c.S * c.H;
    c.qkv = malloc(nq * 8); c.bias = malloc(nb * 8); c.att = malloc((size_t)c.B * nb * 8);
    c.out = malloc(no * 8); c.G = malloc(no * 8);
    fill_uniform(c.qkv, nq, -1.5, 1.5, &rng); fill_uniform(c.bias, nb, -1, 1, &rng);
    fill_uniform(c.G, no, -1, 1, &rng);
    double *dq = calloc(nq, 8), *dbias = calloc(nb, 8);
    att_loss(&c);
    nn_attention_backward_f64(dq, dbias, c.G, c.qkv, c.att, c.B, c.S, c.H, c.NH);
    check_fd("attention.qkv", c.qkv, dq, nq, att_loss, &c);
    check_fd("attention.bias", c.bias, dbias, nb, att_loss, &c);
    free(c.qkv); free(c.bias); free(c.att); free(c.out); free(c.G); free(dq); free(dbias);
}
Test(nn_fd, attention) {
    attention_fd(2, 5, 8, 2, 3);
    attention_fd(19, 4, 16, 2, 31);
}

// ---- feed-forward (fc1, GELU, fc2) ----
typedef struct { int N, C, FH; double *inp, *w1, *b1, *w2, *b2, *fch, *fchg, *out, *G; } ffn_ctx;
static double ffn_loss(void *p) {
    ffn_ctx *c = p;
    nn_ffn_forward_f64(c->out, c->fch, c->fchg, c->inp, c->w1, c->b1, c->w2, c->b2, c->N, c->C, c->FH);
    return dot(c->out, c->G, (size_t)c->N * c->C);
}
Test(nn_fd, ffn_gelu) {
    qp_rng rng;
    qp_rng_stream(&rng, 4, 0, 0);
    ffn_ctx c = {.N = 4, .C = 6, .FH = 10};
    size_t ni = c.N * c.C, nw = c.FH * c.C, nh = c.N * c.FH;
    c.inp = malloc(ni * 8); c.w1 = malloc(nw * 8); c.b1 = malloc(c.FH * 8); c.w2 = malloc(nw * 8);
    c.b2 = malloc(c.C * 8); c.fch = malloc(nh * 8); c.fchg = malloc(nh * 8); c.out = malloc(ni * 8);
    c.G = malloc(ni * 8);
    fill_uniform(c.inp, ni, -2, 2, &rng); fill_uniform(c.w1, nw, -1, 1, &rng);
    fill_uniform(c.b1, c.FH, -1, 1, &rng); fill_uniform(c.w2, nw, -1, 1, &rng);
    fill_uniform(c.b2, c.C, -1, 1, &rng); fill_uniform(c.G, ni, -1, 1, &rng);
    double *di = calloc(ni, 8), *dw1 = calloc(nw, 8), *db1 = calloc(c.FH, 8), *dw2 = calloc(nw, 8);
    double *db2 = calloc(c.C, 8), *scratch = malloc(2 * nh * 8);
    ffn_loss(&c);
    nn_ffn_backward_f64(di, dw1, db1, dw2, db2, c.G, c.inp, c.fch, c.fchg, c.w1, c.w2, scratch, c.N, c.C, c.FH);
    check_fd("ffn.inp", c.inp, di, ni, ffn_loss, &c);
    check_fd("ffn.w1", c.w1, dw1, nw, ffn_loss, &c);
    check_fd("ffn.b1", c.b1, db1, c.FH, ffn_loss, &c);
    check_fd("ffn.w2", c.w2, dw2, nw, ffn_loss, &c);
    check_fd("ffn.b2", c.b2, db2, c.C, ffn_loss, &c);
    free(c.inp); free(c.w1); free(c.b1); free(c.w2); free(c.b2); free(c.fch); free(c.fchg); free(c.out);
    free(c.G); free(di); free(dw1); free(db1); free(dw2); free(db2); free(scratch);
}

// ---- embedding ----
typedef struct { int B, S, F, H; double *inp, *emb, *w, *b, *out, *G; } emb_ctx;
static double emb_loss(void *p) {
    emb_ctx *c = p;
    nn_embed_forward_f64(c->out, c->inp, c->emb, c->w, c->b, c->B, c->S, c->F, c->H);
    return dot(c->out, c->G, (size_t)c->B * c->S * c->H);
}
Test(nn_fd, embed) {
    qp_rng rng;
    qp_rng_stream(&rng, 5, 0, 0);
    emb_ctx c = {.B = 3, .S = 4, .F = 2, .H = 5};
    size_t ni = c.B * c.S * c.F, ne = c.S * c.H, nw = c.H * c.F, no = c.B * c.S * c.H;
    c.inp = malloc(ni * 8); c.emb = malloc(ne * 8); c.w = malloc(nw * 8); c.b = malloc(c.H * 8);
    c.out = malloc(no * 8); c.G = malloc(no * 8);
    for (size_t i = 0; i < ni; i++) c.inp[i] = (double)(qp_rng_u64(&rng) & 1);
    fill_uniform(c.emb, ne, -1, 1, &rng); fill_uniform(c.w, nw, -1, 1, &rng);
    fill_uniform(c.b, c.H, -1, 1, &rng); fill_uniform(c.G, no, -1, 1, &rng);
    double *de = calloc(ne, 8), *dw = calloc(nw, 8), *db = calloc(c.H, 8);
    emb_loss(&c);
    nn_embed_backward_f64(de, dw, db, c.G, c.inp, c.B, c.S, c.F, c.H);
    check_fd("embed.stab_emb", c.emb, de, ne, emb_loss, &c);
    check_fd("embed.in_w", c.w, dw, nw, emb_loss, &c);
    check_fd("embed.in_b", c.b, db, c.H, emb_loss, &c);
    free(c.inp); free(c.emb); free(c.w); free(c.b); free(c.out); free(c.G); free(de); free(dw); free(db);
}

// ---- readout (pool + MLP) ----
typedef struct { int B, S, H, RH, O; double *inp, *pool_w, *w1, *b1, *w2, *b2, *pooled, *hid, *hidg, *out, *G; } ro_ctx;
static double ro_loss(void *p) {
    ro_ctx *c = p;
    nn_readout_forward_f64(c->out, c->pooled, c->hid, c->hidg, c->inp, c->pool_w, c->w1, c->b1, c->w2, c->b2,
                           c->B, c->S, c->H, c->RH, c->O);
    return dot(c->out, c->G, (size_t)c->B * c->O);
}
Test(nn_fd, readout) {
    qp_rng rng;
    qp_rng_stream(&rng, 6, 0, 0);
    ro_ctx c = {.B = 3, .S = 4, .H = 6, .RH = 5, .O = 2};
    size_t ni = c.B * c.S * c.H, nw1 = c.RH * c.H, nw2 = c.O * c.RH;
    c.inp = malloc(ni * 8); c.pool_w = malloc(c.S * 8); c.w1 = malloc(nw1 * 8); c.b1 = malloc(c.RH * 8);
    c.w2 = malloc(nw2 * 8); c.b2 = malloc(c.O * 8); c.pooled = malloc(c.B * c.H * 8);
    c.hid = malloc(c.B * c.RH * 8); c.hidg = malloc(c.B * c.RH * 8); c.out = malloc(c.B * c.O * 8);
    c.G = malloc(c.B * c.O * 8);
    double pw[4] = {0.5, 0, 0.5, 0};  // mean over stabilizers 0 and 2
    memcpy(c.pool_w, pw, sizeof pw);
    fill_uniform(c.inp, ni, -2, 2, &rng); fill_uniform(c.w1, nw1, -1, 1, &rng);
    fill_uniform(c.b1, c.RH, -1, 1, &rng); fill_uniform(c.w2, nw2, -1, 1, &rng);
    fill_uniform(c.b2, c.O, -1, 1, &rng); fill_uniform(c.G, c.B * c.O, -1, 1, &rng);
    double *di = calloc(ni, 8), *dw1 = calloc(nw1, 8), *db1 = calloc(c.RH, 8), *dw2 = calloc(nw2, 8);
    double *db2 = calloc(c.O, 8), *scratch = malloc((c.B * c.H + 2 * c.B * c.RH) * 8);
    ro_loss(&c);
    nn_readout_backward_f64(di, dw1, db1, dw2, db2, c.G, c.pool_w, c.pooled, c.hid, c.hidg, c.w1, c.w2, scratch,
                            c.B, c.S, c.H, c.RH, c.O);
    check_fd("readout.inp", c.inp, di, ni, ro_loss, &c);
    check_fd("readout.w1", c.w1, dw1, nw1, ro_loss, &c);
    check_fd("readout.b1", c.b1, db1, c.RH, ro_loss, &c);
    check_fd("readout.w2", c.w2, dw2, nw2, ro_loss, &c);
    check_fd("readout.b2", c.b2, db2, c.O, ro_loss, &c);
    // Stabilizers outside the pool get exactly zero gradient.
    for (int b = 0; b < c.B; b++)
        for (int h = 0; h < c.H; h++) cr_expect(di[((size_t)b * c.S + 1) * c.H + h] == 0);
    free(c.inp); free(c.pool_w); free(c.w1); free(c.b1); free(c.w2); free(c.b2); free(c.pooled); free(c.hid);
    free(c.hidg); free(c.out); free(c.G); free(di); free(dw1); free(db1); free(dw2); free(db2); free(scratch);
}

// ---- binary cross-entropy ----
typedef struct { int N; double *z, *y, *w; } bce_ctx;
static double bce_loss(void *p) {
    bce_ctx *c = p;
    return nn_bce_forward_f64(c->z, c->y, c->w, c->N);
}
Test(nn_fd, bce_with_logits) {
    qp_rng rng;
    qp_rng_stream(&rng, 7, 0, 0);
    bce_ctx c = {.N = 12};
    c.z = malloc(c.N * 8); c.y = malloc(c.N * 8); c.w = malloc(c.N * 8);
    fill_uniform(c.z, c.N, -30, 30, &rng);  // large |z| exercises the stable form
    fill_uniform(c.w, c.N, 0, 2, &rng);
    for (int i = 0; i < c.N; i++) c.y[i] = (double)(i & 1);
    c.w[3] = 0;
    double *dz = calloc(c.N, 8);
    nn_bce_backward_f64(dz, c.z, c.y, c.w, c.N);
    check_fd("bce.logits", c.z, dz, c.N, bce_loss, &c);
    // Known values: z = 0 gives log 2 per unit weight; z = 100, y = 1 gives ~0, not NaN.
    double z0 = 0, y1 = 1, big = 100;
    cr_expect(fabs(nn_bce_forward_f64(&z0, &y1, NULL, 1) - log(2.0)) < 1e-15);
    cr_expect(nn_bce_forward_f64(&big, &y1, NULL, 1) < 1e-40);
    free(c.z); free(c.y); free(c.w); free(dz);
}

// ---- the whole model, backpropagation through time ----
typedef struct { nn_model *m; double *inputs, *present, *targets; int B, R; } model_ctx;
static double model_loss(void *p) {
    model_ctx *c = p;
    return nn_model_forward_f64(c->m, c->inputs, c->present, c->targets, c->B, c->R);
}
// A 5-stabilizer patch for the geometric layers: cells (row, col), the final-round ones
// (s even) are type 1, lines are the rows.
static const int geo_row[5] = {0, 0, 1, 1, 2}, geo_col[5] = {0, 1, 0, 1, 1}, geo_type[5] = {1, 0, 1, 0, 1};
static const int geo_line[5] = {0, 0, 1, 1, 2};

static void whole_model_check(const nn_config *cfg_in) {
    nn_config cfg = *cfg_in;
    qp_rng rng;
    qp_rng_stream(&rng, 8, 0, 0);
    int B = 3, R = 4, S = cfg.num_stabs, F = cfg.num_features;
    double pool_w[5] = {1.0 / 3, 0, 1.0 / 3, 0, 1.0 / 3};
    nn_model m;
    qp_err err;
    cr_assert(nn_model_create_f64(&m, &cfg, pool_w, B, R, &err) == 0, "%s", err.msg);
    nn_geometry geo = {geo_row, geo_col, geo_type, geo_line, 3};
    cr_assert(nn_model_set_geometry_f64(&m, &geo, &err) == 0, "%s", err.msg);
    nn_model_init_params_f64(&m, 42);
    // Move every parameter off its initial value so biases, norms and the attention bias
    // are generic (nonzero) too.
    for (size_t i = 0; i < m.num_params; i++) m.params_memory[i] += 0.3 * (qp_rng_uniform(&rng) - 0.5);
    double *inputs = malloc((size_t)B * R * S * F * 8), *present = malloc((size_t)R * S * 8);
    double targets[6];
    for (size_t i = 0; i < (size_t)B * R * S * F; i++) inputs[i] = (double)((qp_rng_u64(&rng) % 3) == 0);
    for (int r = 0; r < R; r++)
        for (int s = 0; s < S; s++) {
            present[r * S + s] = (r == 0 || r == R - 1) ? (s % 2 == 0) : 1;  // like a memory experiment
            if (!present[r * S + s])
                for (int b = 0; b < B; b++) inputs[(((size_t)b * R + r) * S + s) * F] = 0;
        }
    for (int i = 0; i < 6; i++) targets[i] = (double)(i % 3 == 1);
    model_ctx c = {&m, inputs, present, targets, B, R};
    double loss = model_loss(&c);
    cr_assert(loss > 0 && m.loss_aux > 0 && m.loss_main > 0, "loss %g main %g aux %g", loss, m.loss_main, m.loss_aux);
    nn_model_zero_grad_f64(&m);
    nn_model_backward_f64(&m);
    double *grads = malloc(m.num_params * 8);
    memcpy(grads, m.grads_memory, m.num_params * 8);
    size_t at = 0;
    for (int t = 0; t < NN_NUM_PARAM_TENSORS; t++) {
        if (!m.param_sizes[t]) continue;  // an opt-in layer that is off
        char name[64];
        snprintf(name, sizeof name, "model.%s", nn_param_names[t]);
        double norm = 0;
        for (size_t i = 0; i < m.param_sizes[t]; i++) norm += fabs(grads[at + i]);
        cr_expect(norm > 0, "%s has an all-zero gradient", name);  // every tensor is reached
        check_fd(name, m.params_memory + at, grads + at, m.param_sizes[t], model_loss, &c);
        at += m.param_sizes[t];
    }
    cr_expect(at == m.num_params);
    // Streaming inference agrees with the training forward's logits.
    double probs[6];
    model_loss(&c);
    double logits[6];
    memcpy(logits, m.out.logits, sizeof logits);
    nn_model_predict_f64(&m, inputs, B, R, probs);
    for (int i = 0; i < 6; i++)
        cr_expect(fabs(probs[i] - 1 / (1 + exp(-logits[i]))) < 1e-12, "probs[%d] %g vs logits %g", i, probs[i], logits[i]);
    free(inputs); free(present); free(grads);
    nn_model_free_f64(&m);
}

Test(nn_fd, whole_model) {
    nn_config cfg = {.num_stabs = 5, .num_features = 2, .num_obs = 2, .hidden = 8, .num_layers = 2,
                     .num_heads = 2, .ffn_hidden = 12, .readout_hidden = 6, .state_scale = 0.7071,
                     .aux_weight = 0.5};
    whole_model_check(&cfg);
}

// Every opt-in layer at once: geometric bias, per-type embedding, two dilated convolutions,
// gated FFN, line readout.
Test(nn_fd, whole_model_alphaqubit_layers) {
    nn_config cfg = {.num_stabs = 5, .num_features = 2, .num_obs = 2, .hidden = 8, .num_layers = 2,
                     .num_heads = 2, .ffn_hidden = 12, .readout_hidden = 6, .state_scale = 0.7071,
                     .aux_weight = 0.5, .attn_bias_geometric = 1, .geom_radius = 1, .stab_emb_by_type = 1,
                     .num_dilations = 2, .dilations = {1, 2}, .ffn_gated = 1, .readout_lines = 1};
    whole_model_check(&cfg);
}

// ---- geometric attention bias ----
typedef struct { int NH, S, E; int *idx; double *table, *out, *G; } gb_ctx;
static double gb_loss(void *p) {
    gb_ctx *c = p;
    nn_geom_bias_forward_f64(c->out, c->table, c->idx, c->NH, c->S, c->E);
    return dot(c->out, c->G, (size_t)c->NH * c->S * c->S);
}
Test(nn_fd, geom_bias) {
    qp_rng rng;
    qp_rng_stream(&rng, 9, 0, 0);
    gb_ctx c = {.NH = 2, .S = 5, .E = nn_geom_bias_entries(1)};
    size_t nt = (size_t)c.NH * c.E, no = (size_t)c.NH * c.S * c.S;
    c.idx = malloc(sizeof(int) * c.S * c.S); c.table = malloc(nt * 8); c.out = malloc(no * 8); c.G = malloc(no * 8);
    nn_geom_bias_index_f64(c.idx, geo_row, geo_col, geo_type, c.S, 1);
    fill_uniform(c.table, nt, -1, 1, &rng); fill_uniform(c.G, no, -1, 1, &rng);
    double *dt = calloc(nt, 8);
    gb_loss(&c);
    nn_geom_bias_backward_f64(dt, c.G, c.idx, c.NH, c.S, c.E);
    check_fd("geom_bias.table", c.table, dt, nt, gb_loss, &c);
    free(c.idx); free(c.table); free(c.out); free(c.G); free(dt);
}

// ---- dilated convolution on the stabilizer grid ----
typedef struct { int B, S, C; int *nbr; double *inp, *w, *b, *col, *out, *G; } conv_ctx;
static double conv_loss(void *p) {
    conv_ctx *c = p;
    nn_conv2d_forward_f64(c->out, c->col, c->inp, c->nbr, c->w, c->b, c->B, c->S, c->C);
    return dot(c->out, c->G, (size_t)c->B * c->S * c->C);
}
Test(nn_fd, conv2d) {
    for (int dil = 1; dil <= 2; dil++) {
        qp_rng rng;
        qp_rng_stream(&rng, 10, (uint64_t)dil, 0);
        conv_ctx c = {.B = 2, .S = 5, .C = 3};
        size_t ni = (size_t)c.B * c.S * c.C, nw = (size_t)c.C * 9 * c.C;
        c.nbr = malloc(sizeof(int) * 9 * c.S); c.inp = malloc(ni * 8); c.w = malloc(nw * 8); c.b = malloc(c.C * 8);
        c.col = malloc(ni * 9 * 8); c.out = malloc(ni * 8); c.G = malloc(ni * 8);
        nn_conv2d_neighbours_f64(c.nbr, geo_row, geo_col, c.S, dil);
        fill_uniform(c.inp, ni, -2, 2, &rng); fill_uniform(c.w, nw, -1, 1, &rng);
        fill_uniform(c.b, c.C, -1, 1, &rng); fill_uniform(c.G, ni, -1, 1, &rng);
        double *di = calloc(ni, 8), *dw = calloc(nw, 8), *db = calloc(c.C, 8), *scratch = malloc(2 * ni * 9 * 8);
        conv_loss(&c);
        nn_conv2d_backward_f64(di, dw, db, c.G, c.inp, c.nbr, c.w, scratch, c.B, c.S, c.C);
        check_fd("conv2d.inp", c.inp, di, ni, conv_loss, &c);
        check_fd("conv2d.w", c.w, dw, nw, conv_loss, &c);
        check_fd("conv2d.b", c.b, db, c.C, conv_loss, &c);
        free(c.nbr); free(c.inp); free(c.w); free(c.b); free(c.col); free(c.out); free(c.G);
        free(di); free(dw); free(db); free(scratch);
    }
}

// ---- gated dense block ----
typedef struct { int N, C, FH; double *inp, *w1, *b1, *w2, *b2, *fch, *hg, *out, *G; } gated_ctx;
static double gated_loss(void *p) {
    gated_ctx *c = p;
    nn_gated_forward_f64(c->out, c->fch, c->hg, c->inp, c->w1, c->b1, c->w2, c->b2, c->N, c->C, c->FH);
    return dot(c->out, c->G, (size_t)c->N * c->C);
}
Test(nn_fd, gated) {
    qp_rng rng;
    qp_rng_stream(&rng, 11, 0, 0);
    gated_ctx c = {.N = 4, .C = 6, .FH = 5};
    size_t ni = c.N * c.C, nw1 = 2 * c.FH * c.C, nw2 = c.C * c.FH;
    c.inp = malloc(ni * 8); c.w1 = malloc(nw1 * 8); c.b1 = malloc(2 * c.FH * 8); c.w2 = malloc(nw2 * 8);
    c.b2 = malloc(c.C * 8); c.fch = malloc(2 * c.N * c.FH * 8); c.hg = malloc(c.N * c.FH * 8);
    c.out = malloc(ni * 8); c.G = malloc(ni * 8);
    fill_uniform(c.inp, ni, -2, 2, &rng); fill_uniform(c.w1, nw1, -1, 1, &rng);
    fill_uniform(c.b1, 2 * c.FH, -1, 1, &rng); fill_uniform(c.w2, nw2, -1, 1, &rng);
    fill_uniform(c.b2, c.C, -1, 1, &rng); fill_uniform(c.G, ni, -1, 1, &rng);
    double *di = calloc(ni, 8), *dw1 = calloc(nw1, 8), *db1 = calloc(2 * c.FH, 8), *dw2 = calloc(nw2, 8);
    double *db2 = calloc(c.C, 8), *scratch = malloc(3 * c.N * c.FH * 8);
    gated_loss(&c);
    nn_gated_backward_f64(di, dw1, db1, dw2, db2, c.G, c.inp, c.fch, c.hg, c.w1, c.w2, scratch, c.N, c.C, c.FH);
    check_fd("gated.inp", c.inp, di, ni, gated_loss, &c);
    check_fd("gated.w1", c.w1, dw1, nw1, gated_loss, &c);
    check_fd("gated.b1", c.b1, db1, 2 * c.FH, gated_loss, &c);
    check_fd("gated.w2", c.w2, dw2, nw2, gated_loss, &c);
    check_fd("gated.b2", c.b2, db2, c.C, gated_loss, &c);
    free(c.inp); free(c.w1); free(c.b1); free(c.w2); free(c.b2); free(c.fch); free(c.hg); free(c.out); free(c.G);
    free(di); free(dw1); free(db1); free(dw2); free(db2); free(scratch);
}

// ---- line readout ----
typedef struct { int B, S, H, NL, RH, O; double *inp, *line_w, *w1, *b1, *w2, *b2, *pooled, *hid, *hidg, *ll, *out, *G; } lines_ctx;
static double lines_loss(void *p) {
    lines_ctx *c = p;
    nn_readout_lines_forward_f64(c->out, c->ll, c->pooled, c->hid, c->hidg, c->inp, geo_line, c->line_w, c->NL, c->w1,
                                 c->b1, c->w2, c->b2, c->B, c->S, c->H, c->RH, c->O);
    return dot(c->out, c->G, (size_t)c->B * c->O);
}
Test(nn_fd, readout_lines) {
    qp_rng rng;
    qp_rng_stream(&rng, 12, 0, 0);
    lines_ctx c = {.B = 3, .S = 5, .H = 4, .NL = 3, .RH = 5, .O = 2};
    double line_w[5] = {0.5, 0.5, 0.5, 0.5, 1};
    size_t ni = c.B * c.S * c.H, nw1 = c.RH * c.H, nw2 = c.O * c.RH, rows = c.B * c.NL;
    c.inp = malloc(ni * 8); c.line_w = line_w; c.w1 = malloc(nw1 * 8); c.b1 = malloc(c.RH * 8);
    c.w2 = malloc(nw2 * 8); c.b2 = malloc(c.O * 8); c.pooled = malloc(rows * c.H * 8);
    c.hid = malloc(rows * c.RH * 8); c.hidg = malloc(rows * c.RH * 8); c.ll = malloc(rows * c.O * 8);
    c.out = malloc(c.B * c.O * 8); c.G = malloc(c.B * c.O * 8);
    fill_uniform(c.inp, ni, -2, 2, &rng); fill_uniform(c.w1, nw1, -1, 1, &rng);
    fill_uniform(c.b1, c.RH, -1, 1, &rng); fill_uniform(c.w2, nw2, -1, 1, &rng);
    fill_uniform(c.b2, c.O, -1, 1, &rng); fill_uniform(c.G, c.B * c.O, -1, 1, &rng);
    double *di = calloc(ni, 8), *dw1 = calloc(nw1, 8), *db1 = calloc(c.RH, 8), *dw2 = calloc(nw2, 8);
    double *db2 = calloc(c.O, 8), *scratch = malloc(rows * (c.O + 2 * c.RH + c.H) * 8);
    lines_loss(&c);
    nn_readout_lines_backward_f64(di, dw1, db1, dw2, db2, c.G, geo_line, c.line_w, c.NL, c.pooled, c.hid, c.hidg, c.w1,
                                  c.w2, scratch, c.B, c.S, c.H, c.RH, c.O);
    check_fd("readout_lines.inp", c.inp, di, ni, lines_loss, &c);
    check_fd("readout_lines.w1", c.w1, dw1, nw1, lines_loss, &c);
    check_fd("readout_lines.b1", c.b1, db1, c.RH, lines_loss, &c);
    check_fd("readout_lines.w2", c.w2, dw2, nw2, lines_loss, &c);
    check_fd("readout_lines.b2", c.b2, db2, c.O, lines_loss, &c);
    free(c.inp); free(c.w1); free(c.b1); free(c.w2); free(c.b2); free(c.pooled); free(c.hid); free(c.hidg);
    free(c.ll); free(c.out); free(c.G); free(di); free(dw1); free(db1); free(dw2); free(db2); free(scratch);
}
