// Ziggurat normal draws. See ziggurat.h.
#include "workers/util/ziggurat.h"

#include <stddef.h>

#define N QP_ZIGGURAT_LAYERS

static double f(double x) { return exp(-0.5 * x * x); }

// Area of the base layer for right edge r: the rectangle r f(r) plus the tail beyond r.
static double base_area(double r) { return r * f(r) + sqrt(M_PI / 2) * erfc(r * M_SQRT1_2); }

// Stacks the layers for r; returns > 0 when they reach f = 1 before the top (r too small),
// < 0 when the top layer ends below 1 (r too large). e gets the edges when e != NULL.
static double stack(double r, double *e) {
    double v = base_area(r), x = r;
    if (e) e[0] = r;
    for (int k = 1; k < N - 1; k++) {
        double fk = f(x) + v / x;
        if (fk >= 1) return 1;
        x = sqrt(-2 * log(fk));
        if (e) e[k] = x;
    }
    return f(x) + v / x - 1;
}

void qp_ziggurat_init(qp_ziggurat *z) {
    double lo = 2, hi = 5;
    for (int i = 0; i < 200; i++) {
        double mid = 0.5 * (lo + hi);
        if (mid <= lo || mid >= hi) break;
        if (stack(mid, NULL) > 0) lo = mid;
        else hi = mid;
    }
    double e[N];
    z->r = hi;
    z->v = base_area(z->r);
    stack(z->r, e);
    e[N - 1] = 0;
    z->w[0] = z->v / f(z->r);
    z->inner[0] = z->r;
    z->fw[0] = 0;
    z->ft[0] = f(z->r);
    for (int k = 1; k < N; k++) {
        z->w[k] = e[k - 1];
        z->inner[k] = e[k];
        z->fw[k] = f(e[k - 1]);
        z->ft[k] = f(e[k]);
    }
}

static inline double open_uniform(qp_rng *r) { return (double)((qp_rng_u64(r) >> 11) + 1) * 0x1.0p-53; }

double qp_ziggurat_slow(const qp_ziggurat *z, qp_rng *r, unsigned layer, double x) {
    for (;;) {
        if (layer == 0) {  // the tail beyond r (Marsaglia): r + a with a ~ Exp(r) thinned
            for (;;) {
                double a = -log(open_uniform(r)) / z->r, b = -log(open_uniform(r));
                if (2 * b > a * a) return z->r + a;
            }
        }
        // A wedge: accept x under the curve, by a uniform height within the layer.
        double y = z->fw[layer] + qp_rng_uniform(r) * (z->ft[layer] - z->fw[layer]);
        if (y < f(x)) return x;
        // Rejected: a fresh magnitude (the caller's sign stays: it is independent of it).
        uint64_t bits = qp_rng_u64(r);
        layer = (unsigned)(bits & (N - 1));
        x = (double)(bits >> 11) * 0x1.0p-53 * z->w[layer];
        if (x < z->inner[layer]) return x;
    }
}
