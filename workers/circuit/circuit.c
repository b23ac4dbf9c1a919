// The in-memory circuit tree: building blocks, copying, freeing, per-instruction validation,
// the derived totals (qp_circuit_finalize) and noise removal. Parsing and writing live in
// circuit_parse.c and circuit_write.c.
#include "workers/circuit/circuit.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "workers/util/alloc.h"
#include "workers/util/saturate.h"

void qp_circuit_init(qp_circuit *c) { memset(c, 0, sizeof *c); }

static void instr_free(qp_instr *in) {
    free(in->args);
    free(in->targets);
    free(in->tag);
    if (in->body) {
        qp_block_clear(in->body);
        free(in->body);
    }
}

void qp_block_clear(qp_block *b) {
    for (size_t i = 0; i < b->num_instrs; i++) instr_free(&b->instrs[i]);
    free(b->instrs);
    b->instrs = NULL;
    b->num_instrs = b->cap = 0;
}

void qp_circuit_free(qp_circuit *c) {
    qp_block_clear(&c->top);
    qp_circuit_init(c);
}

qp_instr *qp_block_append(qp_block *b, qp_gate gate, const double *args, uint32_t num_args,
                          const uint32_t *targets, uint32_t num_targets, const char *tag) {
    qp_grow(b->instrs, b->cap, b->num_instrs + 1);
    qp_instr *in = &b->instrs[b->num_instrs++];
    memset(in, 0, sizeof *in);
    in->gate = gate;
    in->num_args = num_args;
    in->num_targets = num_targets;
    if (num_args) {
        in->args = qp_malloc(num_args * sizeof *in->args);
        memcpy(in->args, args, num_args * sizeof *in->args);
    }
    if (num_targets) {
        in->targets = qp_malloc(num_targets * sizeof *in->targets);
        memcpy(in->targets, targets, num_targets * sizeof *in->targets);
    }
    if (tag) in->tag = qp_strdup(tag);
    if (gate == QP_GATE_REPEAT) {
        in->body = qp_calloc(1, sizeof *in->body);
        in->repeat_count = 1;
    }
    return in;
}

qp_instr *qp_block_append_repeat(qp_block *b, uint64_t count, const char *tag) {
    qp_instr *in = qp_block_append(b, QP_GATE_REPEAT, NULL, 0, NULL, 0, tag);
    in->repeat_count = count;
    return in;
}

static void block_copy(qp_block *dst, const qp_block *src) {
    memset(dst, 0, sizeof *dst);
    for (size_t i = 0; i < src->num_instrs; i++) {
        const qp_instr *s = &src->instrs[i];
        qp_instr *d = qp_block_append(dst, s->gate, s->args, s->num_args, s->targets,
                                      s->num_targets, s->tag);
        d->line = s->line;
        if (s->gate == QP_GATE_REPEAT) {
            d->repeat_count = s->repeat_count;
            block_copy(d->body, s->body);
        }
    }
}

void qp_circuit_copy(qp_circuit *dst, const qp_circuit *src) {
    qp_circuit_init(dst);
    block_copy(&dst->top, &src->top);
    dst->num_qubits = src->num_qubits;
    dst->num_measurements = src->num_measurements;
    dst->num_detectors = src->num_detectors;
    dst->num_observables = src->num_observables;
    dst->max_lookback = src->max_lookback;
}

// ---- validation ----

static int check_probabilities(const qp_instr *in, const char *name, qp_err *err) {
    double sum = 0;
    for (uint32_t i = 0; i < in->num_args; i++) {
        double p = in->args[i];
        if (!(p >= 0 && p <= 1))
            return qp_fail(err, "%s probability %.17g is not in [0, 1]", name, p);
        sum += p;
    }
    if (in->num_args > 1 && sum > 1 + 1e-12)
        return qp_fail(err, "%s probabilities sum to %.17g > 1", name, sum);
    return 0;
}

