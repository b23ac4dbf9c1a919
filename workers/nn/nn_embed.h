// Per-round input embedding: for each shot b and stabilizer s,
//   out[b][s] = stab_emb[s] + in_w @ inp[b][s] + in_b
// where inp[b][s] holds the round's F input features of that stabilizer (F = 1: detection
// event; F = 2: soft detection event and leakage probability, nn_model.h). Missing detectors are zero features, so
// they contribute only the stabilizer embedding and the bias. The model keeps separate
// (in_w, in_b) for bulk rounds and for the final data-qubit round and passes the right pair.
// Backward ACCUMULATES.
#ifndef QP_NN_EMBED_H
#define QP_NN_EMBED_H

#include "workers/nn/nn_real.h"

// out (B,S,H); inp (B,S,F); stab_emb (S,H); in_w (H,F); in_b (H).
void NN(nn_embed_forward)(nn_real *out, const nn_real *inp, const nn_real *stab_emb,
                          const nn_real *in_w, const nn_real *in_b, int B, int S, int F, int H);

// dstab_emb (S,H) +=, din_w (H,F) +=, din_b (H) += from dout (B,S,H). (Inputs are data:
// there is no gradient with respect to them.)
void NN(nn_embed_backward)(nn_real *dstab_emb, nn_real *din_w, nn_real *din_b, const nn_real *dout,
                           const nn_real *inp, int B, int S, int F, int H);

#endif
