// Benchmark of the neural decoder (workers/nn), one JSON line per figure:
//   sgemm_peak     cblas_sgemm GFLOP/s on 512^3 (1 thread): the MFU denominator
//   train          training samples/s on d=3 r=3 (shots sampled on the fly by the frame
//                  simulator, sampling time reported apart), GEMM GFLOP/s and MFU
//   infer          streaming inference, microseconds per round per shot (batched), d=3 and d=5,
//                  for the default model (H=48 L=2), the shipped one (H=16 L=2, 2 heads), and
//                  the shipped size with every opt-in AlphaQubit layer ("layers": geometric
//                  bias, per-type embedding, convolutions with dilations 1 and 2, gated FFN,
//                  line readout)
//   train_to_ler   a d=3 r=3 uniform p=0.005 decoder trained on on-the-fly samples for
//                  STEPS steps, its LER on the 20,000 Stim reference shots next to
//                  PyMatching's on the same shots (needs $QECPIPE_VECTORS)
// Usage: bench_nn [STEPS]   (default 3000; one thread; not a test, no assertions)
// Times are CPU seconds of the one thread (see now()).
// FLOPs count only the GEMMs of nn_linear (nn_model_gemm_flops); attention scores and
// element-wise work are extra, so MFU is a lower bound on the useful work rate.
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench/sgemm_rate.h"
#include "pipeline/cli/blas_setup.h"
#include "workers/circuit/circuit.h"
#include "workers/circuit/circuit_coords.h"
#include "workers/circuit/surface_code.h"
#include "workers/nn/nn_batch.h"
#include "workers/nn/nn_layout.h"
#include "workers/nn/nn_model.h"
#include "workers/nn/nn_train.h"
#include "workers/sim/frame_sample.h"
#include "workers/util/alloc.h"

// CPU time of this thread: the machine's 2 cores are shared, and OpenBLAS runs on this one
// thread (openblas_set_num_threads(1)), so CPU seconds are the cost of the work itself;
// wall time would count the other processes' share of the core.
static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

static int die(const char *what, const qp_err *err) {
    fprintf(stderr, "bench_nn: %s: %s\n", what, err->msg);
    return 1;
}


// A generated surface-code memory experiment with its nn layout.
typedef struct {
    qp_circuit circuit;
    nn_layout layout;
} experiment;

static int experiment_make(experiment *e, uint32_t d, uint64_t rounds, double p, qp_err *err) {
    qp_surface_params sp = qp_surface_params_uniform('x', d, rounds, p);
    if (qp_surface_code_generate(&e->circuit, &sp, err)) return -1;
    double *coords;
    uint32_t per;
    if (qp_circuit_detector_coords(&e->circuit, &coords, &per, err)) return -1;
    if (per != 3) return qp_fail(err, "expected 3 coordinates per detector, got %u", per);
    int rc = nn_layout_build(&e->layout, coords, (int)e->circuit.num_detectors, err);
    free(coords);
    return rc;
}

static void experiment_free(experiment *e) {
    qp_circuit_free(&e->circuit);
    nn_layout_free(&e->layout);
}

// Samples B fresh shots (shots first .. first+B-1 of stream 1) into model inputs.
static int sample_batch(const experiment *e, uint64_t first, int B, uint8_t *dets, uint8_t *obs, float *inputs,
                        float *targets, qp_err *err) {
    if (qp_frame_sample_b8(&e->circuit, NULL, 2026, 1, first, (uint64_t)B, dets, obs, err)) return -1;
    nn_layout_inputs_from_b8(&e->layout, dets, NULL, B, 1, inputs);
    nn_layout_targets_from_b8(obs, B, 1, targets);
    return 0;
}

static char *read_all(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = qp_malloc((size_t)n + 1);
    if (fread(buf, 1, (size_t)n, f) != (size_t)n) n = 0;
    buf[n] = 0;
    fclose(f);
    *len = (size_t)n;
    return buf;
}