// Pauli-product targets: terms (X0 Y1 ...) joined by combiners, never two terms of a product
// on one qubit, no combiner at either end or next to another.
static int check_products(const qp_instr *in, const char *name, int combiners, qp_err *err) {
    for (uint32_t i = 0; i < in->num_targets; i++) {
        uint32_t t = in->targets[i];
        if (t & QP_TARGET_COMBINER) {
            if (!combiners) return qp_fail(err, "%s does not take '*' products", name);
            if (i == 0 || i + 1 == in->num_targets || (in->targets[i + 1] & QP_TARGET_COMBINER))
                return qp_fail(err, "%s: '*' must join two Pauli terms", name);
            continue;
        }
        if (!(t & QP_TARGET_PAULI)) return qp_fail(err, "%s takes Pauli targets (X0 Y1 Z2), got %u", name, t & QP_TARGET_VALUE_MASK);
    }
    for (uint32_t i = 0; i < in->num_targets; i++)
        for (uint32_t j = i + 2; !(in->targets[i] & QP_TARGET_COMBINER) && j < in->num_targets && (in->targets[j - 1] & QP_TARGET_COMBINER); j += 2)
            if ((in->targets[j] & QP_TARGET_VALUE_MASK) == (in->targets[i] & QP_TARGET_VALUE_MASK))
                return qp_fail(err, "%s: qubit %u appears twice in one Pauli product", name,
                               in->targets[i] & QP_TARGET_VALUE_MASK);
    return 0;
}

