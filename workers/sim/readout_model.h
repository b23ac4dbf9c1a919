// Analog ("soft") qubit readout, as in AlphaQubit's simulations (Bausch et al., Nature 2024,
// Methods): a measurement yields a 1-D signal y instead of a bit, and the decoder sees the
// posterior P(|1> | y). Pure math: densities, distribution functions, the posterior and its
// distribution, the implied flip probability of hard decisions, and signal draws.
//
// The model (all in units where the two states' signals are 1 apart):
//   |0>: y ~ N(0, sigma^2)
//   |1>: the qubit may decay to |0> during the integration window (amplitude damping at rate
//        1/T1). With the decay at time t = u T_int, the integrated signal's mean is u (the
//        fraction of the window spent in |1>, moving linearly towards |0>'s mean 0); without a
//        decay in the window (probability e^-r) it is 1. u ~ Exp(r) with r = T_int/T1, so
//          f1(y) = e^-r N(y; 1, sigma^2) + int_0^1 r e^-ru N(y; u, sigma^2) du
//   sigma = 1/snr: snr is the separation of the two means over the noise's standard deviation.
//   t1_over_tint = T1/T_int > 0 (INFINITY: no decay).
// The integral has a closed form (completing the square):
//   int_0^1 r e^-ru N(y; u, s^2) du = r exp(-r y + r^2 s^2 / 2) [Phi((1-m)/s) - Phi(-m/s)],
//   m = y - r s^2,
// and so has the distribution function F1(y) = P(Y <= y | 1) (integration by parts):
//   F1(y) = Phi(y/s) - exp(-r y + r^2 s^2 / 2) [Phi((1-m)/s) - Phi(-m/s)].
//
// Prior: equal, P(|0>) = P(|1>) = 1/2. The posterior is p1(y) = f1/(f0+f1), increasing in y
// (every term of f1/f0 is), so "p1 > 1/2" is "y > y*" for the unique y* with f1(y*) = f0(y*).
// Equal priors are exact in the sampler: it symmetrises readout (soft_readout.h: a random X
// before each measurement, undone classically), so the measured state is |0> or |1> with
// probability 1/2 each whatever the circuit's state.
//
// Hard decisions err with eps0 = P(y > y* | 0) = Q(y*/s) and eps1 = F1(y*), and the implied
// flip probability is M = (eps0 + eps1) / 2 (= P(hard != true state) for a uniformly random
// state; under symmetrisation it is that probability for every state). Without decay M =
// Q(snr/2) = erfc(snr / (2 sqrt 2)) / 2.
//
// Accuracy: everything is evaluated in closed form with erfc/exp/expm1 in double precision
// (the tails as Q(x) = erfc(x/sqrt2)/2, never 1 - Phi), so relative errors are a few 1e-15
// for moderate arguments; y* is found by bisection to the last bit (70 halvings of a bracket
// of width <= 2^10). tests/sim/test_readout_model.c checks the closed forms against numerical
// quadrature (agreement to 1e-9 relative) and Monte-Carlo draws.
#ifndef QP_SIM_READOUT_MODEL_H
#define QP_SIM_READOUT_MODEL_H

#include <math.h>

#include "workers/util/err.h"
#include "workers/util/rng.h"
#include "workers/util/ziggurat.h"

// A leaked qubit (|2>, with leakage on: frame_leak.h) reads at a third level, as far beyond |1>
// as |1> is from |0>: y ~ N(2, sigma^2) (its own decay during the window is not modelled).
// P(leaked | y) takes the prior QP_READOUT_LEAK_PRIOR for |2> and splits the rest equally
// between |0> and |1> (qp_readout_leak_posterior).
#define QP_READOUT_LEAK_MEAN 2.0
#define QP_READOUT_LEAK_PRIOR 0.01

// Nodes of the interpolation table of the log-likelihood ratio (qp_readout_llr_fast).
#define QP_READOUT_TABLE 4096

typedef struct {
    double snr, t1_over_tint;  // the parameters (t1_over_tint may be INFINITY)
    double sigma;              // 1 / snr
    double rate;               // r = 1 / t1_over_tint (0: no decay)
    double no_decay;           // e^-r: P(no decay within the window)
    double threshold;          // y*: p1(y) > 1/2 exactly when y > y*
    double eps0, eps1;         // P(hard 1 | |0>), P(hard 0 | |1>)
    double flip;               // M = (eps0 + eps1) / 2
    qp_ziggurat zig;           // normal draws
    // llr on nodes lo + (j - 1) h, j = 0 .. QP_READOUT_TABLE + 2, for y in [lo, lo + N h)
    // = [-8 sigma, 1 + 8 sigma]; used when its cubic interpolation is within table_error
    // <= 1e-7 of the exact llr at every interval's midpoint (else table_on = 0).
    int table_on;
    double table_lo, table_h, table_inv_h, table_error;
    double table[QP_READOUT_TABLE + 3];
} qp_readout_model;

// snr > 0 and finite, t1_over_tint > 0 (INFINITY allowed). Fails with a message otherwise.
int qp_readout_model_init(qp_readout_model *m, double snr, double t1_over_tint, qp_err *err);

// Density and distribution function of the signal of state 0 or 1.
double qp_readout_density(const qp_readout_model *m, int state, double y);
double qp_readout_cdf(const qp_readout_model *m, int state, double y);

// log(f1(y) / f0(y)), finite wherever the signal is within ~37 sigma of [0, 1]
// (beyond, +-INFINITY when both densities underflow).
double qp_readout_llr(const qp_readout_model *m, double y);
// qp_readout_llr by cubic (4-node Lagrange) interpolation of the table where it is on and y is
// in its range (|error| <= table_error there), else exactly: the sampler's posterior.
double qp_readout_llr_fast(const qp_readout_model *m, double y);
// P(|2> | y) with prior QP_READOUT_LEAK_PRIOR (see above), from y and its llr = log f1/f0:
// log odds = log(prior / ((1 - prior)/2)) + log(f2/f0) - log(1 + f1/f0).
double qp_readout_leak_posterior(const qp_readout_model *m, double y, double llr);
// P(|1> | y) with equal priors.
double qp_readout_posterior(const qp_readout_model *m, double y);
// The signal whose posterior is q (0 < q < 1): the inverse of qp_readout_posterior.
double qp_readout_signal_of_posterior(const qp_readout_model *m, double q);
// Distribution of the posterior: P(p1(Y) <= q | state), for 0 <= q <= 1.
double qp_readout_posterior_cdf(const qp_readout_model *m, int state, double q);

// The mean signal of |1> from a uniform u in (0, 1]: the decay time is -ln(u)/r, within the
// window (mean = that time) when u > e^-r, else no decay (mean 1). Only the fraction 1 - e^-r
// of draws that decay needs the logarithm.
static inline double qp_readout_mean1(const qp_readout_model *m, double u) {
    return u > m->no_decay ? -log(u) / m->rate : 1.0;
}

// Draws the signal of a qubit in `state` (0 or 1) from r: a ziggurat normal, then (finite T1)
// one uniform for the decay time, drawn whatever the state. The sampler (soft_readout.c) draws
// the same way, in this order.
static inline double qp_readout_draw(const qp_readout_model *m, int state, qp_rng *r) {
    double y = m->sigma * qp_ziggurat_normal(&m->zig, r);
    double mean1 = m->rate > 0 ? qp_readout_mean1(m, (double)((qp_rng_u64(r) >> 11) + 1) * 0x1.0p-53) : 1.0;
    return y + (double)state * mean1;
}

// Upper tail of the standard normal, Q(x) = P(N(0,1) > x).
double qp_normal_q(double x);

#endif
