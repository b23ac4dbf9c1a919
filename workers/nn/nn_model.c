// The recurrent decoder model: parameter layout, initialisation, forward over rounds with
// stored activations, backpropagation through time, streaming inference (see nn_model.h).
// Float here, double in nn_f64.c.
#include "workers/nn/nn_model.h"

#include <stdlib.h>
#include <string.h>
#include <tgmath.h>

#include "workers/nn/nn_attention.h"
#include "workers/nn/nn_embed.h"
#include "workers/nn/nn_conv2d.h"
#include "workers/nn/nn_ffn.h"
#include "workers/nn/nn_gated.h"
#include "workers/nn/nn_geom_bias.h"
#include "workers/nn/nn_layernorm.h"
#include "workers/nn/nn_linear.h"
#include "workers/nn/nn_loss.h"
#include "workers/nn/nn_readout.h"
#include "workers/util/alloc.h"
#include "workers/util/rng.h"

size_t NN(nn_param_sizes)(size_t sizes[NN_NUM_PARAM_TENSORS], const nn_config *cfg) {
    size_t S = cfg->num_stabs, F = cfg->num_features, O = cfg->num_obs, H = cfg->hidden;
    size_t L = cfg->num_layers, NH = cfg->num_heads, FH = cfg->ffn_hidden, RH = cfg->readout_hidden;
    size_t FH1 = cfg->ffn_gated ? 2 * FH : FH, ND = cfg->num_dilations;
    size_t E = cfg->attn_bias_geometric ? (size_t)nn_geom_bias_entries(cfg->geom_radius) : 0;
    size_t s[NN_NUM_PARAM_TENSORS] = {
        (cfg->stab_emb_by_type ? NN_GEOM_TYPES : S) * H, 2 * H * F, 2 * H,  // stab_emb, in_w, in_b
        L * H, L * H, L * 3 * H * H, L * 3 * H,  // ln1w, ln1b, qkvw, qkvb
        cfg->attn_bias_geometric ? 0 : L * NH * S * S,  // attn_bias
        L * H * H, L * H, L * H, L * H,          // projw, projb, ln2w, ln2b
        L * FH1 * H, L * FH1, L * H * FH, L * H, // fc1w, fc1b, fc2w, fc2b
        H, 1, H, H,                              // aux_w, aux_b, lnfw, lnfb
        RH * H, RH, O * RH, O,                   // ro1w, ro1b, ro2w, ro2b
        L * NH * E,                              // geo_bias
        L * ND * H, L * ND * H, L * ND * 9 * H * H, L * ND * H};  // convlnw, convlnb, convw, convb
    size_t total = 0;
    for (int i = 0; i < NN_NUM_PARAM_TENSORS; i++) total += (sizes[i] = s[i]);
    return total;
}