int qp_instr_validate(const qp_instr *in, qp_err *err) {
    if ((unsigned)in->gate >= QP_GATE_COUNT) return qp_fail(err, "invalid gate id %d", (int)in->gate);
    const qp_gate_info *gi = &qp_gate_table[in->gate];
    const char *name = gi->name;
    for (uint32_t i = 0; i < in->num_args; i++)
        if (!isfinite(in->args[i])) return qp_fail(err, "%s argument %u is not finite", name, i);

    // Arguments: counts from the table; probabilities where the gate is noisy.
    if (in->num_args < gi->min_args || (gi->max_args != QP_ARGS_ANY && in->num_args > gi->max_args)) {
        if (gi->max_args == 0) return qp_fail(err, "%s takes no arguments, got %u", name, in->num_args);
        if (gi->min_args == gi->max_args)
            return qp_fail(err, "%s takes exactly %u argument%s, got %u", name, gi->min_args,
                           gi->min_args == 1 ? "" : "s", in->num_args);
        return qp_fail(err, "%s takes at most %u argument%s, got %u", name, gi->max_args,
                       gi->max_args == 1 ? "" : "s", in->num_args);
    }
    if (in->gate == QP_GATE_OBSERVABLE_INCLUDE) {
        double k = in->args[0];
        if (!(k >= 0 && k < QP_MAX_QUBITS && k == floor(k)))
            return qp_fail(err, "OBSERVABLE_INCLUDE index %.17g is not an integer in [0, %u)", k,
                           QP_MAX_QUBITS);
    } else if ((gi->is_noise || gi->is_measurement) && check_probabilities(in, name, err)) {
        return -1;
    }

    // Targets.
    uint16_t f = gi->flags;
    if ((f & QP_GF_NO_TARGETS) && in->num_targets)
        return qp_fail(err, "%s takes no targets, got %u", name, in->num_targets);
    if ((f & QP_GF_PAULI_TARGETS) && in->gate != QP_GATE_OBSERVABLE_INCLUDE)
        return check_products(in, name, f & QP_GF_COMBINERS, err);
    for (uint32_t i = 0; i < in->num_targets; i++) {
        uint32_t t = in->targets[i];
        uint32_t v = t & QP_TARGET_VALUE_MASK;
        int bit = (t & (QP_TARGET_REC | QP_TARGET_SWEEP)) != 0;
        if (t & (QP_TARGET_COMBINER | (~(QP_TARGET_REC | QP_TARGET_INVERTED | QP_TARGET_PAULI | QP_TARGET_SWEEP) &
                                       ~QP_TARGET_VALUE_MASK)))
            return qp_fail(err, "%s: invalid target", name);
        if ((t & QP_TARGET_PAULI) && (bit || !(f & QP_GF_PAULI_TARGETS)))
            return qp_fail(err, "%s does not accept Pauli targets", name);
        if (t & QP_TARGET_REC) {
            if (!(f & (QP_GF_REC_TARGETS | QP_GF_BIT_TARGETS)))
                return qp_fail(err, "%s does not accept measurement record targets (rec[-%u])", name, v);
            if (t & QP_TARGET_INVERTED) return qp_fail(err, "%s: rec targets cannot be inverted", name);
            if (v < 1 || v > QP_MAX_LOOKBACK)
                return qp_fail(err, "%s: rec[-%u] lookback is not in [1, %u]", name, v, QP_MAX_LOOKBACK);
        } else if (t & QP_TARGET_SWEEP) {
            if (!(f & QP_GF_BIT_TARGETS)) return qp_fail(err, "%s does not accept sweep[%u] targets", name, v);
            if (t & QP_TARGET_INVERTED) return qp_fail(err, "%s: sweep targets cannot be inverted", name);
        } else {
            if (in->gate == QP_GATE_DETECTOR ||
                (in->gate == QP_GATE_OBSERVABLE_INCLUDE && !(t & QP_TARGET_PAULI)))
                return qp_fail(err, "%s only accepts rec[-k]%s targets, got qubit %u", name,
                               in->gate == QP_GATE_DETECTOR ? "" : " or Pauli", v);
            if ((t & QP_TARGET_INVERTED) && !gi->is_measurement)
                return qp_fail(err, "%s does not accept inverted targets (!%u)", name, v);
            if (in->gate == QP_GATE_MPAD && v > 1) return qp_fail(err, "MPAD targets are results 0 or 1, got %u", v);
            if (v >= QP_MAX_QUBITS) return qp_fail(err, "%s: qubit %u is too large (max %u)", name, v, QP_MAX_QUBITS - 1);
        }
    }
    if (gi->num_qubits_per_target_group == 2) {
        if (in->num_targets % 2)
            return qp_fail(err, "%s is a two-qubit gate and needs an even number of targets, got %u",
                           name, in->num_targets);
        for (uint32_t i = 0; i < in->num_targets; i += 2) {
            uint32_t a = in->targets[i], b = in->targets[i + 1];
            int abit = (a & (QP_TARGET_REC | QP_TARGET_SWEEP)) != 0, bbit = (b & (QP_TARGET_REC | QP_TARGET_SWEEP)) != 0;
            // The classical bit must sit on the control side (ZC*: first; XCZ, YCZ: second).
            int ctrl_first = in->gate == QP_GATE_CX || in->gate == QP_GATE_CY || in->gate == QP_GATE_CZ;
            int ctrl_second = in->gate == QP_GATE_XCZ || in->gate == QP_GATE_YCZ || in->gate == QP_GATE_CZ;
            if ((abit && !ctrl_first) || (bbit && !ctrl_second))
                return qp_fail(err, "%s: a measurement record or sweep bit can only be the control", name);
            if (!abit && !bbit && (a & QP_TARGET_VALUE_MASK) == (b & QP_TARGET_VALUE_MASK))
                return qp_fail(err, "%s target pair %u %u acts twice on the same qubit", name,
                               a & QP_TARGET_VALUE_MASK, b & QP_TARGET_VALUE_MASK);
        }
    }
    if (in->gate == QP_GATE_REPEAT) {
        if (in->repeat_count < 1) return qp_fail(err, "REPEAT count must be at least 1");
        if (!in->body) return qp_fail(err, "REPEAT has no body");
    }
    return 0;
}

// ---- derived totals ----

typedef struct {
    uint64_t measurements;  // measurements so far (running, first iteration of each block)
    uint64_t detectors;
    uint32_t num_qubits;
    uint32_t num_observables;
    uint32_t max_lookback;
} totals;

