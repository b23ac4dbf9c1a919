// Builds a decoder of any kind (see decoder_open.h).
#include "pipeline/job/decoder_open.h"

#include "pipeline/train/nn_decoder.h"
#include "pipeline/train/nn_models.h"

int qp_decoder_open(qp_decoder_id id, const qp_decoder_inputs *in, qp_decoder **out, qp_err *err) {
    const qp_decoder_kind *kind = qp_decoder_kind_of(id);
    *out = NULL;
    if (kind->needs_model) {
        if (in->model && in->model[0]) return qp_nn_decoder_open(in->model, in->circuit, out, err);
        char shipped[4096];  // no model file given: the shipped model that covers the circuit
        if (qp_nn_model_pick(in->circuit, shipped, sizeof shipped, err)) return -1;
        return qp_nn_decoder_open(shipped, in->circuit, out, err);
    }
    if (kind->from_circuit) {  // mwpm-soft: the DEM and the circuit, one global graph
        if (in->window && in->window->window)
            return qp_fail(err, "decoder %s decodes globally: windowed decoding is for the other matching decoders",
                           kind->name);
        if (!in->circuit) return qp_fail(err, "decoder %s needs the circuit, not only its detector error model", kind->name);
        *out = kind->from_circuit(in->dem, in->circuit, err);
        return *out ? 0 : -1;
    }
    *out = in->window && in->window->window ? qp_decoder_create_windowed(kind->name, in->dem, in->window, err)
                                            : kind->from_dem(in->dem, err);
    return *out ? 0 : -1;
}
