// The data-parallel training loop of `qecpipe train` (see train_job.h).
#include "pipeline/train/train_job.h"

#include <cblas.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pipeline/store/store.h"
#include "pipeline/train/archive_shots.h"
#include "pipeline/train/checkpoint.h"
#include "pipeline/train/curriculum.h"
#include "pipeline/train/train_circuit.h"
#include "scheduler/allreduce.h"
#include "scheduler/collectives.h"
#include "workers/nn/nn_flops.h"
#include "workers/nn/nn_layout.h"
#include "workers/nn/nn_model.h"
#include "workers/nn/nn_train.h"
#include "workers/nn/nn_widen.h"
#include "workers/circuit/measurement_map.h"
#include "workers/circuit/soft_events.h"
#include "workers/sim/frame_sample.h"
#include "workers/sim/reference_sample.h"
#include "workers/sim/soft_readout.h"
#include "workers/util/alloc.h"
#include "workers/util/rng.h"

// SIGTERM (Slurm's warning before the time limit) only sets this flag; the loop polls it.
static volatile sig_atomic_t qp_train_sigterm_seen;
static void qp_train_on_sigterm(int sig) {
    qp_train_sigterm_seen = 1;
}

#define LOSS_WINDOW QP_NN_RECENT_LOSSES  // steps averaged for loss_first / loss_last (train_loss)
#define EVAL_BATCH 256  // shots per streaming-inference batch on rank 0

// Stream ids: a 64-bit FNV-1a hash of a fixed name, mixed.
static uint64_t stream_id(const char *name) {
    uint64_t h = 1469598103934665603ULL;
    for (const unsigned char *p = (const unsigned char *)name; *p; p++) h = (h ^ *p) * 1099511628211ULL;
    return qp_mix64(h);
}

// CPU seconds of the calling thread: the cost of the step itself on shared cores (OpenBLAS
// runs on this thread; MPI's busy-waiting in the all-reduce counts too).
static double thread_cpu_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

// rank 0's status and message reach every rank.
static int agree_root(MPI_Comm comm, int rc, qp_err *err) {
    int rank;
    MPI_Comm_rank(comm, &rank);
    MPI_Bcast(&rc, 1, MPI_INT, 0, comm);
    if (rc) MPI_Bcast(err->msg, sizeof err->msg, MPI_CHAR, 0, comm);
    return rc ? -1 : 0;
}


static void bcast_floats(MPI_Comm comm, float *buf, size_t n) {
    for (size_t off = 0; off < n; off += 1u << 28) {
        size_t k = n - off < (1u << 28) ? n - off : (1u << 28);
        MPI_Bcast(buf + off, (int)k, MPI_FLOAT, 0, comm);
    }
}

// Soft readout (train.noise.readout): the sampler's readout model and what turns a batch's
// posteriors p1 into the model's soft inputs (workers/circuit/soft_events.h). Unused (ro.model
// zero) without it.
typedef struct {
    int on;
    qp_soft_readout ro;
    uint8_t *reference;     // the circuit's reference sample (orients p1)
    qp_measurement_map map;
    size_t num_meas;        // M
    size_t per_shot;        // soft floats per shot: M p1, then with leakage M pleak
    float *event, *leak;    // (max_batch, num_dets)
    double *scratch;        // (num_dets)
} soft_inputs;

static int soft_inputs_init(soft_inputs *si, const qp_circuit *c, const qp_train_config *tc, int max_batch,
                            qp_err *err) {
    memset(si, 0, sizeof *si);
    if (tc->data.readout_snr <= 0) return 0;
    si->on = 1;
    si->reference = qp_calloc(c->num_measurements / 8 + 1, 1);
    if (qp_reference_sample(c, si->reference, err) ||
        qp_soft_readout_init(&si->ro, tc->data.readout_snr, tc->data.readout_t1, si->reference, err) ||
        qp_measurement_map_build(&si->map, c, err))
        return qp_fail_prefix(err, "train.noise.readout");
    si->num_meas = c->num_measurements;
    si->per_shot = c->num_measurements * (tc->data.leak_p > 0 ? 2 : 1);
    si->event = qp_malloc((size_t)max_batch * c->num_detectors * sizeof(float));
    si->leak = qp_malloc((size_t)max_batch * c->num_detectors * sizeof(float));
    si->scratch = qp_malloc(c->num_detectors * sizeof(double));
    return 0;
}

static void soft_inputs_free(soft_inputs *si) {
    free(si->reference);
    qp_measurement_map_free(&si->map);
    free(si->event);
    free(si->leak);
    free(si->scratch);
    memset(si, 0, sizeof *si);
}

// Shots [first, first+n) of the stream: b8 records, and p1 (n, per_shot) with soft readout.
static int sample_shots(const qp_circuit *c, const qp_frame_options *fo, const soft_inputs *si, uint64_t seed,
                        uint64_t stream, uint64_t first, uint64_t n, uint8_t *dets, uint8_t *obs, float *p1,
                        qp_err *err) {
    if (!si->on) return qp_frame_sample_b8(c, fo, seed, stream, first, n, dets, obs, err);
    qp_frame_options so = *fo;
    so.readout = &si->ro;
    return qp_frame_sample_soft(c, &so, seed, stream, first, n, dets, obs, p1, err);
}

// The model's inputs (B,R,S,F) of B shots (b8 records, and their p1 with soft readout).
// F = 1: the detection event. Soft readout, F = 2: feature 0 the soft detection event (the
// probability of the event; without soft information the hard event), feature 1 leakage.
static void batch_inputs(soft_inputs *si, const nn_layout *lay, const uint8_t *dets, const float *p1, int B,
                         float *inputs) {
    if (!si->on) {
        nn_layout_inputs_from_b8(lay, dets, NULL, B, 1, inputs);
        return;
    }
    size_t det_bytes = ((size_t)lay->num_dets + 7) / 8, D = (size_t)lay->num_dets;
    for (int b = 0; b < B; b++)
        qp_soft_events(&si->map, dets + b * det_bytes, p1 + b * si->per_shot,
                       si->per_shot > si->num_meas ? p1 + b * si->per_shot + si->num_meas : NULL, si->event + b * D,
                       si->leak + b * D, si->scratch);
    nn_layout_inputs_from_soft(lay, si->event, si->leak, B, 2, inputs);
}

