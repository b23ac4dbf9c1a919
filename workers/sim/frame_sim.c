// Pauli-frame simulator: gate rules on bit-sliced frames, geometric-skipping noise, the
// measurement ring and the detector stream. See frame_sim.h for what is promised.
#include "workers/sim/frame_sim.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "workers/sim/frame_draw.h"
#include "workers/sim/frame_leak.h"
#include "workers/sim/soft_readout.h"
#include "workers/util/alloc.h"

void qp_frame_options_default(qp_frame_options *opt) {
    memset(opt, 0, sizeof *opt);
    opt->randomize_gauge = 1;
    opt->max_blocks = QP_FRAME_DEFAULT_BLOCKS;
    opt->chunk_dets = 0;  // chosen in init
    opt->leakage.p = 0;   // off
    opt->leakage.mean_rounds = 0;
}

// ---- validation: what the simulator can run, and how far back rec[-k] reaches ----

// Also finds the furthest rec[-k] lookback and the most results one instruction appends (the
// measurement ring must hold both), and the most targets of one instruction.
static int check_block(const qp_block *b, uint32_t num_qubits, uint64_t *max_lookback, uint32_t *max_targets,
                       qp_err *err) {
    for (size_t i = 0; i < b->num_instrs; i++) {
        const qp_instr *in = &b->instrs[i];
        if (in->gate == QP_GATE_REPEAT) {
            if (in->body && check_block(in->body, num_qubits, max_lookback, max_targets, err)) return -1;
            continue;
        }
        qp_err verr;
        if (qp_instr_validate(in, &verr)) return qp_fail(err, "line %u: %s", in->line, verr.msg);
        uint64_t results = qp_instr_num_results(in);
        if (in->num_targets > *max_targets) *max_targets = in->num_targets;
        if (results > *max_lookback) *max_lookback = results;
        const qp_gate_info *info = &qp_gate_table[in->gate];
        for (uint32_t t = 0; t < in->num_targets; t++) {
            uint32_t tg = in->targets[t];
            if (tg & QP_TARGET_REC) {
                uint64_t k = tg & QP_TARGET_VALUE_MASK;
                if (k > *max_lookback) *max_lookback = k;
                continue;
            }
            if (info->is_annotation || in->gate == QP_GATE_MPAD || (tg & (QP_TARGET_SWEEP | QP_TARGET_COMBINER)))
                continue;
            uint32_t q = tg & QP_TARGET_VALUE_MASK;
            if (q >= num_qubits) return qp_fail(err, "line %u: qubit %u out of range", in->line, q);
        }
    }
    return 0;
}

int qp_frame_sim_init(qp_frame_sim *sim, const qp_circuit *c, const qp_frame_options *opt,
                      qp_err *err) {
    memset(sim, 0, sizeof *sim);
    if (opt) sim->opt = *opt;
    else qp_frame_options_default(&sim->opt);
    if (sim->opt.max_blocks == 0) sim->opt.max_blocks = QP_FRAME_DEFAULT_BLOCKS;
    uint64_t lookback = 0;
    uint32_t max_targets = 1;
    if (check_block(&c->top, c->num_qubits, &lookback, &max_targets, err)) return -1;
    sim->products = qp_malloc(max_targets * sizeof *sim->products);
    sim->circuit = c;
    sim->num_qubits = c->num_qubits;
    sim->num_detectors = c->num_detectors;
    sim->num_observables = c->num_observables;
    sim->ring_depth = 1;
    while (sim->ring_depth < lookback) sim->ring_depth *= 2;
    sim->max_stride = (size_t)sim->opt.max_blocks * QP_FRAME_BLOCK_WORDS;
    if (sim->opt.chunk_dets == 0) {
        size_t rows = ((size_t)1 << 20) / (sim->max_stride * 8);
        sim->opt.chunk_dets = rows < 64 ? 64 : rows / 64 * 64;
    }
    if (sim->opt.chunk_dets > sim->num_detectors) sim->opt.chunk_dets = (sim->num_detectors + 63) / 64 * 64;
    if (sim->opt.chunk_dets == 0) sim->opt.chunk_dets = 64;
    size_t row_bytes = sim->max_stride * sizeof(uint64_t);
    sim->x = qp_aligned_alloc((sim->num_qubits + 1) * row_bytes);
    sim->z = qp_aligned_alloc((sim->num_qubits + 1) * row_bytes);
    sim->rec = qp_aligned_alloc(sim->ring_depth * row_bytes);
    sim->det = qp_aligned_alloc(sim->opt.chunk_dets * row_bytes);
    sim->obs = qp_aligned_alloc((sim->num_observables + 1) * row_bytes);
    sim->scratch = qp_aligned_alloc(2 * row_bytes);
    sim->fired = qp_aligned_alloc(row_bytes);
    sim->rng = qp_calloc(sim->opt.max_blocks, sizeof *sim->rng);
    sim->gauge = qp_aligned_alloc((size_t)sim->opt.max_blocks * 16 * sizeof(uint64_t));
    // p1, then (leakage on) pleak of one result.
    if (sim->opt.readout) sim->soft = qp_malloc(2 * 64 * sim->max_stride * sizeof *sim->soft);
    if (qp_frame_leak_init(sim, max_targets, err)) {
        qp_frame_sim_free(sim);
        return -1;
    }
    return 0;
}

void qp_frame_sim_free(qp_frame_sim *sim) {
    free(sim->x);
    free(sim->z);
    free(sim->rec);
    free(sim->det);
    free(sim->obs);
    free(sim->scratch);
    free(sim->fired);
    free(sim->products);
    free(sim->rng);
    free(sim->gauge);
    free(sim->soft);
    qp_frame_leak_free(sim);
    memset(sim, 0, sizeof *sim);
}