void NN(nn_params_point)(nn_params *p, nn_real *memory, const size_t sizes[NN_NUM_PARAM_TENSORS]) {
    nn_real **ptrs[NN_NUM_PARAM_TENSORS] = {
        &p->stab_emb, &p->in_w, &p->in_b, &p->ln1w, &p->ln1b, &p->qkvw, &p->qkvb, &p->attn_bias,
        &p->projw, &p->projb, &p->ln2w, &p->ln2b, &p->fc1w, &p->fc1b, &p->fc2w, &p->fc2b,
        &p->aux_w, &p->aux_b, &p->lnfw, &p->lnfb, &p->ro1w, &p->ro1b, &p->ro2w, &p->ro2b,
        &p->geo_bias, &p->convlnw, &p->convlnb, &p->convw, &p->convb};
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
        c->readout_hidden < 1 || max_batch < 1 || max_rounds < 1 || c->num_dilations < 0 ||
        c->num_dilations > NN_MAX_DILATIONS || (c->attn_bias_geometric && c->geom_radius < 1))
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
    size_t FH1 = c->ffn_gated ? 2 * FH : FH, ND = c->num_dilations;
    for (size_t j = 0; j < ND; j++)
        if (c->dilations[j] < 1) {
            NN(nn_model_free)(m);
            return qp_fail(err, "nn_model: dilation %d must be >= 1", c->dilations[j]);
        }
    size_t RB = c->readout_lines ? B * S : B;  // readout rows: one per line (at most S) or per shot
    m->pool_w = qp_malloc(S * sizeof(nn_real));
    for (size_t s = 0; s < S; s++) m->pool_w[s] = pool_w ? pool_w[s] : (nn_real)1 / (nn_real)S;

    // Activations: max_rounds round blocks, then the readout block.
    m->rounds = qp_calloc((size_t)max_rounds, sizeof(nn_round_acts));
    enum { PER_ROUND = 23, READOUT = 10 };
    size_t nptr = (size_t)max_rounds * PER_ROUND + READOUT;
    nn_real ***ptrs = qp_malloc(nptr * sizeof *ptrs);
    size_t *sizes = qp_malloc(nptr * sizeof *sizes);
    size_t k = 0;
    for (int r = 0; r < max_rounds; r++) {
        nn_round_acts *a = &m->rounds[r];
        nn_real **p[PER_ROUND] = {&a->inp, &a->x0, &a->ln1, &a->ln1_mean, &a->ln1_rstd, &a->qkv,
                                  &a->att, &a->atty, &a->res1, &a->ln2, &a->ln2_mean, &a->ln2_rstd,
                                  &a->fch, &a->fch_gelu, &a->res2, &a->aux_logits, &a->aux_targets,
                                  &a->aux_weights, &a->conv_ln, &a->conv_mean, &a->conv_rstd,
                                  &a->conv_act, &a->conv_res};
        size_t z[PER_ROUND] = {B * S * F, B * S * H, L * B * S * H, L * B * S, L * B * S,
                               L * B * S * 3 * H, L * B * NH * S * S, L * B * S * H, L * B * S * H,
                               L * B * S * H, L * B * S, L * B * S, L * B * S * FH1, L * B * S * FH,
                               L * B * S * H, B * S, B * S, B * S, L * ND * B * S * H, L * ND * B * S,
                               L * ND * B * S, L * ND * B * S * H, L * ND * B * S * H};
        for (int i = 0; i < PER_ROUND; i++, k++) {
            ptrs[k] = p[i];
            sizes[k] = z[i];
        }
    }
    nn_readout_acts *o = &m->out;
    nn_real **po[READOUT] = {&o->lnf, &o->lnf_mean, &o->lnf_rstd, &o->pooled, &o->hid,
                             &o->hid_gelu, &o->logits, &o->targets, &o->weights, &o->line_logits};
    size_t zo[READOUT] = {B * S * H, B * S, B * S, RB * H, RB * RH, RB * RH, B * O, B * O, B * O,
                          c->readout_lines ? RB * O : 0};
    for (int i = 0; i < READOUT; i++, k++) {
        ptrs[k] = po[i];
        sizes[k] = zo[i];
    }
    m->acts_memory = NN(nn_model_carve)(ptrs, sizes, (int)k);
    free(ptrs);
    free(sizes);

    int geo = c->attn_bias_geometric, by_type = c->stab_emb_by_type;
    nn_real **ps[15] = {&m->dx, &m->dln, &m->dqkv, &m->datty, &m->ffn_scratch, &m->readout_scratch,
                        &m->dlogits, &m->daux, &m->stream_state, &m->line_w, &m->geo_bias_full,
                        &m->dgeo_bias_full, &m->stab_emb_full, &m->dstab_emb_full, &m->conv_scratch};
    size_t zs[15] = {B * S * H, B * S * H, B * S * 3 * H, B * S * H, (c->ffn_gated ? 3 : 2) * B * S * FH,
                     c->readout_lines ? RB * (O + 2 * RH + H) : B * H + 2 * B * RH, B * O, B * S, B * S * H,
                     S, geo ? L * NH * S * S : 0, geo ? L * NH * S * S : 0, by_type ? S * H : 0,
                     by_type ? S * H : 0, ND ? 2 * B * S * 9 * H : 0};
    m->scratch_memory = NN(nn_model_carve)(ps, zs, 15);
    m->stab_type = qp_calloc(S, sizeof(int));
    m->line_of = qp_calloc(S, sizeof(int));
    m->geo_idx = qp_calloc(S * S, sizeof(int));
    m->conv_nbr = qp_calloc(ND * 9 * S + 1, sizeof(int));
    return 0;
}

