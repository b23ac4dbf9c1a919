// The recurrent decoder model: parameter layout, initialisation, forward over rounds with
// stored activations, backpropagation through time, streaming inference (see nn_model.h).
// Float here, double in nn_f64.c.
#include "workers/nn/nn_model.h"

#include <stdlib.h>
#include <string.h>
#include <tgmath.h>

#include "workers/nn/nn_attention.h"
#include "workers/nn/nn_embed.h"
#include "workers/nn/nn_ffn.h"
#include "workers/nn/nn_layernorm.h"
#include "workers/nn/nn_linear.h"
#include "workers/nn/nn_loss.h"
#include "workers/nn/nn_readout.h"
#include "workers/util/alloc.h"
#include "workers/util/rng.h"

size_t NN(nn_param_sizes)(size_t sizes[NN_NUM_PARAM_TENSORS], const nn_config *cfg) {
    size_t S = cfg->num_stabs, F = cfg->num_features, O = cfg->num_obs, H = cfg->hidden;
    size_t L = cfg->num_layers, NH = cfg->num_heads, FH = cfg->ffn_hidden, RH = cfg->readout_hidden;
    size_t s[NN_NUM_PARAM_TENSORS] = {
        S * H, 2 * H * F, 2 * H,                 // stab_emb, in_w, in_b
        L * H, L * H, L * 3 * H * H, L * 3 * H,  // ln1w, ln1b, qkvw, qkvb
        L * NH * S * S,                          // attn_bias
        L * H * H, L * H, L * H, L * H,          // projw, projb, ln2w, ln2b
        L * FH * H, L * FH, L * H * FH, L * H,   // fc1w, fc1b, fc2w, fc2b
        H, 1, H, H,                              // aux_w, aux_b, lnfw, lnfb
        RH * H, RH, O * RH, O};                  // ro1w, ro1b, ro2w, ro2b
    size_t total = 0;
    for (int i = 0; i < NN_NUM_PARAM_TENSORS; i++) total += (sizes[i] = s[i]);
    return total;
}

void NN(nn_params_point)(nn_params *p, nn_real *memory, const size_t sizes[NN_NUM_PARAM_TENSORS]) {
    nn_real **ptrs[NN_NUM_PARAM_TENSORS] = {
        &p->stab_emb, &p->in_w, &p->in_b, &p->ln1w, &p->ln1b, &p->qkvw, &p->qkvb, &p->attn_bias,
        &p->projw, &p->projb, &p->ln2w, &p->ln2b, &p->fc1w, &p->fc1b, &p->fc2w, &p->fc2b,
        &p->aux_w, &p->aux_b, &p->lnfw, &p->lnfb, &p->ro1w, &p->ro1b, &p->ro2w, &p->ro2b};
    for (int i = 0; i < NN_NUM_PARAM_TENSORS; i++) {
        *ptrs[i] = memory;
        memory += sizes[i];
    }
}

// Carves `n` arrays of the given sizes out of one zeroed allocation; returns it.
static nn_real *NN(nn_model_carve)(nn_real **ptrs[], const size_t sizes[], int n) {
    size_t total = 0;
    for (int i = 0; i < n; i++) total += sizes[i];
    nn_real *mem = qp_calloc(total ? total : 1, sizeof(nn_real)), *at = mem;
    for (int i = 0; i < n; i++) {
        *ptrs[i] = at;
        at += sizes[i];
    }
    return mem;
}