// ---- rows ----

static inline uint64_t *xrow(qp_frame_sim *s, uint32_t q) { return s->x + (size_t)q * s->stride; }
static inline uint64_t *zrow(qp_frame_sim *s, uint32_t q) { return s->z + (size_t)q * s->stride; }
static inline uint64_t *rec_row(qp_frame_sim *s, uint64_t m) {
    return s->rec + (size_t)(m & (s->ring_depth - 1)) * s->stride;
}
// Row of rec[-k] relative to the measurements made so far.
static inline uint64_t *lookback_row(qp_frame_sim *s, uint32_t target) {
    return rec_row(s, s->num_meas - (target & QP_TARGET_VALUE_MASK));
}

// The SIMD unit of every row loop: one 256-shot block (4 words). Rows start at multiples of
// QP_FRAME_BLOCK_WORDS words in 64-byte aligned tables, so every block is 32-byte aligned;
// gcc turns operations on this vector type into AVX2 instructions (two SSE2 ones without).
typedef uint64_t block_t __attribute__((vector_size(32)));
#define NBLK(words) ((words) / QP_FRAME_BLOCK_WORDS)

// Handlers of gates the surface-code circuits never use stay out of line: inlined into the
// interpreter with everything else, they cost the hot loops registers (bench_frame lost
// 2.5-6 % when the whole gate set landed that way; docs/performance notes in the commit).
#define RARE __attribute__((noinline))

static inline void xor_into(uint64_t *dst_words, const uint64_t *src_words, size_t n) {
    block_t *dst = (block_t *)dst_words;
    const block_t *src = (const block_t *)src_words;
    for (size_t i = 0; i < NBLK(n); i++) dst[i] ^= src[i];
}

// Gauge bits: four xoshiro256** generators side by side, one per word of a 256-shot block,
// seeded from the block's stream at the start of a batch. The multiplications by 5 and 9 are
// shifts and adds, so the whole step is vector arithmetic on block_t.
typedef struct {
    block_t s[4];
} gauge_rng;

static inline block_t rotl_block(block_t v, int k) { return (v << k) | (v >> (64 - k)); }

static inline block_t gauge_next(gauge_rng *g) {
    block_t s1 = g->s[1];
    block_t r = rotl_block(s1 + (s1 << 2), 7);
    r = r + (r << 3);
    block_t t = s1 << 17;
    g->s[2] ^= g->s[0];
    g->s[3] ^= g->s[1];
    g->s[1] ^= g->s[2];
    g->s[0] ^= g->s[3];
    g->s[2] ^= t;
    g->s[3] = rotl_block(g->s[3], 45);
    return r;
}

static void gauge_seed(gauge_rng *g, qp_rng *r) {
    for (int i = 0; i < 4; i++)
        for (int lane = 0; lane < 4; lane++) g->s[i][lane] = qp_rng_u64(r);
    for (int lane = 0; lane < 4; lane++)  // a lane must not be all zero
        if (!(g->s[0][lane] | g->s[1][lane] | g->s[2][lane] | g->s[3][lane])) g->s[0][lane] = 1;
}

// dst ^= random bits, each block's words from that block's gauge generators.
static void xor_random(qp_frame_sim *s, uint64_t *dst) {
    gauge_rng *g = (gauge_rng *)s->gauge;
    block_t *d = (block_t *)dst;
    for (uint32_t b = 0; b < s->num_blocks; b++) d[b] ^= gauge_next(&g[b]);
}

// ---- Clifford gates ----

// All-ones or all-zeros block from a bit.
static inline block_t bit_mask(unsigned bit) {
    uint64_t m = 0 - (uint64_t)(bit & 1);
    return (block_t){m, m, m, m};
}

// Any one-qubit unitary from its frame action: x' = [X->x] x ^ [Z->x] z, z' likewise.
RARE static void single_from_frame(qp_frame_sim *s, const qp_instr *in) {
    qp_gate_frame f;
    qp_gate_frame_of(in->gate, &f);
    if (f.img[0] == 1 && f.img[1] == 2) return;  // I X Y Z: signs only
    block_t xx = bit_mask(f.img[0]), xz = bit_mask(f.img[0] >> 1);
    block_t zx = bit_mask(f.img[1]), zz = bit_mask(f.img[1] >> 1);
    size_t nb = NBLK(s->stride);
    for (uint32_t t = 0; t < in->num_targets; t++) {
        uint32_t q = in->targets[t] & QP_TARGET_VALUE_MASK;
        block_t *x = (block_t *)xrow(s, q), *z = (block_t *)zrow(s, q);
        for (size_t i = 0; i < nb; i++) {
            block_t x0 = x[i], z0 = z[i];
            x[i] = (x0 & xx) ^ (z0 & zx);
            z[i] = (x0 & xz) ^ (z0 & zz);
        }
    }
}

static void do_single(qp_frame_sim *s, qp_gate g, const qp_instr *in) {
    size_t nb = NBLK(s->stride);
    if (g != QP_GATE_H && g != QP_GATE_S && g != QP_GATE_S_DAG && g != QP_GATE_SQRT_X && g != QP_GATE_SQRT_X_DAG) {
        single_from_frame(s, in);
        return;
    }
    for (uint32_t t = 0; t < in->num_targets; t++) {
        uint32_t q = in->targets[t] & QP_TARGET_VALUE_MASK;
        block_t *x = (block_t *)xrow(s, q), *z = (block_t *)zrow(s, q);
        switch (g) {
        case QP_GATE_H:
            for (size_t i = 0; i < nb; i++) {
                block_t tmp = x[i];
                x[i] = z[i];
                z[i] = tmp;
            }
            break;
        case QP_GATE_S:
        case QP_GATE_S_DAG:  // X -> +-Y: an X component gains a Z component
            for (size_t i = 0; i < nb; i++) z[i] ^= x[i];
            break;
        default:  // SQRT_X, SQRT_X_DAG: Z -> +-Y
            for (size_t i = 0; i < nb; i++) x[i] ^= z[i];
            break;
        }
    }
}

