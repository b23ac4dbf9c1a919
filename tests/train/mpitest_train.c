// The training job on 1, 2 and 4 ranks (ctest runs this program on each):
//  (a) data parallelism is the same training: with the global batch fixed at 8 shots, 20
//      steps on all ranks (fixed-order and MPI all-reduce) give the weights of a 1-rank run
//      that rank 0 does alone on MPI_COMM_SELF, within relative difference 1e-5 (bitwise on
//      1 rank; float sums in another order otherwise);
//  (b) resume: 10 steps, checkpoint, resume 10 more == 20 uninterrupted, bit for bit
//      (params and both Adam moments; fixed-order all-reduce on this rank count);
//  (c) the checkpoint holds what it promises (step, layout, config text, figures);
//  (d) the nn decoder opened on the trained model reproduces the job's held-out LER on the
//      same shots (confidences in [0,1], prediction bit = confidence > 0.5), and refuses a
//      d=5 circuit and a memory-Z circuit with one-line errors.
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pipeline/train/checkpoint.h"
#include "pipeline/train/nn_decoder.h"
#include "pipeline/train/train_job.h"
#include "tests/mpi_check.h"
#include "workers/circuit/surface_code.h"
#include "workers/sim/frame_sample.h"

#define STEPS 20

static const char *config_text =
    "job:\n"
    "  name: mpitest_train\n"
    "  seed: 5\n"
    "train:\n"
    "  code: surface\n"
    "  distance: 3\n"
    "  rounds: 2\n"
    "  basis: x\n"
    "  noise: {model: uniform, p: 0.01}\n"
    "  steps: 20\n"
    "  batch_size: 8\n"
    "  learning_rate: 3e-3\n"
    "  warmup_steps: 5\n"
    "  hidden: 16\n"
    "  layers: 1\n"
    "  heads: 2\n"
    "  eval_every: 10\n"
    "  eval_shots: 300\n"
    "  checkpoint_every: 0\n"
    "  checkpoint: unused.h5\n";

static double rel_diff(const float *a, const float *b, size_t n) {
    double d = 0, s = 0;
    for (size_t i = 0; i < n; i++) {
        d += ((double)a[i] - b[i]) * ((double)a[i] - b[i]);
        s += (double)b[i] * b[i];
    }
    return sqrt(d / s);
}

// Runs the job on comm; returns its status (0) and fills *sum.
static int run(const qp_config *cfg, MPI_Comm comm, const char *path, int fixed, int resume, uint64_t stop_after,
               qp_train_summary *sum) {
    qp_train_job_options o = {.resume = resume,
                              .quiet = 1,
                              .fixed_order = fixed,
                              .stop_after = stop_after,
                              .checkpoint = path,
                              .summary = sum};
    qp_err err = {{0}};
    int rc = qp_train_job(cfg, &o, comm, &err);
    MPI_CHECK(rc == 0, "training into %s: %s", path, err.msg);
    return rc;
}

static int read_ck(const char *path, qp_nn_checkpoint *ck) {
    qp_err err = {{0}};
    int rc = qp_nn_checkpoint_read(path, 1, ck, &err);
    MPI_CHECK(rc == 0, "%s", err.msg);
    return rc;
}