int NN(nn_model_create)(nn_model *m, const nn_config *cfg, const nn_real *pool_w, int max_batch,
                        int max_rounds, qp_err *err) {
    memset(m, 0, sizeof *m);
    const nn_config *c = cfg;
    if (c->num_stabs < 1 || c->num_features < 1 || c->num_obs < 1 || c->hidden < 1 ||
        c->num_layers < 0 || c->num_heads < 1 || c->hidden % c->num_heads || c->ffn_hidden < 1 ||
        c->readout_hidden < 1 || max_batch < 1 || max_rounds < 1)
        return qp_fail(err, "nn_model: bad config (S=%d F=%d O=%d H=%d L=%d heads=%d FH=%d RH=%d batch=%d rounds=%d)",
                       c->num_stabs, c->num_features, c->num_obs, c->hidden, c->num_layers,
                       c->num_heads, c->ffn_hidden, c->readout_hidden, max_batch, max_rounds);
    m->cfg = *cfg;
    m->max_batch = max_batch;
    m->max_rounds = max_rounds;
    m->num_params = NN(nn_param_sizes)(m->param_sizes, cfg);
    m->params_memory = qp_calloc(m->num_params, sizeof(nn_real));
    m->grads_memory = qp_calloc(m->num_params, sizeof(nn_real));
    NN(nn_params_point)(&m->params, m->params_memory, m->param_sizes);
    NN(nn_params_point)(&m->grads, m->grads_memory, m->param_sizes);

    size_t S = c->num_stabs, F = c->num_features, O = c->num_obs, H = c->hidden, L = c->num_layers;
    size_t NH = c->num_heads, FH = c->ffn_hidden, RH = c->readout_hidden, B = max_batch;
    m->pool_w = qp_malloc(S * sizeof(nn_real));
    for (size_t s = 0; s < S; s++) m->pool_w[s] = pool_w ? pool_w[s] : (nn_real)1 / (nn_real)S;

    // Activations: max_rounds round blocks, then the readout block.
    m->rounds = qp_calloc((size_t)max_rounds, sizeof(nn_round_acts));
    enum { PER_ROUND = 18, READOUT = 9 };
    size_t nptr = (size_t)max_rounds * PER_ROUND + READOUT;
    nn_real ***ptrs = qp_malloc(nptr * sizeof *ptrs);
    size_t *sizes = qp_malloc(nptr * sizeof *sizes);
    size_t k = 0;
    for (int r = 0; r < max_rounds; r++) {
        nn_round_acts *a = &m->rounds[r];
        nn_real **p[PER_ROUND] = {&a->inp, &a->x0, &a->ln1, &a->ln1_mean, &a->ln1_rstd, &a->qkv,
                                  &a->att, &a->atty, &a->res1, &a->ln2, &a->ln2_mean, &a->ln2_rstd,
                                  &a->fch, &a->fch_gelu, &a->res2, &a->aux_logits, &a->aux_targets,
                                  &a->aux_weights};
        size_t z[PER_ROUND] = {B * S * F, B * S * H, L * B * S * H, L * B * S, L * B * S,
                               L * B * S * 3 * H, L * B * NH * S * S, L * B * S * H, L * B * S * H,
                               L * B * S * H, L * B * S, L * B * S, L * B * S * FH, L * B * S * FH,
                               L * B * S * H, B * S, B * S, B * S};
        for (int i = 0; i < PER_ROUND; i++, k++) {
            ptrs[k] = p[i];
            sizes[k] = z[i];
        }
    }
    nn_readout_acts *o = &m->out;
    nn_real **po[READOUT] = {&o->lnf, &o->lnf_mean, &o->lnf_rstd, &o->pooled, &o->hid,
                             &o->hid_gelu, &o->logits, &o->targets, &o->weights};
    size_t zo[READOUT] = {B * S * H, B * S, B * S, B * H, B * RH, B * RH, B * O, B * O, B * O};
    for (int i = 0; i < READOUT; i++, k++) {
        ptrs[k] = po[i];
        sizes[k] = zo[i];
    }
    m->acts_memory = NN(nn_model_carve)(ptrs, sizes, (int)k);
    free(ptrs);
    free(sizes);

    nn_real **ps[9] = {&m->dx, &m->dln, &m->dqkv, &m->datty, &m->ffn_scratch, &m->readout_scratch,
                       &m->dlogits, &m->daux, &m->stream_state};
    size_t zs[9] = {B * S * H, B * S * H, B * S * 3 * H, B * S * H, 2 * B * S * FH,
                    B * H + 2 * B * RH, B * O, B * S, B * S * H};
    m->scratch_memory = NN(nn_model_carve)(ps, zs, 9);
    return 0;
}

void NN(nn_model_free)(nn_model *m) {
    free(m->params_memory);
    free(m->grads_memory);
    free(m->pool_w);
    free(m->acts_memory);
    free(m->rounds);
    free(m->scratch_memory);
    memset(m, 0, sizeof *m);
}

static double NN(nn_model_gaussian)(qp_rng *rng) {
    double u1 = qp_rng_uniform(rng), u2 = qp_rng_uniform(rng);
    return sqrt(-2.0 * log(1.0 - u1)) * cos(6.283185307179586 * u2);
}