// Any two-qubit unitary from its frame action: each output row is the XOR of the input rows
// whose generator's image contains it.
static void two_from_frame(qp_frame_sim *s, const qp_gate_frame *f, uint32_t qa, uint32_t qb) {
    block_t m[4][4];  // m[k][j]: input generator k contributes to output row j
    for (int k = 0; k < 4; k++)
        for (int j = 0; j < 4; j++) m[k][j] = bit_mask(f->img[k] >> j);
    block_t *r[4] = {(block_t *)xrow(s, qa), (block_t *)zrow(s, qa), (block_t *)xrow(s, qb), (block_t *)zrow(s, qb)};
    size_t nb = NBLK(s->stride);
    for (size_t i = 0; i < nb; i++) {
        block_t in[4] = {r[0][i], r[1][i], r[2][i], r[3][i]};
        for (int j = 0; j < 4; j++)
            r[j][i] = (in[0] & m[0][j]) ^ (in[1] & m[1][j]) ^ (in[2] & m[2][j]) ^ (in[3] & m[3][j]);
    }
}

// Classically controlled Pauli (CX rec[-k] q, XCZ q rec[-k], ...): applied where the
// measurement's flip differs from the reference, i.e. the frame gains the Pauli where the
// flip bit is set. Sweep bits are 0: nothing happens.
RARE static void feedback(qp_frame_sim *s, qp_gate g, uint32_t bit, uint32_t q, int bit_first) {
    if (!(bit & QP_TARGET_REC)) return;
    uint8_t pauli = qp_gate_feedback_pauli(g, bit_first);
    const uint64_t *m = lookback_row(s, bit);
    if (pauli & 1) xor_into(xrow(s, q), m, s->stride);
    if (pauli & 2) xor_into(zrow(s, q), m, s->stride);
}

#define BIT_TARGET (QP_TARGET_REC | QP_TARGET_SWEEP)

// A pair with a rec[-k] / sweep[k] target: a classically controlled Pauli (two bits: nothing).
RARE static void two_with_bit(qp_frame_sim *s, qp_gate g, uint32_t a, uint32_t b) {
    if ((a & BIT_TARGET) && (b & BIT_TARGET)) return;
    int bit_first = (a & BIT_TARGET) != 0;
    feedback(s, g, bit_first ? a : b, (bit_first ? b : a) & QP_TARGET_VALUE_MASK, bit_first);
}

// Every two-qubit unitary other than CX, CY, CZ.
RARE static void do_two_from_frame(qp_frame_sim *s, qp_gate g, const qp_instr *in) {
    qp_gate_frame f;
    qp_gate_frame_of(g, &f);
    for (uint32_t t = 0; t + 1 < in->num_targets; t += 2) {
        uint32_t a = in->targets[t], b = in->targets[t + 1];
        if ((a | b) & BIT_TARGET) two_with_bit(s, g, a, b);
        else two_from_frame(s, &f, a & QP_TARGET_VALUE_MASK, b & QP_TARGET_VALUE_MASK);
    }
}

// CX, CY, CZ: the surface-code gates, as hand-written row loops.
static void do_two(qp_frame_sim *s, qp_gate g, const qp_instr *in) {
    size_t nb = NBLK(s->stride);
    for (uint32_t t = 0; t + 1 < in->num_targets; t += 2) {
        uint32_t a = in->targets[t], b = in->targets[t + 1];
        if ((a | b) & BIT_TARGET) {
            two_with_bit(s, g, a, b);
            continue;
        }
        uint32_t qa = a & QP_TARGET_VALUE_MASK, qb = b & QP_TARGET_VALUE_MASK;
        block_t *xa = (block_t *)xrow(s, qa), *za = (block_t *)zrow(s, qa);
        block_t *xb = (block_t *)xrow(s, qb), *zb = (block_t *)zrow(s, qb);
        switch (g) {
        case QP_GATE_CX:  // X_c -> X_c X_t, Z_t -> Z_c Z_t
            for (size_t i = 0; i < nb; i++) {
                xb[i] ^= xa[i];
                za[i] ^= zb[i];
            }
            break;
        case QP_GATE_CZ:  // X_a -> X_a Z_b, X_b -> Z_a X_b
            for (size_t i = 0; i < nb; i++) {
                za[i] ^= xb[i];
                zb[i] ^= xa[i];
            }
            break;
        default:  // CY: X_c -> X_c Y_t, X_t -> Z_c X_t, Z_t -> Z_c Z_t
            for (size_t i = 0; i < nb; i++) {
                za[i] ^= xb[i] ^ zb[i];
                xb[i] ^= xa[i];
                zb[i] ^= xa[i];
            }
            break;
        }
    }
}

