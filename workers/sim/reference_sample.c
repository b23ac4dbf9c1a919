// The reference sample: a dense stabilizer tableau run over the unrolled noiseless circuit.
// See reference_sample.h. Row convention: a row is (-1)^r times the tensor product of
// sigma(x_q, z_q) with sigma(1,0) = X, sigma(0,1) = Z, sigma(1,1) = Y. Rows 0..n-1 are the
// destabilizers, rows n..2n-1 the stabilizers.
#include "workers/sim/reference_sample.h"

#include <stdlib.h>
#include <string.h>

#include "workers/util/alloc.h"

typedef struct {
    uint32_t n;
    uint8_t *x, *z;   // (2n + 1, n): the last row is scratch
    uint8_t *r;       // (2n + 1)
    uint8_t *record;  // the output, b8 bit order
    uint64_t num_meas;
} tableau;

// A term of a Pauli product: qubit and sigma bits.
typedef struct {
    uint32_t q;
    uint8_t x, z;
} term;

// Power of i in sigma(x1,z1) sigma(x2,z2) = i^g sigma(x1^x2, z1^z2) (-1, 0 or 1).
static int g(int x1, int z1, int x2, int z2) {
    if (!x1 && !z1) return 0;
    if (x1 && z1) return z2 - x2;
    if (x1) return z2 * (2 * x2 - 1);
    return x2 * (1 - 2 * z2);
}

static uint8_t *X(tableau *t, uint32_t row) { return t->x + (size_t)row * t->n; }
static uint8_t *Z(tableau *t, uint32_t row) { return t->z + (size_t)row * t->n; }

// row h := row i * row h (phase kept exactly when they commute; destabilizer signs are
// never read, so their phase does not matter).
static void rowsum(tableau *t, uint32_t h, uint32_t i) {
    int phase = 2 * t->r[h] + 2 * t->r[i];
    uint8_t *xh = X(t, h), *zh = Z(t, h), *xi = X(t, i), *zi = Z(t, i);
    for (uint32_t q = 0; q < t->n; q++) {
        phase += g(xi[q], zi[q], xh[q], zh[q]);
        xh[q] ^= xi[q];
        zh[q] ^= zi[q];
    }
    t->r[h] = (uint8_t)((((phase % 4) + 4) % 4) == 2);
}

static int anticommutes(tableau *t, uint32_t row, const term *p, int np) {
    int a = 0;
    const uint8_t *x = X(t, row), *z = Z(t, row);
    for (int k = 0; k < np; k++) a ^= (x[p[k].q] & p[k].z) ^ (z[p[k].q] & p[k].x);
    return a;
}

// Measures the Hermitian product of the terms; a random result reads 0.
static int measure(tableau *t, const term *p, int np) {
    uint32_t n = t->n;
    uint32_t s = 2 * n;
    for (uint32_t i = n; i < 2 * n && s == 2 * n; i++)
        if (anticommutes(t, i, p, np)) s = i;
    if (s < 2 * n) {
        for (uint32_t i = 0; i < 2 * n; i++)
            if (i != s && anticommutes(t, i, p, np)) rowsum(t, i, s);
        memcpy(X(t, s - n), X(t, s), n);
        memcpy(Z(t, s - n), Z(t, s), n);
        t->r[s - n] = t->r[s];
        memset(X(t, s), 0, n);
        memset(Z(t, s), 0, n);
        for (int k = 0; k < np; k++) X(t, s)[p[k].q] ^= p[k].x, Z(t, s)[p[k].q] ^= p[k].z;
        t->r[s] = 0;
        return 0;
    }
    uint32_t sc = 2 * n;  // scratch: the product of the stabilizers paired with anticommuting destabilizers
    memset(X(t, sc), 0, n);
    memset(Z(t, sc), 0, n);
    t->r[sc] = 0;
    for (uint32_t i = 0; i < n; i++)
        if (anticommutes(t, i, p, np)) rowsum(t, sc, i + n);
    return t->r[sc];
}

// Multiplies the state by a Pauli (signs of anticommuting rows flip).
static void apply_pauli(tableau *t, const term *p, int np) {
    for (uint32_t i = 0; i < 2 * t->n; i++)
        if (anticommutes(t, i, p, np)) t->r[i] ^= 1;
}

static void record(tableau *t, int bit) {
    if (bit) t->record[t->num_meas / 8] |= (uint8_t)(1u << (t->num_meas % 8));
    t->num_meas++;
}