// The held-out set (rank 0): shots [0, n) of the eval stream, and a model for streaming
// inference with the training model's weights copied in.
typedef struct {
    uint64_t n;
    const nn_layout *lay;  // the held-out circuit's layout (not owned)
    size_t det_bytes, obs_bytes;
    uint8_t *dets;   // (n, det_bytes) b8
    uint8_t *obs;    // (n, obs_bytes) b8
    float *p1;       // (n, measurements) with soft readout, else NULL
    soft_inputs soft;
    nn_model model;  // max_batch EVAL_BATCH
    float *inputs;   // (EVAL_BATCH,R,S,F)
    float *targets;  // (EVAL_BATCH,O)
    float *probs;    // (EVAL_BATCH,O)
} eval_set;

typedef struct {
    double loss, ler, noflip_ler;
} eval_figures;

// With an archive (arch != NULL) the held-out shots are n of the archive's held-out ones,
// evenly spaced (all of them when n >= their number), so every folder is represented.
static int eval_set_init(eval_set *ev, const qp_circuit *c, const qp_frame_options *fo, const qp_train_config *tc,
                         const nn_layout *lay, const nn_config *mc, uint64_t seed, uint64_t stream, uint64_t n,
                         const qp_archive_shots *arch, qp_err *err) {
    memset(ev, 0, sizeof *ev);
    if (arch && n > arch->num_heldout) n = arch->num_heldout;
    ev->n = n;
    ev->lay = lay;
    ev->det_bytes = (c->num_detectors + 7) / 8;
    ev->obs_bytes = (c->num_observables + 7) / 8;
    ev->dets = qp_malloc(n * ev->det_bytes + 1);
    ev->obs = qp_malloc(n * ev->obs_bytes + 1);
    int eb = n < EVAL_BATCH ? (int)n : EVAL_BATCH;
    if (soft_inputs_init(&ev->soft, c, tc, eb, err)) return -1;
    if (ev->soft.on) ev->p1 = qp_malloc(n * ev->soft.per_shot * sizeof(float) + 1);
    if (arch) {
        for (uint64_t j = 0; j < n; j++) {
            uint64_t i = (uint64_t)((unsigned __int128)j * arch->num_heldout / n);
            memcpy(ev->dets + j * ev->det_bytes, arch->held_dets + i * arch->det_bytes, ev->det_bytes);
            memcpy(ev->obs + j * ev->obs_bytes, arch->held_obs + i * arch->obs_bytes, ev->obs_bytes);
        }
    } else if (sample_shots(c, fo, &ev->soft, seed, stream, 0, n, ev->dets, ev->obs, ev->p1, err))
        return qp_fail_prefix(err, "sampling the held-out shots");
    nn_geometry geo = nn_layout_geometry(lay);
    if (nn_model_create(&ev->model, mc, lay->pool_w, eb, 1, err) || nn_model_set_geometry(&ev->model, &geo, err))
        return -1;
    ev->inputs = qp_malloc((size_t)eb * lay->num_rounds * lay->num_stabs * mc->num_features * sizeof(float));
    ev->targets = qp_malloc((size_t)eb * mc->num_obs * sizeof(float));
    ev->probs = qp_malloc((size_t)eb * mc->num_obs * sizeof(float));
    return 0;
}

static void eval_set_free(eval_set *ev) {
    free(ev->dets);
    free(ev->obs);
    if (ev->model.params_memory) nn_model_free(&ev->model);
    free(ev->inputs);
    free(ev->targets);
    free(ev->p1);
    soft_inputs_free(&ev->soft);
    free(ev->probs);
    memset(ev, 0, sizeof *ev);
}

// Mean BCE over shots and observables, LER (any observable wrong) and always-no-flip LER.
static eval_figures evaluate(eval_set *ev, const nn_model *trained) {
    const nn_layout *lay = ev->lay;
    memcpy(ev->model.params_memory, trained->params_memory, trained->num_params * sizeof(float));
    int O = trained->cfg.num_obs, R = lay->num_rounds;
    double loss = 0;
    uint64_t wrong = 0, flipped = 0;
    for (uint64_t first = 0; first < ev->n; first += (uint64_t)ev->model.max_batch) {
        int B = ev->n - first < (uint64_t)ev->model.max_batch ? (int)(ev->n - first) : ev->model.max_batch;
        batch_inputs(&ev->soft, lay, ev->dets + first * ev->det_bytes,
                     ev->p1 ? ev->p1 + first * ev->soft.per_shot : NULL, B, ev->inputs);
        nn_layout_targets_from_b8(ev->obs + first * ev->obs_bytes, B, O, ev->targets);
        nn_model_predict(&ev->model, ev->inputs, B, R, ev->probs);
        for (int b = 0; b < B; b++) {
            int any_wrong = 0, any_flip = 0;
            for (int o = 0; o < O; o++) {
                double p = ev->probs[b * O + o];
                int y = ev->targets[b * O + o] != 0;
                double q = y ? p : 1 - p;
                loss -= log(q > 1e-12 ? q : 1e-12);
                any_wrong |= (p > 0.5) != y;
                any_flip |= y;
            }
            wrong += any_wrong;
            flipped += any_flip;
        }
    }
    return (eval_figures){loss / ((double)ev->n * O), (double)wrong / ev->n, (double)flipped / ev->n};
}

// The global losses of the last LOSS_WINDOW steps, oldest first (NaN: no such step). It is
// checkpointed, so a resumed run averages the same numbers in the same order as an
// uninterrupted one: train_loss is then bit-identical.
static void recent_push(double recent[LOSS_WINDOW], double loss) {
    memmove(recent, recent + 1, (LOSS_WINDOW - 1) * sizeof *recent);
    recent[LOSS_WINDOW - 1] = loss;
}