// Any two-qubit unitary with leakage on, pair by pair: a leaked qubit's frame is cleared
// before its gate (nothing propagates from it) and its partner disturbed after (frame_leak.h);
// then the instruction's qubits may leak.
RARE static void do_two_leaky(qp_frame_sim *s, qp_gate g, const qp_instr *in) {
    qp_instr pair = *in;
    pair.num_targets = 2;
    for (uint32_t t = 0; t + 1 < in->num_targets; t += 2) {
        pair.targets = in->targets + t;
        uint32_t a = pair.targets[0], b = pair.targets[1];
        if (!((a | b) & BIT_TARGET) && (g == QP_GATE_CX || g == QP_GATE_CY || g == QP_GATE_CZ)) {
            qp_frame_leak_pauli_gate(s, g, a & QP_TARGET_VALUE_MASK, b & QP_TARGET_VALUE_MASK);
            continue;
        }
        int leaky = !((a | b) & BIT_TARGET) &&
                    qp_frame_leak_before_pair(s, a & QP_TARGET_VALUE_MASK, b & QP_TARGET_VALUE_MASK);
        if (g == QP_GATE_CX || g == QP_GATE_CY || g == QP_GATE_CZ) do_two(s, g, &pair);
        else do_two_from_frame(s, g, &pair);
        if (leaky) qp_frame_leak_disturb_pair(s, a & QP_TARGET_VALUE_MASK, b & QP_TARGET_VALUE_MASK);
    }
    qp_frame_leak_gate(s, in);
}

// ---- Pauli products: MPP, SPP/SPP_DAG, MXX/MYY/MZZ, OBSERVABLE_INCLUDE X0 ... ----

// dst = the shots whose frame anticommutes with the product.
static void anticommutation(qp_frame_sim *s, uint64_t *dst, const uint32_t *terms, uint32_t n, uint32_t pauli) {
    memset(dst, 0, s->stride * sizeof *dst);
    for (uint32_t k = 0; k < n; k++) {
        uint32_t t = terms[k];
        if (t & QP_TARGET_COMBINER) continue;
        uint32_t p = pauli ? pauli : (t & QP_TARGET_PAULI), q = t & QP_TARGET_VALUE_MASK;
        if (p & QP_TARGET_PAULI_X) xor_into(dst, zrow(s, q), s->stride);
        if (p & QP_TARGET_PAULI_Z) xor_into(dst, xrow(s, q), s->stride);
    }
}

// The frame times the product, in the shots of `where`.
static void multiply_where(qp_frame_sim *s, const uint64_t *where, const uint32_t *terms, uint32_t n, uint32_t pauli) {
    for (uint32_t k = 0; k < n; k++) {
        uint32_t t = terms[k];
        if (t & QP_TARGET_COMBINER) continue;
        uint32_t p = pauli ? pauli : (t & QP_TARGET_PAULI), q = t & QP_TARGET_VALUE_MASK;
        if (p & QP_TARGET_PAULI_X) xor_into(xrow(s, q), where, s->stride);
        if (p & QP_TARGET_PAULI_Z) xor_into(zrow(s, q), where, s->stride);
    }
}

typedef void (*product_fn)(qp_frame_sim *s, const uint32_t *terms, uint32_t n, uint32_t pauli);

RARE static void for_each_product(qp_frame_sim *s, const qp_instr *in, product_fn fn) {
    qp_product *pr = s->products;
    uint32_t n = qp_instr_products(in, pr);
    for (uint32_t k = 0; k < n; k++) fn(s, in->targets + pr[k].start, pr[k].end - pr[k].start, pr[k].pauli);
}

// SPP / SPP_DAG: a frame that anticommutes with P gains P (the sign of i is not tracked).
static void spp_product(qp_frame_sim *s, const uint32_t *terms, uint32_t n, uint32_t pauli) {
    anticommutation(s, s->scratch, terms, n, pauli);
    multiply_where(s, s->scratch, terms, n, pauli);
}

// MPP / MXX ...: the result flips where the frame anticommutes; then the measured product's
// own component is randomised (collapse), as for single-qubit measurements.
static void mpp_product(qp_frame_sim *s, const uint32_t *terms, uint32_t n, uint32_t pauli) {
    anticommutation(s, rec_row(s, s->num_meas++), terms, n, pauli);
    if (!s->opt.randomize_gauge) return;
    uint64_t *r = s->scratch + s->stride;
    memset(r, 0, s->stride * sizeof *r);
    xor_random(s, r);
    multiply_where(s, r, terms, n, pauli);
}

// ---- noise: geometric skipping over (target, shot) positions of one block ----

// Geometric skipping (qp_draw_next_hit) and uniform integers (qp_draw_below): frame_draw.h.

// Pauli codes 0..3 = I X Y Z as (x, z) bits.
// Branch-free: the Pauli is random, so branches on it would mispredict.
// x, z, stride are locals of the caller: a store through x cannot change them, so they stay in
// registers (read through s, every store forced a reload).
static inline void pauli_into(uint64_t *x, uint64_t *z, size_t stride, uint32_t q, size_t word, uint64_t bit,
                              uint32_t pauli) {
    uint64_t has_x = (0x6u >> pauli) & 1u, has_z = (0xCu >> pauli) & 1u;  // X,Y / Y,Z
    x[(size_t)q * stride + word] ^= bit & (0 - has_x);
    z[(size_t)q * stride + word] ^= bit & (0 - has_z);
}

static inline void apply_pauli(qp_frame_sim *s, uint32_t q, size_t word, uint64_t bit, uint32_t pauli) {
    pauli_into(s->x, s->z, s->stride, q, word, bit, pauli);
}

// Picks index i with probability cum-differences: cum is increasing, cum[n-1] = total.
static inline uint32_t pick(qp_rng *r, const double *cum, uint32_t n) {
    double u = qp_rng_uniform(r) * cum[n - 1];
    for (uint32_t i = 0; i + 1 < n; i++)
        if (u < cum[i]) return i;
    return n - 1;
}