int NN(nn_model_set_geometry)(nn_model *m, const nn_geometry *g, qp_err *err) {
    const nn_config *c = &m->cfg;
    int S = c->num_stabs;
    if (!g) {
        if (nn_config_has_structure(c))
            return qp_fail(err, "nn_model: the model's layers need the stabilizers' geometry");
        return 0;
    }
    for (int s = 0; s < S; s++) {
        if (g->type[s] < 0 || g->type[s] >= NN_GEOM_TYPES)
            return qp_fail(err, "nn_model: stabilizer %d has type %d", s, g->type[s]);
        if (g->line[s] >= g->num_lines) return qp_fail(err, "nn_model: stabilizer %d is in line %d", s, g->line[s]);
    }
    if (c->readout_lines && g->num_lines < 1) return qp_fail(err, "nn_model: the line readout needs lines");
    memcpy(m->stab_type, g->type, (size_t)S * sizeof(int));
    memcpy(m->line_of, g->line, (size_t)S * sizeof(int));
    m->num_lines = g->num_lines;
    int *count = qp_calloc((size_t)g->num_lines + 1, sizeof(int));
    for (int s = 0; s < S; s++)
        if (g->line[s] >= 0) count[g->line[s]]++;
    for (int s = 0; s < S; s++) m->line_w[s] = g->line[s] >= 0 ? (nn_real)1 / (nn_real)count[g->line[s]] : 0;
    free(count);
    if (c->attn_bias_geometric) NN(nn_geom_bias_index)(m->geo_idx, g->row, g->col, g->type, S, c->geom_radius);
    for (int j = 0; j < c->num_dilations; j++)
        NN(nn_conv2d_neighbours)(m->conv_nbr + (size_t)j * 9 * S, g->row, g->col, S, c->dilations[j]);
    m->geometry_set = 1;
    return 0;
}

void NN(nn_model_free)(nn_model *m) {
    free(m->params_memory);
    free(m->grads_memory);
    free(m->pool_w);
    free(m->acts_memory);
    free(m->rounds);
    free(m->scratch_memory);
    free(m->stab_type);
    free(m->line_of);
    free(m->geo_idx);
    free(m->conv_nbr);
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
    (void)S;
    NN(nn_model_fill_gaussian)(p->stab_emb, m->param_sizes[0], 0.2, &rng);
    NN(nn_model_fill_gaussian)(p->in_w, 2 * H * F, 1.0, &rng);
    for (size_t i = 0; i < L * H; i++) p->ln1w[i] = p->ln2w[i] = 1;
    NN(nn_model_fill_gaussian)(p->qkvw, L * 3 * H * H, 1.0 / sqrt((double)H), &rng);
    NN(nn_model_fill_gaussian)(p->projw, L * H * H, resid / sqrt((double)H), &rng);
    NN(nn_model_fill_gaussian)(p->fc1w, m->param_sizes[12], 1.0 / sqrt((double)H), &rng);
    NN(nn_model_fill_gaussian)(p->fc2w, L * H * FH, resid / sqrt((double)FH), &rng);
    NN(nn_model_fill_gaussian)(p->aux_w, H, 1.0 / sqrt((double)H), &rng);
    for (size_t i = 0; i < H; i++) p->lnfw[i] = 1;
    NN(nn_model_fill_gaussian)(p->ro1w, RH * H, 1.0 / sqrt((double)H), &rng);
    NN(nn_model_fill_gaussian)(p->ro2w, O * RH, 1.0 / sqrt((double)RH), &rng);
    // Opt-in layers draw after everything else, so the original model's draws are unchanged.
    size_t ND = c->num_dilations;
    for (size_t i = 0; i < L * ND * H; i++) p->convlnw[i] = 1;
    NN(nn_model_fill_gaussian)(p->convw, L * ND * 9 * H * H, resid / sqrt(9.0 * H), &rng);
}

void NN(nn_model_zero_grad)(nn_model *m) { memset(m->grads_memory, 0, m->num_params * sizeof(nn_real)); }

