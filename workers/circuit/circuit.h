// A Stim circuit in memory: a tree of instruction blocks (REPEAT bodies are nested blocks,
// never unrolled). This header is the contract between the parser/writer
// (circuit_parse.c, circuit_write.c), the generator (surface_code.c), the samplers and the
// error analysis. Every instruction of Stim's circuit language is supported.
// Files: gate_table.c (names, aliases, properties), circuit.c (building, copying, validation,
// qp_circuit_finalize, qp_circuit_strip_noise), circuit_coords.h (detector/qubit coordinates).
#ifndef QP_CIRCUIT_CIRCUIT_H
#define QP_CIRCUIT_CIRCUIT_H

#include <stdint.h>
#include <stddef.h>
#include <stdio.h>

#include "workers/util/err.h"

typedef enum {
    // Resets and measurements (M* take an optional flip probability argument).
    QP_GATE_R, QP_GATE_RX, QP_GATE_RY,
    QP_GATE_M, QP_GATE_MX, QP_GATE_MY,
    QP_GATE_MR, QP_GATE_MRX, QP_GATE_MRY,
    QP_GATE_MXX, QP_GATE_MYY, QP_GATE_MZZ,  // pair parity measurements
    QP_GATE_MPP,                             // Pauli-product measurements (X0*Z1 ...)
    QP_GATE_MPAD,                            // appends fixed results (targets 0 or 1)
    // Single-qubit Cliffords.
    QP_GATE_I, QP_GATE_X, QP_GATE_Y, QP_GATE_Z,
    QP_GATE_H, QP_GATE_S, QP_GATE_S_DAG, QP_GATE_SQRT_X, QP_GATE_SQRT_X_DAG,
    QP_GATE_SQRT_Y, QP_GATE_SQRT_Y_DAG,
    QP_GATE_H_XY, QP_GATE_H_YZ, QP_GATE_H_NXY, QP_GATE_H_NXZ, QP_GATE_H_NYZ,
    QP_GATE_C_XYZ, QP_GATE_C_ZYX, QP_GATE_C_NXYZ, QP_GATE_C_XNYZ, QP_GATE_C_XYNZ,
    QP_GATE_C_NZYX, QP_GATE_C_ZNYX, QP_GATE_C_ZYNX,
    // Two-qubit Cliffords (targets in pairs). CNOT and ZCX parse as CX.
    QP_GATE_CX, QP_GATE_CY, QP_GATE_CZ,
    QP_GATE_XCX, QP_GATE_XCY, QP_GATE_XCZ, QP_GATE_YCX, QP_GATE_YCY, QP_GATE_YCZ,
    QP_GATE_II, QP_GATE_SWAP, QP_GATE_ISWAP, QP_GATE_ISWAP_DAG,
    QP_GATE_CXSWAP, QP_GATE_SWAPCX, QP_GATE_CZSWAP,
    QP_GATE_SQRT_XX, QP_GATE_SQRT_XX_DAG, QP_GATE_SQRT_YY, QP_GATE_SQRT_YY_DAG,
    QP_GATE_SQRT_ZZ, QP_GATE_SQRT_ZZ_DAG,
    // Pauli-product rotations exp(-+i pi/4 P) (targets like MPP).
    QP_GATE_SPP, QP_GATE_SPP_DAG,
    // Noise channels.
    QP_GATE_X_ERROR, QP_GATE_Y_ERROR, QP_GATE_Z_ERROR,
    QP_GATE_DEPOLARIZE1, QP_GATE_DEPOLARIZE2,
    QP_GATE_PAULI_CHANNEL_1,  // args px, py, pz
    QP_GATE_PAULI_CHANNEL_2,  // 15 args: IX IY IZ XI XX XY XZ YI YX YY YZ ZI ZX ZY ZZ
    QP_GATE_I_ERROR, QP_GATE_II_ERROR,       // no effect (any number of arguments)
    QP_GATE_E,                               // CORRELATED_ERROR(p) X0 Y1 ...
    QP_GATE_ELSE_CORRELATED_ERROR,           // p, only if no earlier E/ELSE of its chain fired
    QP_GATE_HERALDED_ERASE,                  // p: herald result 1 and a uniform I/X/Y/Z
    QP_GATE_HERALDED_PAULI_CHANNEL_1,        // pi, px, py, pz: heralded Pauli channel
    // Annotations.
    QP_GATE_TICK, QP_GATE_DETECTOR, QP_GATE_OBSERVABLE_INCLUDE,
    QP_GATE_QUBIT_COORDS, QP_GATE_SHIFT_COORDS,
    QP_GATE_REPEAT,
    QP_GATE_COUNT
} qp_gate;

