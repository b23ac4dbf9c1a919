// Soft readout model: closed forms of readout_model.h.
#include "workers/sim/readout_model.h"

#include <math.h>

#define SQRT2PI 2.50662827463100050242

double qp_normal_q(double x) { return 0.5 * erfc(x * M_SQRT1_2); }

// Phi(b) - Phi(a) for a <= b, from the tail on the side where both lie (no 1 - 1 cancellation).
static double phi_diff(double a, double b) {
    if (a >= 0) return qp_normal_q(a) - qp_normal_q(b);
    if (b <= 0) return qp_normal_q(-b) - qp_normal_q(-a);
    return 1 - qp_normal_q(-a) - qp_normal_q(b);
}

static double gauss(double y, double mean, double sigma) {
    double t = (y - mean) / sigma;
    return exp(-0.5 * t * t) / (sigma * SQRT2PI);
}

// log of the decay part of f1: log int_0^1 r e^-ru N(y; u, s^2) du (-INFINITY when it is 0).
static double log_decay_part(const qp_readout_model *m, double y) {
    double r = m->rate, s = m->sigma;
    if (!(r > 0)) return -INFINITY;
    double mm = y - r * s * s;
    double pd = phi_diff(-mm / s, (1 - mm) / s);
    if (!(pd > 0)) return -INFINITY;
    return log(r) - r * y + 0.5 * r * r * s * s + log(pd);
}

double qp_readout_density(const qp_readout_model *m, int state, double y) {
    if (!state) return gauss(y, 0, m->sigma);
    return exp(-m->rate) * gauss(y, 1, m->sigma) + exp(log_decay_part(m, y));
}

double qp_readout_cdf(const qp_readout_model *m, int state, double y) {
    double s = m->sigma, r = m->rate;
    if (!state) return y < 0 ? qp_normal_q(-y / s) : 1 - qp_normal_q(y / s);
    if (!(r > 0)) return y < 1 ? qp_normal_q((1 - y) / s) : 1 - qp_normal_q((y - 1) / s);
    double mm = y - r * s * s;
    double ex = -r * y + 0.5 * r * r * s * s;  // log E
    if (y >= 0) {
        // F1 = (1 - E) - Q(y/s) + E Q(m/s) + E Q((1-m)/s): small terms, no cancellation near y*.
        double e = exp(ex);
        return -expm1(ex) - qp_normal_q(y / s) + e * qp_normal_q(mm / s) + e * qp_normal_q((1 - mm) / s);
    }
    // Left of 0: F1 = Phi(y/s) - E [Phi((1-m)/s) - Phi(-m/s)], E through logs (it is large).
    double pd = phi_diff(-mm / s, (1 - mm) / s);
    double v = qp_normal_q(-y / s) - (pd > 0 ? exp(ex + log(pd)) : 0);
    return v > 0 ? v : 0;
}

double qp_readout_llr(const qp_readout_model *m, double y) {
    double s = m->sigma;
    // f1/f0 = e^-r exp((2y - 1) / (2 s^2)) + (decay part) / f0.
    double a = -m->rate + (2 * y - 1) / (2 * s * s);
    double b = log_decay_part(m, y);
    if (b > -INFINITY) b += log(s * SQRT2PI) + y * y / (2 * s * s);
    if (b == -INFINITY) return a;
    double hi = a > b ? a : b, lo = a > b ? b : a;
    return hi + log1p(exp(lo - hi));
}

double qp_readout_leak_posterior(const qp_readout_model *m, double y, double llr) {
    double s = m->sigma, mu = QP_READOUT_LEAK_MEAN;
    double softplus = llr > 0 ? llr + log1p(exp(-llr)) : log1p(exp(llr));  // log(1 + f1/f0)
    double odds = log(2 * QP_READOUT_LEAK_PRIOR / (1 - QP_READOUT_LEAK_PRIOR)) + (2 * mu * y - mu * mu) / (2 * s * s) - softplus;
    return odds >= 0 ? 1 / (1 + exp(-odds)) : exp(odds) / (1 + exp(odds));
}

