// The soft readout model (workers/sim/readout_model.h): closed forms against numerical
// quadrature, the implied flip probability against Monte-Carlo draws, and its limits.
#include <criterion/criterion.h>
#include <math.h>

#include "workers/sim/readout_model.h"

static const double params[][2] = {{8, 40}, {6, 20}, {10, 5}, {4, INFINITY}, {12, 100}, {3, 1}};
#define NPARAMS (sizeof params / sizeof params[0])

static qp_readout_model model(double snr, double t1) {
    qp_readout_model m;
    qp_err err;
    cr_assert_eq(qp_readout_model_init(&m, snr, t1, &err), 0, "%s", err.msg);
    return m;
}

// Composite Simpson on [a, b] with n (even) intervals.
static double simpson(double (*f)(const qp_readout_model *, double, double), const qp_readout_model *m,
                      double arg, double a, double b, int n) {
    double h = (b - a) / n, s = f(m, arg, a) + f(m, arg, b);
    for (int i = 1; i < n; i++) s += (i % 2 ? 4 : 2) * f(m, arg, a + i * h);
    return s * h / 3;
}

// Integrand of f1 over the decay fraction u at signal y: r e^-ru N(y; u, s^2).
static double decay_integrand(const qp_readout_model *m, double y, double u) {
    double t = (y - u) / m->sigma;
    return m->rate * exp(-m->rate * u) * exp(-0.5 * t * t) / (m->sigma * sqrt(2 * M_PI));
}

static double density1(const qp_readout_model *m, double unused, double y) {
    (void)unused;
    return qp_readout_density(m, 1, y);
}

Test(readout_model, density_closed_form_matches_quadrature) {
    for (size_t k = 0; k < NPARAMS; k++) {
        qp_readout_model m = model(params[k][0], params[k][1]);
        for (double y = -0.3; y <= 1.3; y += 0.05) {
            double direct = exp(-m.rate) * exp(-0.5 * pow((y - 1) / m.sigma, 2)) / (m.sigma * sqrt(2 * M_PI)) +
                            (m.rate > 0 ? simpson(decay_integrand, &m, y, 0, 1, 20000) : 0);
            double closed = qp_readout_density(&m, 1, y);
            cr_expect(fabs(closed - direct) <= 1e-9 * direct + 1e-300, "snr %g t1 %g y %g: closed %.15g quadrature %.15g",
                      m.snr, m.t1_over_tint, y, closed, direct);
        }
    }
}

Test(readout_model, cdf_closed_form_matches_quadrature) {
    for (size_t k = 0; k < NPARAMS; k++) {
        qp_readout_model m = model(params[k][0], params[k][1]);
        double lo = -12 * m.sigma;  // the density below is < 1e-30
        for (double y = -0.2; y <= 1.4; y += 0.1) {
            double q = simpson(density1, &m, 0, lo, y, 40000);
            double c = qp_readout_cdf(&m, 1, y);
            cr_expect(fabs(c - q) <= 1e-9 * q + 1e-15, "snr %g t1 %g y %g: F1 %.15g quadrature %.15g", m.snr,
                      m.t1_over_tint, y, c, q);
        }
        cr_expect(fabs(qp_readout_cdf(&m, 1, 1 + 40 * m.sigma) - 1) < 1e-14);
        cr_expect(qp_readout_cdf(&m, 1, -40 * m.sigma) < 1e-14);
    }
}

Test(readout_model, posterior_is_monotone_and_threshold_is_half) {
    for (size_t k = 0; k < NPARAMS; k++) {
        qp_readout_model m = model(params[k][0], params[k][1]);
        double prev = -1;
        for (double y = -1; y <= 2; y += 1e-3) {
            double p = qp_readout_posterior(&m, y);
            cr_assert(p >= prev, "snr %g t1 %g: posterior falls at y = %g (%.17g < %.17g)", m.snr, m.t1_over_tint, y,
                      p, prev);
            double direct = qp_readout_density(&m, 1, y) / (qp_readout_density(&m, 0, y) + qp_readout_density(&m, 1, y));
            cr_expect(fabs(p - direct) < 1e-12, "y %g: %.15g vs %.15g", y, p, direct);
            prev = p;
        }
        cr_expect(qp_readout_posterior(&m, m.threshold - 1e-9) < 0.5);
        cr_expect(qp_readout_posterior(&m, m.threshold + 1e-9) > 0.5);
        cr_expect(fabs(qp_readout_posterior(&m, m.threshold) - 0.5) < 1e-9);
        cr_expect(fabs(qp_readout_signal_of_posterior(&m, 0.9) - m.threshold) > 0);
        cr_expect(fabs(qp_readout_posterior(&m, qp_readout_signal_of_posterior(&m, 0.9)) - 0.9) < 1e-12);
    }
}