// One round of the recurrent core for B shots: a->inp must hold this round's inputs.
// prev_state (B,S,H) is the state after the previous round, NULL before the first.
static void NN(nn_model_round_forward)(nn_model *m, nn_round_acts *a, const nn_real *prev_state,
                                       int kind, int B) {
    const nn_config *c = &m->cfg;
    const nn_params *p = &m->params;
    int S = c->num_stabs, F = c->num_features, H = c->hidden, NH = c->num_heads, FH = c->ffn_hidden;
    int ND = c->num_dilations, FH1 = c->ffn_gated ? 2 * FH : FH;
    size_t BSH = (size_t)B * S * H, n = (size_t)B * S;
    size_t bsh = (size_t)m->max_batch * S * H, bs = (size_t)m->max_batch * S;  // layer strides
    const nn_real *stab_emb = c->stab_emb_by_type ? m->stab_emb_full : p->stab_emb;
    NN(nn_embed_forward)(a->x0, a->inp, stab_emb, p->in_w + (size_t)kind * H * F,
                         p->in_b + (size_t)kind * H, B, S, F, H);
    nn_real scale = (nn_real)c->state_scale;
    for (size_t i = 0; i < BSH; i++) a->x0[i] = ((prev_state ? prev_state[i] : 0) + a->x0[i]) * scale;
    const nn_real *x = a->x0;
    for (int l = 0; l < c->num_layers; l++) {
        nn_real *ln1 = a->ln1 + l * bsh, *qkv = a->qkv + l * 3 * bsh, *atty = a->atty + l * bsh;
        nn_real *att = m->has_targets ? a->att + (size_t)l * m->max_batch * NH * S * S : NULL;  // for backward
        nn_real *res1 = a->res1 + l * bsh, *ln2 = a->ln2 + l * bsh, *res2 = a->res2 + l * bsh;
        nn_real *fch = a->fch + l * (size_t)m->max_batch * S * FH1;
        nn_real *fch_gelu = a->fch_gelu + l * (size_t)m->max_batch * S * FH;
        const nn_real *bias = c->attn_bias_geometric ? m->geo_bias_full : p->attn_bias;
        NN(nn_layernorm_forward)(ln1, a->ln1_mean + l * bs, a->ln1_rstd + l * bs, x,
                                 p->ln1w + l * H, p->ln1b + l * H, (int)n, H);
        NN(nn_linear_forward)(qkv, ln1, p->qkvw + (size_t)l * 3 * H * H, p->qkvb + (size_t)l * 3 * H,
                              (int)n, H, 3 * H);
        NN(nn_attention_forward)(atty, att, qkv, bias + (size_t)l * NH * S * S, B, S, H, NH);
        NN(nn_linear_forward)(res1, atty, p->projw + (size_t)l * H * H, p->projb + (size_t)l * H,
                              (int)n, H, H);
        for (size_t i = 0; i < BSH; i++) res1[i] += x[i];
        NN(nn_layernorm_forward)(ln2, a->ln2_mean + l * bs, a->ln2_rstd + l * bs, res1,
                                 p->ln2w + l * H, p->ln2b + l * H, (int)n, H);
        if (c->ffn_gated)
            NN(nn_gated_forward)(res2, fch, fch_gelu, ln2, p->fc1w + (size_t)l * FH1 * H,
                                 p->fc1b + (size_t)l * FH1, p->fc2w + (size_t)l * H * FH,
                                 p->fc2b + (size_t)l * H, (int)n, H, FH);
        else
            NN(nn_ffn_forward)(res2, fch, fch_gelu, ln2, p->fc1w + (size_t)l * FH * H,
                               p->fc1b + (size_t)l * FH, p->fc2w + (size_t)l * H * FH,
                               p->fc2b + (size_t)l * H, (int)n, H, FH);
        for (size_t i = 0; i < BSH; i++) res2[i] += res1[i];
        x = res2;
        for (int j = 0; j < ND; j++) {  // state += conv_j(gelu(LN_c(state)))
            size_t lj = (size_t)l * ND + j;
            nn_real *cln = a->conv_ln + lj * bsh, *cact = a->conv_act + lj * bsh, *cres = a->conv_res + lj * bsh;
            NN(nn_layernorm_forward)(cln, a->conv_mean + lj * bs, a->conv_rstd + lj * bs, x, p->convlnw + lj * H,
                                     p->convlnb + lj * H, (int)n, H);
            NN(nn_gelu_forward)(cact, cln, (int)BSH);
            NN(nn_conv2d_forward)(cres, m->conv_scratch, cact, m->conv_nbr + (size_t)j * 9 * S,
                                  p->convw + lj * 9 * H * H, p->convb + lj * H, B, S, H);
            for (size_t i = 0; i < BSH; i++) cres[i] += x[i];
            x = cres;
        }
    }
}