// (d) on rank 0: the decoder against the job's own evaluation.
static void check_decoder(const char *model_path) {
    qp_nn_checkpoint ck;
    if (read_ck(model_path, &ck)) return;
    qp_err err = {{0}};
    qp_circuit c;
    qp_surface_params sp = qp_surface_params_uniform('x', 3, 2, 0.01);
    MPI_CHECK(qp_surface_code_generate(&c, &sp, &err) == 0, "%s", err.msg);
    qp_decoder *dec = NULL;
    int rc = qp_nn_decoder_open(model_path, &c, &dec, &err);
    MPI_CHECK(rc == 0, "open: %s", err.msg);
    if (rc == 0) {
        MPI_CHECK(qp_decoder_num_observables(dec) == 1 && qp_decoder_num_detectors(dec) == c.num_detectors && qp_decoder_id_of(dec) == QP_DEC_NN,
                  "decoder sizes");
        // The held-out shots: the stream named in /rng, shots [0, eval_shots).
        uint64_t n = ck.eval_shots;
        size_t bytes = (c.num_detectors + 7) / 8, stride = bytes + 3;  // a wider stride than needed
        uint8_t *dets = malloc(n * bytes), *wide = calloc(n, stride), *obs = malloc(n), *pred = malloc(n);
        float *conf = malloc(n * sizeof(float));
        MPI_CHECK(qp_frame_sample_b8(&c, NULL, ck.rng[0], ck.rng[2], 0, n, dets, obs, &err) == 0, "%s", err.msg);
        for (uint64_t s = 0; s < n; s++) memcpy(wide + s * stride, dets + s * bytes, bytes);
        rc = qp_decoder_decode_batch(dec, wide, n, stride, pred, conf, &err);
        MPI_CHECK(rc == 0, "decode: %s", err.msg);
        uint64_t wrong = 0, flipped = 0, bad = 0;
        for (uint64_t s = 0; s < n; s++) {
            bad += !(conf[s] >= 0 && conf[s] <= 1) || (pred[s] & 1) != (conf[s] > 0.5f) || (pred[s] & ~1);
            wrong += (pred[s] & 1) != (obs[s] & 1);
            flipped += obs[s] & 1;
        }
        MPI_CHECK(bad == 0, "%llu shots with a confidence outside [0,1] or a prediction bit that disagrees",
                  (unsigned long long)bad);
        MPI_CHECK(fabs((double)flipped / n - ck.eval_noflip_ler) < 1e-12, "held-out shots differ: no-flip %g vs %g",
                  (double)flipped / n, ck.eval_noflip_ler);
        // Same model, same shots; GEMM blocking may differ with the batch, so allow one borderline shot.
        MPI_CHECK(fabs((double)wrong / n - ck.eval_ler) <= 1.0 / n + 1e-12, "decoder LER %g vs the job's %g",
                  (double)wrong / n, ck.eval_ler);
        MPI_CHECK(qp_decoder_decode_batch(dec, wide, n, bytes - 1, pred, NULL, &err) == -1 && strstr(err.msg, "bytes"),
                  "a too-short record is refused: %s", err.msg);
        free(dets), free(wide), free(obs), free(pred), free(conf);
        qp_decoder_free(dec);
    }
    qp_circuit_free(&c);
    // Circuits the model does not fit.
    const char *why[2] = {"stabilizers", "final round"};
    for (int k = 0; k < 2; k++) {
        qp_surface_params other =
            k ? qp_surface_params_uniform('z', 3, 2, 0.01) : qp_surface_params_uniform('x', 5, 2, 0.01);
        MPI_CHECK(qp_surface_code_generate(&c, &other, &err) == 0, "%s", err.msg);
        dec = NULL;
        rc = qp_nn_decoder_open(model_path, &c, &dec, &err);
        MPI_CHECK(rc == -1 && dec == NULL && strstr(err.msg, why[k]) && !strchr(err.msg, '\n'),
                  "mismatched circuit %d accepted or unclear: %s", k, err.msg);
        qp_decoder_free(dec);
        qp_circuit_free(&c);
    }
    // Another round count is accepted (the model is recurrent) and decodes.
    qp_surface_params longer = qp_surface_params_uniform('x', 3, 4, 0.01);
    MPI_CHECK(qp_surface_code_generate(&c, &longer, &err) == 0, "%s", err.msg);
    dec = NULL;
    rc = qp_nn_decoder_open(model_path, &c, &dec, &err);
    MPI_CHECK(rc == 0, "4-round circuit refused: %s", err.msg);
    if (rc == 0) {
        uint8_t zeros[8] = {0}, pred = 0xff;
        float conf = -1;
        MPI_CHECK(qp_decoder_decode_batch(dec, zeros, 1, sizeof zeros, &pred, &conf, &err) == 0 && pred == (conf > 0.5f) &&
                      conf >= 0 && conf <= 1,
                  "decoding 4 rounds: %s", err.msg);
    }
    qp_decoder_free(dec);
    qp_circuit_free(&c);
    // Not a model.
    rc = qp_nn_decoder_open("/nonexistent/model.h5", &c, &dec, &err);
    MPI_CHECK(rc == -1 && strstr(err.msg, "/nonexistent/model.h5"), "missing model: %s", err.msg);
    qp_nn_checkpoint_free(&ck);
}

