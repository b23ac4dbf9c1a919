// The neural decoder over b8 shot records (see nn_decoder.h).
#include "pipeline/train/nn_decoder.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline/train/checkpoint.h"
#include "pipeline/train/train_circuit.h"
#include "workers/circuit/measurement_map.h"
#include "workers/circuit/soft_events.h"
#include "workers/nn/nn_layout.h"
#include "workers/nn/nn_model.h"
#include "workers/util/alloc.h"

#define QP_NN_DECODE_BATCH 256                // shots per inference batch, at most
#define QP_NN_DECODE_INPUT_FLOATS (1u << 24)  // cap on the (B,R,S,1) input buffer

typedef struct {
    nn_layout lay;   // of the circuit being decoded
    nn_model model;  // max_batch = batch
    int batch;       // shots per inference batch
    int num_obs;
    size_t det_bytes;  // ceil(num_detectors/8)
    uint8_t *packed;   // (batch, det_bytes) when the caller's stride differs
    float *inputs;     // (batch,R,S,F)
    float *probs;      // (batch,O)
    // Soft-input models (F = 2: soft detection event, leakage; soft_events.h): the circuit's
    // measurement map and one batch of per-detector inputs. map.det_start is NULL otherwise.
    qp_measurement_map map;
    float *event, *leak;  // (batch, num_dets)
    double *scratch;      // (num_dets)
} nn_decoder;

// The model's layout (from its stored detector coordinates) against the circuit's.
static int check_fit(const nn_layout *model_lay, const nn_layout *lay, int model_obs, uint32_t circuit_obs,
                     qp_err *err) {
    if (model_lay->num_stabs != lay->num_stabs)
        return qp_fail(err, "the model has %d stabilizers, the circuit %d", model_lay->num_stabs, lay->num_stabs);
    for (int s = 0; s < lay->num_stabs; s++)
        for (int k = 0; k < 2; k++)
            if (fabs(model_lay->stab_xy[2 * s + k] - lay->stab_xy[2 * s + k]) > 1e-6)
                return qp_fail(err, "stabilizer %d is at (%g, %g) in the model but (%g, %g) in the circuit", s,
                               model_lay->stab_xy[2 * s], model_lay->stab_xy[2 * s + 1], lay->stab_xy[2 * s],
                               lay->stab_xy[2 * s + 1]);
    for (int s = 0; s < lay->num_stabs; s++)
        if ((model_lay->pool_w[s] != 0) != (lay->pool_w[s] != 0))
            return qp_fail(err,
                           "stabilizer %d at (%g, %g) is %s the final round of the model but %s the circuit's "
                           "(another memory basis?)",
                           s, lay->stab_xy[2 * s], lay->stab_xy[2 * s + 1], model_lay->pool_w[s] != 0 ? "in" : "not in",
                           lay->pool_w[s] != 0 ? "in" : "not in");
    if ((uint32_t)model_obs != circuit_obs)
        return qp_fail(err, "the model predicts %d observables, the circuit has %u", model_obs, circuit_obs);
    return 0;
}

static int nn_decode_batch(void *self, const uint8_t *dets_b8, size_t n, size_t bytes_per_shot,
                           uint8_t *obs_pred_b8, void *extra_out, qp_err *err);
static int nn_decode_batch_soft(void *self, const uint8_t *dets_b8, size_t n, size_t bytes_per_shot,
                                const qp_soft_batch *soft, uint8_t *obs_pred_b8, void *extra_out, qp_err *err);
static void nn_free(void *self);
static const qp_decoder_ops nn_ops = {nn_decode_batch, nn_free, nn_decode_batch_soft};