int main(int argc, char **argv) {
    qp_blas_setup(argv);  // AVX kernels where OpenBLAS would fall back to SSE3; one thread
    long steps = argc > 1 ? atol(argv[1]) : 3000;
    qp_err err;
    double peak = qp_bench_sgemm_gflops(512, 512, 512, 1.0, NULL, NULL);
    printf("{\"bench\":\"nn\",\"figure\":\"sgemm_peak\",\"n\":512,\"threads\":1,\"gflops\":%.2f}\n", peak);
    fflush(stdout);

    experiment d3, d3long, d5long;
    if (experiment_make(&d3, 3, 3, 0.005, &err)) return die("d3 circuit", &err);
    const nn_layout *lay = &d3.layout;
    int S = lay->num_stabs, R = lay->num_rounds, B = 128;
    nn_config cfg = nn_config_default(S, 1, 1);
    nn_model m;
    if (nn_model_create(&m, &cfg, lay->pool_w, B, R, &err)) return die("model", &err);
    nn_model_init_params(&m, 1);
    nn_adam_config adam = nn_adam_default(steps);
    nn_trainer t;
    nn_trainer_init(&t, &m, &adam);
    size_t det_bytes = ((size_t)lay->num_dets + 7) / 8;
    uint8_t *dets = qp_malloc(det_bytes * B), *obs = qp_malloc(B);
    float *inputs = qp_malloc(sizeof(float) * B * R * S), *targets = qp_malloc(sizeof(float) * B);

    // Training throughput (and the first steps of the LER run).
    double t_sample = 0, t_step = 0;
    long timed = steps < 200 ? steps : 200;
    uint64_t shot = 0;
    nn_step_stats st = {0};
    for (long i = 0; i < steps; i++) {
        double t0 = now();
        if (sample_batch(&d3, shot, B, dets, obs, inputs, targets, &err)) return die("sample", &err);
        shot += B;
        double t1 = now();
        if (nn_train_step(&t, inputs, lay->present, targets, B, R, NULL, &st, &err)) return die("step", &err);
        double t2 = now();
        if (i < timed) t_sample += t1 - t0, t_step += t2 - t1;
        if (i + 1 == timed) {
            double sps = timed * B / t_step, gflops = sps * nn_model_gemm_flops(&cfg, R, 1) / 1e9;
            printf("{\"bench\":\"nn\",\"figure\":\"train\",\"d\":3,\"rounds\":3,\"S\":%d,\"R\":%d,\"H\":%d,\"L\":%d,"
                   "\"heads\":%d,\"batch\":%d,\"params\":%zu,\"samples_per_s\":%.0f,\"sampling_samples_per_s\":%.0f,"
                   "\"gemm_gflops\":%.3f,\"mfu\":%.4f,\"gemm_flops_per_sample\":%.0f}\n",
                   S, R, cfg.hidden, cfg.num_layers, cfg.num_heads, B, m.num_params, sps, timed * B / t_sample,
                   gflops, gflops / peak, nn_model_gemm_flops(&cfg, R, 1));
            fflush(stdout);
        }
    }

    // LER on the Stim reference shots, next to PyMatching's on the same shots.
    const char *vec = getenv("QECPIPE_VECTORS");
    char path[1024];
    size_t nd = 0, no = 0, np = 0;
    char *rd = NULL, *ro = NULL, *rp = NULL;
    if (vec) {
        snprintf(path, sizeof path, "%s/surface_x_d3_r3_p0.005.dets.b8", vec);
        rd = read_all(path, &nd);
        snprintf(path, sizeof path, "%s/surface_x_d3_r3_p0.005.obs.b8", vec);
        ro = read_all(path, &no);
        snprintf(path, sizeof path, "%s/surface_x_d3_r3_p0.005.pymatching.01", vec);
        rp = read_all(path, &np);
    }
    if (rd && ro && rp && nd == no * det_bytes) {
        nn_shot_set set = {lay, (const uint8_t *)rd, (const uint8_t *)ro, (int)no, 1};
        int nn_mistakes = 0, pm_mistakes = 0, flips = 0, evaluated = 0;
        float probs[128];
        for (int first = 0; first + B <= set.num_shots; first += B) {
            nn_batch_range(&set, first, B, inputs, targets);
            nn_model_predict(&m, inputs, B, R, probs);
            for (int b = 0; b < B; b++) {
                int truth = targets[b] != 0, pm = rp[2 * (first + b)] == '1';  // .01: "0\n" / "1\n"
                nn_mistakes += (probs[b] > 0.5f) != truth;
                pm_mistakes += pm != truth;
                flips += truth;
            }
            evaluated += B;
        }
        printf("{\"bench\":\"nn\",\"figure\":\"train_to_ler\",\"d\":3,\"rounds\":3,\"p\":0.005,\"steps\":%ld,"
               "\"batch\":%d,\"train_shots\":%llu,\"final_loss\":%.4f,\"eval_shots\":%d,\"nn_ler\":%.5f,"
               "\"pymatching_ler\":%.5f,\"no_flip_ler\":%.5f}\n",
               steps, B, (unsigned long long)shot, st.loss, evaluated, (double)nn_mistakes / evaluated,
               (double)pm_mistakes / evaluated, (double)flips / evaluated);
    } else {
        printf("{\"bench\":\"nn\",\"figure\":\"train_to_ler\",\"skipped\":\"set QECPIPE_VECTORS to ../shared/vectors\"}\n");
    }
    fflush(stdout);
    free(rd), free(ro), free(rp);

    // Streaming inference on long experiments.
    uint32_t dists[2] = {3, 5};
    experiment *longs[2] = {&d3long, &d5long};
    for (int k = 0; k < 6; k++) {
        experiment *e = longs[k % 2];
        if (experiment_make(e, dists[k % 2], 50, 0.005, &err)) return die("long circuit", &err);
        const nn_layout *L = &e->layout;
        int Bi = 256, Ri = L->num_rounds, Si = L->num_stabs;
        nn_config ci = nn_config_default(Si, 1, 1);
        if (k >= 2) {  // the shipped models' size (models/)
            ci.hidden = 16, ci.num_heads = 2, ci.ffn_hidden = 32, ci.readout_hidden = 16;
        }
        if (k >= 4) {
            ci.attn_bias_geometric = 1, ci.geom_radius = 4, ci.stab_emb_by_type = 1, ci.ffn_gated = 1;
            ci.num_dilations = 2, ci.dilations[0] = 1, ci.dilations[1] = 2, ci.readout_lines = 1;
        }
        nn_model mi;
        nn_geometry geo = nn_layout_geometry(L);
        if (nn_model_create(&mi, &ci, L->pool_w, Bi, 1, &err) || nn_model_set_geometry(&mi, &geo, &err))
            return die("model", &err);
        nn_model_init_params(&mi, 2);
        size_t db = ((size_t)L->num_dets + 7) / 8;
        uint8_t *dd = qp_malloc(db * Bi), *oo = qp_malloc(Bi);
        float *in = qp_malloc(sizeof(float) * Bi * Ri * Si), *tg = qp_malloc(sizeof(float) * Bi);
        float *probs = qp_malloc(sizeof(float) * Bi);
        if (sample_batch(e, 0, Bi, dd, oo, in, tg, &err)) return die("sample", &err);
        nn_model_predict(&mi, in, Bi, Ri, probs);
        int reps = 0;
        double t0 = now(), el;
        do {
            nn_model_predict(&mi, in, Bi, Ri, probs);
            reps++;
        } while ((el = now() - t0) < 1.0);
        double us = el / reps / Ri / Bi * 1e6;
        printf("{\"bench\":\"nn\",\"figure\":\"infer\",\"d\":%u,\"S\":%d,\"rounds\":%d,\"batch\":%d,\"H\":%d,\"L\":%d,"
               "\"arch\":\"%s\",\"us_per_round_per_shot\":%.3f,\"gemm_gflops\":%.3f}\n",
               dists[k % 2], Si, Ri, Bi, ci.hidden, ci.num_layers, k >= 4 ? "alphaqubit" : "original", us,
               nn_model_gemm_flops(&ci, Ri, 0) * Bi * reps / el / 1e9);
        fflush(stdout);
        free(dd), free(oo), free(in), free(tg), free(probs);
        nn_model_free(&mi);
        experiment_free(e);
    }

    free(dets), free(obs), free(inputs), free(targets);
    nn_trainer_free(&t);
    nn_model_free(&m);
    experiment_free(&d3);
    return 0;
}
