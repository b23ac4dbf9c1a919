// Picking a shipped neural-decoder model for a circuit (see nn_models.h).
#include "pipeline/train/nn_models.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline/config/shipped.h"
#include "pipeline/train/checkpoint.h"
#include "pipeline/train/nn_decoder.h"
#include "pipeline/train/train_circuit.h"

#ifndef QECPIPE_MODELS_DIR
#define QECPIPE_MODELS_DIR "models"
#endif

const char *qp_nn_models_dir(void) {
    static char dir[4200];  // models/ of the installed tree (or source tree): pipeline/config/shipped.h
    const char *env = getenv("QECPIPE_MODELS");
    if (env && env[0]) return env;
    if (qp_shipped_dir(dir, sizeof dir - 8) == 0) return strcat(dir, "/models");
    return QECPIPE_MODELS_DIR;
}

// Noise family ("si1000" if any CZ, else "uniform") and the largest DEPOLARIZE2 probability.
static void scan_noise(const qp_block *b, int *has_cz, double *p2) {
    for (size_t i = 0; i < b->num_instrs; i++) {
        const qp_instr *in = &b->instrs[i];
        if (in->gate == QP_GATE_REPEAT) scan_noise(in->body, has_cz, p2);
        if (in->gate == QP_GATE_CZ) *has_cz = 1;
        if (in->gate == QP_GATE_DEPOLARIZE2 && in->num_args && in->args[0] > *p2) *p2 = in->args[0];
    }
}

// A distance-portable model opens at any distance, but covers only the one it was trained at:
// the same number of stabilizers as the circuit.
static int trained_here(const char *path, const qp_circuit *circuit) {
    qp_nn_checkpoint ck;
    nn_layout lay = {0};
    qp_err ignored;
    if (qp_nn_checkpoint_read(path, 0, &ck, &ignored)) return 0;
    int same = qp_train_layout_from_circuit(circuit, &lay, &ignored) == 0 && lay.num_stabs == ck.num_stabs;
    if (lay.det_stab) nn_layout_free(&lay);
    qp_nn_checkpoint_free(&ck);
    return same;
}

int qp_nn_model_pick(const qp_circuit *circuit, char *path, size_t n, qp_err *err) {
    int has_cz = 0;
    double p = 0;
    scan_noise(&circuit->top, &has_cz, &p);
    const char *noise = has_cz ? "si1000" : "uniform";
    const char *dir = qp_nn_models_dir();
    char index[4096];
    snprintf(index, sizeof index, "%s/MODELS.tsv", dir);
    FILE *f = fopen(index, "r");
    if (!f) return qp_fail(err, "no shipped nn models: cannot open %s (set QECPIPE_MODELS or give a model file)", index);
    char line[1024], seen[2048] = "";
    size_t used = 0;
    int found = 0;
    while (!found && fgets(line, sizeof line, f)) {
        if (line[0] == '#' || line[0] == '\n') continue;
        char file[256], fam[32], desc[512] = "";
        double lo, hi;
        if (sscanf(line, "%255[^\t]\t%31[^\t]\t%lf\t%lf\t%511[^\n]", file, fam, &lo, &hi, desc) < 4) continue;
        if (used < sizeof seen)
            used += (size_t)snprintf(seen + used, sizeof seen - used, "%s %s (%s)", used ? ";" : "", file, desc);
        if (strcmp(fam, noise) != 0 || p < lo || p > hi) continue;
        snprintf(path, n, "%s/%s", dir, file);
        qp_decoder *dec = NULL;  // the layout check: distance, basis, observables
        qp_err ignored;
        if (qp_nn_decoder_open(path, circuit, &dec, &ignored) == 0) found = trained_here(path, circuit);
        qp_decoder_free(dec);
    }
    fclose(f);
    if (found) return 0;
    return qp_fail(err, "no shipped nn model covers this circuit (%s noise, p = %g, %llu detectors); shipped in %s:%s",
                   noise, p, (unsigned long long)circuit->num_detectors, dir, seen[0] ? seen : " none");
}
