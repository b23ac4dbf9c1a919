// Soft readout hook of the frame sampler. See soft_readout.h.
#include "workers/sim/soft_readout.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "workers/util/alloc.h"

#define BLOCK_WORDS 4  // QP_FRAME_BLOCK_WORDS (frame_sim.h): 256-shot blocks

int qp_soft_readout_init(qp_soft_readout *ro, double snr, double t1_over_tint, const uint8_t *reference,
                         qp_err *err) {
    memset(ro, 0, sizeof *ro);
    if (qp_readout_model_init(&ro->model, snr, t1_over_tint, err)) return -1;
    ro->symmetrize = 1;
    ro->reference = reference;
    return 0;
}

int qp_soft_readout_applies(qp_gate g) {
    return g == QP_GATE_M || g == QP_GATE_MX || g == QP_GATE_MY || g == QP_GATE_MR || g == QP_GATE_MRX ||
           g == QP_GATE_MRY;
}

static inline int ref_bit(const qp_soft_readout *ro, uint64_t m) {
    return ro->reference ? (ro->reference[m / 8] >> (m % 8)) & 1 : 0;
}

static inline double open_uniform(qp_rng *r) {  // (0, 1]
    return (double)((qp_rng_u64(r) >> 11) + 1) * 0x1.0p-53;
}

// e = P(result wrong | signal) on the float32 grid of soft_readout.h.
static inline float error_value(double llr) {
    double e = 1 / (1 + exp(fabs(llr)));
    double k = nearbyint(e * 0x1.0p24);
    if (k < 1) k = 1;
    if (k > 0x1.0p23 - 1) k = 0x1.0p23 - 1;
    return (float)(k * 0x1.0p-24);
}

void qp_soft_readout_measure(const qp_soft_readout *ro, uint64_t m, uint64_t *row, const uint64_t *leaked,
                             size_t stride, qp_rng *rng, uint32_t num_blocks, float *p1, float *pleak) {
    const qp_readout_model *md = &ro->model;
    uint64_t ref = ref_bit(ro, m) ? ~0ULL : 0;
    int decays = md->rate > 0;
    double sigma = md->sigma, threshold = md->threshold;
    for (uint32_t b = 0; b < num_blocks; b++) {
        qp_rng r = rng[b];
        for (int wi = 0; wi < BLOCK_WORDS; wi++) {
            size_t w = (size_t)b * BLOCK_WORDS + wi;
            uint64_t tau = ro->symmetrize ? qp_rng_u64(&r) : 0;
            uint64_t phys = (ref ^ row[w]) ^ tau;  // the measured state per shot
            uint64_t leak = leaked ? leaked[w] : 0;   // shots whose qubit is in |2>
            uint64_t err_bits = 0;
            // Two copies of the same draws (as qp_readout_draw: the normal, then the decay time,
            // drawn for |0> too), so the same signals and hard results: without p1 the state
            // enters arithmetically (a branch on it would mispredict half the time: 11.7 -> 8.0
            // ns per result), with p1 as a select (the arithmetic form measured 52 ns instead of
            // 34 there; bench_soft, 2026-12-07).
            if (!p1) {
                for (int bit = 0; bit < 64; bit++) {
                    int state = (int)((phys >> bit) & 1);
                    double y = sigma * qp_ziggurat_normal(&md->zig, &r);
                    double mean1 = decays ? qp_readout_mean1(md, open_uniform(&r)) : 1.0;
                    y += (leak >> bit) & 1 ? QP_READOUT_LEAK_MEAN : (double)state * mean1;
                    err_bits |= (uint64_t)((y > threshold) ^ state) << bit;
                }
            } else {
                for (int bit = 0; bit < 64; bit++) {
                    int state = (int)((phys >> bit) & 1);
                    double y = sigma * qp_ziggurat_normal(&md->zig, &r);
                    double mean1 = decays ? qp_readout_mean1(md, open_uniform(&r)) : 1.0;
                    y += (leak >> bit) & 1 ? QP_READOUT_LEAK_MEAN : state ? mean1 : 0.0;
                    int hard = y > threshold;
                    // The result is hard ^ tau (for a leaked qubit too: X leaves |2> alone, so
                    // its result is a fair coin, as frame_leak.h has it); the record holds
                    // true ^ err.
                    err_bits |= (uint64_t)(hard ^ state) << bit;
                    double llr = qp_readout_llr_fast(md, y);
                    float ev = error_value(llr);
                    int result = hard ^ (int)((tau >> bit) & 1);
                    p1[w * 64 + bit] = result ? 1.0f - ev : ev;
                    if (pleak) pleak[w * 64 + bit] = (float)qp_readout_leak_posterior(md, y, llr);
                }
            }
            row[w] ^= err_bits;
        }
        rng[b] = r;
    }
}

void qp_soft_readout_exact(const qp_soft_readout *ro, uint64_t m, const uint64_t *row, size_t stride, float *p1,
                           float *pleak) {
    if (pleak) memset(pleak, 0, stride * 64 * sizeof *pleak);
    uint64_t ref = ref_bit(ro, m) ? ~0ULL : 0;
    for (size_t w = 0; w < stride; w++) {
        uint64_t res = row[w] ^ ref;
        for (int bit = 0; bit < 64; bit++) p1[w * 64 + bit] = (float)((res >> bit) & 1);
    }
}

static void hard_equivalent_block(qp_block *b, double flip) {
    for (size_t i = 0; i < b->num_instrs; i++) {
        qp_instr *in = &b->instrs[i];
        if (in->gate == QP_GATE_REPEAT) {
            if (in->body) hard_equivalent_block(in->body, flip);
            continue;
        }
        if (!qp_soft_readout_applies(in->gate)) continue;
        if (!(flip > 0)) {  // `M 0`, as Stim writes a noiseless measurement
            free(in->args);
            in->args = NULL;
            in->num_args = 0;
            continue;
        }
        if (in->num_args == 0) {
            in->args = qp_malloc(sizeof *in->args);
            in->num_args = 1;
        }
        in->args[0] = flip;
    }
}

void qp_soft_readout_hard_equivalent(qp_circuit *c, double flip) { hard_equivalent_block(&c->top, flip); }