static double recent_mean(const double recent[LOSS_WINDOW]) {
    double sum = 0;
    int k = 0;
    for (int i = 0; i < LOSS_WINDOW; i++)
        if (!isnan(recent[i])) sum += recent[i], k++;
    return k ? sum / k : NAN;
}

// Everything a run holds; freed in one place.
typedef struct {
    double recent_losses[LOSS_WINDOW];  // see recent_push
    qp_curriculum cu;     // steps -> stages (one stage without train.curriculum)
    int stage;            // the stage loaded: its circuit, layout and batch buffers below
    qp_train_config stc;  // the train section as that stage sees it
    qp_frame_options fo;  // the sampler's defaults and the stage's noise.leakage
    int lb;               // the stage's shots per rank and step
    qp_circuit circuit;
    int have_circuit;
    char *circuit_text;
    double *coords;  // (num_dets,3)
    nn_layout lay;
    int have_layout;
    nn_model model;
    int have_model;
    nn_trainer trainer;
    int have_trainer;
    qp_allreduce_ctx ar;
    int have_ar;
    eval_set ev;
    qp_circuit eval_circuit;  // rank 0, with a curriculum: the held-out circuit (the last stage's)
    int have_eval_circuit;
    nn_layout eval_lay;
    int have_eval_lay;
    uint8_t *dets, *obs;  // (local batch, bytes) b8
    soft_inputs soft;     // train.noise.readout
    float *p1;            // (lb, measurements) with soft readout
    float *inputs;        // (lb,R,S,F)
    float *targets;       // (lb,O)
    qp_nn_checkpoint loaded;
    qp_archive_shots arch;  // train.archive: the shots (have_arch), and their split as text
    int have_arch;
    char *split_text;
} train_run;

// What enter_stage loads: the stage's circuit, layout and batch buffers.
static void stage_free(train_run *r) {
    if (r->have_circuit) qp_circuit_free(&r->circuit);
    free(r->circuit_text);
    free(r->coords);
    if (r->have_layout) nn_layout_free(&r->lay);
    free(r->dets);
    free(r->obs);
    free(r->inputs);
    free(r->targets);
    free(r->p1);
    soft_inputs_free(&r->soft);
    r->have_circuit = r->have_layout = 0;
    r->circuit_text = NULL, r->coords = NULL, r->dets = r->obs = NULL, r->inputs = r->targets = r->p1 = NULL;
}

static void train_run_free(train_run *r) {
    stage_free(r);
    if (r->have_trainer) nn_trainer_free(&r->trainer);
    if (r->have_model) nn_model_free(&r->model);
    if (r->have_ar) qp_allreduce_free(&r->ar);
    eval_set_free(&r->ev);
    if (r->have_eval_circuit) qp_circuit_free(&r->eval_circuit);
    if (r->have_eval_lay) nn_layout_free(&r->eval_lay);
    qp_nn_checkpoint_free(&r->loaded);
    if (r->have_arch) qp_archive_shots_free(&r->arch);
    free(r->split_text);
}

// Checkpoint contents pointing into the run (nothing copied).
static qp_nn_checkpoint checkpoint_of(const train_run *r, const qp_config *cfg, int64_t total_steps, uint64_t batch,
                                      int ranks, const uint64_t rng[4], double train_loss, const eval_figures *ef,
                                      uint64_t eval_shots, int64_t eval_step) {
    qp_nn_checkpoint ck = {0};
    ck.model = r->model.cfg;
    ck.num_params = r->model.num_params;
    ck.params = r->model.params_memory;
    ck.adam_m = r->trainer.m;
    ck.adam_v = r->trainer.v;
    ck.num_dets = r->lay.num_dets;
    ck.num_rounds = r->lay.num_rounds;
    ck.num_stabs = r->lay.num_stabs;
    ck.det_coords = r->coords;
    ck.det_stab = r->lay.det_stab;
    ck.det_round = r->lay.det_round;
    ck.stab_xy = r->lay.stab_xy;
    memcpy(ck.rng, rng, sizeof ck.rng);
    ck.step = r->trainer.step;
    ck.total_steps = total_steps;
    ck.batch_size = batch;
    ck.ranks = ranks;
    ck.config_text = cfg->text;
    ck.circuit_text = r->circuit_text;
    ck.archive_split = r->split_text;
    ck.train_loss = train_loss;
    memcpy(ck.recent_losses, r->recent_losses, sizeof ck.recent_losses);
    ck.eval_loss = ef->loss;
    ck.eval_ler = ef->ler;
    ck.eval_noflip_ler = ef->noflip_ler;
    ck.eval_shots = eval_shots;
    ck.eval_step = eval_step;
    return ck;
}