static term basis_term(uint32_t q, char basis) {
    return (term){q, (uint8_t)(basis == 'X' || basis == 'Y'), (uint8_t)(basis == 'Z' || basis == 'Y')};
}

// A unitary from the gate table: each row's local part sigma_a (x) sigma_b is rewritten as
// i^(xa za + xb zb) X_a^xa Z_a^za X_b^xb Z_b^zb and each generator replaced by its signed image.
static void apply_unitary(tableau *t, const qp_gate_frame *f, uint32_t qa, uint32_t qb, int two) {
    for (uint32_t row = 0; row < 2 * t->n; row++) {
        uint8_t *x = X(t, row), *z = Z(t, row);
        int local[4] = {x[qa], z[qa], two ? x[qb] : 0, two ? z[qb] : 0};
        if (!(local[0] | local[1] | local[2] | local[3])) continue;
        int phase = local[0] * local[1] + local[2] * local[3];
        int ax[2] = {0, 0}, az[2] = {0, 0};
        for (int k = 0; k < 4; k++) {
            if (!local[k]) continue;
            phase += 2 * f->sign[k];
            for (int j = 0; j < 2; j++) {
                int ix = (f->img[k] >> (2 * j)) & 1, iz = (f->img[k] >> (2 * j + 1)) & 1;
                phase += g(ax[j], az[j], ix, iz);
                ax[j] ^= ix;
                az[j] ^= iz;
            }
        }
        x[qa] = (uint8_t)ax[0], z[qa] = (uint8_t)az[0];
        if (two) x[qb] = (uint8_t)ax[1], z[qb] = (uint8_t)az[1];
        t->r[row] ^= (uint8_t)((((phase % 4) + 4) % 4) == 2);
    }
}

// SPP / SPP_DAG: exp(-+ i pi/4 P): a row Q anticommuting with P becomes +-i Q P.
static void apply_spp(tableau *t, const term *p, int np, int dag) {
    for (uint32_t row = 0; row < 2 * t->n; row++) {
        if (!anticommutes(t, row, p, np)) continue;
        uint8_t *x = X(t, row), *z = Z(t, row);
        int phase = 2 * t->r[row] + (dag ? 3 : 1);
        for (int k = 0; k < np; k++) {
            phase += g(x[p[k].q], z[p[k].q], p[k].x, p[k].z);
            x[p[k].q] ^= p[k].x;
            z[p[k].q] ^= p[k].z;
        }
        t->r[row] = (uint8_t)((((phase % 4) + 4) % 4) == 2);
    }
}

static int record_bit(const tableau *t, uint32_t target) {
    uint64_t m = t->num_meas - (target & QP_TARGET_VALUE_MASK);
    return (t->record[m / 8] >> (m % 8)) & 1;
}

// The terms of a product (qp_product) and whether an odd number of them are inverted.
static int product_terms(const qp_instr *in, const qp_product *pr, term *terms, int *inverted) {
    int np = 0;
    *inverted = 0;
    for (uint32_t k = pr->start; k < pr->end; k++) {
        uint32_t t = in->targets[k];
        if (t & QP_TARGET_COMBINER) continue;
        uint32_t p = pr->pauli ? pr->pauli : t & QP_TARGET_PAULI;
        terms[np++] = (term){t & QP_TARGET_VALUE_MASK, !!(p & QP_TARGET_PAULI_X), !!(p & QP_TARGET_PAULI_Z)};
        *inverted ^= !!(t & QP_TARGET_INVERTED);
    }
    return np;
}

