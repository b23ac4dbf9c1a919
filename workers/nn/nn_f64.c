// The double-precision build of the model code, for tests only: the same source files as
// the float build, compiled with NN_F64 so every function gets the suffix _f64 and
// nn_real = double (see nn_real.h). tests/nn compares these backward passes with central
// finite differences at double precision, where truncation and rounding errors are far
// below the 1e-4 tolerance.
#define NN_F64 1
#include "workers/nn/nn_attention.c"
#include "workers/nn/nn_embed.c"
#include "workers/nn/nn_ffn.c"
#include "workers/nn/nn_layernorm.c"
#include "workers/nn/nn_linear.c"
#include "workers/nn/nn_loss.c"
#include "workers/nn/nn_model.c"
#include "workers/nn/nn_readout.c"
#include "workers/nn/nn_conv2d.c"
#include "workers/nn/nn_gated.c"
#include "workers/nn/nn_geom_bias.c"