static void do_noise(qp_frame_sim *s, qp_gate g, const qp_instr *in) {
    double p;
    double cum[15];
    uint32_t ncum = 0;
    switch (g) {
    case QP_GATE_PAULI_CHANNEL_1:
    case QP_GATE_PAULI_CHANNEL_2: {
        ncum = g == QP_GATE_PAULI_CHANNEL_1 ? 3 : 15;
        double acc = 0;
        for (uint32_t i = 0; i < ncum; i++) {
            acc += i < in->num_args ? in->args[i] : 0.0;
            cum[i] = acc;
        }
        p = acc;
        break;
    }
    default:
        p = in->num_args ? in->args[0] : 0.0;
    }
    if (!(p > 0)) return;
    if (p > 1) p = 1;
    int pairs = qp_gate_table[g].num_qubits_per_target_group == 2;
    uint64_t groups = pairs ? in->num_targets / 2 : in->num_targets;
    uint64_t end = groups * QP_FRAME_BLOCK_SHOTS;
    double inv_log1mp = 1.0 / log1p(-p);
    uint64_t *x = s->x, *z = s->z;
    size_t stride = s->stride;
    for (uint32_t b = 0; b < s->num_blocks; b++) {
        qp_rng r = s->rng[b];
        uint64_t pos = 0;
        while (qp_draw_next_hit(&r, inv_log1mp, &pos, end)) {
            uint64_t grp = pos / QP_FRAME_BLOCK_SHOTS;
            uint32_t shot = (uint32_t)(pos % QP_FRAME_BLOCK_SHOTS);
            size_t word = (size_t)b * QP_FRAME_BLOCK_WORDS + shot / 64;
            uint64_t bit = 1ULL << (shot % 64);
            pos++;
            if (!pairs) {
                uint32_t q = in->targets[grp] & QP_TARGET_VALUE_MASK;
                uint32_t pauli;
                switch (g) {
                case QP_GATE_X_ERROR: pauli = 1; break;
                case QP_GATE_Y_ERROR: pauli = 2; break;
                case QP_GATE_Z_ERROR: pauli = 3; break;
                case QP_GATE_DEPOLARIZE1: pauli = 1 + qp_draw_below(&r, 3); break;
                default: pauli = 1 + pick(&r, cum, 3); break;  // PAULI_CHANNEL_1 px py pz
                }
                pauli_into(x, z, stride, q, word, bit, pauli);
            } else {
                uint32_t qa = in->targets[2 * grp] & QP_TARGET_VALUE_MASK;
                uint32_t qb = in->targets[2 * grp + 1] & QP_TARGET_VALUE_MASK;
                // Two-qubit Pauli index 1..15 = 4*first + second (I X Y Z = 0 1 2 3), which
                // is also PAULI_CHANNEL_2's argument order IX IY IZ XI XX ... ZZ.
                uint32_t k = g == QP_GATE_DEPOLARIZE2 ? 1 + qp_draw_below(&r, 15) : 1 + pick(&r, cum, 15);
                pauli_into(x, z, stride, qa, word, bit, k >> 2);
                pauli_into(x, z, stride, qb, word, bit, k & 3);
            }
        }
        s->rng[b] = r;
    }
}

// E / ELSE_CORRELATED_ERROR: the Pauli product (targets X0 Y1 ...) with probability p, for
// ELSE only in shots where no earlier link of the chain fired. `fired` marks those shots.
RARE static void do_correlated(qp_frame_sim *s, const qp_instr *in) {
    int is_else = in->gate == QP_GATE_ELSE_CORRELATED_ERROR;
    if (!is_else) memset(s->fired, 0, s->stride * sizeof *s->fired);
    double p = in->args[0] > 1 ? 1 : in->args[0];
    if (!(p > 0)) return;
    double inv_log1mp = 1.0 / log1p(-p);
    for (uint32_t b = 0; b < s->num_blocks; b++) {
        qp_rng r = s->rng[b];
        uint64_t pos = 0;
        while (qp_draw_next_hit(&r, inv_log1mp, &pos, QP_FRAME_BLOCK_SHOTS)) {
            size_t word = (size_t)b * QP_FRAME_BLOCK_WORDS + pos / 64;
            uint64_t bit = 1ULL << (pos % 64);
            pos++;
            if (s->fired[word] & bit) continue;
            s->fired[word] |= bit;
            for (uint32_t k = 0; k < in->num_targets; k++) {
                uint32_t t = in->targets[k];
                uint32_t pauli = (t & QP_TARGET_PAULI) == QP_TARGET_PAULI ? 2 : (t & QP_TARGET_PAULI_X) ? 1 : 3;
                apply_pauli(s, t & QP_TARGET_VALUE_MASK, word, bit, pauli);
            }
        }
        s->rng[b] = r;
    }
}

