// Binary cross-entropy with logits (see nn_loss.h). Float here, double in nn_f64.c.
#include "workers/nn/nn_loss.h"

#include <math.h>

double NN(nn_bce_forward)(const nn_real *logits, const nn_real *targets, const nn_real *weights, int N) {
    double sum = 0;
    for (int i = 0; i < N; i++) {
        double w = weights ? (double)weights[i] : 1.0;
        if (w == 0) continue;
        double z = logits[i], y = targets[i];
        sum += w * (fmax(z, 0.0) - z * y + log1p(exp(-fabs(z))));
    }
    return sum;
}

void NN(nn_bce_backward)(nn_real *dlogits, const nn_real *logits, const nn_real *targets,
                         const nn_real *weights, int N) {
    for (int i = 0; i < N; i++) {
        double w = weights ? (double)weights[i] : 1.0;
        if (w == 0) continue;
        double z = logits[i];
        double p = z >= 0 ? 1.0 / (1.0 + exp(-z)) : exp(z) / (1.0 + exp(z));
        dlogits[i] += (nn_real)(w * (p - targets[i]));
    }
}
