// The decoder interface every caller uses: one table of decoder kinds, one object type, one
// batch call from b8 detector records to b8 observable predictions.
//
// The table (decoder.c, `kinds`) is the only list of decoder names: configs, `--decoder`,
// help texts and result datasets all read it. To add a decoder: a qp_decoder_id before
// QP_NUM_DECODERS, a row in the table, and an implementation behind qp_decoder_ops.
// Most kinds are built from a detector error model (`from_dem`); mwpm-soft from the model and
// the circuit (`from_circuit`: it needs to know which edge each measurement's flip is); the
// neural decoder from a trained model file by the pipeline (pipeline/train/nn_decoder.h),
// because workers/ cannot read HDF5. Either way the result is a qp_decoder and is decoded the
// same way; kinds that `needs_soft` take the shots' soft readout besides
// (qp_decoder_decode_batch_soft).
// A decoder is used by one thread at a time.
#ifndef QP_DECODE_DECODER_H
#define QP_DECODE_DECODER_H

#include <stddef.h>
#include <stdint.h>

#include "workers/circuit/circuit.h"
#include "workers/decode/matching_graph.h"
#include "workers/dem/dem.h"
#include "workers/util/err.h"

// Decoder kinds, in table order (the order in which results list them).
typedef enum {
    QP_DEC_MWPM = 0,       // "mwpm": exact minimum-weight perfect matching (sparse blossom)
    QP_DEC_MWPM_CORR = 1,  // "mwpm-corr": two-pass correlated matching
    QP_DEC_UF = 2,         // "uf": union-find
    QP_DEC_NN = 3,         // "nn": the recurrent neural decoder (needs a model file)
    QP_DEC_ML = 4,         // "ml": exact maximum likelihood, tiny DEMs only (ml.h)
    QP_DEC_MWPM_SOFT = 5,  // "mwpm-soft": mwpm with measurement edges reweighted by soft readout
    QP_NUM_DECODERS = 6,
} qp_decoder_id;

// What a decoder writes per shot besides its prediction (decode_batch's extra_out).
typedef enum {
    QP_DECODER_WEIGHT = 0,      // double (num_shots): matching weight in log-likelihood units
                                // (ml: ln P(best) / P(runner-up), its margin of confidence)
    QP_DECODER_CONFIDENCE = 1,  // float (num_shots, num_observables): P(observable flipped)
} qp_decoder_extra;

typedef struct qp_decoder qp_decoder;

typedef struct {
    const char *name;        // as written in configs and --decoder
    const char *summary;     // one line for help texts
    qp_decoder_extra extra;  // its per-shot extra output
    int needs_model;         // built from a trained model file and the circuit, not from a DEM
    // Builds the decoder from a decomposed DEM (NULL when needs_model). The DEM may be freed after.
    qp_decoder *(*from_dem)(const qp_dem *dem, qp_err *err);
    int needs_soft;          // decodes only with the shots' soft readout (qp_decoder_decode_batch_soft)
    // Kinds that need the circuit besides its decomposed DEM (from_dem is then NULL). Both may
    // be freed after.
    qp_decoder *(*from_circuit)(const qp_dem *dem, const qp_circuit *c, qp_err *err);
} qp_decoder_kind;

// Soft readout of a batch of shots, as the soft sampler and `--soft-in` files give it: per
// shot, per measurement m of the circuit (record order), p1 = P(|1> | analog signal), and the
// leakage posterior when the sampler ran with leakage.
typedef struct {
    const float *p1;            // p1[s * stride + m]
    const float *pleak;         // pleak[s * stride + m], or NULL (no leakage; mwpm-soft ignores it)
    size_t stride;              // floats from one shot to the next (>= num_measurements)
    uint64_t num_measurements;  // the circuit's measurement count
} qp_soft_batch;

// The table row of a kind (id < QP_NUM_DECODERS).
const qp_decoder_kind *qp_decoder_kind_of(qp_decoder_id id);
const char *qp_decoder_name(qp_decoder_id id);  // "?" out of range
int qp_decoder_from_name(const char *name);     // its qp_decoder_id, or -1
// Bit k set for every kind k that needs_model (from the table, not named one by one).
uint32_t qp_decoder_model_kinds(void);
// Bit k set for every kind k that needs_soft.
uint32_t qp_decoder_soft_kinds(void);
// "mwpm, mwpm-corr, uf, nn": every name, for messages and help texts.
void qp_decoder_list_names(char *buf, size_t cap);

