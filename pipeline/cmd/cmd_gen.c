// qecpipe gen: write a memory-experiment circuit in Stim's circuit language.
//   qecpipe gen --code surface --basis x --distance 5 --rounds 25 --noise uniform --p 0.001
//   qecpipe gen --code repetition --distance 7 --rounds 20 --p 0.002
// Repetition codes (workers/circuit/repetition_code.h) take uniform noise only.
// `--noise uniform` sets Stim's four generator knobs to p (the text equals `stim gen`'s
// with those knobs, apart from the header comment); `--noise si1000` is the SI1000 model on
// the CZ form of the schedule (workers/circuit/surface_code.h). Writes to stdout, or to
// --out F as pipeline/output promises (F.partial renamed when complete; a device or FIFO
// written in place; - is stdout).
// `--readout snr=S,t1_over_tint=T` writes the hard-equivalent circuit of soft readout
// (workers/sim/soft_readout.h): every single-qubit measurement flips with the readout
// model's implied probability M instead of the noise model's, so DEMs and matching weights
// match what `simulate --readout` samples.
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline/cli/args.h"
#include "pipeline/cli/readout_arg.h"
#include "pipeline/cmd/cmd.h"
#include "pipeline/formats/record_bits.h"
#include "pipeline/output/output.h"
#include "workers/circuit/device_noise.h"
#include "workers/circuit/repetition_code.h"
#include "workers/circuit/surface_code.h"
#include "workers/sim/soft_readout.h"

static int write_circuit(const qp_circuit *c, const char *header, const char *readout_line, FILE *f, qp_err *err) {
    fprintf(f, "%s\n", header);
    if (readout_line[0]) fprintf(f, "%s\n", readout_line);
    return qp_circuit_write(c, f, err);
}