// Monte-Carlo: 400,000 draws per state; the hard-decision error counts and the posterior's
// distribution at a few quantiles must be within 5 standard deviations of the closed forms.
Test(readout_model, flip_probability_and_posterior_distribution_match_monte_carlo) {
    const int n = 400000;
    for (size_t k = 0; k < NPARAMS; k++) {
        qp_readout_model m = model(params[k][0], params[k][1]);
        qp_rng r;
        qp_rng_stream(&r, 7, k, 0);
        const double qs[] = {0.01, 0.3, 0.5, 0.7, 0.99};
        for (int state = 0; state < 2; state++) {
            long wrong = 0, below[5] = {0};
            for (int i = 0; i < n; i++) {
                double y = qp_readout_draw(&m, state, &r);
                wrong += (y > m.threshold) != state;
                double p = qp_readout_posterior(&m, y);
                for (int j = 0; j < 5; j++) below[j] += p <= qs[j];
            }
            double e = state ? m.eps1 : m.eps0;
            double z = (wrong - n * e) / sqrt(n * e * (1 - e) + 1e-300);
            cr_expect(fabs(z) < 5, "snr %g t1 %g state %d: %ld wrong of %d, expected %.6g (z = %.2f)", m.snr,
                      m.t1_over_tint, state, wrong, n, n * e, z);
            for (int j = 0; j < 5; j++) {
                double c = qp_readout_posterior_cdf(&m, state, qs[j]);
                double zc = (below[j] - n * c) / sqrt(n * c * (1 - c) + 1e-300);
                cr_expect(fabs(zc) < 5 || (c < 1e-9 && below[j] == 0), "snr %g t1 %g state %d: P(p1 <= %g) %.6g vs %ld/%d (z = %.2f)",
                          m.snr, m.t1_over_tint, state, qs[j], c, below[j], n, zc);
            }
        }
        cr_expect(fabs(m.flip - 0.5 * (m.eps0 + m.eps1)) < 1e-17);
    }
}

Test(readout_model, limits) {
    // No decay: the threshold is 1/2 and M is the Gaussian overlap Q(snr/2).
    for (double snr = 1; snr <= 16; snr += 1.5) {
        qp_readout_model m = model(snr, INFINITY);
        cr_expect(fabs(m.threshold - 0.5) < 1e-14, "snr %g: threshold %.17g", snr, m.threshold);
        double q = 0.5 * erfc(snr / (2 * sqrt(2)));
        cr_expect(fabs(m.flip - q) <= 1e-13 * q, "snr %g: M %.17g, Q(snr/2) %.17g", snr, m.flip, q);
        cr_expect(fabs(m.eps0 - m.eps1) <= 1e-13 * q);
        // A very long T1 approaches it from above.
        qp_readout_model l = model(snr, 1e9);
        cr_expect(l.flip >= q * (1 - 1e-9) && l.flip - q < 1e-8, "snr %g: %.17g vs %.17g", snr, l.flip, q);
    }
    // Decay only makes readout worse, more so the shorter T1 is.
    double prev = 0;
    for (double t1 = 1000; t1 >= 1; t1 /= 2) {
        qp_readout_model m = model(8, t1);
        cr_expect(m.flip > prev, "t1 %g: M %.6g not above %.6g", t1, m.flip, prev);
        cr_expect(m.eps1 > m.eps0, "t1 %g: decay errs towards 0", t1);
        prev = m.flip;
    }
    // snr and T1 both large: M -> 0. Large snr alone also sends M -> 0: a decayed |1> spreads
    // its signal over (0, 1) with density ~ r while |0>'s stays within a few sigma of 0, so the
    // threshold moves to a few sigma and only decays within that sliver are misread.
    cr_expect(model(40, 1e6).flip < 1e-6);
    qp_readout_model big = model(1e4, 10);
    cr_expect(big.threshold < 10 * big.sigma, "threshold %.6g", big.threshold);
    cr_expect(big.flip < 0.5 * big.rate * 10 * big.sigma, "M %.8g", big.flip);
    // Bad parameters.
    qp_readout_model m;
    qp_err err;
    cr_expect_eq(qp_readout_model_init(&m, 0, 10, &err), -1);
    cr_expect_eq(qp_readout_model_init(&m, 5, -1, &err), -1);
    cr_expect_eq(qp_readout_model_init(&m, NAN, 10, &err), -1);
}

// P(leaked | y) against the three densities directly: prior QP_READOUT_LEAK_PRIOR for |2>
// (N(2, sigma^2)), the rest split between |0> and |1>.
Test(readout_model, leak_posterior_matches_the_three_state_formula) {
    for (size_t k = 0; k < NPARAMS; k++) {
        qp_readout_model m = model(params[k][0], params[k][1]);
        double prev = 0;
        for (double y = -0.5; y <= 2.6; y += 0.01) {
            double f0 = qp_readout_density(&m, 0, y), f1 = qp_readout_density(&m, 1, y);
            double t = (y - QP_READOUT_LEAK_MEAN) / m.sigma, f2 = exp(-0.5 * t * t) / (m.sigma * sqrt(2 * M_PI));
            double pi = QP_READOUT_LEAK_PRIOR, direct = pi * f2 / (pi * f2 + (1 - pi) / 2 * (f0 + f1));
            double p = qp_readout_leak_posterior(&m, y, qp_readout_llr(&m, y));
            if (f0 + f1 + f2 > 1e-250) cr_expect(fabs(p - direct) < 1e-9, "y %g: %.12g vs %.12g", y, p, direct);
            if (y > 1) cr_expect(p >= prev - 1e-15, "not increasing beyond |1> at y %g", y);
            prev = p;
        }
    }
}