// Rank 0: the checkpoint (or init model) fits this run's model and layout.
static int check_loaded(const qp_nn_checkpoint *ck, const train_run *r, int resume, uint64_t batch, uint64_t seed,
                        qp_err *err) {
    nn_config have = ck->model;
    const nn_config *want = &r->model.cfg;
    // train.init from a detection-event model (F = 1) into a run of more features (soft
    // readout: soft detection event, leakage): feature 0 is the detection event in both (its
    // probability in soft inputs, batch_inputs), so setup widens the input embedding with
    // zero weights on the new features (workers/nn/nn_widen.h). Never from more features, never
    // on resume.
    if (!resume && ck->model.num_features == 1) have.num_features = want->num_features;
    // train.init into a run of more layers: the model's layers come first, the new ones start
    // as the identity (their residual outputs zero, nn_widen.h). Never fewer, never on resume.
    if (!resume && ck->model.num_layers < want->num_layers) have.num_layers = want->num_layers;
    // train.init into a run m times wider (hidden, and heads with it: the head size stays; the
    // ffn and readout widths follow hidden): each unit of the model becomes m copies that
    // compute what it did (nn_widen.h). Never narrower, never on resume.
    if (!resume && have.hidden < want->hidden && want->hidden % have.hidden == 0) {
        int m = want->hidden / have.hidden;
        if (have.num_heads * m != want->num_heads)
            return qp_fail(err, "heads: a model of hidden %d with %d heads widens to hidden %d with %d heads "
                                "(the head size stays), the config has %d",
                           have.hidden, have.num_heads, want->hidden, m * have.num_heads, want->num_heads);
        have.hidden = want->hidden;
        have.num_heads = want->num_heads;
        have.ffn_hidden *= m;
        have.readout_hidden *= m;
    }
    // aux_weight weighs a training loss only: a run may start from a model trained with another.
    if (!resume) have.aux_weight = want->aux_weight;
    // train.init from a distance-portable model (nn_config_distance_portable) of another
    // distance: the same architecture and parameter layout, so its weights start this run.
    if (!resume && nn_config_distance_portable(&ck->model)) {
        have.num_stabs = want->num_stabs;
        return qp_nn_config_compare(&have, want, err);
    }
    if (qp_nn_config_compare(&have, want, err)) return -1;
    if (ck->num_dets != r->lay.num_dets)
        return qp_fail(err, "the model has %d detectors, the training circuit %d", ck->num_dets, r->lay.num_dets);
    for (int i = 0; i < 3 * ck->num_dets; i++)
        if (fabs(ck->det_coords[i] - r->coords[i]) > 1e-6)
            return qp_fail(err, "detector D%d has other coordinates in the model than in the training circuit", i / 3);
    if (resume && ck->batch_size != batch)
        return qp_fail(err, "batch_size: checkpoint %llu, config %llu (a resumed run must keep it)",
                       (unsigned long long)ck->batch_size, (unsigned long long)batch);
    if (resume && ck->rng[0] != seed)
        return qp_fail(err, "job.seed: checkpoint %llu, config %llu (a resumed run must keep it)",
                       (unsigned long long)ck->rng[0], (unsigned long long)seed);
    if (resume && r->have_arch && !ck->archive_split)
        return qp_fail(err, "it was trained on sampled shots, the config trains on train.archive %s", r->arch.root);
    if (resume && !r->have_arch && ck->archive_split)
        return qp_fail(err, "it was trained on an archive (its /archive_split), the config on sampled shots");
    return 0;
}

// Every rank's status; rank 0's message when it failed, else a generic one.
static int agree_all(MPI_Comm comm, int rc, qp_err *err) {
    int bad = rc != 0, any = bad, root_bad;
    MPI_Allreduce(&bad, &any, 1, MPI_INT, MPI_MAX, comm);
    if (!any) return 0;
    root_bad = bad;
    MPI_Bcast(&root_bad, 1, MPI_INT, 0, comm);
    if (root_bad) MPI_Bcast(err->msg, sizeof err->msg, MPI_CHAR, 0, comm);
    else if (!bad) qp_fail(err, "reading train.archive failed on another rank");
    return -1;
}

// train.archive: every rank reads the archive (the same files) and splits it as configured.
static int open_archive(train_run *r, const qp_train_config *tc, MPI_Comm comm, qp_err *err) {
    r->have_arch = 1;
    int rc = qp_archive_shots_open(&r->arch, tc->archive, err);
    if (rc == 0) rc = qp_archive_shots_split(&r->arch, tc->holdout_fraction, tc->holdout_shots, err);
    if (rc == 0) rc = qp_archive_shots_load(&r->arch, err);
    if (rc == 0) r->split_text = qp_archive_split_text(&r->arch);
    return agree_all(comm, rc, err);
}

// The sampler's defaults with the section's noise.leakage.
static qp_frame_options frame_options_of(const qp_train_config *tc) {
    qp_frame_options fo;
    qp_frame_options_default(&fo);
    fo.leakage.p = tc->data.leak_p;
    fo.leakage.mean_rounds = tc->data.leak_mean_rounds;
    return fo;
}

// Loads stage k on every rank (collective): its circuit (rank 0 builds the text, every rank
// parses it), layout and batch buffers. A model that exists keeps its parameters (and the
// trainer its moments and step) and takes the new layout's readout pooling and geometry: the
// stages share code, distance and rounds, so S and R stay; a basis change moves the types and
// lines, which only a layout-portable model may follow (the config refuses the others).
static int enter_stage(train_run *r, const qp_config *cfg, int k, MPI_Comm comm, qp_err *err) {
    int rank, size;
    MPI_Comm_rank(comm, &rank);
    MPI_Comm_size(comm, &size);
    stage_free(r);
    r->stage = k;
    qp_curriculum_stage_config(&cfg->train, k, &r->stc);
    const qp_train_config *stc = &r->stc;
    r->fo = frame_options_of(stc);
    r->lb = (int)(r->cu.batch[k] / (uint64_t)size);

    int rc = 0;
    if (rank == 0 && r->have_arch) r->circuit_text = qp_strdup(r->arch.circuit_text);
    else if (rank == 0) rc = qp_train_circuit_text(stc, &r->circuit_text, err);
    if (agree_root(comm, rc, err)) return -1;
    qp_bcast_string(comm, &r->circuit_text);
    if (qp_circuit_parse(&r->circuit, r->circuit_text, stc->data.name, err)) return -1;
    r->have_circuit = 1;
    if (r->circuit.num_observables < 1) return qp_fail(err, "train circuit %s has no observable", stc->data.name);
    if (qp_train_detector_coords(&r->circuit, &r->coords, err) ||
        nn_layout_build(&r->lay, r->coords, (int)r->circuit.num_detectors, err))
        return qp_fail_prefix(err, "train circuit %s", stc->data.name);
    r->have_layout = 1;
    int R = r->lay.num_rounds, S = r->lay.num_stabs, O = (int)r->circuit.num_observables;
    if (r->have_model) {
        if (S != r->model.cfg.num_stabs || R != r->model.max_rounds || O != r->model.cfg.num_obs)
            return qp_fail(err,
                           "train circuit %s: %d stabilizers x %d rounds, %d observables; the run's model has "
                           "%d x %d, %d",
                           stc->data.name, S, R, O, r->model.cfg.num_stabs, r->model.max_rounds, r->model.cfg.num_obs);
        memcpy(r->model.pool_w, r->lay.pool_w, (size_t)S * sizeof *r->model.pool_w);
        nn_geometry geo = nn_layout_geometry(&r->lay);
        if (nn_model_set_geometry(&r->model, &geo, err)) return qp_fail_prefix(err, "train circuit %s", stc->data.name);
    }
    int lb = r->lb, F = qp_train_model_config(stc, &r->lay, O).num_features;
    size_t det_bytes = (r->circuit.num_detectors + 7) / 8, obs_bytes = (r->circuit.num_observables + 7) / 8;
    r->dets = qp_malloc((size_t)lb * det_bytes);
    r->obs = qp_malloc((size_t)lb * obs_bytes);
    r->inputs = qp_malloc((size_t)lb * R * S * F * sizeof(float));
    if (soft_inputs_init(&r->soft, &r->circuit, stc, lb, err)) return -1;
    if (r->soft.on) r->p1 = qp_malloc((size_t)lb * r->soft.per_shot * sizeof(float));
    r->targets = qp_malloc((size_t)lb * O * sizeof(float));
    return 0;
}