// HERALDED_ERASE(p) / HERALDED_PAULI_CHANNEL_1(pi, px, py, pz): per target, with the total
// probability the herald (a new result) reads 1 and a Pauli hits the qubit (erasure: I X Y Z
// uniformly; the Pauli channel: in proportion to its arguments).
RARE static void do_heralded(qp_frame_sim *s, const qp_instr *in) {
    uint64_t first = s->num_meas;
    for (uint32_t t = 0; t < in->num_targets; t++)
        memset(rec_row(s, first + t), 0, s->stride * sizeof(uint64_t));
    s->num_meas += in->num_targets;
    int erase = in->gate == QP_GATE_HERALDED_ERASE;
    double cum[4], p;
    if (erase) {
        p = in->args[0];
    } else {
        double acc = 0;
        for (int k = 0; k < 4; k++) cum[k] = acc += in->args[k];
        p = acc;
    }
    if (!(p > 0)) return;
    if (p > 1) p = 1;
    double inv_log1mp = 1.0 / log1p(-p);
    uint64_t end = (uint64_t)in->num_targets * QP_FRAME_BLOCK_SHOTS;
    for (uint32_t b = 0; b < s->num_blocks; b++) {
        qp_rng r = s->rng[b];
        uint64_t pos = 0;
        while (qp_draw_next_hit(&r, inv_log1mp, &pos, end)) {
            uint64_t t = pos / QP_FRAME_BLOCK_SHOTS;
            uint32_t shot = (uint32_t)(pos % QP_FRAME_BLOCK_SHOTS);
            size_t word = (size_t)b * QP_FRAME_BLOCK_WORDS + shot / 64;
            uint64_t bit = 1ULL << (shot % 64);
            pos++;
            rec_row(s, first + t)[word] |= bit;
            uint32_t pauli = erase ? qp_draw_below(&r, 4) : pick(&r, cum, 4);  // I X Y Z
            apply_pauli(s, in->targets[t] & QP_TARGET_VALUE_MASK, word, bit, pauli);
        }
        s->rng[b] = r;
    }
}

// ---- resets and measurements ----

// basis: 0 = Z, 1 = X, 2 = Y.
// The new eigenstate absorbs one Pauli; randomising it keeps later anticommuting measurements
// random, as in a real run. Rows are written block by block (a row is a few blocks: a
// memset call per row cost more than the stores).
static void reset_qubit(qp_frame_sim *s, uint32_t q, int basis) {
    block_t *x = (block_t *)xrow(s, q), *z = (block_t *)zrow(s, q);
    gauge_rng *g = (gauge_rng *)s->gauge;
    const block_t zero = {0, 0, 0, 0};
    if (!s->opt.randomize_gauge) {
        for (uint32_t b = 0; b < s->num_blocks; b++) x[b] = z[b] = zero;
        return;
    }
    for (uint32_t b = 0; b < s->num_blocks; b++) {
        block_t r = gauge_next(&g[b]);
        x[b] = basis == 0 ? zero : r;
        z[b] = basis == 1 ? zero : r;
    }
}

// Noisy results M(p), MPP(p), MPAD(p) ...: results first .. first+n-1 flip with probability p.
RARE static void flip_results(qp_frame_sim *s, uint64_t first, uint64_t n, double p) {
    if (!(p > 0) || n == 0) return;
    if (p > 1) p = 1;
    double inv_log1mp = 1.0 / log1p(-p);
    uint64_t end = n * QP_FRAME_BLOCK_SHOTS;
    for (uint32_t b = 0; b < s->num_blocks; b++) {
        qp_rng r = s->rng[b];
        uint64_t pos = 0;
        while (qp_draw_next_hit(&r, inv_log1mp, &pos, end)) {
            uint64_t t = pos / QP_FRAME_BLOCK_SHOTS;
            uint32_t shot = (uint32_t)(pos % QP_FRAME_BLOCK_SHOTS);
            pos++;
            rec_row(s, first + t)[(size_t)b * QP_FRAME_BLOCK_WORDS + shot / 64] ^= 1ULL << (shot % 64);
        }
        s->rng[b] = r;
    }
}

static void do_measure_reset(qp_frame_sim *s, qp_gate g, const qp_instr *in) {
    size_t n = s->stride;
    const qp_gate_info *gi = &qp_gate_table[g];
    int basis = gi->basis == 'X' ? 1 : gi->basis == 'Y' ? 2 : 0;
    int is_reset = gi->is_reset, is_meas = gi->is_measurement;
    for (uint32_t t = 0; t < in->num_targets; t++) {
        uint32_t q = in->targets[t] & QP_TARGET_VALUE_MASK;
        if (is_meas) {
            block_t *restrict m = (block_t *)rec_row(s, s->num_meas++);
            const block_t *restrict x = (const block_t *)xrow(s, q), *restrict z = (const block_t *)zrow(s, q);
            // X and Y errors flip a Z measurement.
            if (basis == 0) for (size_t i = 0; i < NBLK(n); i++) m[i] = x[i];
            else if (basis == 1) for (size_t i = 0; i < NBLK(n); i++) m[i] = z[i];
            else for (size_t i = 0; i < NBLK(n); i++) m[i] = x[i] ^ z[i];
        }
        if (is_reset) {
            reset_qubit(s, q, basis);
        } else if (s->opt.randomize_gauge) {
            // The measured observable's own Pauli is now irrelevant (collapse): randomise it.
            if (basis == 0) xor_random(s, zrow(s, q));
            else if (basis == 1) xor_random(s, xrow(s, q));
            else {
                uint64_t *x = xrow(s, q), *z = zrow(s, q);
                for (size_t w = 0; w < n; w++) z[w] ^= x[w];
                xor_random(s, x);
                for (size_t w = 0; w < n; w++) z[w] ^= x[w];
            }
        }
    }
}

// ---- detectors and observables ----

static int flush_detectors(qp_frame_sim *s, const qp_frame_sink *sink, qp_err *err) {
    if (s->det_fill && sink && sink->detectors &&
        sink->detectors(sink->ctx, s->batch_first_shot, s->det_base, s->det_fill, s->det, s->stride, err))
        return -1;
    s->det_base += s->det_fill;
    s->det_fill = 0;
    return 0;
}