static void NN(nn_model_fill_gaussian)(nn_real *x, size_t n, double std, qp_rng *rng) {
    for (size_t i = 0; i < n; i++) x[i] = (nn_real)(std * NN(nn_model_gaussian)(rng));
}

void NN(nn_model_init_params)(nn_model *m, uint64_t seed) {
    const nn_config *c = &m->cfg;
    nn_params *p = &m->params;
    size_t H = c->hidden, F = c->num_features, L = c->num_layers, FH = c->ffn_hidden;
    size_t RH = c->readout_hidden, O = c->num_obs, S = c->num_stabs;
    qp_rng rng;
    qp_rng_stream(&rng, seed, 0x6e6e /* "nn" */, 0);
    memset(m->params_memory, 0, m->num_params * sizeof(nn_real));
    double resid = 1.0 / sqrt(2.0 * (L ? L : 1));
    NN(nn_model_fill_gaussian)(p->stab_emb, S * H, 0.2, &rng);
    NN(nn_model_fill_gaussian)(p->in_w, 2 * H * F, 1.0, &rng);
    for (size_t i = 0; i < L * H; i++) p->ln1w[i] = p->ln2w[i] = 1;
    NN(nn_model_fill_gaussian)(p->qkvw, L * 3 * H * H, 1.0 / sqrt((double)H), &rng);
    NN(nn_model_fill_gaussian)(p->projw, L * H * H, resid / sqrt((double)H), &rng);
    NN(nn_model_fill_gaussian)(p->fc1w, L * FH * H, 1.0 / sqrt((double)H), &rng);
    NN(nn_model_fill_gaussian)(p->fc2w, L * H * FH, resid / sqrt((double)FH), &rng);
    NN(nn_model_fill_gaussian)(p->aux_w, H, 1.0 / sqrt((double)H), &rng);
    for (size_t i = 0; i < H; i++) p->lnfw[i] = 1;
    NN(nn_model_fill_gaussian)(p->ro1w, RH * H, 1.0 / sqrt((double)H), &rng);
    NN(nn_model_fill_gaussian)(p->ro2w, O * RH, 1.0 / sqrt((double)RH), &rng);
}

void NN(nn_model_zero_grad)(nn_model *m) { memset(m->grads_memory, 0, m->num_params * sizeof(nn_real)); }

// One round of the recurrent core for B shots: a->inp must hold this round's inputs.
// prev_state (B,S,H) is the state after the previous round, NULL before the first.
static void NN(nn_model_round_forward)(nn_model *m, nn_round_acts *a, const nn_real *prev_state,
                                       int kind, int B) {
    const nn_config *c = &m->cfg;
    const nn_params *p = &m->params;
    int S = c->num_stabs, F = c->num_features, H = c->hidden, NH = c->num_heads, FH = c->ffn_hidden;
    size_t BSH = (size_t)B * S * H, n = (size_t)B * S;
    size_t bsh = (size_t)m->max_batch * S * H, bs = (size_t)m->max_batch * S;  // layer strides
    NN(nn_embed_forward)(a->x0, a->inp, p->stab_emb, p->in_w + (size_t)kind * H * F,
                         p->in_b + (size_t)kind * H, B, S, F, H);
    nn_real scale = (nn_real)c->state_scale;
    for (size_t i = 0; i < BSH; i++) a->x0[i] = ((prev_state ? prev_state[i] : 0) + a->x0[i]) * scale;
    const nn_real *x = a->x0;
    for (int l = 0; l < c->num_layers; l++) {
        nn_real *ln1 = a->ln1 + l * bsh, *qkv = a->qkv + l * 3 * bsh, *atty = a->atty + l * bsh;
        nn_real *att = m->has_targets ? a->att + (size_t)l * m->max_batch * NH * S * S : NULL;  // for backward
        nn_real *res1 = a->res1 + l * bsh, *ln2 = a->ln2 + l * bsh, *res2 = a->res2 + l * bsh;
        nn_real *fch = a->fch + l * (size_t)m->max_batch * S * FH;
        nn_real *fch_gelu = a->fch_gelu + l * (size_t)m->max_batch * S * FH;
        NN(nn_layernorm_forward)(ln1, a->ln1_mean + l * bs, a->ln1_rstd + l * bs, x,
                                 p->ln1w + l * H, p->ln1b + l * H, (int)n, H);
        NN(nn_linear_forward)(qkv, ln1, p->qkvw + (size_t)l * 3 * H * H, p->qkvb + (size_t)l * 3 * H,
                              (int)n, H, 3 * H);
        NN(nn_attention_forward)(atty, att, qkv, p->attn_bias + (size_t)l * NH * S * S, B, S, H, NH);
        NN(nn_linear_forward)(res1, atty, p->projw + (size_t)l * H * H, p->projb + (size_t)l * H,
                              (int)n, H, H);
        for (size_t i = 0; i < BSH; i++) res1[i] += x[i];
        NN(nn_layernorm_forward)(ln2, a->ln2_mean + l * bs, a->ln2_rstd + l * bs, res1,
                                 p->ln2w + l * H, p->ln2b + l * H, (int)n, H);
        NN(nn_ffn_forward)(res2, fch, fch_gelu, ln2, p->fc1w + (size_t)l * FH * H,
                           p->fc1b + (size_t)l * FH, p->fc2w + (size_t)l * H * FH,
                           p->fc2b + (size_t)l * H, (int)n, H, FH);
        for (size_t i = 0; i < BSH; i++) res2[i] += res1[i];
        x = res2;
    }
}

