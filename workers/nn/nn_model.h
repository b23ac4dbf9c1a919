// The recurrent neural decoder: a small AlphaQubit-style "syndrome transformer".
//
// A shot is R rounds of per-stabilizer inputs, inputs (R,S,F) (nn_layout builds them from
// detection events; the last round holds the final data-qubit detectors). The model keeps
// a state (S,H) per shot across rounds. Each round r:
//     state = (state + embed_r(inputs[r])) * state_scale           (state = 0 before r = 0)
//     L times:  state += attn(LN1(state));  state += ffn(LN2(state))   (pre-LN, residual)
//     aux logit (S) = state @ aux_w + aux_b  predicts the detection events of round r+1
// After the last round: logits (O) = readout(LN_f(state)) (nn_readout.h); sigmoid(logit)
// is the confidence that observable o flipped. The final round uses its own input
// embedding weights (kind 1); bulk rounds share kind 0.
// Loss = mean BCE(logits, observable flips) + aux_weight * mean BCE(aux logits, next-round
// detection events) over detectors that exist (present[r][s] = 1).
//
// llm.c layout: all parameters live in ONE contiguous buffer (params_memory) with an
// nn_params struct of pointers into it; gradients (grads_memory) have the same layout, so
// an optimizer or an all-reduce is one loop / one call over num_params reals. Training
// forward stores every round's activations (backpropagation through time, memory
// O(R*B*S*H*L)); nn_model_predict streams round by round in O(B*S*H) memory.
//
// Opt-in structure from AlphaQubit (all off = the original architecture, bit for bit):
//   attn_bias_geometric   the attention bias comes from a table indexed by the pair's grid
//                         offset and types (nn_geom_bias.h) instead of a free (L,NH,S,S) table
//   stab_emb_by_type      the stabilizer embedding is per type (2,H) instead of per stabilizer
//   num_dilations > 0     after the FFN of every layer, per dilation j:
//                         state += conv_j(gelu(LN_c(state)))  (dilated 3x3, nn_conv2d.h)
//   ffn_gated             the FFN is a gated dense block (nn_gated.h): fc1 is (2FH,H)
//   readout_lines         readout pooled along lines parallel to the observable (nn_readout.h)
// The geometric options need nn_model_set_geometry. With attn_bias_geometric and
// stab_emb_by_type on, no parameter depends on S (nn_config_distance_portable): one model's
// parameters run at any code distance.
// Inputs: F features per stabilizer per round. Feature 0 is the detection event (0/1, or its
// probability from soft readout); soft-readout models add the leakage probability as feature 1
// (F = 2, pipeline/train). nn_widen.h carries an F = 1 model's parameters into more features.
// What it is not: no dropout.
#ifndef QP_NN_MODEL_H
#define QP_NN_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "workers/nn/nn_real.h"
#include "workers/util/err.h"

#define NN_MAX_DILATIONS 4

typedef struct {
    int num_stabs;       // S: stabilizers (tokens of the attention)
    int num_features;    // F: inputs per stabilizer per round (1 = detection event)
    int num_obs;         // O: logical observables (one logit each)
    int hidden;          // H: state width per stabilizer
    int num_layers;      // L: transformer layers per round
    int num_heads;       // NH: attention heads, divides H
    int ffn_hidden;      // FH: feed-forward width
    int readout_hidden;  // RH: readout MLP width
    float state_scale;   // multiplies (state + embedding) each round (AlphaQubit: 0.707)
    float aux_weight;    // weight of the next-round detection-event loss (0 disables it)
    // Opt-in AlphaQubit structure (see above); zero = off.
    int attn_bias_geometric;  // 1: geometric attention bias of radius geom_radius
    int geom_radius;          // K: grid offsets clamp to [-K, K] (>= 1 when geometric)
    int stab_emb_by_type;     // 1: stabilizer embedding per type
    int num_dilations;        // convolutions per layer (0..NN_MAX_DILATIONS)
    int dilations[NN_MAX_DILATIONS];
    int ffn_gated;            // 1: gated dense block
    int readout_lines;        // 1: line readout
} nn_config;