// Every stage's batch splits over the ranks (checked before anything runs).
static int check_batches(const qp_config *cfg, int size, qp_err *err) {
    const qp_train_config *tc = &cfg->train;
    if (!tc->num_stages && tc->batch_size % (uint64_t)size)
        return qp_fail(err, "train.batch_size %llu is not a multiple of the %d ranks",
                       (unsigned long long)tc->batch_size, size);
    for (int k = 0; k < tc->num_stages; k++) {
        const qp_train_stage *s = &tc->stages[k];
        if (s->batch_size % (uint64_t)size)
            return qp_fail(err, "%s:%d:%d: train.curriculum[%d].batch_size: %llu is not a multiple of the %d ranks",
                           cfg->source, s->line, s->col, k, (unsigned long long)s->batch_size, size);
    }
    return 0;
}

// Sets up circuit, layout, model, trainer and buffers on every rank. Collective.
static int setup(train_run *r, const qp_config *cfg, const qp_train_job_options *opt, int64_t total_steps,
                 const char *ckpath, MPI_Comm comm, qp_err *err) {
    const qp_train_config *tc = &cfg->train;
    int rank, size;
    MPI_Comm_rank(comm, &rank);
    MPI_Comm_size(comm, &size);
    if (check_batches(cfg, size, err)) return -1;
    qp_curriculum_init(&r->cu, tc, total_steps);
    if (tc->archive[0] && open_archive(r, tc, comm, err)) return -1;

    // Start from a checkpoint (resume) or a model (train.init). Rank 0 reads it first: a resumed
    // run starts in the stage of the checkpoint's step.
    const char *from = opt->resume ? ckpath : tc->init[0] ? tc->init : NULL;
    int64_t step = 0;
    int rc = from && rank == 0 ? qp_nn_checkpoint_read(from, opt->resume, &r->loaded, err) : 0;
    if (agree_root(comm, rc, err)) return -1;
    if (opt->resume) {
        step = rank == 0 ? r->loaded.step : 0;
        MPI_Bcast(&step, 1, MPI_INT64_T, 0, comm);
    }
    if (enter_stage(r, cfg, qp_curriculum_stage(&r->cu, step), comm, err)) return -1;

    int R = r->lay.num_rounds, O = (int)r->circuit.num_observables;
    nn_config mc = qp_train_model_config(&r->stc, &r->lay, O);
    // Buffers for the largest batch of the run (a curriculum may grow it).
    if (nn_model_create(&r->model, &mc, r->lay.pool_w, (int)(r->cu.max_batch / (uint64_t)size), R, err)) return -1;
    r->have_model = 1;
    nn_geometry geo = nn_layout_geometry(&r->lay);
    if (nn_model_set_geometry(&r->model, &geo, err)) return -1;
    nn_model_init_params(&r->model, cfg->job.seed);
    nn_adam_config adam = nn_adam_default(total_steps);
    adam.lr = (float)tc->learning_rate;
    adam.warmup_steps = (int)tc->warmup_steps;
    adam.weight_decay = (float)tc->weight_decay;
    adam.grad_clip = (float)tc->grad_clip;
    nn_trainer_init(&r->trainer, &r->model, &adam);
    r->have_trainer = 1;
    qp_allreduce_init(&r->ar, comm, opt->fixed_order ? QP_ALLREDUCE_FIXED_ORDER : QP_ALLREDUCE_MPI);
    r->have_ar = 1;

    for (int i = 0; i < LOSS_WINDOW; i++) r->recent_losses[i] = NAN;
    if (from) {
        rc = 0;
        if (rank == 0) {
            if (check_loaded(&r->loaded, r, opt->resume, r->cu.batch[r->stage], cfg->job.seed, err)) {
                qp_fail_prefix(err, "%s %s does not fit this config", opt->resume ? "checkpoint" : "train.init", from);
                rc = -1;
            }
            if (rc == 0 && opt->resume && r->have_arch) {
                char what[QP_CONFIG_PATH_MAX + 16];
                snprintf(what, sizeof what, "checkpoint %s", from);
                rc = qp_archive_split_check(&r->arch, r->loaded.archive_split, what, err);
            }
            // A copy, or widened to more features, layers or width (check_loaded allowed it).
            if (rc == 0)
                rc = nn_params_widen(&r->loaded.model, r->loaded.params, &r->model.cfg, r->model.params_memory, err);
        }
        if (agree_root(comm, rc, err)) return -1;
        size_t n = r->model.num_params;
        bcast_floats(comm, r->model.params_memory, n);
        if (opt->resume) {
            if (rank == 0) {
                memcpy(r->trainer.m, r->loaded.adam_m, n * sizeof(float));
                memcpy(r->trainer.v, r->loaded.adam_v, n * sizeof(float));
            }
            bcast_floats(comm, r->trainer.m, n);
            bcast_floats(comm, r->trainer.v, n);
            r->trainer.step = step;
            if (rank == 0) memcpy(r->recent_losses, r->loaded.recent_losses, sizeof r->recent_losses);
            MPI_Bcast(r->recent_losses, LOSS_WINDOW, MPI_DOUBLE, 0, comm);
        }
        qp_nn_checkpoint_free(&r->loaded);
    }
    return 0;
}