// Builds a decoder of a DEM-based kind by name. Returns NULL with err set on an unknown name,
// a kind that needs a model file, or a DEM the decoder cannot use (e.g. not graphlike:
// "line N: error mechanism is not graphlike ...").
qp_decoder *qp_decoder_create(const char *kind, const qp_dem *dem, qp_err *err);
// As qp_decoder_create, for every kind built from a DEM, with the circuit the DEM was made from
// for kinds that need it (from_circuit); the circuit is unused by the others.
qp_decoder *qp_decoder_create_from_circuit(const char *kind, const qp_dem *dem, const qp_circuit *c, qp_err *err);
void qp_decoder_free(qp_decoder *dec);  // safe on NULL

qp_decoder_id qp_decoder_id_of(const qp_decoder *dec);
const char *qp_decoder_kind_name(const qp_decoder *dec);  // "mwpm", ... as in the table
uint64_t qp_decoder_num_detectors(const qp_decoder *dec);
uint32_t qp_decoder_num_observables(const qp_decoder *dec);

// dets_b8 is (num_shots, bytes_per_shot); matching decoders want bytes_per_shot ==
// ceil(num_detectors/8), the neural decoder accepts wider records (anything else is an error
// before decoding). obs_pred_b8_out is (num_shots, ceil(num_observables/8)), fully
// overwritten. extra_out receives the kind's extra output (qp_decoder_kind.extra: double
// weights or float confidences); it may be NULL. Fails on a shot that has no valid matching,
// naming the shot index. A kind that needs_soft fails here ("needs the soft readout ...").
int qp_decoder_decode_batch(qp_decoder *dec, const uint8_t *dets_b8, size_t num_shots,
                            size_t bytes_per_shot, uint8_t *obs_pred_b8_out, void *extra_out,
                            qp_err *err);
// As qp_decoder_decode_batch, with the shots' soft readout (soft->p1 holds num_shots rows).
// Kinds that do not use soft readout decode the hard events and ignore it; a kind that
// needs_soft fails on soft == NULL or on a measurement count other than its circuit's.
int qp_decoder_decode_batch_soft(qp_decoder *dec, const uint8_t *dets_b8, size_t num_shots, size_t bytes_per_shot,
                                 const qp_soft_batch *soft, uint8_t *obs_pred_b8_out, void *extra_out, qp_err *err);

// For implementations: what a kind does behind the interface. `self` is the implementation's
// own object; free releases it.
typedef struct {
    int (*decode_batch)(void *self, const uint8_t *dets_b8, size_t num_shots, size_t bytes_per_shot,
                        uint8_t *obs_pred_b8_out, void *extra_out, qp_err *err);
    void (*free)(void *self);
    // Kinds that use soft readout (NULL for the others).
    int (*decode_batch_soft)(void *self, const uint8_t *dets_b8, size_t num_shots, size_t bytes_per_shot,
                             const qp_soft_batch *soft, uint8_t *obs_pred_b8_out, void *extra_out, qp_err *err);
} qp_decoder_ops;

// Wraps an implementation object as a decoder of kind id (takes ownership of self).
qp_decoder *qp_decoder_wrap(qp_decoder_id id, void *self, const qp_decoder_ops *ops, uint64_t num_detectors,
                            uint32_t num_observables);
// The implementation object of dec when it was wrapped with ops, else NULL.
void *qp_decoder_self(const qp_decoder *dec, const qp_decoder_ops *ops);

// What windowed decoding (window.h) needs from a matching decoder built by from_dem: its
// matching graph, and the correction of its last decoded shot as graph edges ((*edges)[2i],
// (*edges)[2i+1], the second QP_MG_BOUNDARY for a boundary edge; valid until the next decode).
// NULL / 0 for other decoders.
const qp_matching_graph *qp_decoder_graph(const qp_decoder *dec);
size_t qp_decoder_last_correction(qp_decoder *dec, const uint32_t **edges);

#endif
