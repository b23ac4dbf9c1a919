// Leaked-state dynamics of the frame simulator. See frame_leak.h for the model.
#include "workers/sim/frame_leak.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "workers/sim/frame_draw.h"
#include "workers/util/alloc.h"

#define BIT_TARGET (QP_TARGET_REC | QP_TARGET_SWEEP)

int qp_frame_leak_init(qp_frame_sim *s, uint32_t max_targets, qp_err *err) {
    const qp_frame_leakage *L = &s->opt.leakage;
    if (!(L->p >= 0 && L->p <= 1)) return qp_fail(err, "leakage p = %g: must be in [0, 1]", L->p);
    if (!(L->p > 0)) return 0;
    if (!(L->mean_rounds >= 1) || isinf(L->mean_rounds))
        return qp_fail(err, "leakage mean_rounds = %g: must be a number >= 1", L->mean_rounds);
    size_t row_bytes = s->max_stride * sizeof(uint64_t);
    s->leaked = qp_aligned_alloc(((size_t)s->num_qubits + 1) * row_bytes);
    s->leak_meas = qp_aligned_alloc(((size_t)max_targets + 1) * row_bytes);
    s->leak_inv_log1mp = L->p < 1 ? 1.0 / log1p(-L->p) : 0.0;  // p = 1: every position
    s->leak_return = 1.0 / L->mean_rounds;
    return 0;
}

void qp_frame_leak_free(qp_frame_sim *s) {
    free(s->leaked);
    free(s->leak_meas);
    s->leaked = s->leak_meas = NULL;
}

static inline uint64_t *leak_row(qp_frame_sim *s, uint32_t q) { return s->leaked + (size_t)q * s->stride; }

void qp_frame_leak_batch_start(qp_frame_sim *s) {
    memset(s->leaked, 0, (size_t)s->num_qubits * s->stride * sizeof(uint64_t));
}

int qp_frame_leak_before_pair(qp_frame_sim *s, uint32_t qa, uint32_t qb) {
    const uint64_t *la = leak_row(s, qa), *lb = leak_row(s, qb);
    uint64_t any = 0;
    for (size_t w = 0; w < s->stride; w++) any |= la[w] | lb[w];
    if (!any) return 0;
    uint32_t q[2] = {qa, qb};
    for (int k = 0; k < 2; k++) {
        const uint64_t *l = leak_row(s, q[k]);
        uint64_t *x = s->x + (size_t)q[k] * s->stride, *z = s->z + (size_t)q[k] * s->stride;
        for (size_t w = 0; w < s->stride; w++) {
            x[w] &= ~l[w];
            z[w] &= ~l[w];
        }
    }
    return 1;
}

// Pauli code 0..3 = I X Y Z on qubit q in the shot `bit` of word w.
static inline void pauli_at(qp_frame_sim *s, uint32_t q, size_t w, uint64_t bit, uint32_t pauli) {
    uint64_t has_x = (0x6u >> pauli) & 1u, has_z = (0xCu >> pauli) & 1u;  // X,Y / Y,Z
    s->x[(size_t)q * s->stride + w] ^= bit & (0 - has_x);
    s->z[(size_t)q * s->stride + w] ^= bit & (0 - has_z);
}

void qp_frame_leak_disturb_pair(qp_frame_sim *s, uint32_t qa, uint32_t qb) {
    size_t n = s->stride;
    const uint64_t *la = leak_row(s, qa), *lb = leak_row(s, qb);
    uint64_t *xa = s->x + (size_t)qa * n, *za = s->z + (size_t)qa * n;
    uint64_t *xb = s->x + (size_t)qb * n, *zb = s->z + (size_t)qb * n;
    for (uint32_t b = 0; b < s->num_blocks; b++) {
        qp_rng r = s->rng[b];
        for (size_t w = (size_t)b * QP_FRAME_BLOCK_WORDS; w < (size_t)(b + 1) * QP_FRAME_BLOCK_WORDS; w++) {
            // A uniform Pauli per shot of the mask: fair-coin X and Z bits, two draws per word.
            // Partner b is disturbed where a alone is leaked, then a where b alone is.
            uint64_t ma = la[w] & ~lb[w], mb = lb[w] & ~la[w];
            if (ma) {
                xb[w] ^= ma & qp_rng_u64(&r);
                zb[w] ^= ma & qp_rng_u64(&r);
            }
            if (mb) {
                xa[w] ^= mb & qp_rng_u64(&r);
                za[w] ^= mb & qp_rng_u64(&r);
            }
        }
        s->rng[b] = r;
    }
}