// Rank 0, with a curriculum: the held-out circuit is the last stage's, with its own layout: one
// fixed held-out set for the whole run, drawn from the distribution the run ends on (and the
// final checkpoint's circuit), so every evaluation measures the same thing.
static int eval_circuit_init(train_run *r, const qp_train_config *tc, qp_train_config *last, qp_err *err) {
    qp_curriculum_stage_config(tc, tc->num_stages - 1, last);
    char *text = NULL;
    int rc = qp_train_circuit_text(last, &text, err);
    if (rc == 0) rc = qp_circuit_parse(&r->eval_circuit, text, last->data.name, err);
    free(text);
    if (rc) return -1;
    r->have_eval_circuit = 1;
    if (qp_train_layout_from_circuit(&r->eval_circuit, &r->eval_lay, err))
        return qp_fail_prefix(err, "train circuit %s", last->data.name);
    r->have_eval_lay = 1;
    return 0;
}

// Rank 0: the progress line of a curriculum stage.
static void print_stage(const train_run *r, int size) {
    int k = r->stage;
    fprintf(stderr, "qecpipe train: stage %d/%d, steps %lld..%lld: %s, batch %llu (%d per rank)\n", k + 1,
            r->cu.num_stages, (long long)r->cu.first_step[k], (long long)r->cu.first_step[k + 1], r->stc.data.name,
            (unsigned long long)r->cu.batch[k], (int)(r->cu.batch[k] / (uint64_t)size));
}