int cmd_gen(int argc, char **argv) {
    const char *code = "surface", *basis = NULL, *noise = "uniform", *out = NULL, *readout = NULL;
    int distance = 0;
    uint64_t rounds = 0;
    double p = 0, spread = 0;  // 0: --device-spread not given (2 with --device-seed)
    const char *device_seed_arg = NULL;
    uint64_t device_seed = 0;
    const qp_opt opts[] = {
        {"code", QP_OPT_STR, &code, "NAME", "code family: surface (rotated surface code; default) or repetition"},
        {"basis", QP_OPT_STR, &basis, "x|z", "memory experiment basis (required for surface)"},
        {"distance", QP_OPT_INT, &distance, "D", "code distance (required): surface odd >= 3, repetition >= 2"},
        {"rounds", QP_OPT_U64, &rounds, "R", "rounds of stabilizer measurement, >= 1 (required; rounds x detectors per round <= 2^31)"},
        {"noise", QP_OPT_STR, &noise, "MODEL", "uniform (Stim's four knobs = p; default) or si1000"},
        {"p", QP_OPT_DOUBLE, &p, "P", "noise strength (default 0: noiseless)"},
        {"device-seed", QP_OPT_STR, &device_seed_arg, "S",
         "a test device: per-qubit and per-coupler error rates drawn once around the noise model "
         "(log-normal multipliers, a few outliers; workers/circuit/device_noise.h), deterministic in S"},
        {"device-spread", QP_OPT_DOUBLE, &spread, "X",
         "with --device-seed: the multipliers' geometric standard deviation (default 2; 1 = the plain model)"},
        {"out", QP_OPT_STR, &out, "FILE", "output .stim file (default: stdout)"},
        {"readout", QP_OPT_STR, &readout, "snr=S,t1_over_tint=T",
         "soft readout's hard-equivalent circuit: measurements flip with the readout model's implied M"},
    };
    int rc = qp_args_parse(argc, argv, "gen", "Generate a memory-experiment circuit in Stim's circuit format.",
                           "[--code surface] --basis x|z --distance D --rounds R [--noise uniform|si1000] [--p P]\n"
                           "       [--readout snr=S,t1_over_tint=T] [--device-seed S [--device-spread X]] [--out F.stim]\n"
                           "       qecpipe gen --code repetition --distance D --rounds R [--p P] [--out F.stim]",
                           opts, (int)(sizeof opts / sizeof opts[0]), NULL, 0, NULL);
    if (rc == QP_ARGS_HELP) return 0;
    if (rc != QP_ARGS_OK) return 2;
    int have_device = device_seed_arg != NULL;
    if (have_device) {
        char *end;
        errno = 0;
        device_seed = strtoull(device_seed_arg, &end, 10);
        if (errno || end == device_seed_arg || *end || device_seed_arg[0] == '-')
            return qp_usage_error("gen", "--device-seed expects an unsigned integer, got '%s'", device_seed_arg);
    }
    if (spread != 0 && !have_device) return qp_usage_error("gen", "--device-spread needs --device-seed");
    if (spread == 0) spread = 2;
    if (have_device && !(spread >= 1 && spread <= 100))
        return qp_usage_error("gen", "--device-spread must be in [1, 100], got %g", spread);
    int repetition = strcmp(code, "repetition") == 0 || strcmp(code, "repetition_code") == 0;
    if (!repetition && strcmp(code, "surface") != 0 && strcmp(code, "surface_code") != 0)
        return qp_usage_error("gen", "unknown --code '%s' (supported: surface, repetition)", code);
    if (distance == 0) return qp_usage_error("gen", "--distance is required");
    if (rounds == 0) return qp_usage_error("gen", "--rounds is required (>= 1)");
    // Detectors grow as rounds x (d^2 - 1) (surface) or (d - 1) (repetition); a circuit with
    // more than a record holds cannot be sampled or decoded here: say so before generating.
    uint64_t per_round = repetition ? (uint64_t)(distance > 1 ? distance - 1 : 1)
                                    : (distance > 0 ? (uint64_t)distance * (uint64_t)distance - 1 : 1);
    if (per_round > QP_RECORD_BITS_MAX || rounds > QP_RECORD_BITS_MAX / per_round)
        return qp_usage_error("gen", "--distance %d --rounds %llu makes more detectors than a record holds "
                                     "(%llu bits); at distance %d, --rounds is at most %llu",
                              distance, (unsigned long long)rounds, (unsigned long long)QP_RECORD_BITS_MAX, distance,
                              (unsigned long long)(QP_RECORD_BITS_MAX / per_round));
    qp_err err;
    qp_readout_model rm;
    char readout_line[256] = "";
    if (readout) {
        double snr = 0, t1 = 0;
        if (qp_readout_arg_parse(readout, &snr, &t1, &err) || qp_readout_model_init(&rm, snr, t1, &err))
            return qp_usage_error("gen", "%s", err.msg);
        snprintf(readout_line, sizeof readout_line,
                 "# Soft readout snr %g, t1_over_tint %g: single-qubit measurements flip with the implied M = %.10g "
                 "(hard-equivalent circuit)",
                 snr, t1, rm.flip);
    }
    qp_circuit c;
    char header[512];
    if (repetition) {
        if (basis) return qp_usage_error("gen", "--basis is for surface codes (a repetition code is a Z memory)");
        if (strcmp(noise, "uniform") != 0)
            return qp_usage_error("gen", "repetition codes take --noise uniform only, got '%s'", noise);
        if (distance < 2) return qp_usage_error("gen", "--distance must be >= 2 for a repetition code, got %d", distance);
        qp_repetition_params rp = qp_repetition_params_uniform((uint32_t)distance, rounds, p);
        snprintf(header, sizeof header, "# Generated by qecpipe gen: repetition code memory, distance %d, rounds %llu, noise uniform, p %g",
                 distance, (unsigned long long)rounds, p);
        if (qp_repetition_code_generate(&c, &rp, &err)) {
            fprintf(stderr, "qecpipe gen: %s\n", err.msg);
            return 1;
        }
    } else {
        if (!basis) return qp_usage_error("gen", "--basis is required");
        if (strcmp(basis, "x") != 0 && strcmp(basis, "z") != 0 && strcmp(basis, "X") != 0 && strcmp(basis, "Z") != 0)
            return qp_usage_error("gen", "--basis must be x or z, got '%s'", basis);
        if (distance < 0) return qp_usage_error("gen", "--distance must be odd and >= 3, got %d", distance);
        qp_surface_params sp;
        char b = (char)(basis[0] | 0x20);
        if (strcmp(noise, "uniform") == 0)
            sp = qp_surface_params_uniform(b, (uint32_t)distance, rounds, p);
        else if (strcmp(noise, "si1000") == 0)
            sp = qp_surface_params_si1000(b, (uint32_t)distance, rounds, p);
        else
            return qp_usage_error("gen", "unknown --noise '%s' (uniform or si1000)", noise);
        snprintf(header, sizeof header, "# Generated by qecpipe gen: rotated surface code memory_%c, distance %u, rounds %llu, noise %s, p %g",
                 sp.basis, sp.distance, (unsigned long long)sp.rounds, noise, sp.p);
        if (qp_surface_code_generate(&c, &sp, &err)) {
            fprintf(stderr, "qecpipe gen: %s\n", err.msg);
            return 1;
        }
    }
    if (readout) {
        qp_soft_readout_hard_equivalent(&c, rm.flip);
        if (qp_circuit_finalize(&c, &err)) {
            fprintf(stderr, "qecpipe gen: %s\n", err.msg);
            qp_circuit_free(&c);
            return 1;
        }
    }
    if (have_device) {
        size_t at = strlen(header);
        snprintf(header + at, sizeof header - at, "\n# Test device: --device-seed %llu --device-spread %g "
                 "(per-qubit and per-coupler rates; qecpipe gen --help)", (unsigned long long)device_seed, spread);
        if (qp_circuit_apply_device(&c, device_seed, spread, &err)) {
            fprintf(stderr, "qecpipe gen: %s\n", err.msg);
            qp_circuit_free(&c);
            return 1;
        }
    }
    qp_output *o = NULL;
    FILE *f = NULL;
    rc = qp_output_claim(out ? out : "-", &o, &err);
    if (rc == 0 && !(f = qp_output_fopen(o, &err))) rc = -1;
    if (rc == 0) rc = write_circuit(&c, header, readout_line, f, &err);
    if (rc == 0)
        rc = qp_output_finish(o, f, &err);
    else
        qp_output_abandon(o, f);
    if (rc) fprintf(stderr, "qecpipe gen: %s\n", err.msg);
    qp_circuit_free(&c);
    return rc ? 1 : 0;
}
