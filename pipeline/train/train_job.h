// `qecpipe train`: trains the neural decoder data-parallel over the ranks of a communicator.
//
// Promises:
// - Data: nothing on disk. Step s trains on shots [s*G, (s+1)*G) of the frame-sampler run
//   (job.seed, stream id = hash of "qecpipe.train") of the training circuit, G =
//   train.batch_size; rank r of N samples and trains on its contiguous slice
//   [s*G + r*G/N, s*G + (r+1)*G/N). So the global set of shots per step does not depend on N,
//   and N ranks reach the weights of 1 rank up to float rounding. G must be a multiple of N.
// - train.curriculum (pipeline/train/curriculum.h): stage k's steps train on stage k's circuit
//   (the section's code, distance and rounds; the stage's noise and basis) with its batch G_k,
//   on the shots that follow the earlier stages' in the same stream (no shot twice). At a
//   boundary every rank loads the next stage's circuit, layout and buffers; parameters, Adam
//   moments, step and the one learning-rate schedule carry over, and the model takes the new
//   layout's pooling and geometry (its buffers fit the largest batch). A resume starts in the
//   stage of its step. The held-out set is the last stage's circuit's, for the whole run.
// - With train.archive (fine-tuning on archived device data, train/archive_shots.h): the
//   training samples are the archive's training shots, epoch after epoch, each epoch in a
//   permutation from (job.seed, the same stream id, epoch); sample k of the run is what shot
//   k of the sampled stream would be, so the slicing over ranks is the same. The held-out set
//   is eval_shots of the archive's held-out shots (evenly spaced; all when fewer). The split is
//   stored in the checkpoint (/archive_split); a resume checks the archive (shots, SHA-256) and
//   the config's split against it and refuses a difference.
// - Same weights everywhere: every rank initialises from job.seed (or train.init, or the
//   checkpoint), and one all-reduce of the single gradient buffer per step
//   (scheduler/allreduce.h) keeps them equal. AdamW, warmup + cosine, clipping: workers/nn.
// - Rank 0 evaluates every train.eval_every steps and at the end on a fixed held-out set
//   (shots [0, eval_shots) of stream "qecpipe.train-eval", sampled once): mean BCE loss,
//   logical error rate (a shot is wrong when any observable is mispredicted) and the LER of
//   "always predict no flip"; one progress line on stderr each time (unless quiet).
// - One writer: rank 0 claims the checkpoint path (pipeline/output) before anything is read or
//   written and holds the claim to the end; a second job aimed at it exits at once, naming
//   the holder.
// - Checkpoints (pipeline/train/checkpoint.h), written by rank 0 alone, atomically, every
//   train.checkpoint_every steps, at the end, and when SIGTERM arrives: the handler only sets a
//   flag; the ranks agree on it at the start of each step (a tiny all-reduce), write the
//   checkpoint of the last finished step and return 0 with summary->interrupted = 1
//   (`qecpipe train` then exits 0 and says to continue with --resume; the checkpoint's
//   `complete` attribute is 0).
// - train.init (never --resume) starts from a model's weights. Its config must equal the run's
//   (pipeline/train/checkpoint.h, qp_nn_config_compare), except: num_stabs when the model is
//   distance-portable (nn_config_distance_portable), and num_features when the model takes the
//   detection event alone (F = 1) and the run takes more (soft readout: F = 2, feature 0 the
//   soft detection event, i.e. the probability of the event the hard model saw as 0/1, and
//   feature 1 the leakage probability). Then the F = 1 input embedding becomes feature 0's and
//   the new features start at weight 0 (workers/nn/nn_widen.h): before its first step the run
//   predicts what the model predicts from feature 0. And num_layers when the run has more:
//   the model's layers come first in each round, the new ones start as the identity (their
//   residual outputs zero; the rest of them from job.seed), so again the run starts from the
//   model's predictions. And hidden when the run's is m times the model's with heads m times
//   too (ffn and readout widths follow hidden): each unit becomes m copies that compute what it
//   did (nn_widen.h), the run starts from the model's predictions up to float rounding.
//   aux_weight (a training loss's weight, not a tensor) may differ too.
//   A non-portable model must also have the run's detectors and coordinates. Anything else
//   fails with one line naming the first key.
// - Resume: continues from the checkpoint (params, Adam moments, step; the data stream is
//   indexed by step) and reaches bit for bit the weights of an uninterrupted run on 1 rank,
//   and on any rank count with the fixed-order all-reduce (same rank count as before). The
//   checkpoint must match the config's model size, circuit layout, batch_size and job.seed (with
//   a curriculum: the layout and batch_size of the stage of its step).
// - Every failure is one line in err, the same on every rank (collective agreement).
// - Side effects beyond the checkpoint: OpenBLAS is set to one thread per process (the GEMMs
//   are small; ranks share the cores), and a SIGTERM handler is installed for the duration
//   of the loop (the previous one is restored).
// The held-out and training stream ids are in the checkpoint's /rng dataset, so anyone can
// re-sample the exact held-out shots (e.g. `qecpipe simulate --seed S --stream ID`) to
// compare other decoders on them.
#ifndef QP_TRAIN_TRAIN_JOB_H
#define QP_TRAIN_TRAIN_JOB_H