// The state after round a: the last layer's output (or x0 with no layers).
static nn_real *NN(nn_model_round_state)(const nn_model *m, const nn_round_acts *a) {
    int L = m->cfg.num_layers;
    return L ? a->res2 + (size_t)(L - 1) * m->max_batch * m->cfg.num_stabs * m->cfg.hidden : a->x0;
}

static void NN(nn_model_gather_round)(nn_real *dst, const nn_real *inputs, int B, int R, int r, int S, int F) {
    for (int b = 0; b < B; b++)
        memcpy(dst + (size_t)b * S * F, inputs + ((size_t)b * R + r) * S * F, sizeof(nn_real) * S * F);
}

static void NN(nn_model_readout_forward)(nn_model *m, const nn_real *state, int B) {
    const nn_config *c = &m->cfg;
    const nn_params *p = &m->params;
    nn_readout_acts *o = &m->out;
    int S = c->num_stabs, H = c->hidden;
    NN(nn_layernorm_forward)(o->lnf, o->lnf_mean, o->lnf_rstd, state, p->lnfw, p->lnfb, B * S, H);
    NN(nn_readout_forward)(o->logits, o->pooled, o->hid, o->hid_gelu, o->lnf, m->pool_w, p->ro1w,
                           p->ro1b, p->ro2w, p->ro2b, B, S, H, c->readout_hidden, c->num_obs);
}

double NN(nn_model_forward)(nn_model *m, const nn_real *inputs, const nn_real *present,
                            const nn_real *targets, int B, int R) {
    const nn_config *c = &m->cfg;
    int S = c->num_stabs, F = c->num_features, O = c->num_obs;
    if (B < 1 || B > m->max_batch || R < 1 || R > m->max_rounds) return NAN;  // storage too small
    m->batch = B;
    m->num_rounds = R;
    m->has_targets = targets != NULL;
    const nn_real *prev = NULL;
    for (int r = 0; r < R; r++) {
        nn_round_acts *a = &m->rounds[r];
        NN(nn_model_gather_round)(a->inp, inputs, B, R, r, S, F);
        NN(nn_model_round_forward)(m, a, prev, r == R - 1, B);
        prev = NN(nn_model_round_state)(m, a);
    }
    NN(nn_model_readout_forward)(m, prev, B);
    m->loss = m->loss_main = m->loss_aux = 0;
    if (!targets) return 0;

    nn_readout_acts *o = &m->out;
    memcpy(o->targets, targets, sizeof(nn_real) * B * O);
    for (int i = 0; i < B * O; i++) o->weights[i] = (nn_real)(1.0 / ((double)B * O));
    m->loss_main = NN(nn_bce_forward)(o->logits, o->targets, o->weights, B * O);

    // Auxiliary loss: round r predicts the detection events (feature 0) of round r+1, averaged
    // over the detectors that exist in rounds 1..R-1.
    double count = 0;
    for (int r = 1; r < R; r++)
        for (int s = 0; s < S; s++) count += present ? present[(size_t)r * S + s] : 1;
    if (c->aux_weight > 0 && count > 0) {
        double w = c->aux_weight / ((double)B * count);
        for (int r = 0; r + 1 < R; r++) {
            nn_round_acts *a = &m->rounds[r], *next = &m->rounds[r + 1];
            NN(nn_linear_forward)(a->aux_logits, NN(nn_model_round_state)(m, a), m->params.aux_w,
                                  m->params.aux_b, B * S, c->hidden, 1);
            for (int b = 0; b < B; b++)
                for (int s = 0; s < S; s++) {
                    size_t i = (size_t)b * S + s;
                    a->aux_targets[i] = next->inp[i * F];
                    a->aux_weights[i] = (nn_real)(w * (present ? present[(size_t)(r + 1) * S + s] : 1));
                }
            m->loss_aux += NN(nn_bce_forward)(a->aux_logits, a->aux_targets, a->aux_weights, B * S);
        }
    }
    m->loss = m->loss_main + m->loss_aux;
    return m->loss;
}