// True when no parameter's size depends on the number of stabilizers.
static inline int nn_config_distance_portable(const nn_config *c) {
    return c->attn_bias_geometric && c->stab_emb_by_type;
}
// True when any opt-in layer is on (the model then needs nn_model_set_geometry).
static inline int nn_config_has_structure(const nn_config *c) {
    return c->attn_bias_geometric || c->stab_emb_by_type || c->num_dilations || c->ffn_gated || c->readout_lines;
}

// Where the stabilizers sit (nn_layout builds it): grid cell (row, col), type (0/1: not in /
// in the final round, i.e. the observable's basis), and the line of the line readout
// (0..num_lines-1, -1 = none). Arrays of S ints.
typedef struct {
    const int *row, *col, *type, *line;
    int num_lines;
} nn_geometry;

// Small CPU defaults: H=48, L=2, 4 heads, FH=2H, RH=H.
static inline nn_config nn_config_default(int num_stabs, int num_features, int num_obs) {
    nn_config c = {.num_stabs = num_stabs, .num_features = num_features, .num_obs = num_obs, .hidden = 48,
                   .num_layers = 2, .num_heads = 4, .ffn_hidden = 96, .readout_hidden = 48,
                   .state_scale = 0.70710678f, .aux_weight = 0.5f};
    return c;
}

#define NN_NUM_PARAM_TENSORS 29

// Pointers into params_memory (or grads_memory). Shapes:
typedef struct {
    nn_real *stab_emb;   // (S,H)      learned stabilizer embedding ((2,H) per type: stab_emb_by_type)
    nn_real *in_w;       // (2,H,F)    input embedding, [kind]: 0 bulk rounds, 1 final round
    nn_real *in_b;       // (2,H)
    nn_real *ln1w;       // (L,H)
    nn_real *ln1b;       // (L,H)
    nn_real *qkvw;       // (L,3H,H)
    nn_real *qkvb;       // (L,3H)     its key third stays 0: softmax ignores it (zero gradient)
    nn_real *attn_bias;  // (L,NH,S,S) learned attention bias per head and stabilizer pair (0 if geometric)
    nn_real *projw;      // (L,H,H)
    nn_real *projb;      // (L,H)
    nn_real *ln2w;       // (L,H)
    nn_real *ln2b;       // (L,H)
    nn_real *fc1w;       // (L,FH,H)   (L,2FH,H) when gated
    nn_real *fc1b;       // (L,FH)     (L,2FH) when gated
    nn_real *fc2w;       // (L,H,FH)
    nn_real *fc2b;       // (L,H)
    nn_real *aux_w;      // (1,H)      next-round detection-event predictor
    nn_real *aux_b;      // (1)
    nn_real *lnfw;       // (H)        final layer norm before readout
    nn_real *lnfb;       // (H)
    nn_real *ro1w;       // (RH,H)     readout MLP
    nn_real *ro1b;       // (RH)
    nn_real *ro2w;       // (O,RH)
    nn_real *ro2b;       // (O)
    // Opt-in layers; empty when off (so older models keep their layout):
    nn_real *geo_bias;   // (L,NH,E)   geometric attention bias, E = nn_geom_bias_entries(K)
    nn_real *convlnw;    // (L,ND,H)   layer norm before each convolution
    nn_real *convlnb;    // (L,ND,H)
    nn_real *convw;      // (L,ND,H,9H) dilated 3x3 convolutions
    nn_real *convb;      // (L,ND,H)
} nn_params;