double qp_readout_posterior(const qp_readout_model *m, double y) {
    double l = qp_readout_llr(m, y);
    if (l >= 0) return 1 / (1 + exp(-l));
    double e = exp(l);
    return e / (1 + e);
}

// The y with llr(y) = target (llr is increasing): bracket, then bisect to the last bit.
static double solve_llr(const qp_readout_model *m, double target) {
    double lo = -1, hi = 2;
    while (qp_readout_llr(m, lo) >= target && lo > -1e12) lo *= 2;
    while (qp_readout_llr(m, hi) <= target && hi < 1e12) hi *= 2;
    for (int i = 0; i < 2000; i++) {
        double mid = 0.5 * (lo + hi);
        if (mid <= lo || mid >= hi) break;
        if (qp_readout_llr(m, mid) > target) hi = mid;
        else lo = mid;
    }
    return 0.5 * (lo + hi);
}

double qp_readout_signal_of_posterior(const qp_readout_model *m, double q) {
    return solve_llr(m, log(q) - log1p(-q));
}

double qp_readout_posterior_cdf(const qp_readout_model *m, int state, double q) {
    if (!(q > 0)) return 0;
    if (q >= 1) return 1;
    return qp_readout_cdf(m, state, qp_readout_signal_of_posterior(m, q));
}


// Cubic interpolation through nodes j-1 .. j+2 (table[j] .. table[j+3]) at j + s.
static inline double interpolate(const double *t, double s) {
    double a = -s * (s - 1) * (s - 2) / 6, b = (s + 1) * (s - 1) * (s - 2) / 2;
    double c = -(s + 1) * s * (s - 2) / 2, d = (s + 1) * s * (s - 1) / 6;
    return a * t[0] + b * t[1] + c * t[2] + d * t[3];
}

double qp_readout_llr_fast(const qp_readout_model *m, double y) {
    if (m->table_on) {
        double t = (y - m->table_lo) * m->table_inv_h;
        if (t >= 0 && t < QP_READOUT_TABLE) {
            int j = (int)t;
            return interpolate(m->table + j, t - j);
        }
    }
    return qp_readout_llr(m, y);
}

// Fills the table and checks it at every interval's midpoint (where |llr| < 35: beyond, e is
// below float32's 2^-24 floor anyway).
static void build_table(qp_readout_model *m) {
    m->table_on = 0;
    m->table_lo = -8 * m->sigma;
    m->table_h = (1 + 16 * m->sigma) / QP_READOUT_TABLE;
    m->table_inv_h = 1 / m->table_h;
    for (int j = 0; j < QP_READOUT_TABLE + 3; j++) m->table[j] = qp_readout_llr(m, m->table_lo + (j - 1) * m->table_h);
    double worst = 0;
    for (int j = 0; j < QP_READOUT_TABLE; j++) {
        double exact = qp_readout_llr(m, m->table_lo + (j + 0.5) * m->table_h);
        if (!(fabs(exact) < 35)) continue;
        double d = fabs(interpolate(m->table + j, 0.5) - exact);
        if (!(d <= worst)) worst = d;  // NaN counts as worst
    }
    m->table_error = worst;
    m->table_on = worst <= 1e-7;
}

int qp_readout_model_init(qp_readout_model *m, double snr, double t1_over_tint, qp_err *err) {
    if (!(snr > 0) || !isfinite(snr)) return qp_fail(err, "readout snr must be positive and finite, got %g", snr);
    if (!(t1_over_tint > 0) || isnan(t1_over_tint))
        return qp_fail(err, "readout t1_over_tint must be positive (inf: no decay), got %g", t1_over_tint);
    m->snr = snr;
    m->t1_over_tint = t1_over_tint;
    m->sigma = 1 / snr;
    m->rate = isinf(t1_over_tint) ? 0 : 1 / t1_over_tint;
    m->no_decay = exp(-m->rate);
    m->threshold = solve_llr(m, 0);
    m->eps0 = qp_normal_q(m->threshold / m->sigma);
    m->eps1 = qp_readout_cdf(m, 1, m->threshold);
    m->flip = 0.5 * (m->eps0 + m->eps1);
    qp_ziggurat_init(&m->zig);
    build_table(m);
    return 0;
}