void qp_frame_leak_pauli_gate(qp_frame_sim *s, qp_gate g, uint32_t qa, uint32_t qb) {
    size_t n = s->stride;
    const uint64_t *la = leak_row(s, qa), *lb = leak_row(s, qb);
    uint64_t *xa = s->x + (size_t)qa * n, *za = s->z + (size_t)qa * n;
    uint64_t *xb = s->x + (size_t)qb * n, *zb = s->z + (size_t)qb * n;
    for (uint32_t b = 0; b < s->num_blocks; b++) {
        qp_rng r = s->rng[b];
        for (size_t w = (size_t)b * QP_FRAME_BLOCK_WORDS; w < (size_t)(b + 1) * QP_FRAME_BLOCK_WORDS; w++) {
            uint64_t ka = ~la[w], kb = ~lb[w];
            uint64_t xa_ = xa[w] & ka, za_ = za[w] & ka, xb_ = xb[w] & kb, zb_ = zb[w] & kb;
            switch (g) {
            case QP_GATE_CX: xb_ ^= xa_, za_ ^= zb_; break;
            case QP_GATE_CZ: za_ ^= xb_, zb_ ^= xa_; break;
            default: za_ ^= xb_ ^ zb_, xb_ ^= xa_, zb_ ^= xa_; break;  // CY
            }
            // The draws of qp_frame_leak_disturb_pair, in its order.
            uint64_t ma = la[w] & kb, mb = lb[w] & ka;
            if (ma) {
                xb_ ^= ma & qp_rng_u64(&r);
                zb_ ^= ma & qp_rng_u64(&r);
            }
            if (mb) {
                xa_ ^= mb & qp_rng_u64(&r);
                za_ ^= mb & qp_rng_u64(&r);
            }
            xa[w] = xa_, za[w] = za_, xb[w] = xb_, zb[w] = zb_;
        }
        s->rng[b] = r;
    }
}

void qp_frame_leak_gate(qp_frame_sim *s, const qp_instr *in) {
    uint64_t end = (uint64_t)in->num_targets * QP_FRAME_BLOCK_SHOTS;
    for (uint32_t b = 0; b < s->num_blocks; b++) {
        qp_rng r = s->rng[b];
        uint64_t pos = 0;
        while (s->leak_inv_log1mp != 0.0 ? qp_draw_next_hit(&r, s->leak_inv_log1mp, &pos, end) : pos < end) {
            uint32_t t = (uint32_t)(pos / QP_FRAME_BLOCK_SHOTS), shot = (uint32_t)(pos % QP_FRAME_BLOCK_SHOTS);
            pos++;
            uint32_t tg = in->targets[t];
            if (tg & BIT_TARGET) continue;  // a classical control bit does not leak
            leak_row(s, tg & QP_TARGET_VALUE_MASK)[(size_t)b * QP_FRAME_BLOCK_WORDS + shot / 64] |= 1ULL << (shot % 64);
        }
        s->rng[b] = r;
    }
}

void qp_frame_leak_measured(qp_frame_sim *s, const qp_instr *in, uint64_t first) {
    size_t n = s->stride;
    for (uint32_t t = 0; t < in->num_targets; t++)
        memcpy(s->leak_meas + (size_t)t * n, leak_row(s, in->targets[t] & QP_TARGET_VALUE_MASK), n * sizeof(uint64_t));
    for (uint32_t b = 0; b < s->num_blocks; b++) {
        qp_rng r = s->rng[b];
        for (uint32_t t = 0; t < in->num_targets; t++) {
            const uint64_t *l = s->leak_meas + (size_t)t * n;
            uint64_t *m = s->rec + (size_t)((first + t) & (s->ring_depth - 1)) * n;
            for (size_t w = (size_t)b * QP_FRAME_BLOCK_WORDS; w < (size_t)(b + 1) * QP_FRAME_BLOCK_WORDS; w++) {
                if (!l[w]) continue;
                // A fair coin in the leaked shots: 64 fresh bits masked by the leaked ones.
                m[w] = (m[w] & ~l[w]) | (qp_rng_u64(&r) & l[w]);
            }
        }
        s->rng[b] = r;
    }
}

void qp_frame_leak_layer(qp_frame_sim *s) {
    double ret = s->leak_return;
    for (uint32_t b = 0; b < s->num_blocks; b++) {
        qp_rng r = s->rng[b];
        for (uint32_t q = 0; q < s->num_qubits; q++) {
            uint64_t *l = leak_row(s, q);
            for (size_t w = (size_t)b * QP_FRAME_BLOCK_WORDS; w < (size_t)(b + 1) * QP_FRAME_BLOCK_WORDS; w++) {
                for (uint64_t m = l[w]; m; m &= m - 1) {
                    if (!(qp_rng_uniform(&r) < ret)) continue;
                    uint64_t bit = m & -m;
                    l[w] &= ~bit;
                    // Maximally mixed: X and Z components each a fair coin.
                    pauli_at(s, q, w, bit, qp_draw_below(&r, 4));
                }
            }
        }
        s->rng[b] = r;
    }
}