// Targets are uint32: a qubit index (low 24 bits) with flags. rec[-k] is k | QP_TARGET_REC;
// sweep[k] is k | QP_TARGET_SWEEP (sweep bits are always 0 here, so gates they control do
// nothing); `!q` sets QP_TARGET_INVERTED; Pauli targets (X0, Y1, Z2 of MPP, SPP, E,
// OBSERVABLE_INCLUDE) set QP_TARGET_PAULI_X and/or QP_TARGET_PAULI_Z (Y = both); the `*`
// joining the factors of a Pauli product is a target of its own, QP_TARGET_COMBINER.
// MPAD targets are the result values 0 or 1.
#define QP_TARGET_REC (1u << 31)
#define QP_TARGET_INVERTED (1u << 30)
#define QP_TARGET_PAULI_X (1u << 29)
#define QP_TARGET_PAULI_Z (1u << 28)
#define QP_TARGET_COMBINER (1u << 27)
#define QP_TARGET_SWEEP (1u << 26)
#define QP_TARGET_PAULI (QP_TARGET_PAULI_X | QP_TARGET_PAULI_Z)
#define QP_TARGET_VALUE_MASK ((1u << 24) - 1)

typedef struct qp_block qp_block;

typedef struct {
    qp_gate gate;
    uint32_t num_args;
    uint32_t num_targets;
    double *args;          // num_args values (probabilities, coordinates, observable index)
    uint32_t *targets;     // num_targets encoded targets
    char *tag;             // text inside GATE[tag], or NULL
    uint64_t repeat_count; // QP_GATE_REPEAT only
    qp_block *body;        // QP_GATE_REPEAT only
    uint32_t line;         // 1-based source line, 0 if generated
} qp_instr;

struct qp_block {
    qp_instr *instrs;
    size_t num_instrs, cap;
};

typedef struct {
    qp_block top;
    // Derived by qp_circuit_finalize (the parser calls it): totals over the unrolled circuit.
    uint32_t num_qubits;          // 1 + largest qubit index used
    uint64_t num_measurements;
    uint64_t num_detectors;
    uint32_t num_observables;     // 1 + largest OBSERVABLE_INCLUDE index
    uint32_t max_lookback;        // deepest rec[-k] used (sizes the measurement ring buffer)
} qp_circuit;

// A gate's facts as data, read by the parser, the writer, the samplers and the error analysis
// (as Stim's gate data). `flow` is a unitary's action by conjugation, in Stim's notation:
// the images of X and Z (one-qubit gates) or of XI, ZI, IX, IZ (two-qubit gates, first
// character = first target of the pair), each a signed Pauli string such as "+ZY". The
// Pauli-frame simulator and the error analysis use it without signs (qp_gate_frame); the
// reference (tableau) simulator with signs.
enum {
    QP_GF_NOISE = 1 << 0,          // a noise channel
    QP_GF_MEASUREMENT = 1 << 1,    // produces measurement results
    QP_GF_RESET = 1 << 2,
    QP_GF_ANNOTATION = 1 << 3,
    QP_GF_UNITARY = 1 << 4,        // a Clifford with a `flow`
    QP_GF_PAULI_TARGETS = 1 << 5,  // targets are Pauli terms (X0 Y1 ...)
    QP_GF_COMBINERS = 1 << 6,      // ... joined into products by `*` (MPP, SPP)
    QP_GF_BIT_TARGETS = 1 << 7,    // rec[-k] / sweep[k] may control it (CX rec[-1] 0)
    QP_GF_REC_TARGETS = 1 << 8,    // takes rec[-k] targets (DETECTOR, OBSERVABLE_INCLUDE)
    QP_GF_NO_TARGETS = 1 << 9,     // TICK, SHIFT_COORDS, REPEAT
    QP_GF_NEEDS_DISJOINT = 1 << 10,// error analysis needs --approximate-disjoint-errors
};
#define QP_ARGS_ANY 255

typedef struct {
    const char *name;   // canonical Stim name
    uint8_t num_qubits_per_target_group; // 1, or 2 for two-qubit gates (1 for products)
    uint8_t is_noise;   // a noise channel
    uint8_t is_measurement;
    uint8_t is_reset;
    uint8_t is_annotation;
    uint16_t flags;     // QP_GF_*
    uint8_t min_args, max_args;  // argument count range (QP_ARGS_ANY: no limit)
    char basis;         // 'X', 'Y', 'Z' for measurements and resets (MXX: 'X'), else 0
    qp_gate inverse;    // a unitary's inverse; every other gate: itself
    const char *flow[4];// unitary: signed images of X, Z (, IX, IZ), see above
} qp_gate_info;

// Frame (unsigned) action of a unitary: img[k] is the image of generator k (X_a, Z_a, X_b,
// Z_b) as bits 1 = X_a, 2 = Z_a, 4 = X_b, 8 = Z_b; sign[k] is 1 when the image is negative.
typedef struct {
    uint8_t img[4];
    uint8_t sign[4];
} qp_gate_frame;
// Fills f from the gate's flow. Returns -1 for a gate without one (not unitary, or SPP).
int qp_gate_frame_of(qp_gate g, qp_gate_frame *f);
// The Pauli products of an MPP / SPP / SPP_DAG / MXX / MYY / MZZ instruction, in order:
// product k is targets[start, end) (terms and the combiners between them); `pauli` is the
// Pauli of every term of a pair gate (QP_TARGET_PAULI_X/Z bits, MXX: X) or 0 when each term
// carries its own. Fills out (room for num_targets) and returns the number of products.
typedef struct {
    uint32_t start, end, pauli;
} qp_product;
uint32_t qp_instr_products(const qp_instr *in, qp_product *out);
// The Pauli (bit 1: X, bit 2: Z) that a classically controlled two-qubit gate applies to its
// qubit target when its measurement-record control reads 1: CX rec[-1] q applies X; with
// bit_first = 0 the record is the second target (XCZ q rec[-1] applies X).
uint8_t qp_gate_feedback_pauli(qp_gate g, int bit_first);
// Number of measurement results an instruction appends to the record (M: one per target,
// MXX: one per pair, MPP: one per product, HERALDED_*: one herald per target).
uint64_t qp_instr_num_results(const qp_instr *in);