int main(int argc, char **argv) {
    MPI_Init(&argc, &argv);
    int rank, size;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    char dir[256] = "/tmp/qp_mpitest_train_XXXXXX";
    if (rank == 0 && !mkdtemp(dir)) dir[0] = 0;
    MPI_Bcast(dir, sizeof dir, MPI_CHAR, 0, MPI_COMM_WORLD);
    MPI_CHECK(dir[0], "mkdtemp failed");
    qp_config cfg = {0};
    qp_err err = {{0}};
    int loaded = qp_config_load_text(config_text, "mpitest_train.yaml", &cfg, &err) == 0;
    MPI_CHECK(loaded, "config: %s", err.msg);
    if (dir[0] && loaded && 8 % size == 0) {
        char p_fixed[300], p_mpi[300], p_one[300], p_part[300];
        snprintf(p_fixed, sizeof p_fixed, "%s/fixed.h5", dir);
        snprintf(p_mpi, sizeof p_mpi, "%s/mpi.h5", dir);
        snprintf(p_one, sizeof p_one, "%s/one.h5", dir);
        snprintf(p_part, sizeof p_part, "%s/part.h5", dir);
        qp_train_summary s_fixed, s_mpi, s_one, s_part, s_resumed;
        run(&cfg, MPI_COMM_WORLD, p_fixed, 1, 0, 0, &s_fixed);
        run(&cfg, MPI_COMM_WORLD, p_mpi, 0, 0, 0, &s_mpi);
        if (rank == 0) run(&cfg, MPI_COMM_SELF, p_one, 0, 0, 0, &s_one);
        // (b) 10 steps, then resume to 20.
        run(&cfg, MPI_COMM_WORLD, p_part, 1, 0, STEPS / 2, &s_part);
        MPI_CHECK(s_part.interrupted == 1 && s_part.end_step == STEPS / 2, "stop_after: interrupted %d at %lld",
                  s_part.interrupted, (long long)s_part.end_step);
        if (rank == 0) {
            qp_nn_checkpoint half;
            if (read_ck(p_part, &half) == 0) {
                MPI_CHECK(half.step == STEPS / 2 && half.total_steps == STEPS, "half checkpoint at step %lld of %lld",
                          (long long)half.step, (long long)half.total_steps);
                MPI_CHECK(half.rng[3] == (uint64_t)STEPS / 2 * 8, "next training shot %llu",
                          (unsigned long long)half.rng[3]);
                qp_nn_checkpoint_free(&half);
            }
        }
        MPI_Barrier(MPI_COMM_WORLD);
        run(&cfg, MPI_COMM_WORLD, p_part, 1, 1, 0, &s_resumed);
        MPI_CHECK(s_resumed.start_step == STEPS / 2 && s_resumed.end_step == STEPS && !s_resumed.interrupted,
                  "resumed run: steps %lld..%lld", (long long)s_resumed.start_step, (long long)s_resumed.end_step);
        MPI_CHECK(s_fixed.end_step == STEPS && s_fixed.eval_shots == 300, "summary: %lld steps, %llu eval shots",
                  (long long)s_fixed.end_step, (unsigned long long)s_fixed.eval_shots);

        if (rank == 0) {
            qp_nn_checkpoint ck_fixed, ck_mpi, ck_one, ck_res;
            if (!read_ck(p_fixed, &ck_fixed) && !read_ck(p_mpi, &ck_mpi) && !read_ck(p_one, &ck_one) &&
                !read_ck(p_part, &ck_res)) {
                size_t n = ck_one.num_params;
                MPI_CHECK(ck_fixed.num_params == n && ck_mpi.num_params == n && ck_res.num_params == n, "sizes");
                double d_fixed = rel_diff(ck_fixed.params, ck_one.params, n);
                double d_mpi = rel_diff(ck_mpi.params, ck_one.params, n);
                printf("%d ranks vs 1: relative weight difference fixed-order %.3g, MPI %.3g\n", size, d_fixed, d_mpi);
                MPI_CHECK(d_fixed < 1e-5, "fixed-order on %d ranks: %.3g from 1 rank", size, d_fixed);
                MPI_CHECK(d_mpi < 1e-5, "MPI all-reduce on %d ranks: %.3g from 1 rank", size, d_mpi);
                if (size == 1)
                    MPI_CHECK(!memcmp(ck_fixed.params, ck_one.params, n * sizeof(float)) &&
                                  !memcmp(ck_mpi.params, ck_one.params, n * sizeof(float)),
                              "1 rank: not bitwise equal");
                // Training moved the weights away from the initial ones (re-created here).
                nn_model init;
                MPI_CHECK(nn_model_create(&init, &ck_one.model, NULL, 1, 1, &err) == 0, "%s", err.msg);
                nn_model_init_params(&init, 5);
                double moved = rel_diff(ck_one.params, init.params_memory, n);
                MPI_CHECK(moved > 1e-3, "training barely moved the weights (%g)", moved);
                nn_model_free(&init);
                // (b) bitwise resume.
                MPI_CHECK(!memcmp(ck_res.params, ck_fixed.params, n * sizeof(float)) &&
                              !memcmp(ck_res.adam_m, ck_fixed.adam_m, n * sizeof(float)) &&
                              !memcmp(ck_res.adam_v, ck_fixed.adam_v, n * sizeof(float)),
                          "resumed run differs from the uninterrupted one (params %.3g)",
                          rel_diff(ck_res.params, ck_fixed.params, n));
                // (c) contents.
                MPI_CHECK(ck_fixed.step == STEPS && ck_fixed.ranks == size && ck_fixed.batch_size == 8 &&
                              ck_fixed.model.hidden == 16 && ck_fixed.model.num_heads == 2 &&
                              ck_fixed.model.num_obs == 1,
                          "attributes: step %lld ranks %lld batch %llu", (long long)ck_fixed.step,
                          (long long)ck_fixed.ranks, (unsigned long long)ck_fixed.batch_size);
                // d=3, 2 rounds, memory X: 4 + 8 + 4 detectors on 8 stabilizers over 3 layout rounds.
                MPI_CHECK(ck_fixed.num_dets == 16 && ck_fixed.num_stabs == 8 && ck_fixed.num_rounds == 3,
                          "layout: %d detectors, %d stabilizers, %d rounds", ck_fixed.num_dets, ck_fixed.num_stabs,
                          ck_fixed.num_rounds);
                MPI_CHECK(ck_fixed.config_text && !strcmp(ck_fixed.config_text, config_text), "config text");
                MPI_CHECK(ck_fixed.circuit_text && strstr(ck_fixed.circuit_text, "DETECTOR"), "circuit text");
                MPI_CHECK(ck_fixed.eval_step == STEPS && ck_fixed.eval_shots == 300 && ck_fixed.eval_ler >= 0 &&
                              ck_fixed.eval_ler <= 1 && fabs(ck_fixed.eval_ler - s_fixed.eval_ler) < 1e-12,
                          "figures: eval at %lld, LER %g", (long long)ck_fixed.eval_step, ck_fixed.eval_ler);
                check_decoder(p_fixed);
            }
            qp_nn_checkpoint_free(&ck_fixed);
            qp_nn_checkpoint_free(&ck_mpi);
            qp_nn_checkpoint_free(&ck_one);
            qp_nn_checkpoint_free(&ck_res);
            // train.init (fine-tuning) starts from the model's weights: with a negligible learning
            // rate the result stays at them; a model of another size is refused.
            char init_text[2048], ft[300];
            snprintf(ft, sizeof ft, "%s/ft.h5", dir);
            for (int k = 0; k < 2; k++) {
                snprintf(init_text, sizeof init_text, "%s  init: %s\n", config_text, p_fixed);
                char *at = strstr(init_text, k ? "hidden: 16" : "learning_rate: 3e-3");
                if (k)
                    memcpy(at, "hidden: 32", 10);
                else
                    memcpy(at, "learning_rate: 1e-9", 19);
                qp_config icfg = {0};
                int ok = qp_config_load_text(init_text, "init.yaml", &icfg, &err) == 0;
                MPI_CHECK(ok, "init config %d: %s", k, err.msg);
                if (!ok) continue;
                qp_train_job_options o = {.quiet = 1, .checkpoint = ft};
                int rc = qp_train_job(&icfg, &o, MPI_COMM_SELF, &err);
                if (k) {
                    MPI_CHECK(rc == -1 && strstr(err.msg, "hidden") && strstr(err.msg, "fixed.h5"),
                              "a model of another size as train.init: %s", err.msg);
                } else {
                    MPI_CHECK(rc == 0, "train.init: %s", err.msg);
                    qp_nn_checkpoint a = {0}, b = {0};
                    if (rc == 0 && !read_ck(ft, &a) && !read_ck(p_fixed, &b)) {
                        double d = rel_diff(a.params, b.params, b.num_params);
                        MPI_CHECK(d < 1e-6 && a.step == STEPS, "fine-tuned from the model: relative difference %.3g",
                                  d);
                    }
                    qp_nn_checkpoint_free(&a);
                    qp_nn_checkpoint_free(&b);
                }
                qp_config_free(&icfg);
            }
            unlink(ft);
            // Resume without a checkpoint, and a batch that does not split: one-line errors.
            char missing[300];
            snprintf(missing, sizeof missing, "%s/missing.h5", dir);
            qp_train_job_options o = {.resume = 1, .quiet = 1, .checkpoint = missing};
            int rc = qp_train_job(&cfg, &o, MPI_COMM_SELF, &err);
            MPI_CHECK(rc == -1 && strstr(err.msg, "missing.h5") && !strchr(err.msg, '\n'), "resume, no file: %s",
                      err.msg);
            MPI_CHECK(access(missing, F_OK) != 0, "a failed resume created %s", missing);
        }
        MPI_Barrier(MPI_COMM_WORLD);
        if (size > 1 && 7 % size != 0) {
            qp_config odd = {0};
            char *text = strdup(config_text);
            strstr(text, "batch_size: 8")[12] = '7';
            MPI_CHECK(qp_config_load_text(text, "odd.yaml", &odd, &err) == 0, "%s", err.msg);
            qp_train_job_options o = {.quiet = 1, .checkpoint = p_one};
            int rc = qp_train_job(&odd, &o, MPI_COMM_WORLD, &err);
            MPI_CHECK(rc == -1 && strstr(err.msg, "multiple of"), "batch 7 on %d ranks: %s", size, err.msg);
            qp_config_free(&odd);
            free(text);
        }
        if (rank == 0) {
            const char *names[] = {p_fixed, p_mpi, p_one, p_part};
            for (int i = 0; i < 4; i++) unlink(names[i]);
            rmdir(dir);
        }
    }
    qp_config_free(&cfg);
    int rc = qp_mpi_check_finish();
    MPI_Finalize();
    return rc;
}