int qp_nn_decoder_open(const char *model_path, const qp_circuit *circuit, qp_decoder **out, qp_err *err) {
    *out = NULL;
    qp_nn_checkpoint ck;
    if (qp_nn_checkpoint_read(model_path, 0, &ck, err)) return -1;
    nn_decoder *dec = qp_calloc(1, sizeof *dec);
    nn_layout model_lay;
    memset(&model_lay, 0, sizeof model_lay);
    int rc = nn_layout_build(&model_lay, ck.det_coords, ck.num_dets, err);
    if (rc == 0 && qp_train_layout_from_circuit(circuit, &dec->lay, err)) rc = -1;
    if (rc == 0 && ck.model.num_features != 1 && ck.model.num_features != QP_NN_SOFT_FEATURES)
        rc = qp_fail(err,
                     "the model wants %d input features per stabilizer; "
                     "detection events (1) or soft inputs (%d) are supported",
                     ck.model.num_features, QP_NN_SOFT_FEATURES);
    if (rc == 0 && ck.model.num_features == QP_NN_SOFT_FEATURES && qp_measurement_map_build(&dec->map, circuit, err))
        rc = -1;
    // A model whose parameters do not depend on the number of stabilizers (geometric attention
    // bias, per-type embedding) decodes circuits of any distance of the same kind; it only
    // needs the same observables and the same roles for the final-round stabilizers.
    int portable = rc == 0 && nn_config_distance_portable(&ck.model);
    if (portable) {
        ck.model.num_stabs = dec->lay.num_stabs;
        if ((uint32_t)ck.model.num_obs != circuit->num_observables)
            rc = qp_fail(err, "the model predicts %d observables, the circuit has %u", ck.model.num_obs,
                         circuit->num_observables);
        else if (model_lay.lines_along_x != dec->lay.lines_along_x)
            rc = qp_fail(err, "the model's logical observable runs along %s, the circuit's along %s (another memory basis?)",
                         model_lay.lines_along_x ? "x" : "y", dec->lay.lines_along_x ? "x" : "y");
    } else if (rc == 0)
        rc = check_fit(&model_lay, &dec->lay, ck.model.num_obs, circuit->num_observables, err);
    if (rc == 0) {
        size_t per_shot = (size_t)dec->lay.num_rounds * dec->lay.num_stabs;
        size_t b = QP_NN_DECODE_INPUT_FLOATS / (per_shot ? per_shot : 1);
        dec->batch = b < 1 ? 1 : b > QP_NN_DECODE_BATCH ? QP_NN_DECODE_BATCH : (int)b;
        rc = nn_model_create(&dec->model, &ck.model, dec->lay.pool_w, dec->batch, 1, err);
        nn_geometry geo = nn_layout_geometry(&dec->lay);
        if (rc == 0) rc = nn_model_set_geometry(&dec->model, &geo, err);
    }
    if (rc == 0) {
        memcpy(dec->model.params_memory, ck.params, ck.num_params * sizeof(float));
        dec->num_obs = ck.model.num_obs;
        dec->det_bytes = (circuit->num_detectors + 7) / 8;
        dec->packed = qp_malloc((size_t)dec->batch * dec->det_bytes);
        dec->inputs = qp_malloc((size_t)dec->batch * dec->lay.num_rounds * dec->lay.num_stabs *
                                ck.model.num_features * sizeof(float));
        if (dec->map.det_start) {
            dec->event = qp_malloc((size_t)dec->batch * dec->lay.num_dets * sizeof(float));
            dec->leak = qp_malloc((size_t)dec->batch * dec->lay.num_dets * sizeof(float));
            dec->scratch = qp_malloc((size_t)dec->lay.num_dets * sizeof(double));
        }
        dec->probs = qp_malloc((size_t)dec->batch * dec->num_obs * sizeof(float));
    }
    if (model_lay.det_stab) nn_layout_free(&model_lay);
    qp_nn_checkpoint_free(&ck);
    if (rc) {
        if (dec->model.params_memory) nn_model_free(&dec->model);
        if (dec->lay.det_stab) nn_layout_free(&dec->lay);
        qp_measurement_map_free(&dec->map);
        free(dec);
        return qp_fail_prefix(err, "nn decoder %s", model_path);
    }
    *out = qp_decoder_wrap(QP_DEC_NN, dec, &nn_ops, (uint64_t)dec->lay.num_dets, (uint32_t)dec->num_obs);
    return 0;
}

// Predictions and confidences of shots first .. first+B-1 from dec->inputs.
static int nn_predict_into(nn_decoder *dec, size_t first, int B, uint8_t *obs_pred_b8, float *confidence,
                           qp_err *err) {
    int O = dec->num_obs;
    size_t obs_bytes = ((size_t)O + 7) / 8;
    nn_model_predict(&dec->model, dec->inputs, B, dec->lay.num_rounds, dec->probs);
    for (int b = 0; b < B; b++) {
        size_t shot = first + (size_t)b;
        if (obs_pred_b8) memset(obs_pred_b8 + shot * obs_bytes, 0, obs_bytes);
        for (int o = 0; o < O; o++) {
            float p = dec->probs[b * O + o];
            if (!isfinite(p)) return qp_fail(err, "nn decoder: shot %zu: non-finite output", shot);
            if (confidence) confidence[shot * O + o] = p;
            if (obs_pred_b8 && p > 0.5f) obs_pred_b8[shot * obs_bytes + o / 8] |= (uint8_t)(1u << (o % 8));
        }
    }
    return 0;
}

