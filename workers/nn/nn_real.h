// The scalar type of the neural decoder, and the one trick that lets the finite-difference
// tests run the production layer code in double precision.
//
// Every layer file (nn_linear.c, nn_layernorm.c, ...) is written once over `nn_real` and
// declares its functions as NN(name). It is compiled twice:
//   - on its own, as float: nn_real = float, NN(f) = f, nn_gemm = cblas_sgemm (production);
//   - inside nn_f64.c, which defines NN_F64 and #includes the layer files: nn_real = double,
//     NN(f) = f_f64, nn_gemm = cblas_dgemm (used by tests/nn to compare backward passes with
//     central finite differences at double precision).
// A translation unit works in exactly one precision: define NN_F64 before the first include
// to get the _f64 declarations. Math calls use <tgmath.h> so exp/sqrt/tanh follow nn_real.
// Not a general tensor library: there are no tensor objects, only flat arrays with their
// shapes written in comments, as in llm.c.
#include <stddef.h>

#ifdef NN_F64
typedef double nn_real;
#define NN(name) name##_f64
#define nn_gemm cblas_dgemm
#else
typedef float nn_real;
#define NN(name) name
#define nn_gemm cblas_sgemm
#endif