int qp_train_job(const qp_config *cfg, const qp_train_job_options *opt, MPI_Comm comm, qp_err *err) {
    const qp_train_config *tc = &cfg->train;
    if (!tc->present) return qp_fail(err, "%s: the config has no train section", cfg->source);
    int rank, size;
    MPI_Comm_rank(comm, &rank);
    MPI_Comm_size(comm, &size);
    openblas_set_num_threads(1);  // small GEMMs: one thread per rank is fastest on shared cores
    if (tc->num_stages && opt->steps && opt->steps != tc->steps)
        return qp_fail(err, "--steps %llu: train.curriculum sets the run's length (%llu steps, its stages' sum); "
                            "stop earlier with --stop-after",
                       (unsigned long long)opt->steps, (unsigned long long)tc->steps);
    int64_t total_steps = (int64_t)(opt->steps ? opt->steps : tc->steps);
    const char *ckpath = opt->checkpoint ? opt->checkpoint : tc->checkpoint;
    uint64_t seed = cfg->job.seed;
    uint64_t train_stream = stream_id("qecpipe.train"), eval_stream = stream_id("qecpipe.train-eval");

    // Claim the checkpoint before reading or writing anything; rank 0 holds it to the end.
    int given = rank == 0 && opt->claim;
    MPI_Bcast(&given, 1, MPI_INT, 0, comm);
    qp_output *own = NULL, *claim = opt->claim;
    if (!given) {
        if (qp_store_claim(ckpath, comm, &own, err) != 0) return -1;
        claim = own;
    }

    train_run r;
    memset(&r, 0, sizeof r);
    if (setup(&r, cfg, opt, total_steps, ckpath, comm, err)) {
        train_run_free(&r);
        qp_output_release(own);
        return -1;
    }
    int R = r.lay.num_rounds;
    nn_allreduce ar = {qp_allreduce_sum, &r.ar, size};
    int rc = 0;
    if (rank == 0 && tc->num_stages) {  // the last stage's circuit (eval_circuit_init)
        qp_train_config last;
        rc = eval_circuit_init(&r, tc, &last, err);
        qp_frame_options efo = frame_options_of(&last);
        if (rc == 0)
            rc = eval_set_init(&r.ev, &r.eval_circuit, &efo, &last, &r.eval_lay, &r.model.cfg, seed, eval_stream,
                               tc->eval_shots, NULL, err);
    } else if (rank == 0) {
        rc = eval_set_init(&r.ev, &r.circuit, &r.fo, &r.stc, &r.lay, &r.model.cfg, seed, eval_stream, tc->eval_shots,
                           r.have_arch ? &r.arch : NULL, err);
    }
    const char *held = tc->num_stages ? " of the last stage" : "";  // which held-out set, in progress lines
    if (agree_root(comm, rc, err)) {
        train_run_free(&r);
        qp_output_release(own);
        return -1;
    }

    struct sigaction on_term = {0}, old_term;
    on_term.sa_handler = qp_train_on_sigterm;
    sigemptyset(&on_term.sa_mask);
    on_term.sa_flags = SA_RESTART;  // system calls inside MPI and HDF5 resume instead of failing with EINTR
    qp_train_sigterm_seen = 0;
    sigaction(SIGTERM, &on_term, &old_term);

    int64_t start = r.trainer.step, stop = total_steps;
    if (opt->stop_after && (int64_t)opt->stop_after < stop) stop = (int64_t)opt->stop_after;
    if (opt->resume && start >= stop) {  // nothing to train: the checkpoint stays as it is
        if (rank == 0 && !opt->quiet)
            fprintf(stderr, "qecpipe train: %s is already at step %lld of %lld; nothing to resume, left unchanged\n",
                    ckpath, (long long)start, (long long)total_steps);
        if (opt->summary)
            *opt->summary = (qp_train_summary){.start_step = start, .end_step = start, .interrupted = start < total_steps,
                                               .loss_first = NAN, .loss_last = NAN, .eval_loss = NAN,
                                               .eval_ler = NAN, .eval_noflip_ler = NAN};
        sigaction(SIGTERM, &old_term, NULL);
        train_run_free(&r);
        qp_output_release(own);
        return 0;
    }
    qp_train_summary sum = {.start_step = start};
    eval_figures last_eval = {NAN, NAN, NAN};
    int64_t last_eval_step = 0;
    double loss_first = 0, window_loss = 0, train_s = 0, cpu_s = 0, agree_cpu_s = 0, samples = 0;
    int n_first = 0, window_n = 0;
    int64_t recorded = start;  // steps before this one have their loss in r.recent_losses
    double prev_loss = 0;
    if (rank == 0 && !opt->quiet)
        fprintf(stderr,
                "qecpipe train: %s on %d rank%s: %zu parameters (H=%d L=%d heads=%d), S=%d stabilizers x R=%d "
                "rounds, batch %llu (%d per rank), steps %lld..%lld\n",
                r.stc.data.name, size, size == 1 ? "" : "s", r.model.num_params, r.model.cfg.hidden,
                r.model.cfg.num_layers, r.model.cfg.num_heads, r.lay.num_stabs, R,
                (unsigned long long)r.cu.batch[r.stage], r.lb, (long long)start, (long long)total_steps);
    if (rank == 0 && !opt->quiet && tc->num_stages) print_stage(&r, size);

    for (;;) {
        int64_t step = r.trainer.step;
        int done = step >= stop;
        double t0 = MPI_Wtime(), c0 = thread_cpu_seconds();
        int sample_rc = 0, lb = r.lb;
        qp_err sample_err;
        uint64_t first = qp_curriculum_shot(&r.cu, step) + (uint64_t)rank * lb;  // this rank's slice of the step
        if (!done && r.have_arch)
            qp_archive_shots_batch(&r.arch, seed, train_stream, first, (uint64_t)lb, r.dets, r.obs);
        else if (!done)
            sample_rc = sample_shots(&r.circuit, &r.fo, &r.soft, seed, train_stream, first, (uint64_t)lb, r.dets,
                                     r.obs, r.p1, &sample_err);
        // One tiny all-reduce per step: SIGTERM on any rank, a sampling failure, the last step's loss.
        double red[3] = {qp_train_sigterm_seen ? 1 : 0, sample_rc ? 1 : 0, prev_loss};
        if (size > 1) {
            double c1 = thread_cpu_seconds();
            MPI_Allreduce(MPI_IN_PLACE, red, 3, MPI_DOUBLE, MPI_SUM, comm);
            if (!done) agree_cpu_s += thread_cpu_seconds() - c1;
        }
        if (step > start) {
            double loss = red[2] / size;
            if (n_first < LOSS_WINDOW) loss_first += loss, n_first++;
            if (recorded < step) recent_push(r.recent_losses, loss), recorded = step;
            window_loss += loss, window_n++;
        }
        if (red[1] > 0) {
            if (sample_rc)
                *err = sample_err;
            else
                qp_fail(err, "sampling training shots failed on another rank");
            rc = -1;
            break;
        }
        if (done) break;
        if (red[0] > 0) {
            sum.interrupted = 1;
            break;
        }
        batch_inputs(&r.soft, &r.lay, r.dets, r.p1, lb, r.inputs);
        nn_layout_targets_from_b8(r.obs, lb, r.model.cfg.num_obs, r.targets);
        nn_step_stats st;
        if (nn_train_step(&r.trainer, r.inputs, r.lay.present, r.targets, lb, R, &ar, &st, err)) {
            rc = -1;
            break;
        }
        prev_loss = st.loss;
        samples += lb;
        train_s += MPI_Wtime() - t0;
        cpu_s += thread_cpu_seconds() - c0;
        int64_t now = r.trainer.step;
        // A stage boundary: the next step's circuit, layout and batch, loaded before any checkpoint
        // of this step, so that a checkpoint's layout is the one its resume starts with.
        int next_stage = qp_curriculum_stage(&r.cu, now);
        if (next_stage != r.stage) {
            if (enter_stage(&r, cfg, next_stage, comm, err)) {
                rc = -1;
                break;
            }
            if (rank == 0 && !opt->quiet) print_stage(&r, size);
        }
        if (now >= stop) continue;  // the end: evaluated and checkpointed after the loop
        if (tc->eval_every && now % (int64_t)tc->eval_every == 0 && rank == 0) {
            last_eval = evaluate(&r.ev, &r.model);
            last_eval_step = now;
            if (!opt->quiet)
                fprintf(stderr,
                        "qecpipe train: step %lld/%lld loss %.4f lr %.2e | held-out %llu shots%s: loss %.4f "
                        "LER %.4f (no-flip %.4f) | %.0f samples/s/rank\n",
                        (long long)now, (long long)total_steps, window_n ? window_loss / window_n : NAN, st.lr,
                        (unsigned long long)r.ev.n, held, last_eval.loss, last_eval.ler, last_eval.noflip_ler,
                        train_s > 0 ? samples / train_s : 0);
            window_loss = 0, window_n = 0;
        }
        if (tc->checkpoint_every && now % (int64_t)tc->checkpoint_every == 0) {
            // The checkpoint holds this step's loss too (its all-reduce is otherwise the next step's).
            double loss = st.loss;
            if (size > 1) MPI_Allreduce(MPI_IN_PLACE, &loss, 1, MPI_DOUBLE, MPI_SUM, comm);
            recent_push(r.recent_losses, loss / size);
            recorded = now;
            uint64_t rng[4] = {seed, train_stream, eval_stream, qp_curriculum_shot(&r.cu, now)};
            double tl = recent_mean(r.recent_losses);
            qp_nn_checkpoint ck = checkpoint_of(&r, cfg, total_steps, r.cu.batch[r.stage], size, rng, tl, &last_eval,
                                                r.ev.n, last_eval_step);
            int wrc = rank == 0 ? qp_nn_checkpoint_commit(claim, &ck, err) : 0;
            if (agree_root(comm, wrc, err)) {
                rc = -1;
                break;
            }
        }
    }

    if (rc == 0) {
        int64_t now = r.trainer.step;
        if (!sum.interrupted && now >= stop && stop < total_steps) sum.interrupted = 1;  // stop_after
        if (rank == 0 && !sum.interrupted) {
            last_eval = evaluate(&r.ev, &r.model);
            last_eval_step = now;
        }
        double tl = recent_mean(r.recent_losses);
        uint64_t rng[4] = {seed, train_stream, eval_stream, qp_curriculum_shot(&r.cu, now)};
        qp_nn_checkpoint ck = checkpoint_of(&r, cfg, total_steps, r.cu.batch[r.stage], size, rng, tl, &last_eval,
                                            r.ev.n, last_eval_step);
        int wrc = rank == 0 ? qp_nn_checkpoint_commit(claim, &ck, err) : 0;
        rc = agree_root(comm, wrc, err);
        double figs[4] = {last_eval.loss, last_eval.ler, last_eval.noflip_ler, (double)r.ev.n};
        MPI_Bcast(figs, 4, MPI_DOUBLE, 0, comm);
        sum.end_step = now;
        sum.loss_first = n_first ? loss_first / n_first : NAN;
        sum.loss_last = tl;
        sum.eval_loss = figs[0], sum.eval_ler = figs[1], sum.eval_noflip_ler = figs[2];
        sum.eval_shots = (uint64_t)figs[3];
        sum.train_seconds = train_s;
        sum.samples_per_s_per_rank = train_s > 0 ? samples / train_s : 0;
        sum.allreduce_seconds = r.ar.seconds;
        sum.flops_per_sample = nn_flops_train(&r.model.cfg, R, r.model.num_lines);
        double cpu[2] = {cpu_s, agree_cpu_s + r.ar.cpu_seconds};  // means over the ranks
        if (size > 1) MPI_Allreduce(MPI_IN_PLACE, cpu, 2, MPI_DOUBLE, MPI_SUM, comm);
        sum.cpu_seconds = cpu[0] / size;
        sum.mpi_cpu_seconds = cpu[1] / size;
        double flops = samples * sum.flops_per_sample;
        sum.gflops_per_rank = sum.cpu_seconds > 0 ? flops / sum.cpu_seconds / 1e9 : 0;
        double compute_s = sum.cpu_seconds - sum.mpi_cpu_seconds;
        sum.gflops_per_rank_compute = compute_s > 0 ? flops / compute_s / 1e9 : 0;
        if (rc == 0 && rank == 0 && !opt->quiet) {
            if (sum.interrupted)
                fprintf(stderr,
                        "qecpipe train: stopped at step %lld of %lld (%.0f samples/s/rank); checkpoint %s "
                        "written; continue with --resume\n",
                        (long long)now, (long long)total_steps, sum.samples_per_s_per_rank, ckpath);
            else
                fprintf(stderr,
                        "qecpipe train: done: step %lld, loss %.4f -> %.4f, held-out %llu shots%s: loss %.4f LER "
                        "%.4f (no-flip %.4f), %.0f samples/s/rank, all-reduce %.1f%% of step time; wrote %s\n",
                        (long long)now, sum.loss_first, sum.loss_last, (unsigned long long)sum.eval_shots, held,
                        sum.eval_loss, sum.eval_ler, sum.eval_noflip_ler, sum.samples_per_s_per_rank,
                        train_s > 0 ? 100 * sum.allreduce_seconds / train_s : 0, ckpath);
            // The MFU numerator (bench/bench_train.sh divides by the sgemm rate of the same run).
            fprintf(stderr,
                    "qecpipe train: compute: %.0f training FLOPs/sample, %.2f CPU s/rank in steps (%.2f in MPI), "
                    "%.0f samples/CPU-s/rank, %.2f GFLOP/CPU-s/rank (%.2f outside MPI)\n",
                    sum.flops_per_sample, sum.cpu_seconds, sum.mpi_cpu_seconds,
                    sum.cpu_seconds > 0 ? samples / sum.cpu_seconds : 0, sum.gflops_per_rank,
                    sum.gflops_per_rank_compute);
        }
        if (opt->summary) *opt->summary = sum;
    }
    // Restored only now: a second SIGTERM during the final checkpoint must not kill the write.
    sigaction(SIGTERM, &old_term, NULL);
    train_run_free(&r);
    qp_output_release(own);
    return rc;
}

