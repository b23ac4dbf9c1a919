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
#ifndef QP_NN_REAL_H
#define QP_NN_REAL_H

#include <stddef.h>
#include <stdint.h>
#include <tgmath.h>

#ifdef NN_F64
typedef double nn_real;
#define NN(name) name##_f64
#define nn_gemm cblas_dgemm
#else
typedef float nn_real;
#define NN(name) name
#define nn_gemm cblas_sgemm
#endif

// e^x for the element-wise layers (softmax, GELU). Double: libm's exp, so the
// finite-difference tests see the exact function. Float: a branch-free Cephes-style kernel
// the compiler vectorises (libm's expf stays a scalar call under errno semantics):
//   x = n ln2 + r, |r| <= ln2/2;  e^r by a degree-6 polynomial;  2^n through the exponent bits.
// Relative error <= 3e-7 against expf on [-87, 88] (tests/nn/test_fast_math.c); x is clamped
// to that range, so e^x never overflows (e^88 = 1.65e38) and stays a normal float.
#ifdef NN_F64
static inline double nn_exp(double x) { return exp(x); }
#else
static inline float nn_exp(float x) {
    x = x < -87.0f ? -87.0f : x > 88.0f ? 88.0f : x;
    // n = round(x / ln2) by the 1.5 * 2^23 trick: its low mantissa bits then hold n.
    const float shifter = 12582912.0f;
    float t = x * 1.44269504088896341f + shifter;
    float n = t - shifter;
    float r = x - n * 0.693359375f - n * -2.12194440e-4f;  // Cody-Waite: ln2 in two parts
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    p = p * r * r + r + 1.0f;
    union { float f; int32_t i; } tb = {t}, sc;
    sc.i = (tb.i - 0x4b400000 + 127) << 23;  // bits of t minus bits of shifter = n
    return p * sc.f;
}
#endif

#endif
