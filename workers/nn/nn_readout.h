// Readout after the last round: pool the per-stabilizer state into one vector per shot,
// then a small MLP gives one logit per logical observable (sigmoid = confidence that the
// observable flipped).
//
// Pooling is a fixed weighted sum over stabilizers, pooled[b] = sum_s pool_w[s] * inp[b][s].
// nn_layout sets pool_w to a MEAN over the stabilizers of the observable's basis (those
// with detectors in the final data-qubit round, e.g. the X stabilizers of a memory-X
// experiment). The line readout (readout: lines) is AlphaQubit's: the state is mean-pooled
// along each line of the stabilizer grid parallel to the logical observable (each line sits
// next to one representative of the logical operator), the MLP gives one logit per line,
// and the logit is the mean over lines. Its weights are the same tensors, so both readouts
// have the same parameters and neither depends on the code distance.
// Backward passes ACCUMULATE.
#ifndef QP_NN_READOUT_H
#define QP_NN_READOUT_H

#include "workers/nn/nn_real.h"

// pooled (B,H) = sum_s pool_w (S) [s] * inp (B,S,H) [b,s].
void NN(nn_pool_forward)(nn_real *pooled, const nn_real *inp, const nn_real *pool_w, int B, int S, int H);
// dinp (B,S,H) += pool_w[s] * dpooled (B,H).
void NN(nn_pool_backward)(nn_real *dinp, const nn_real *dpooled, const nn_real *pool_w, int B, int S, int H);

// Full readout: inp (B,S,H) -> pooled (B,H) -> hid (B,RH) = linear w1 (RH,H), b1 (RH)
// -> hid_gelu (B,RH) -> logits (B,O) = linear w2 (O,RH), b2 (O).
void NN(nn_readout_forward)(nn_real *logits, nn_real *pooled, nn_real *hid, nn_real *hid_gelu,
                            const nn_real *inp, const nn_real *pool_w, const nn_real *w1,
                            const nn_real *b1, const nn_real *w2, const nn_real *b2,
                            int B, int S, int H, int RH, int O);

// dinp (B,S,H) +=, dw1, db1, dw2, db2 += from dlogits (B,O). scratch holds B*H + 2*B*RH reals.
void NN(nn_readout_backward)(nn_real *dinp, nn_real *dw1, nn_real *db1, nn_real *dw2, nn_real *db2,
                             const nn_real *dlogits, const nn_real *pool_w, const nn_real *pooled,
                             const nn_real *hid, const nn_real *hid_gelu, const nn_real *w1,
                             const nn_real *w2, nn_real *scratch, int B, int S, int H, int RH, int O);

// Line readout: pooled (B,NL,H)[b][l] = sum over s with line_of[s] = l of line_w[s] * inp[b][s]
// (line_of (S) in 0..NL-1, or -1: in no line; line_w (S) = 1 / size of its line);
// hid, hid_gelu (B*NL,RH), line_logits (B*NL,O) through the same MLP;
// logits (B,O) = mean over the NL lines of line_logits.
void NN(nn_readout_lines_forward)(nn_real *logits, nn_real *line_logits, nn_real *pooled, nn_real *hid,
                                  nn_real *hid_gelu, const nn_real *inp, const int *line_of,
                                  const nn_real *line_w, int NL, const nn_real *w1, const nn_real *b1,
                                  const nn_real *w2, const nn_real *b2, int B, int S, int H, int RH, int O);

// dinp (B,S,H) +=, dw1, db1, dw2, db2 += from dlogits (B,O). scratch holds B*NL*(O + 2*RH + H) reals.
void NN(nn_readout_lines_backward)(nn_real *dinp, nn_real *dw1, nn_real *db1, nn_real *dw2, nn_real *db2,
                                   const nn_real *dlogits, const int *line_of, const nn_real *line_w, int NL,
                                   const nn_real *pooled, const nn_real *hid, const nn_real *hid_gelu,
                                   const nn_real *w1, const nn_real *w2, nn_real *scratch, int B, int S, int H,
                                   int RH, int O);

#endif