// confidence (extra_out) is (n, num_obs) floats.
static int nn_decode_batch(void *self, const uint8_t *dets_b8, size_t n, size_t bytes_per_shot,
                           uint8_t *obs_pred_b8, void *extra_out, qp_err *err) {
    nn_decoder *dec = self;
    if (dec->map.det_start)
        return qp_fail(err, "nn decoder: this model takes soft readout (trained with noise.readout); give the "
                            "shots' soft readout (decode --soft-in, or a run with noise.readout)");
    if (bytes_per_shot < dec->det_bytes)
        return qp_fail(err, "nn decoder: %zu bytes per shot, the circuit's detectors need %zu", bytes_per_shot,
                       dec->det_bytes);
    for (size_t first = 0; first < n; first += (size_t)dec->batch) {
        int B = n - first < (size_t)dec->batch ? (int)(n - first) : dec->batch;
        const uint8_t *src = dets_b8 + first * bytes_per_shot;
        if (bytes_per_shot != dec->det_bytes) {
            for (int b = 0; b < B; b++)
                memcpy(dec->packed + b * dec->det_bytes, src + b * bytes_per_shot, dec->det_bytes);
            src = dec->packed;
        }
        nn_layout_inputs_from_b8(&dec->lay, src, NULL, B, 1, dec->inputs);
        if (nn_predict_into(dec, first, B, obs_pred_b8, extra_out, err)) return -1;
    }
    return 0;
}

// A model of detection events decodes the hard events (soft ignored); a soft-input model turns
// each shot's p1 (and pleak) into its soft events.
static int nn_decode_batch_soft(void *self, const uint8_t *dets_b8, size_t n, size_t bytes_per_shot,
                                const qp_soft_batch *soft, uint8_t *obs_pred_b8, void *extra_out, qp_err *err) {
    nn_decoder *dec = self;
    if (!dec->map.det_start) return nn_decode_batch(self, dets_b8, n, bytes_per_shot, obs_pred_b8, extra_out, err);
    if (!soft || !soft->p1) return nn_decode_batch(self, dets_b8, n, bytes_per_shot, obs_pred_b8, extra_out, err);
    if (soft->num_measurements != dec->map.num_measurements)
        return qp_fail(err, "nn decoder: the soft readout has %llu measurements per shot, the circuit %u",
                       (unsigned long long)soft->num_measurements, dec->map.num_measurements);
    if (bytes_per_shot < dec->det_bytes)
        return qp_fail(err, "nn decoder: %zu bytes per shot, the circuit's detectors need %zu", bytes_per_shot,
                       dec->det_bytes);
    size_t D = (size_t)dec->lay.num_dets;
    for (size_t first = 0; first < n; first += (size_t)dec->batch) {
        int B = n - first < (size_t)dec->batch ? (int)(n - first) : dec->batch;
        for (int b = 0; b < B; b++) {
            size_t shot = first + (size_t)b;
            qp_soft_events(&dec->map, dets_b8 + shot * bytes_per_shot, soft->p1 + shot * soft->stride,
                           soft->pleak ? soft->pleak + shot * soft->stride : NULL, dec->event + b * D,
                           dec->leak + b * D, dec->scratch);
        }
        nn_layout_inputs_from_soft(&dec->lay, dec->event, dec->leak, B, QP_NN_SOFT_FEATURES, dec->inputs);
        if (nn_predict_into(dec, first, B, obs_pred_b8, extra_out, err)) return -1;
    }
    return 0;
}

static void nn_free(void *self) {
    nn_decoder *dec = self;
    nn_model_free(&dec->model);
    nn_layout_free(&dec->lay);
    free(dec->packed);
    free(dec->inputs);
    free(dec->probs);
    qp_measurement_map_free(&dec->map);
    free(dec->event);
    free(dec->leak);
    free(dec->scratch);
    free(dec);
}