static int do_detector(qp_frame_sim *s, const qp_instr *in, const qp_frame_sink *sink, qp_err *err) {
    if (s->det_fill == s->opt.chunk_dets && flush_detectors(s, sink, err)) return -1;
    size_t n = s->stride;
    block_t *restrict d = (block_t *)(s->det + s->det_fill * n);
    if (in->num_targets == 0) {
        const block_t zero = {0, 0, 0, 0};
        for (size_t i = 0; i < NBLK(n); i++) d[i] = zero;
    } else {  // the first measurement's row, then XOR the others
        const block_t *first = (const block_t *)lookback_row(s, in->targets[0]);
        for (size_t i = 0; i < NBLK(n); i++) d[i] = first[i];
        for (uint32_t t = 1; t < in->num_targets; t++) xor_into((uint64_t *)d, lookback_row(s, in->targets[t]), n);
    }
    s->det_fill++;
    return 0;
}

// rec[-k] targets add the measurement's flip; Pauli targets (X0 Z1) the frame's
// anticommutation with that Pauli at this point.
static void do_observable(qp_frame_sim *s, const qp_instr *in) {
    uint32_t k = in->num_args ? (uint32_t)in->args[0] : 0;
    if (k >= s->num_observables) return;
    uint64_t *o = s->obs + (size_t)k * s->stride;
    for (uint32_t t = 0; t < in->num_targets; t++) {
        uint32_t tg = in->targets[t], q = tg & QP_TARGET_VALUE_MASK;
        if (tg & QP_TARGET_REC) xor_into(o, lookback_row(s, tg), s->stride);
        if (tg & QP_TARGET_PAULI_X) xor_into(o, zrow(s, q), s->stride);
        if (tg & QP_TARGET_PAULI_Z) xor_into(o, xrow(s, q), s->stride);
    }
}

// ---- the interpreter ----

RARE static int emit_rows(qp_frame_sim *s, uint64_t first, const qp_frame_sink *sink, qp_err *err) {
    // One row at a time: an instruction's rows may wrap around the ring.
    for (uint64_t m = first; m < s->num_meas; m++)
        if (sink->measurements(sink->ctx, s->batch_first_shot, m, 1, rec_row(s, m), s->stride, err)) return -1;
    return 0;
}

static inline int emit_results(qp_frame_sim *s, uint64_t first, const qp_frame_sink *sink, qp_err *err) {
    if (!sink || !sink->measurements) return 0;
    return emit_rows(s, first, sink, err);
}

// A measurement instruction's results first .. num_meas-1 under soft readout: the readout
// model's signals for the measurements it applies to (instead of the M(p) argument), the
// circuit's flip argument for the others (flip_arg), then p1 and the results to the sink.
RARE static int soft_results(qp_frame_sim *s, const qp_instr *in, uint64_t first, int flip_arg,
                             const qp_frame_sink *sink, qp_err *err) {
    const qp_soft_readout *ro = s->opt.readout;
    int model = qp_soft_readout_applies(in->gate);
    if (!model && flip_arg && in->num_args) flip_results(s, first, s->num_meas - first, in->args[0]);
    int want = sink && sink->soft;
    float *pleak = want && s->leaked ? s->soft + 64 * s->stride : NULL;  // leakage on: P(leaked | signal)
    for (uint64_t m = first; m < s->num_meas; m++) {
        uint64_t *row = rec_row(s, m);
        // With leakage on, the measured qubits' leaked rows (frame_leak.h) go to the hook.
        const uint64_t *leaked = model && s->leaked ? s->leak_meas + (size_t)(m - first) * s->stride : NULL;
        if (model)
            qp_soft_readout_measure(ro, m, row, leaked, s->stride, s->rng, s->num_blocks, want ? s->soft : NULL, pleak);
        else if (want)
            qp_soft_readout_exact(ro, m, row, s->stride, s->soft, pleak);
        if (want && sink->soft(sink->ctx, s->batch_first_shot, m, 1, s->soft, pleak, s->stride, err)) return -1;
    }
    return emit_results(s, first, sink, err);
}

// Every instruction the surface-code loop below does not name (table-driven).
RARE static int run_other(qp_frame_sim *s, const qp_instr *in, const qp_frame_sink *sink, qp_err *err) {
    qp_gate g = in->gate;
    const qp_gate_info *gi = &qp_gate_table[g];
    uint64_t first = s->num_meas;
    switch (g) {
    case QP_GATE_DETECTOR:
        return do_detector(s, in, sink, err);
    case QP_GATE_OBSERVABLE_INCLUDE:
        do_observable(s, in);
        return 0;
    case QP_GATE_MPP: case QP_GATE_MXX: case QP_GATE_MYY: case QP_GATE_MZZ:
        for_each_product(s, in, mpp_product);
        break;
    case QP_GATE_SPP: case QP_GATE_SPP_DAG:
        for_each_product(s, in, spp_product);
        return 0;
    case QP_GATE_MPAD:
        for (uint32_t t = 0; t < in->num_targets; t++) memset(rec_row(s, s->num_meas++), 0, s->stride * sizeof(uint64_t));
        break;
    case QP_GATE_E: case QP_GATE_ELSE_CORRELATED_ERROR:
        do_correlated(s, in);
        return 0;
    case QP_GATE_HERALDED_ERASE: case QP_GATE_HERALDED_PAULI_CHANNEL_1:
        do_heralded(s, in);
        if (s->opt.readout) return soft_results(s, in, first, 0, sink, err);
        return emit_results(s, first, sink, err);
    case QP_GATE_I_ERROR: case QP_GATE_II_ERROR:
        return 0;
    default:
        if (gi->is_measurement || gi->is_reset) do_measure_reset(s, g, in);
        else if (gi->is_noise) do_noise(s, g, in);
        else if (gi->flags & QP_GF_UNITARY) {
            if (s->leaked && gi->num_qubits_per_target_group == 2 && g != QP_GATE_II) do_two_leaky(s, g, in);
            else if (g == QP_GATE_CX || g == QP_GATE_CY || g == QP_GATE_CZ) do_two(s, g, in);
            else if (gi->num_qubits_per_target_group == 2) do_two_from_frame(s, g, in);
            else {
                do_single(s, g, in);
                if (s->leaked) qp_frame_leak_gate(s, in);
            }
        }
        if (!gi->is_measurement) return 0;  // TICK, QUBIT_COORDS, SHIFT_COORDS fall here too
    }
    if (s->opt.readout) return soft_results(s, in, first, 1, sink, err);
    if (in->num_args) flip_results(s, first, s->num_meas - first, in->args[0]);
    return emit_results(s, first, sink, err);
}