// Expands the tables of the opt-in layers (geometric bias, per-type embedding) to their
// per-stabilizer form; once per forward, as the parameters change between steps.
static void NN(nn_model_expand)(nn_model *m) {
    const nn_config *c = &m->cfg;
    int S = c->num_stabs, H = c->hidden, NH = c->num_heads;
    if (c->attn_bias_geometric) {
        int E = nn_geom_bias_entries(c->geom_radius);
        for (int l = 0; l < c->num_layers; l++)
            NN(nn_geom_bias_forward)(m->geo_bias_full + (size_t)l * NH * S * S, m->params.geo_bias + (size_t)l * NH * E,
                                     m->geo_idx, NH, S, E);
    }
    if (c->stab_emb_by_type)
        for (int s = 0; s < S; s++)
            memcpy(m->stab_emb_full + (size_t)s * H, m->params.stab_emb + (size_t)m->stab_type[s] * H,
                   (size_t)H * sizeof(nn_real));
}

// The state after round a: the last layer's output (or x0 with no layers).
static nn_real *NN(nn_model_round_state)(const nn_model *m, const nn_round_acts *a) {
    int L = m->cfg.num_layers, ND = m->cfg.num_dilations;
    size_t bsh = (size_t)m->max_batch * m->cfg.num_stabs * m->cfg.hidden;
    if (!L) return a->x0;
    return ND ? a->conv_res + ((size_t)L * ND - 1) * bsh : a->res2 + (size_t)(L - 1) * bsh;
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
    if (c->readout_lines)
        NN(nn_readout_lines_forward)(o->logits, o->line_logits, o->pooled, o->hid, o->hid_gelu, o->lnf, m->line_of,
                                     m->line_w, m->num_lines, p->ro1w, p->ro1b, p->ro2w, p->ro2b, B, S, H,
                                     c->readout_hidden, c->num_obs);
    else
        NN(nn_readout_forward)(o->logits, o->pooled, o->hid, o->hid_gelu, o->lnf, m->pool_w, p->ro1w,
                               p->ro1b, p->ro2w, p->ro2b, B, S, H, c->readout_hidden, c->num_obs);
}

