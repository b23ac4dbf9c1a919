// The training circuit, detector coordinates and model layout (see train_circuit.h).
#include "pipeline/train/train_circuit.h"

#include <math.h>
#include <stdlib.h>

#include "workers/circuit/circuit_coords.h"
#include "workers/circuit/surface_code.h"
#include "workers/sim/soft_readout.h"
#include "workers/util/alloc.h"

int qp_train_circuit_text(const qp_train_config *tc, char **text, qp_err *err) {
    *text = NULL;
    qp_circuit c;
    qp_circuit_init(&c);
    int rc;
    if (tc->code == QP_CODE_CIRCUIT) {
        rc = qp_circuit_parse_file(&c, tc->circuit, err);
    } else {
        char basis = tc->data.basis == QP_BASIS_X ? 'x' : 'z';
        qp_surface_params params =
            tc->data.noise == QP_NOISE_SI1000
                ? qp_surface_params_si1000(basis, (uint32_t)tc->distance, (uint64_t)tc->rounds, tc->data.p)
                : qp_surface_params_uniform(basis, (uint32_t)tc->distance, (uint64_t)tc->rounds, tc->data.p);
        rc = qp_surface_code_generate(&c, &params, err);
    }
    if (rc == 0 && tc->data.readout_snr > 0) {  // soft readout: the hard-equivalent circuit, as experiments
        qp_readout_model m;
        rc = qp_readout_model_init(&m, tc->data.readout_snr, tc->data.readout_t1, err);
        if (rc == 0) qp_soft_readout_hard_equivalent(&c, m.flip);
        if (rc == 0) rc = qp_circuit_finalize(&c, err);
    }
    if (rc == 0) {
        *text = qp_circuit_to_text(&c, err);
        if (!*text) rc = -1;
    }
    qp_circuit_free(&c);
    if (rc != 0) qp_fail_prefix(err, "train circuit %s", tc->data.name);
    return rc;
}

int qp_train_detector_coords(const qp_circuit *c, double **coords, qp_err *err) {
    *coords = NULL;
    double *flat = NULL;
    uint32_t per = 0;
    if (qp_circuit_detector_coords(c, &flat, &per, err)) return -1;
    uint64_t n = c->num_detectors;
    if (n == 0) {
        free(flat);
        return qp_fail(err, "the circuit has no detectors");
    }
    if (n > (1u << 30)) {
        free(flat);
        return qp_fail(err, "the circuit has %llu detectors, too many for the neural decoder", (unsigned long long)n);
    }
    if (per < 3) {
        free(flat);
        return qp_fail(err,
                       "detector D0 has %u coordinates; the neural decoder needs DETECTOR(x, y, t) on every "
                       "detector",
                       per);
    }
    double *out = qp_malloc(n * 3 * sizeof(double));
    for (uint64_t d = 0; d < n; d++)
        for (int k = 0; k < 3; k++) out[3 * d + k] = flat[d * per + k];
    free(flat);
    *coords = out;
    return 0;
}

int qp_train_layout_from_circuit(const qp_circuit *c, nn_layout *lay, qp_err *err) {
    double *coords;
    if (qp_train_detector_coords(c, &coords, err)) return -1;
    int rc = nn_layout_build(lay, coords, (int)c->num_detectors, err);
    free(coords);
    return rc;
}

nn_config qp_train_model_config(const qp_train_config *tc, const nn_layout *lay, int num_obs) {
    // Soft readout: inputs are the soft detection event and the leakage probability
    // (workers/circuit/soft_events.h, QP_NN_SOFT_FEATURES of nn_decoder.h).
    nn_config mc = nn_config_default(lay->num_stabs, tc->data.readout_snr > 0 ? 2 : 1, num_obs);
    mc.hidden = tc->hidden;
    mc.num_layers = tc->layers;
    mc.num_heads = tc->heads;
    mc.ffn_hidden = 2 * tc->hidden;
    mc.readout_hidden = tc->hidden;
    mc.aux_weight = (float)tc->aux_weight;
    mc.attn_bias_geometric = tc->attention_bias_geometric;
    mc.geom_radius = tc->attention_bias_geometric ? tc->attention_bias_radius : 0;
    mc.stab_emb_by_type = tc->stabilizer_embedding_type;
    mc.num_dilations = tc->num_conv_dilations;
    for (int j = 0; j < tc->num_conv_dilations; j++) mc.dilations[j] = tc->conv_dilations[j];
    mc.ffn_gated = tc->ffn_gated;
    mc.readout_lines = tc->readout_lines;
    return mc;
}