static int mul_add_overflows(uint64_t base, uint64_t per, uint64_t count, uint64_t *out) {
    if (per && count > (UINT64_MAX - base) / per) return 1;
    *out = base + per * count;
    return 0;
}

// The samplers hold a shot's record and the error analysis a row per detector: past
// QP_MAX_RESULTS (`REPEAT 10^15 { M 0 }`) they would allocate terabytes.
static int too_many_results(const totals *t, const qp_instr *in, qp_err *err) {
    if (t->measurements <= QP_MAX_RESULTS && t->detectors <= QP_MAX_RESULTS) return 0;
    int meas = t->measurements > QP_MAX_RESULTS;
    return qp_fail(err, "line %u: the circuit reaches %llu %s here; at most %llu (2^32 - 1) are supported", in->line,
                   (unsigned long long)(meas ? t->measurements : t->detectors), meas ? "measurements" : "detectors",
                   (unsigned long long)QP_MAX_RESULTS);
}

static int walk_block(const qp_block *b, totals *t, int depth, qp_err *err) {
    if (depth > QP_MAX_REPEAT_DEPTH) return qp_fail(err, "REPEAT blocks nested deeper than %d", QP_MAX_REPEAT_DEPTH);
    for (size_t i = 0; i < b->num_instrs; i++) {
        const qp_instr *in = &b->instrs[i];
        if (in->gate == QP_GATE_REPEAT) {
            if (in->repeat_count < 1 || !in->body)
                return qp_fail(err, "line %u: REPEAT count must be at least 1", in->line);
            uint64_t m0 = t->measurements, d0 = t->detectors;
            if (walk_block(in->body, t, depth + 1, err)) return -1;
            uint64_t per_m = t->measurements - m0, per_d = t->detectors - d0;
            if (mul_add_overflows(m0, per_m, in->repeat_count, &t->measurements) ||
                mul_add_overflows(d0, per_d, in->repeat_count, &t->detectors))
                return qp_fail(err, "line %u: REPEAT %llu makes the measurement or detector count overflow 64 bits",
                               in->line, (unsigned long long)in->repeat_count);
            if (too_many_results(t, in, err)) return -1;
            continue;
        }
        const qp_gate_info *gi = &qp_gate_table[in->gate];
        for (uint32_t k = 0; k < in->num_targets; k++) {
            uint32_t tg = in->targets[k];
            uint32_t v = tg & QP_TARGET_VALUE_MASK;
            if (tg & QP_TARGET_REC) {
                if (v > t->measurements)
                    return qp_fail(err, "line %u: %s rec[-%u] reaches before the first measurement (only %llu measurements so far)",
                                   in->line, gi->name, v, (unsigned long long)t->measurements);
                if (v > t->max_lookback) t->max_lookback = v;
            } else if (!(tg & (QP_TARGET_SWEEP | QP_TARGET_COMBINER)) && in->gate != QP_GATE_MPAD &&
                       v + 1 > t->num_qubits) {
                t->num_qubits = v + 1;
            }
        }
        t->measurements += qp_instr_num_results(in);
        if (in->gate == QP_GATE_DETECTOR) t->detectors++;
        if (too_many_results(t, in, err)) return -1;
        if (in->gate == QP_GATE_OBSERVABLE_INCLUDE && in->num_args == 1) {
            uint32_t k = (uint32_t)in->args[0];
            if (k + 1 > t->num_observables) t->num_observables = k + 1;
        }
    }
    return 0;
}


uint64_t qp_circuit_unroll_limit(uint64_t num_measurements, uint64_t num_detectors) {
    uint64_t results = qp_sat_add(num_measurements, num_detectors);
    return qp_sat_add(qp_sat_mul(results, QP_CIRCUIT_UNROLL_PER_RESULT), QP_CIRCUIT_UNROLL_SLACK);
}

static uint64_t repeat_size(const qp_instr *rep);