double NN(nn_model_forward)(nn_model *m, const nn_real *inputs, const nn_real *present,
                            const nn_real *targets, int B, int R) {
    const nn_config *c = &m->cfg;
    int S = c->num_stabs, F = c->num_features, O = c->num_obs;
    if (B < 1 || B > m->max_batch || R < 1 || R > m->max_rounds) return NAN;  // storage too small
    if (nn_config_has_structure(c) && !m->geometry_set) return NAN;           // nn_model_set_geometry
    NN(nn_model_expand)(m);
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
    int ND = c->num_dilations, FH1 = c->ffn_gated ? 2 * FH : FH, L = c->num_layers;
    size_t n = (size_t)B * S, BSH = n * H;
    size_t bsh = (size_t)m->max_batch * S * H, bs = (size_t)m->max_batch * S;
    nn_readout_acts *o = &m->out;
    nn_real *dbias = c->attn_bias_geometric ? m->dgeo_bias_full : g->attn_bias;
    nn_real *dstab_emb = c->stab_emb_by_type ? m->dstab_emb_full : g->stab_emb;
    if (c->attn_bias_geometric) memset(m->dgeo_bias_full, 0, (size_t)L * NH * S * S * sizeof(nn_real));
    if (c->stab_emb_by_type) memset(m->dstab_emb_full, 0, (size_t)S * H * sizeof(nn_real));

    // Readout: dx = d loss / d (state after the last round).
    memset(m->dx, 0, BSH * sizeof(nn_real));
    memset(m->dlogits, 0, (size_t)B * O * sizeof(nn_real));
    NN(nn_bce_backward)(m->dlogits, o->logits, o->targets, o->weights, B * O);
    memset(m->dln, 0, BSH * sizeof(nn_real));
    if (c->readout_lines)
        NN(nn_readout_lines_backward)(m->dln, g->ro1w, g->ro1b, g->ro2w, g->ro2b, m->dlogits, m->line_of, m->line_w,
                                      m->num_lines, o->pooled, o->hid, o->hid_gelu, p->ro1w, p->ro2w,
                                      m->readout_scratch, B, S, H, RH, O);
    else
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
            // The layer's input: the previous layer's output (after its convolutions, if any).
            const nn_real *x = !l ? a->x0 : ND ? a->conv_res + ((size_t)l * ND - 1) * bsh : a->res2 + (l - 1) * bsh;
            nn_real *ln1 = a->ln1 + l * bsh, *qkv = a->qkv + l * 3 * bsh, *atty = a->atty + l * bsh;
            nn_real *att = a->att + (size_t)l * m->max_batch * NH * S * S;
            nn_real *res1 = a->res1 + l * bsh, *ln2 = a->ln2 + l * bsh;
            nn_real *fch = a->fch + l * (size_t)m->max_batch * S * FH1;
            nn_real *fch_gelu = a->fch_gelu + l * (size_t)m->max_batch * S * FH;
            for (int j = ND - 1; j >= 0; j--) {  // cres = xin + conv(gelu(LN_c(xin)))
                size_t lj = (size_t)l * ND + j;
                const nn_real *xin = j ? a->conv_res + (lj - 1) * bsh : a->res2 + l * bsh;
                memset(m->datty, 0, BSH * sizeof(nn_real));  // d conv_act
                NN(nn_conv2d_backward)(m->datty, g->convw + lj * 9 * H * H, g->convb + lj * H, m->dx,
                                       a->conv_act + lj * bsh, m->conv_nbr + (size_t)j * 9 * S,
                                       p->convw + lj * 9 * H * H, m->conv_scratch, B, S, H);
                memset(m->dln, 0, BSH * sizeof(nn_real));
                NN(nn_gelu_backward)(m->dln, a->conv_ln + lj * bsh, m->datty, (int)BSH);
                NN(nn_layernorm_backward)(m->dx, g->convlnw + lj * H, g->convlnb + lj * H, m->dln, xin,
                                          p->convlnw + lj * H, a->conv_mean + lj * bs, a->conv_rstd + lj * bs,
                                          (int)n, H);
            }
            // res2 = res1 + ffn(ln2(res1)): dx flows straight through, plus the branch.
            memset(m->dln, 0, BSH * sizeof(nn_real));
            if (c->ffn_gated)
                NN(nn_gated_backward)(m->dln, g->fc1w + (size_t)l * FH1 * H, g->fc1b + (size_t)l * FH1,
                                      g->fc2w + (size_t)l * H * FH, g->fc2b + (size_t)l * H, m->dx, ln2, fch,
                                      fch_gelu, p->fc1w + (size_t)l * FH1 * H, p->fc2w + (size_t)l * H * FH,
                                      m->ffn_scratch, (int)n, H, FH);
            else
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
            NN(nn_attention_backward)(m->dqkv, dbias + (size_t)l * NH * S * S, m->datty, qkv, att,
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
        NN(nn_embed_backward)(dstab_emb, g->in_w + (size_t)kind * H * F, g->in_b + (size_t)kind * H,
                              m->dx, a->inp, B, S, F, H);
    }
    // Fold the expanded tables' gradients back into the parameters they were expanded from.
    if (c->attn_bias_geometric) {
        int E = nn_geom_bias_entries(c->geom_radius);
        for (int l = 0; l < L; l++)
            NN(nn_geom_bias_backward)(g->geo_bias + (size_t)l * NH * E, m->dgeo_bias_full + (size_t)l * NH * S * S,
                                      m->geo_idx, NH, S, E);
    }
    if (c->stab_emb_by_type)
        for (int s = 0; s < S; s++) {
            nn_real *dst = g->stab_emb + (size_t)m->stab_type[s] * H;
            const nn_real *src = m->dstab_emb_full + (size_t)s * H;
            for (int h = 0; h < H; h++) dst[h] += src[h];
        }
}

void NN(nn_model_predict)(nn_model *m, const nn_real *inputs, int B, int R, nn_real *probs) {
    const nn_config *c = &m->cfg;
    int S = c->num_stabs, F = c->num_features, O = c->num_obs;
    size_t BSH = (size_t)B * S * c->hidden;
    if (B < 1 || B > m->max_batch || R < 1 || (nn_config_has_structure(c) && !m->geometry_set)) {
        for (int i = 0; i < B * O; i++) probs[i] = NAN;
        return;
    }
    NN(nn_model_expand)(m);
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
    double FH1 = c->ffn_gated ? 2 * FH : FH;
    double layer = 2 * S * (H * 3 * H + H * H + H * FH1 + FH * H + c->num_dilations * 9 * H * H);
    double per_round = c->num_layers * layer + (training && c->aux_weight > 0 ? 2 * S * H : 0);
    double fwd = R * per_round + 2 * (H * RH + RH * O);
    return training ? 3 * fwd : fwd;
}