// Names of the tensors in nn_params order, and whether AdamW applies weight decay to them
// (matrices yes; embeddings, norms, biases and the attention bias no).
static const char *const nn_param_names[NN_NUM_PARAM_TENSORS] = {
    "stab_emb", "in_w", "in_b", "ln1w", "ln1b", "qkvw", "qkvb", "attn_bias",
    "projw", "projb", "ln2w", "ln2b", "fc1w", "fc1b", "fc2w", "fc2b",
    "aux_w", "aux_b", "lnfw", "lnfb", "ro1w", "ro1b", "ro2w", "ro2b",
    "geo_bias", "convlnw", "convlnb", "convw", "convb"};
static const unsigned char nn_param_decay[NN_NUM_PARAM_TENSORS] = {
    0, 1, 0, 0, 0, 1, 0, 0, 1, 0, 0, 0, 1, 0, 1, 0, 1, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0, 1, 0};

// Activations of one round, stored for backpropagation through time. Per-layer arrays have
// a leading L axis with the batch stride of max_batch (only the first B rows are used).
typedef struct {
    nn_real *inp;         // (B,S,F)   this round's inputs
    nn_real *x0;          // (B,S,H)   (state + embedding) * scale
    nn_real *ln1;         // (L,B,S,H)
    nn_real *ln1_mean;    // (L,B,S)
    nn_real *ln1_rstd;    // (L,B,S)
    nn_real *qkv;         // (L,B,S,3H)
    nn_real *att;         // (L,B,NH,S,S) softmax probabilities
    nn_real *atty;        // (L,B,S,H)  attention output before projection
    nn_real *res1;        // (L,B,S,H)  residual stream after attention
    nn_real *ln2;         // (L,B,S,H)
    nn_real *ln2_mean;    // (L,B,S)
    nn_real *ln2_rstd;    // (L,B,S)
    nn_real *fch;         // (L,B,S,FH)  (L,B,S,2FH) when gated
    nn_real *fch_gelu;    // (L,B,S,FH)  gelu(a) * g when gated
    nn_real *res2;        // (L,B,S,H)  residual stream after the FFN; res2[L-1] = new state
    nn_real *aux_logits;  // (B,S)
    nn_real *aux_targets; // (B,S)      detection events of round r+1
    nn_real *aux_weights; // (B,S)      loss weights (0 where the detector is missing)
    nn_real *conv_ln;     // (L,ND,B,S,H) layer norm before each convolution
    nn_real *conv_mean;   // (L,ND,B,S)
    nn_real *conv_rstd;   // (L,ND,B,S)
    nn_real *conv_act;    // (L,ND,B,S,H) its GELU, the convolution's input
    nn_real *conv_res;    // (L,ND,B,S,H) residual stream after each convolution
} nn_round_acts;

typedef struct {
    nn_real *lnf;         // (B,S,H)
    nn_real *lnf_mean;    // (B,S)
    nn_real *lnf_rstd;    // (B,S)
    nn_real *pooled;      // (B,H)   (B,NL,H) with the line readout
    nn_real *hid;         // (B,RH)  (B,NL,RH)
    nn_real *hid_gelu;    // (B,RH)  (B,NL,RH)
    nn_real *line_logits; // (B,NL,O) line readout only
    nn_real *logits;      // (B,O)
    nn_real *targets;     // (B,O)
    nn_real *weights;     // (B,O)  1/(B*O)
} nn_readout_acts;

