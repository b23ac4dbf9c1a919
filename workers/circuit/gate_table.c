// The gate table: canonical Stim names and the properties the parser, writer, samplers and
// error analysis need, plus case-insensitive name lookup including Stim's aliases. Only the
// gate set of DESIGN.md is here; every other Stim gate name is "unknown" to qecpipe.
#include "workers/circuit/circuit.h"

#include <ctype.h>
#include <string.h>

//                                    name, qubits/group, noise, meas, reset, annotation
const qp_gate_info qp_gate_table[QP_GATE_COUNT] = {
    [QP_GATE_R] = {"R", 1, 0, 0, 1, 0},
    [QP_GATE_RX] = {"RX", 1, 0, 0, 1, 0},
    [QP_GATE_RY] = {"RY", 1, 0, 0, 1, 0},
    [QP_GATE_M] = {"M", 1, 0, 1, 0, 0},
    [QP_GATE_MX] = {"MX", 1, 0, 1, 0, 0},
    [QP_GATE_MY] = {"MY", 1, 0, 1, 0, 0},
    [QP_GATE_MR] = {"MR", 1, 0, 1, 1, 0},
    [QP_GATE_MRX] = {"MRX", 1, 0, 1, 1, 0},
    [QP_GATE_MRY] = {"MRY", 1, 0, 1, 1, 0},
    [QP_GATE_I] = {"I", 1, 0, 0, 0, 0},
    [QP_GATE_X] = {"X", 1, 0, 0, 0, 0},
    [QP_GATE_Y] = {"Y", 1, 0, 0, 0, 0},
    [QP_GATE_Z] = {"Z", 1, 0, 0, 0, 0},
    [QP_GATE_H] = {"H", 1, 0, 0, 0, 0},
    [QP_GATE_S] = {"S", 1, 0, 0, 0, 0},
    [QP_GATE_S_DAG] = {"S_DAG", 1, 0, 0, 0, 0},
    [QP_GATE_SQRT_X] = {"SQRT_X", 1, 0, 0, 0, 0},
    [QP_GATE_SQRT_X_DAG] = {"SQRT_X_DAG", 1, 0, 0, 0, 0},
    [QP_GATE_CX] = {"CX", 2, 0, 0, 0, 0},
    [QP_GATE_CY] = {"CY", 2, 0, 0, 0, 0},
    [QP_GATE_CZ] = {"CZ", 2, 0, 0, 0, 0},
    [QP_GATE_X_ERROR] = {"X_ERROR", 1, 1, 0, 0, 0},
    [QP_GATE_Y_ERROR] = {"Y_ERROR", 1, 1, 0, 0, 0},
    [QP_GATE_Z_ERROR] = {"Z_ERROR", 1, 1, 0, 0, 0},
    [QP_GATE_DEPOLARIZE1] = {"DEPOLARIZE1", 1, 1, 0, 0, 0},
    [QP_GATE_DEPOLARIZE2] = {"DEPOLARIZE2", 2, 1, 0, 0, 0},
    [QP_GATE_PAULI_CHANNEL_1] = {"PAULI_CHANNEL_1", 1, 1, 0, 0, 0},
    [QP_GATE_PAULI_CHANNEL_2] = {"PAULI_CHANNEL_2", 2, 1, 0, 0, 0},
    // Annotations use groups of 1 so that `num_targets % group` is always safe.
    [QP_GATE_TICK] = {"TICK", 1, 0, 0, 0, 1},
    [QP_GATE_DETECTOR] = {"DETECTOR", 1, 0, 0, 0, 1},
    [QP_GATE_OBSERVABLE_INCLUDE] = {"OBSERVABLE_INCLUDE", 1, 0, 0, 0, 1},
    [QP_GATE_QUBIT_COORDS] = {"QUBIT_COORDS", 1, 0, 0, 0, 1},
    [QP_GATE_SHIFT_COORDS] = {"SHIFT_COORDS", 1, 0, 0, 0, 1},
    [QP_GATE_REPEAT] = {"REPEAT", 1, 0, 0, 0, 1},
};

// Stim's alternative spellings of gates in the table.
static const struct {
    const char *name;
    qp_gate gate;
} aliases[] = {
    {"CNOT", QP_GATE_CX},        {"ZCX", QP_GATE_CX},   {"ZCY", QP_GATE_CY},
    {"ZCZ", QP_GATE_CZ},         {"MZ", QP_GATE_M},     {"RZ", QP_GATE_R},
    {"MRZ", QP_GATE_MR},         {"SQRT_Z", QP_GATE_S}, {"SQRT_Z_DAG", QP_GATE_S_DAG},
    {"H_XZ", QP_GATE_H},
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