// Instructions one pass of the block meets (saturating at UINT64_MAX).
static uint64_t unrolled_size(const qp_block *b) {
    uint64_t n = 0;
    for (size_t i = 0; i < b->num_instrs; i++)
        n = qp_sat_add(n, b->instrs[i].gate == QP_GATE_REPEAT ? repeat_size(&b->instrs[i]) : 1);
    return n;
}

// A REPEAT block's instructions unrolled, its own line once per pass.
static uint64_t repeat_size(const qp_instr *rep) { return qp_sat_mul(rep->repeat_count, qp_sat_add(1, unrolled_size(rep->body))); }

// The REPEAT blocks of the top level may unroll to qp_circuit_unroll_limit instructions (the
// top level's own instructions are the text's, paid for by reading it). Names the block at
// which the sum passes the limit, or the innermost block inside it that passes it alone.
static int check_unrolled(const qp_circuit *c, qp_err *err) {
    uint64_t limit = qp_circuit_unroll_limit(c->num_measurements, c->num_detectors), sum = 0;
    const qp_instr *culprit = NULL;
    for (size_t i = 0; i < c->top.num_instrs && !culprit; i++) {
        if (c->top.instrs[i].gate != QP_GATE_REPEAT) continue;
        sum = qp_sat_add(sum, repeat_size(&c->top.instrs[i]));
        if (sum > limit) culprit = &c->top.instrs[i];
    }
    if (!culprit) return 0;
    for (int deeper = 1; deeper;) {
        deeper = 0;
        for (size_t i = 0; i < culprit->body->num_instrs && !deeper; i++) {
            const qp_instr *in = &culprit->body->instrs[i];
            if (in->gate == QP_GATE_REPEAT && repeat_size(in) > limit) culprit = in, deeper = 1;
        }
    }
    uint64_t size = repeat_size(culprit);
    return qp_fail(err,
                   "line %u: REPEAT block unrolls to %s%llu instructions; a circuit of %llu measurements and %llu "
                   "detectors may unroll to at most %llu (%d per measurement or detector + %d)",
                   culprit->line, size == UINT64_MAX ? "at least " : "", (unsigned long long)size,
                   (unsigned long long)c->num_measurements, (unsigned long long)c->num_detectors,
                   (unsigned long long)limit, QP_CIRCUIT_UNROLL_PER_RESULT, QP_CIRCUIT_UNROLL_SLACK);
}

int qp_circuit_finalize(qp_circuit *c, qp_err *err) {
    totals t = {0};
    if (walk_block(&c->top, &t, 0, err)) return -1;
    if (check_unrolled(&(qp_circuit){.top = c->top, .num_measurements = t.measurements, .num_detectors = t.detectors}, err))
        return -1;
    c->num_qubits = t.num_qubits;
    c->num_measurements = t.measurements;
    c->num_detectors = t.detectors;
    c->num_observables = t.num_observables;
    c->max_lookback = t.max_lookback;
    return 0;
}

// ---- noise removal ----

static void strip_block(qp_block *b) {
    size_t kept = 0;
    for (size_t i = 0; i < b->num_instrs; i++) {
        qp_instr *in = &b->instrs[i];
        const qp_gate_info *gi = &qp_gate_table[in->gate];
        if (gi->is_noise && gi->is_measurement) {
            // A heralded channel never fires without noise: its heralds become fixed 0s.
            in->gate = QP_GATE_MPAD;
            for (uint32_t k = 0; k < in->num_targets; k++) in->targets[k] = 0;
        } else if (gi->is_noise) {
            instr_free(in);
            continue;
        }
        if (gi->is_measurement && in->num_args) {
            free(in->args);
            in->args = NULL;
            in->num_args = 0;
        }
        if (in->gate == QP_GATE_REPEAT) strip_block(in->body);
        b->instrs[kept++] = *in;
    }
    b->num_instrs = kept;
}

void qp_circuit_strip_noise(qp_circuit *c) { strip_block(&c->top); }