static int run_instr(tableau *t, const qp_instr *in, term *terms) {
    const qp_gate_info *gi = &qp_gate_table[in->gate];
    switch (in->gate) {
    case QP_GATE_MPP: case QP_GATE_MXX: case QP_GATE_MYY: case QP_GATE_MZZ:
    case QP_GATE_SPP: case QP_GATE_SPP_DAG:
    {
        qp_product *products = qp_malloc((in->num_targets + 1) * sizeof *products);
        for (uint32_t k = 0, n = qp_instr_products(in, products); k < n; k++) {
            int inv, np = product_terms(in, &products[k], terms, &inv);
            if (gi->is_measurement) record(t, measure(t, terms, np) ^ inv);
            else apply_spp(t, terms, np, in->gate == QP_GATE_SPP_DAG);
        }
        free(products);
        return 0;
    }
    case QP_GATE_MPAD:
        for (uint32_t k = 0; k < in->num_targets; k++) record(t, (int)(in->targets[k] & 1));
        return 0;
    case QP_GATE_HERALDED_ERASE: case QP_GATE_HERALDED_PAULI_CHANNEL_1:
        for (uint32_t k = 0; k < in->num_targets; k++) record(t, 0);  // noiseless: never heralds
        return 0;
    default:
        break;
    }
    if (gi->is_annotation || gi->is_noise) return 0;
    if (gi->is_measurement || gi->is_reset) {
        for (uint32_t k = 0; k < in->num_targets; k++) {
            uint32_t q = in->targets[k] & QP_TARGET_VALUE_MASK;
            term p = basis_term(q, gi->basis);
            int m = measure(t, &p, 1);
            if (gi->is_measurement) record(t, m ^ !!(in->targets[k] & QP_TARGET_INVERTED));
            if (gi->is_reset && m) {  // flip into the +1 eigenstate with an anticommuting Pauli
                term flip = gi->basis == 'X' ? basis_term(q, 'Z') : basis_term(q, 'X');
                apply_pauli(t, &flip, 1);
            }
        }
        return 0;
    }
    qp_gate_frame f;
    if (qp_gate_frame_of(in->gate, &f) < 0) return -1;
    int two = gi->num_qubits_per_target_group == 2;
    const uint32_t bits = QP_TARGET_REC | QP_TARGET_SWEEP;
    for (uint32_t k = 0; k < in->num_targets; k += two ? 2 : 1) {
        uint32_t a = in->targets[k], b = two ? in->targets[k + 1] : a;
        if (two && ((a | b) & bits)) {  // feedback: the Pauli where the recorded bit is 1
            uint32_t bit = (a & bits) ? a : b, q = ((a & bits) ? b : a) & QP_TARGET_VALUE_MASK;
            if ((a & bits) && (b & bits)) continue;
            if (!(bit & QP_TARGET_REC) || !record_bit(t, bit)) continue;
            uint8_t img = qp_gate_feedback_pauli(in->gate, (a & bits) != 0);
            term p = {q, (uint8_t)(img & 1), (uint8_t)(img >> 1)};
            apply_pauli(t, &p, 1);
            continue;
        }
        apply_unitary(t, &f, a & QP_TARGET_VALUE_MASK, b & QP_TARGET_VALUE_MASK, two);
    }
    return 0;
}

static int run_block(tableau *t, const qp_block *b, term *terms, qp_err *err) {
    for (size_t i = 0; i < b->num_instrs; i++) {
        const qp_instr *in = &b->instrs[i];
        if (in->gate == QP_GATE_REPEAT) {
            for (uint64_t k = 0; k < in->repeat_count; k++)
                if (run_block(t, in->body, terms, err)) return -1;
        } else if (run_instr(t, in, terms)) {
            return qp_fail(err, "line %u: %s cannot be simulated", in->line, qp_gate_table[in->gate].name);
        }
    }
    return 0;
}

int qp_reference_sample(const qp_circuit *c, uint8_t *record, qp_err *err) {
    if (c->num_qubits > QP_REFERENCE_MAX_QUBITS)
        return qp_fail(err, "%u qubits (largest index %u): the reference sample's dense tableau takes at most %u (4 n^2 bytes)",
                       c->num_qubits, c->num_qubits - 1, QP_REFERENCE_MAX_QUBITS);
    tableau t = {0};
    t.n = c->num_qubits;
    size_t rows = 2 * (size_t)t.n + 1;
    t.x = qp_calloc(rows * (t.n ? t.n : 1), 1);
    t.z = qp_calloc(rows * (t.n ? t.n : 1), 1);
    t.r = qp_calloc(rows, 1);
    for (uint32_t q = 0; q < t.n; q++) {
        X(&t, q)[q] = 1;        // destabilizer X_q
        Z(&t, t.n + q)[q] = 1;  // stabilizer Z_q
    }
    t.record = record;
    memset(record, 0, (c->num_measurements + 7) / 8);
    term *terms = qp_malloc(((size_t)t.n + 2) * sizeof *terms);
    int rc = run_block(&t, &c->top, terms, err);
    free(terms);
    free(t.x);
    free(t.z);
    free(t.r);
    return rc;
}