int qp_train_export_holdout(const qp_config *cfg, const char *checkpoint, const char *dest, qp_err *err) {
    const qp_train_config *tc = &cfg->train;
    if (!tc->archive[0]) return qp_fail(err, "%s: --export-holdout needs train.archive in the config", cfg->source);
    qp_nn_checkpoint ck;
    if (qp_nn_checkpoint_read(checkpoint, 0, &ck, err)) return -1;
    int rc = 0;
    if (!ck.archive_split)
        rc = qp_fail(err, "checkpoint %s has no /archive_split: it was not trained on an archive", checkpoint);
    qp_archive_shots a;
    int have = 0;
    char what[QP_CONFIG_PATH_MAX + 16];
    snprintf(what, sizeof what, "checkpoint %s", checkpoint);
    if (rc == 0) {
        have = 1;
        rc = qp_archive_shots_open(&a, tc->archive, err);
    }
    if (rc == 0) rc = qp_archive_split_apply(&a, ck.archive_split, err);
    if (rc == 0) rc = qp_archive_split_check(&a, ck.archive_split, what, err);
    if (rc == 0) rc = qp_archive_shots_load(&a, err);
    if (rc == 0) rc = qp_archive_shots_export_holdout(&a, dest, err);
    if (have) qp_archive_shots_free(&a);
    qp_nn_checkpoint_free(&ck);
    return rc;
}