#include <mpi.h>
#include <stdint.h>

#include "pipeline/config/config.h"
#include "pipeline/output/output.h"
#include "workers/util/err.h"

// Figures of the run, the same on every rank (rank 0's evaluation is broadcast at the end).
typedef struct qp_train_summary {
    int64_t start_step, end_step;  // this run trained steps [start_step, end_step)
    int interrupted;               // stopped early (SIGTERM or stop_after); checkpoint written
    double loss_first, loss_last;  // mean global training loss over the first / last (up to) 20 steps of this run
    double eval_loss, eval_ler, eval_noflip_ler;  // final held-out figures (NaN when interrupted before any eval)
    uint64_t eval_shots;
    double train_seconds;           // wall time in sampling + training steps
    double samples_per_s_per_rank;  // local batch * steps / train_seconds
    double allreduce_seconds;       // wall time inside the gradient all-reduce
    double cpu_seconds;             // CPU time of the steps (thread of each rank), mean over the ranks
    double flops_per_sample;        // training FLOPs per shot of the model (workers/nn/nn_flops.h)
    double mpi_cpu_seconds;         // of cpu_seconds: inside MPI (gradient all-reduce, step agreement)
    double gflops_per_rank;         // flops_per_sample * local batch * steps / cpu_seconds / 1e9
    double gflops_per_rank_compute; // the same over cpu_seconds - mpi_cpu_seconds
} qp_train_summary;

typedef struct {
    int resume;                 // continue from the checkpoint (an error if there is none)
    int quiet;                  // no progress lines
    int fixed_order;            // QP_ALLREDUCE_FIXED_ORDER instead of one MPI_Allreduce
    uint64_t steps;             // > 0: overrides train.steps (the length of the run and the schedule);
                                // with train.curriculum only its own sum
    uint64_t stop_after;        // > 0: stop (checkpoint, as on SIGTERM) once this step is reached
    const char *checkpoint;     // NULL: train.checkpoint
    qp_output *claim;           // rank 0: the caller's claim on the checkpoint (qp_store_claim);
                                // NULL: the job claims it before anything else
    qp_train_summary *summary;  // NULL, or filled with the run's figures
} qp_train_job_options;

// Collective over comm. cfg must have a train section.
int qp_train_job(const qp_config *cfg, const qp_train_job_options *opt, MPI_Comm comm, qp_err *err);

// `qecpipe train CONFIG --export-holdout DIR`: the held-out shots of an archive run, as the
// checkpoint at `checkpoint` recorded its split, written as an archive under dest (the same
// folders, their circuits and DEMs, only the held-out shots), for `qecpipe redecode` to decode
// them with any decoder. Not collective (one process; MPI initialised). Refuses a checkpoint
// without a split and an archive that changed since (train/archive_shots.h).
int qp_train_export_holdout(const qp_config *cfg, const char *checkpoint, const char *dest, qp_err *err);

#endif