void NN(nn_model_backward)(nn_model *m) {
    const nn_config *c = &m->cfg;
    const nn_params *p = &m->params;
    const nn_params *g = &m->grads;
    int B = m->batch, R = m->num_rounds, S = c->num_stabs, F = c->num_features, O = c->num_obs;
    int H = c->hidden, NH = c->num_heads, FH = c->ffn_hidden, RH = c->readout_hidden;
    size_t n = (size_t)B * S, BSH = n * H;
    size_t bsh = (size_t)m->max_batch * S * H, bs = (size_t)m->max_batch * S;
    nn_readout_acts *o = &m->out;

    // Readout: dx = d loss / d (state after the last round).
    memset(m->dx, 0, BSH * sizeof(nn_real));
    memset(m->dlogits, 0, (size_t)B * O * sizeof(nn_real));
    NN(nn_bce_backward)(m->dlogits, o->logits, o->targets, o->weights, B * O);
    memset(m->dln, 0, BSH * sizeof(nn_real));
    NN(nn_readout_backward)(m->dln, g->ro1w, g->ro1b, g->ro2w, g->ro2b, m->dlogits, m->pool_w,
                            o->pooled, o->hid, o->hid_gelu, p->ro1w, p->ro2w, m->readout_scratch,
                            B, S, H, RH, O);
    NN(nn_layernorm_backward)(m->dx, g->lnfw, g->lnfb, m->dln,
                              NN(nn_model_round_state)(m, &m->rounds[R - 1]), p->lnfw, o->lnf_mean,
                              o->lnf_rstd, (int)n, H);

    for (int r = R - 1; r >= 0; r--) {
        nn_round_acts *a = &m->rounds[r];
        if (r + 1 < R && m->loss_aux > 0) {
            memset(m->daux, 0, n * sizeof(nn_real));
            NN(nn_bce_backward)(m->daux, a->aux_logits, a->aux_targets, a->aux_weights, (int)n);
            NN(nn_linear_backward)(m->dx, g->aux_w, g->aux_b, m->daux, NN(nn_model_round_state)(m, a),
                                   p->aux_w, (int)n, H, 1);
        }
        for (int l = c->num_layers - 1; l >= 0; l--) {
            const nn_real *x = l ? a->res2 + (l - 1) * bsh : a->x0;
            nn_real *ln1 = a->ln1 + l * bsh, *qkv = a->qkv + l * 3 * bsh, *atty = a->atty + l * bsh;
            nn_real *att = a->att + (size_t)l * m->max_batch * NH * S * S;
            nn_real *res1 = a->res1 + l * bsh, *ln2 = a->ln2 + l * bsh;
            nn_real *fch = a->fch + l * (size_t)m->max_batch * S * FH;
            nn_real *fch_gelu = a->fch_gelu + l * (size_t)m->max_batch * S * FH;
            // res2 = res1 + ffn(ln2(res1)): dx flows straight through, plus the branch.
            memset(m->dln, 0, BSH * sizeof(nn_real));
            NN(nn_ffn_backward)(m->dln, g->fc1w + (size_t)l * FH * H, g->fc1b + (size_t)l * FH,
                                g->fc2w + (size_t)l * H * FH, g->fc2b + (size_t)l * H, m->dx, ln2, fch,
                                fch_gelu, p->fc1w + (size_t)l * FH * H, p->fc2w + (size_t)l * H * FH,
                                m->ffn_scratch, (int)n, H, FH);
            NN(nn_layernorm_backward)(m->dx, g->ln2w + l * H, g->ln2b + l * H, m->dln, res1,
                                      p->ln2w + l * H, a->ln2_mean + l * bs, a->ln2_rstd + l * bs, (int)n, H);
            // res1 = x + proj(attention(qkv(ln1(x)))).
            memset(m->datty, 0, BSH * sizeof(nn_real));
            NN(nn_linear_backward)(m->datty, g->projw + (size_t)l * H * H, g->projb + (size_t)l * H, m->dx,
                                   atty, p->projw + (size_t)l * H * H, (int)n, H, H);
            memset(m->dqkv, 0, 3 * BSH * sizeof(nn_real));
            NN(nn_attention_backward)(m->dqkv, g->attn_bias + (size_t)l * NH * S * S, m->datty, qkv, att,
                                      B, S, H, NH);
            memset(m->dln, 0, BSH * sizeof(nn_real));
            NN(nn_linear_backward)(m->dln, g->qkvw + (size_t)l * 3 * H * H, g->qkvb + (size_t)l * 3 * H,
                                   m->dqkv, ln1, p->qkvw + (size_t)l * 3 * H * H, (int)n, H, 3 * H);
            // The key bias shifts every score of a query row by the same amount, which the
            // softmax ignores: its exact gradient is 0 and the computed one is rounding noise,
            // which Adam would normalise into full-size steps. Keep it exactly 0.
            memset(g->qkvb + (size_t)l * 3 * H + H, 0, (size_t)H * sizeof(nn_real));
            NN(nn_layernorm_backward)(m->dx, g->ln1w + l * H, g->ln1b + l * H, m->dln, x, p->ln1w + l * H,
                                      a->ln1_mean + l * bs, a->ln1_rstd + l * bs, (int)n, H);
        }
        // x0 = (prev + emb) * scale: d emb = d prev = scale * d x0.
        nn_real scale = (nn_real)c->state_scale;
        for (size_t i = 0; i < BSH; i++) m->dx[i] *= scale;
        int kind = r == R - 1;
        NN(nn_embed_backward)(g->stab_emb, g->in_w + (size_t)kind * H * F, g->in_b + (size_t)kind * H,
                              m->dx, a->inp, B, S, F, H);
    }
}