// The gates of surface-code circuits are dispatched here directly, everything else through
// run_other.
static int run_block(qp_frame_sim *s, const qp_block *blk, const qp_frame_sink *sink, qp_err *err) {
    for (size_t i = 0; i < blk->num_instrs; i++) {
        const qp_instr *in = &blk->instrs[i];
        qp_gate g = in->gate;
        switch (g) {
        case QP_GATE_REPEAT:
            if (in->body)
                for (uint64_t k = 0; k < in->repeat_count; k++)
                    if (run_block(s, in->body, sink, err)) return -1;
            break;
        case QP_GATE_CX: case QP_GATE_CY: case QP_GATE_CZ:
            if (s->leaked) do_two_leaky(s, g, in);
            else do_two(s, g, in);
            break;
        case QP_GATE_H: case QP_GATE_S: case QP_GATE_S_DAG: case QP_GATE_SQRT_X: case QP_GATE_SQRT_X_DAG:
            do_single(s, g, in);
            if (s->leaked) qp_frame_leak_gate(s, in);
            break;
        case QP_GATE_X_ERROR: case QP_GATE_Y_ERROR: case QP_GATE_Z_ERROR:
        case QP_GATE_DEPOLARIZE1: case QP_GATE_DEPOLARIZE2:
        case QP_GATE_PAULI_CHANNEL_1: case QP_GATE_PAULI_CHANNEL_2:
            do_noise(s, g, in);
            break;
        case QP_GATE_R: case QP_GATE_RX: case QP_GATE_RY:
            do_measure_reset(s, g, in);
            break;
        case QP_GATE_M: case QP_GATE_MX: case QP_GATE_MY:
        case QP_GATE_MR: case QP_GATE_MRX: case QP_GATE_MRY: {
            uint64_t first = s->num_meas;
            do_measure_reset(s, g, in);
            if (s->leaked) qp_frame_leak_measured(s, in, first);
            if (s->opt.readout) {
                if (soft_results(s, in, first, 1, sink, err)) return -1;
            } else {
                if (in->num_args) flip_results(s, first, s->num_meas - first, in->args[0]);
                if (emit_results(s, first, sink, err)) return -1;
            }
            if (s->leaked) {
                if (sink && sink->leaked &&
                    sink->leaked(sink->ctx, s->batch_first_shot, first, s->num_meas - first, s->leak_meas, s->stride, err))
                    return -1;
                qp_frame_leak_layer(s);
            }
            break;
        }
        case QP_GATE_DETECTOR:
            if (do_detector(s, in, sink, err)) return -1;
            break;
        case QP_GATE_OBSERVABLE_INCLUDE:
            do_observable(s, in);
            break;
        case QP_GATE_X: case QP_GATE_Y: case QP_GATE_Z:  // signs only, but a physical gate: may leak
            if (s->leaked) qp_frame_leak_gate(s, in);
            break;
        case QP_GATE_I:
        case QP_GATE_TICK: case QP_GATE_QUBIT_COORDS: case QP_GATE_SHIFT_COORDS:
            break;
        default:
            if (run_other(s, in, sink, err)) return -1;
            break;
        }
    }
    return 0;
}

int qp_frame_sim_run_batch(qp_frame_sim *sim, uint64_t seed, uint64_t stream_id,
                           uint64_t first_block, uint32_t num_blocks, const qp_frame_sink *sink,
                           qp_err *err) {
    if (num_blocks == 0 || num_blocks > sim->opt.max_blocks)
        return qp_fail(err, "frame_sim: batch of %u blocks (1..%u allowed)", num_blocks, sim->opt.max_blocks);
    sim->num_blocks = num_blocks;
    sim->stride = (size_t)num_blocks * QP_FRAME_BLOCK_WORDS;
    sim->batch_first_shot = first_block * QP_FRAME_BLOCK_SHOTS;
    sim->num_meas = 0;
    sim->det_base = 0;
    sim->det_fill = 0;
    for (uint32_t b = 0; b < num_blocks; b++) {
        qp_rng_stream(&sim->rng[b], seed, stream_id, first_block + b);
        gauge_seed((gauge_rng *)sim->gauge + b, &sim->rng[b]);
    }
    // Every qubit starts in |0>.
    for (uint32_t q = 0; q < sim->num_qubits; q++) reset_qubit(sim, q, 0);
    memset(sim->obs, 0, (size_t)sim->num_observables * sim->stride * sizeof(uint64_t));
    if (sim->leaked) qp_frame_leak_batch_start(sim);
    if (run_block(sim, &sim->circuit->top, sink, err)) return -1;
    if (flush_detectors(sim, sink, err)) return -1;
    if (sink && sink->observables &&
        sink->observables(sink->ctx, sim->batch_first_shot, sim->num_observables, sim->obs, sim->stride, err))
        return -1;
    return 0;
}
