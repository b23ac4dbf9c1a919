// The gate table: every instruction of Stim's circuit language with its facts as data (kind,
// target shape, argument counts, measurement basis, inverse, and a unitary's action as
// signed Pauli images), plus case-insensitive name lookup including Stim's aliases. The
// parser, writer, frame sampler, reference simulator and error analysis all read this table.
#include "workers/circuit/circuit.h"

#include <ctype.h>
#include <string.h>

// Kinds: the legacy boolean fields are filled from the flags so both views agree.
#define KIND(fl) .is_noise = !!((fl) & QP_GF_NOISE), .is_measurement = !!((fl) & QP_GF_MEASUREMENT), \
                 .is_reset = !!((fl) & QP_GF_RESET), .is_annotation = !!((fl) & QP_GF_ANNOTATION), .flags = (fl)
#define U1(g, inv, fx, fz) [QP_GATE_##g] = {#g, 1, KIND(QP_GF_UNITARY), 0, 0, 0, QP_GATE_##inv, {fx, fz}}
#define U2(g, inv, f0, f1, f2, f3) [QP_GATE_##g] = {#g, 2, KIND(QP_GF_UNITARY), 0, 0, 0, QP_GATE_##inv, {f0, f1, f2, f3}}
#define U2B(g, f0, f1, f2, f3) \
    [QP_GATE_##g] = {#g, 2, KIND(QP_GF_UNITARY | QP_GF_BIT_TARGETS), 0, 0, 0, QP_GATE_##g, {f0, f1, f2, f3}}
#define MEAS(g, group, basis, extra) \
    [QP_GATE_##g] = {#g, group, KIND(QP_GF_MEASUREMENT | (extra)), 0, 1, basis, QP_GATE_##g, {0}}
#define NOISE(g, group, lo, hi, extra) \
    [QP_GATE_##g] = {#g, group, KIND(QP_GF_NOISE | (extra)), lo, hi, 0, QP_GATE_##g, {0}}
#define NOTE(g, lo, hi, extra) [QP_GATE_##g] = {#g, 1, KIND(QP_GF_ANNOTATION | (extra)), lo, hi, 0, QP_GATE_##g, {0}}

const qp_gate_info qp_gate_table[QP_GATE_COUNT] = {
    [QP_GATE_R] = {"R", 1, KIND(QP_GF_RESET), 0, 0, 'Z', QP_GATE_R, {0}},
    [QP_GATE_RX] = {"RX", 1, KIND(QP_GF_RESET), 0, 0, 'X', QP_GATE_RX, {0}},
    [QP_GATE_RY] = {"RY", 1, KIND(QP_GF_RESET), 0, 0, 'Y', QP_GATE_RY, {0}},
    MEAS(M, 1, 'Z', 0), MEAS(MX, 1, 'X', 0), MEAS(MY, 1, 'Y', 0),
    MEAS(MR, 1, 'Z', QP_GF_RESET), MEAS(MRX, 1, 'X', QP_GF_RESET), MEAS(MRY, 1, 'Y', QP_GF_RESET),
    MEAS(MXX, 2, 'X', 0), MEAS(MYY, 2, 'Y', 0), MEAS(MZZ, 2, 'Z', 0),
    MEAS(MPP, 1, 0, QP_GF_PAULI_TARGETS | QP_GF_COMBINERS),
    MEAS(MPAD, 1, 0, 0),
    U1(I, I, "+X", "+Z"), U1(X, X, "+X", "-Z"), U1(Y, Y, "-X", "-Z"), U1(Z, Z, "-X", "+Z"),
    U1(H, H, "+Z", "+X"), U1(S, S_DAG, "+Y", "+Z"), U1(S_DAG, S, "-Y", "+Z"),
    U1(SQRT_X, SQRT_X_DAG, "+X", "-Y"), U1(SQRT_X_DAG, SQRT_X, "+X", "+Y"),
    U1(SQRT_Y, SQRT_Y_DAG, "-Z", "+X"), U1(SQRT_Y_DAG, SQRT_Y, "+Z", "-X"),
    U1(H_XY, H_XY, "+Y", "-Z"), U1(H_YZ, H_YZ, "-X", "+Y"),
    U1(H_NXY, H_NXY, "-Y", "-Z"), U1(H_NXZ, H_NXZ, "-Z", "-X"), U1(H_NYZ, H_NYZ, "-X", "-Y"),
    U1(C_XYZ, C_ZYX, "+Y", "+X"), U1(C_ZYX, C_XYZ, "+Z", "+Y"),
    U1(C_NXYZ, C_ZYNX, "-Y", "-X"), U1(C_XNYZ, C_ZNYX, "-Y", "+X"), U1(C_XYNZ, C_NZYX, "+Y", "-X"),
    U1(C_NZYX, C_XYNZ, "-Z", "-Y"), U1(C_ZNYX, C_XNYZ, "+Z", "-Y"), U1(C_ZYNX, C_NXYZ, "-Z", "+Y"),
    U2B(CX, "+XX", "+ZI", "+IX", "+ZZ"), U2B(CY, "+XY", "+ZI", "+ZX", "+ZZ"),
    U2B(CZ, "+XZ", "+ZI", "+ZX", "+IZ"),
    U2(XCX, XCX, "+XI", "+ZX", "+IX", "+XZ"), U2(XCY, XCY, "+XI", "+ZY", "+XX", "+XZ"),
    U2B(XCZ, "+XI", "+ZZ", "+XX", "+IZ"), U2(YCX, YCX, "+XX", "+ZX", "+IX", "+YZ"),
    U2(YCY, YCY, "+XY", "+ZY", "+YX", "+YZ"), U2B(YCZ, "+XZ", "+ZZ", "+YX", "+IZ"),
    U2(II, II, "+XI", "+ZI", "+IX", "+IZ"), U2(SWAP, SWAP, "+IX", "+IZ", "+XI", "+ZI"),
    U2(ISWAP, ISWAP_DAG, "+ZY", "+IZ", "+YZ", "+ZI"), U2(ISWAP_DAG, ISWAP, "-ZY", "+IZ", "-YZ", "+ZI"),
    U2(CXSWAP, SWAPCX, "+XX", "+IZ", "+XI", "+ZZ"), U2(SWAPCX, CXSWAP, "+IX", "+ZZ", "+XX", "+ZI"),
    U2(CZSWAP, CZSWAP, "+ZX", "+IZ", "+XZ", "+ZI"),
    U2(SQRT_XX, SQRT_XX_DAG, "+XI", "-YX", "+IX", "-XY"), U2(SQRT_XX_DAG, SQRT_XX, "+XI", "+YX", "+IX", "+XY"),
    U2(SQRT_YY, SQRT_YY_DAG, "-ZY", "+XY", "-YZ", "+YX"), U2(SQRT_YY_DAG, SQRT_YY, "+ZY", "-XY", "+YZ", "-YX"),
    U2(SQRT_ZZ, SQRT_ZZ_DAG, "+YZ", "+ZI", "+ZY", "+IZ"), U2(SQRT_ZZ_DAG, SQRT_ZZ, "-YZ", "+ZI", "-ZY", "+IZ"),
    [QP_GATE_SPP] = {"SPP", 1, KIND(QP_GF_UNITARY | QP_GF_PAULI_TARGETS | QP_GF_COMBINERS), 0, 0, 0, QP_GATE_SPP_DAG, {0}},
    [QP_GATE_SPP_DAG] = {"SPP_DAG", 1, KIND(QP_GF_UNITARY | QP_GF_PAULI_TARGETS | QP_GF_COMBINERS), 0, 0, 0, QP_GATE_SPP, {0}},
    NOISE(X_ERROR, 1, 1, 1, 0), NOISE(Y_ERROR, 1, 1, 1, 0), NOISE(Z_ERROR, 1, 1, 1, 0),
    NOISE(DEPOLARIZE1, 1, 1, 1, 0), NOISE(DEPOLARIZE2, 2, 1, 1, 0),
    NOISE(PAULI_CHANNEL_1, 1, 3, 3, 0), NOISE(PAULI_CHANNEL_2, 2, 15, 15, 0),
    NOISE(I_ERROR, 1, 0, QP_ARGS_ANY, 0), NOISE(II_ERROR, 2, 0, QP_ARGS_ANY, 0),
    NOISE(E, 1, 1, 1, QP_GF_PAULI_TARGETS),
    NOISE(ELSE_CORRELATED_ERROR, 1, 1, 1, QP_GF_PAULI_TARGETS | QP_GF_NEEDS_DISJOINT),
    NOISE(HERALDED_ERASE, 1, 1, 1, QP_GF_MEASUREMENT | QP_GF_NEEDS_DISJOINT),
    NOISE(HERALDED_PAULI_CHANNEL_1, 1, 4, 4, QP_GF_MEASUREMENT | QP_GF_NEEDS_DISJOINT),
    // Annotations use groups of 1 so that `num_targets % group` is always safe.
    NOTE(TICK, 0, 0, QP_GF_NO_TARGETS),
    NOTE(DETECTOR, 0, QP_ARGS_ANY, QP_GF_REC_TARGETS),
    NOTE(OBSERVABLE_INCLUDE, 1, 1, QP_GF_REC_TARGETS | QP_GF_PAULI_TARGETS),
    NOTE(QUBIT_COORDS, 0, QP_ARGS_ANY, 0),
    NOTE(SHIFT_COORDS, 0, QP_ARGS_ANY, QP_GF_NO_TARGETS),
    NOTE(REPEAT, 0, 0, QP_GF_NO_TARGETS),
};

// Stim's alternative spellings of gates in the table.
static const struct {
    const char *name;
    qp_gate gate;
} aliases[] = {
    {"CNOT", QP_GATE_CX},       {"ZCX", QP_GATE_CX},        {"ZCY", QP_GATE_CY},
    {"ZCZ", QP_GATE_CZ},        {"MZ", QP_GATE_M},          {"RZ", QP_GATE_R},
    {"MRZ", QP_GATE_MR},        {"SQRT_Z", QP_GATE_S},      {"SQRT_Z_DAG", QP_GATE_S_DAG},
    {"H_XZ", QP_GATE_H},        {"SWAPCZ", QP_GATE_CZSWAP}, {"CORRELATED_ERROR", QP_GATE_E},
};

static int name_equals(const char *canonical, const char *name, size_t len) {
    if (strlen(canonical) != len) return 0;
    for (size_t i = 0; i < len; i++)
        if (toupper((unsigned char)name[i]) != (unsigned char)canonical[i]) return 0;
    return 1;
}

int qp_gate_from_name(const char *name, size_t len) {
    for (int g = 0; g < QP_GATE_COUNT; g++)
        if (name_equals(qp_gate_table[g].name, name, len)) return g;
    for (size_t i = 0; i < sizeof aliases / sizeof aliases[0]; i++)
        if (name_equals(aliases[i].name, name, len)) return (int)aliases[i].gate;
    return -1;
}

int qp_gate_frame_of(qp_gate g, qp_gate_frame *f) {
    const qp_gate_info *gi = &qp_gate_table[g];
    if (!(gi->flags & QP_GF_UNITARY) || !gi->flow[0]) return -1;
    int n = gi->num_qubits_per_target_group * 2;
    for (int k = 0; k < n; k++) {
        const char *s = gi->flow[k];
        f->sign[k] = s[0] == '-';
        f->img[k] = 0;
        for (int q = 0; s[1 + q]; q++) {
            char c = s[1 + q];
            uint8_t x = c == 'X' || c == 'Y', z = c == 'Z' || c == 'Y';
            f->img[k] |= (uint8_t)((x | z << 1) << (2 * q));
        }
    }
    for (int k = n; k < 4; k++) f->img[k] = (uint8_t)(1u << k), f->sign[k] = 0;
    return 0;
}

uint32_t qp_instr_products(const qp_instr *in, qp_product *out) {
    const qp_gate_info *gi = &qp_gate_table[in->gate];
    uint32_t n = 0;
    if (gi->num_qubits_per_target_group == 2) {
        uint32_t pauli = gi->basis == 'X' ? QP_TARGET_PAULI_X : gi->basis == 'Z' ? QP_TARGET_PAULI_Z : QP_TARGET_PAULI;
        for (uint32_t k = 0; k + 1 < in->num_targets; k += 2) out[n++] = (qp_product){k, k + 2, pauli};
        return n;
    }
    for (uint32_t k = 0; k < in->num_targets;) {
        uint32_t e = k + 1;
        while (e + 1 < in->num_targets && (in->targets[e] & QP_TARGET_COMBINER)) e += 2;
        out[n++] = (qp_product){k, e, 0};
        k = e;
    }
    return n;
}

uint8_t qp_gate_feedback_pauli(qp_gate g, int bit_first) {
    qp_gate_frame f;
    if (qp_gate_frame_of(g, &f) < 0) return 0;
    // A controlled-P maps X_control to X_control P: P is that image on the other qubit.
    return bit_first ? (uint8_t)(f.img[0] >> 2) : (uint8_t)(f.img[2] & 3);
}

uint64_t qp_instr_num_results(const qp_instr *in) {
    const qp_gate_info *gi = &qp_gate_table[in->gate];
    if (!(gi->flags & QP_GF_MEASUREMENT)) return 0;
    if (gi->flags & QP_GF_COMBINERS) {  // one result per product
        uint64_t n = 0;
        for (uint32_t k = 0; k < in->num_targets; k++) n += !(in->targets[k] & QP_TARGET_COMBINER);
        for (uint32_t k = 0; k < in->num_targets; k++) n -= !!(in->targets[k] & QP_TARGET_COMBINER);
        return n;
    }
    return in->num_targets / gi->num_qubits_per_target_group;
}