typedef struct {
    nn_config cfg;
    int max_batch, max_rounds;            // activation storage was sized for these
    size_t param_sizes[NN_NUM_PARAM_TENSORS];
    size_t num_params;
    nn_real *params_memory;               // (num_params)
    nn_params params;
    nn_real *grads_memory;                // (num_params), same layout
    nn_params grads;
    nn_real *pool_w;                      // (S) readout pooling weights
    nn_real *acts_memory;
    nn_round_acts *rounds;                // (max_rounds)
    nn_readout_acts out;
    nn_real *scratch_memory;              // backward scratch and the streaming state
    nn_real *dx, *dln, *dqkv, *datty, *ffn_scratch, *readout_scratch, *dlogits, *daux;
    nn_real *stream_state;                // (B,S,H)
    // Geometry-derived tables (nn_model_set_geometry) and the opt-in layers' buffers:
    int geometry_set;
    int *stab_type;                       // (S)
    int *geo_idx;                         // (S,S) entry of each pair in geo_bias
    int *conv_nbr;                        // (ND,9,S)
    int *line_of;                         // (S)
    nn_real *line_w;                      // (S)
    int num_lines;
    nn_real *geo_bias_full, *dgeo_bias_full;  // (L,NH,S,S) the bias table geo_bias expands to
    nn_real *stab_emb_full, *dstab_emb_full;  // (S,H) the per-type embedding expanded
    nn_real *conv_scratch;                // (2,B,S,9H) im2col rows (forward), + their gradient
    // Set by the last nn_model_forward:
    int batch, num_rounds, has_targets;
    double loss, loss_main, loss_aux;
} nn_model;

// Sizes of the parameter tensors (nn_params order); returns their total.
size_t NN(nn_param_sizes)(size_t sizes[NN_NUM_PARAM_TENSORS], const nn_config *cfg);
// Points params' fields into memory (laid out in nn_params order).
void NN(nn_params_point)(nn_params *params, nn_real *memory, const size_t sizes[NN_NUM_PARAM_TENSORS]);

// Allocates parameters, gradients and activations for batches up to max_batch and training
// sequences up to max_rounds rounds. pool_w (S) NULL means a mean over all stabilizers.
// Parameters start at zero; call nn_model_init_params. Returns -1 on a bad config.
int NN(nn_model_create)(nn_model *m, const nn_config *cfg, const nn_real *pool_w, int max_batch,
                        int max_rounds, qp_err *err);
void NN(nn_model_free)(nn_model *m);

// Gives the model the stabilizers' places (copied). Needed when nn_config_has_structure;
// harmless otherwise. -1 with a message when the geometry does not fit (e.g. no lines).
int NN(nn_model_set_geometry)(nn_model *m, const nn_geometry *g, qp_err *err);

// Random initialisation from stream (seed, "nn", 0): linear weights N(0, 1/fan_in) (output
// projections also / sqrt(2L)), input embedding N(0,1), stabilizer embedding N(0, 0.04),
// norms 1, biases and attention bias 0.
void NN(nn_model_init_params)(nn_model *m, uint64_t seed);
void NN(nn_model_zero_grad)(nn_model *m);

// inputs (B,R,S,F); present (R,S) or NULL (all present); targets (B,O) observable flips
// (0/1) or NULL. With targets: returns the loss (also in m->loss, loss_main, loss_aux) and
// prepares nn_model_backward. Without: computes logits only and returns 0.
// Needs 1 <= B <= max_batch and 1 <= R <= max_rounds (otherwise returns NaN and does
// nothing). Logits are in m->out.logits (B,O).
double NN(nn_model_forward)(nn_model *m, const nn_real *inputs, const nn_real *present,
                            const nn_real *targets, int B, int R);

// Accumulates d loss / d params into grads_memory (call nn_model_zero_grad first).
void NN(nn_model_backward)(nn_model *m);

// Streaming inference: probs (B,O) = sigmoid(logits), carrying only the state between
// rounds, so R may exceed max_rounds (e.g. 100,000 rounds). inputs (B,R,S,F).
// Needs 1 <= B <= max_batch (otherwise probs are NaN).
void NN(nn_model_predict)(nn_model *m, const nn_real *inputs, int B, int R, nn_real *probs);

// Floating-point operations of the GEMMs (nn_linear) per shot of R rounds: forward only,
// or forward + backward (3x forward) when training. Attention scores and element-wise
// work are not counted.
double NN(nn_model_gemm_flops)(const nn_config *cfg, int R, int training);

#endif