void NN(nn_model_predict)(nn_model *m, const nn_real *inputs, int B, int R, nn_real *probs) {
    const nn_config *c = &m->cfg;
    int S = c->num_stabs, F = c->num_features, O = c->num_obs;
    size_t BSH = (size_t)B * S * c->hidden;
    if (B < 1 || B > m->max_batch || R < 1) {
        for (int i = 0; i < B * O; i++) probs[i] = NAN;
        return;
    }
    // The state stays where the last layer wrote it in the one round block: round_forward
    // reads it into x0 before any layer overwrites it, so no per-round copy. Only a model
    // without layers (state = x0, which the embedding overwrites first) needs the copy.
    nn_round_acts *a = &m->rounds[0];
    m->has_targets = 0;  // no backward after this
    for (int r = 0; r < R; r++) {
        NN(nn_model_gather_round)(a->inp, inputs, B, R, r, S, F);
        const nn_real *prev = r ? NN(nn_model_round_state)(m, a) : NULL;
        if (prev == a->x0) {
            memcpy(m->stream_state, prev, BSH * sizeof(nn_real));
            prev = m->stream_state;
        }
        NN(nn_model_round_forward)(m, a, prev, r == R - 1, B);
    }
    NN(nn_model_readout_forward)(m, NN(nn_model_round_state)(m, a), B);
    for (int i = 0; i < B * O; i++) {
        nn_real z = m->out.logits[i];
        probs[i] = z >= 0 ? 1 / (1 + exp(-z)) : exp(z) / (1 + exp(z));
    }
}

double NN(nn_model_gemm_flops)(const nn_config *c, int R, int training) {
    double S = c->num_stabs, H = c->hidden, FH = c->ffn_hidden, RH = c->readout_hidden, O = c->num_obs;
    double layer = 2 * S * (H * 3 * H + H * H + H * FH + FH * H);
    double per_round = c->num_layers * layer + (training && c->aux_weight > 0 ? 2 * S * H : 0);
    double fwd = R * per_round + 2 * (H * RH + RH * O);
    return training ? 3 * fwd : fwd;
}