extern const qp_gate_info qp_gate_table[QP_GATE_COUNT];

// Name lookup, case-insensitive, including aliases (CNOT, ZCX, ...). Returns -1 if unknown.
int qp_gate_from_name(const char *name, size_t len);

// Parses Stim circuit text. `source_name` prefixes error messages ("F.stim:3:1: ...").
// `c` need not be initialised; on failure it is left empty (freeing it is still safe).
int qp_circuit_parse(qp_circuit *c, const char *text, const char *source_name, qp_err *err);
int qp_circuit_parse_file(qp_circuit *c, const char *path, qp_err *err);
// Writes Stim circuit text (round-trips through qp_circuit_parse).
int qp_circuit_write(const qp_circuit *c, FILE *out, qp_err *err);

void qp_circuit_init(qp_circuit *c);
void qp_circuit_free(qp_circuit *c);
// Appends an instruction to a block, copying args, targets and tag.
qp_instr *qp_block_append(qp_block *b, qp_gate gate, const double *args, uint32_t num_args,
                          const uint32_t *targets, uint32_t num_targets, const char *tag);
// Recomputes the derived totals; fails on rec[-k] reaching before the first measurement.
int qp_circuit_finalize(qp_circuit *c, qp_err *err);
// Removes every noise channel and zeroes measurement flip probabilities (the optional
// argument of M/MX/MY/MR/MRX/MRY/MPP/... is dropped, so `M(0.01) 0` becomes `M 0`). Heralded
// channels become `MPAD 0 ...` (their heralds stay in the record, always 0).
void qp_circuit_strip_noise(qp_circuit *c);

// ---- Additions beyond the original contract ----

// Largest accepted qubit index + 1 and largest rec[-k] lookback (as in Stim: 2^24 - 1), and
// the deepest REPEAT nesting the parser accepts.
#define QP_MAX_QUBITS (1u << 24)
#define QP_MAX_LOOKBACK ((1u << 24) - 1)
#define QP_MAX_REPEAT_DEPTH 64

// How far a circuit's REPEAT blocks may unroll: every instruction met pass by pass (the REPEAT
// line once per pass) at most QP_CIRCUIT_UNROLL_PER_RESULT per measurement or detector of the
// unrolled circuit plus QP_CIRCUIT_UNROLL_SLACK (saturating). Real circuits unroll to 2-11
// per measurement or detector (the shared vectors; `qecpipe gen` at 100,000 rounds, si1000 with
// device noise the most); far beyond is a block doing no work, such as `REPEAT 10^15 { TICK }`.
// qp_circuit_finalize enforces it, and caps measurements and detectors at QP_MAX_RESULTS, so
// every pass-by-pass walker (frame and reference simulators, soft readout, the unfolded error
// analysis, coordinates, shapes, the measurement map) is bounded by what the circuit records.
#define QP_CIRCUIT_UNROLL_PER_RESULT 256
#define QP_CIRCUIT_UNROLL_SLACK 1000000
#define QP_MAX_RESULTS 0xffffffffull  // 2^32 - 1, as a DEM's detectors
uint64_t qp_circuit_unroll_limit(uint64_t num_measurements, uint64_t num_detectors);

// Appends `REPEAT count { }` with an empty body (owned by the instruction) and returns it;
// fill instr->body with qp_block_append.
qp_instr *qp_block_append_repeat(qp_block *b, uint64_t count, const char *tag);
// Frees a block's instructions (recursively) and leaves it empty.
void qp_block_clear(qp_block *b);
// Deep copy (dst need not be initialised; free it with qp_circuit_free).
void qp_circuit_copy(qp_circuit *dst, const qp_circuit *src);
// Like qp_circuit_parse for a buffer that need not be NUL-terminated (NUL bytes are errors).
int qp_circuit_parse_buffer(qp_circuit *c, const char *text, size_t len, const char *source_name,
                            qp_err *err);
// The circuit as Stim text in a malloc'd NUL-terminated string (free()); NULL on failure.
char *qp_circuit_to_text(const qp_circuit *c, qp_err *err);
// Writes one instruction line (without indentation or newline); REPEAT writes "REPEAT N {".
int qp_instr_write(const qp_instr *in, FILE *out);
// Checks an instruction's arguments and targets against its gate (arg counts and ranges,
// target kinds, pairs for two-qubit gates). Returns 0, or -1 with a message (no position).
int qp_instr_validate(const qp_instr *in, qp_err *err);

#endif
