// How every qecpipe output is claimed, written and finished: results files, checkpoints, shot
// files, DEMs and circuits all go through here, so they all keep the same promises.
//
// Promises:
// - One writer per output. qp_output_claim takes an exclusive fcntl record lock on
//   PATH.partial.lock (created beside the output) before anything else is opened, and records
//   the holder in it (host, pid, Slurm job id). A second claim on the same PATH, from any
//   process on any host sharing the filesystem, fails at once with one line naming the holder.
//   The lock lives in its own file because POSIX record locks are dropped when a process
//   closes ANY descriptor of the locked file: HDF5/MPI-IO opening and closing PATH.partial
//   would silently release a lock held on PATH.partial itself. Open file description locks
//   (F_OFD_SETLK) are used where the kernel has them, so two claims inside one process
//   conflict as well; otherwise classic F_SETLK. fcntl locks are honoured over NFS and Lustre
//   (flock is not everywhere).
// - A dead holder blocks nobody: the kernel (or the NFS lock manager) drops the lock of a
//   process that dies, so a resume after a crash claims at once; the stale lock file is
//   overwritten. Releasing removes the lock file (while still holding the lock, so a racing
//   claimer notices the file vanished and retries on the new one).
// - Atomic results for regular files. The bytes go to PATH.partial, and qp_output_commit
//   renames it over PATH only when it is complete: an earlier file under PATH stays intact
//   until that one step. A symlink to a regular file is followed: its target is written
//   atomically and the link stays a link.
// - Special files are written in place. A PATH that exists and is not a regular file (a
//   character device such as /dev/null, a FIFO, a terminal) is opened and written where it
//   is: never renamed over, never locked. "-" and any name of this process's standard output
//   (/dev/stdout, /proc/self/fd/1, or the very file stdout is redirected to) mean standard
//   output, as in Stim's command line.
//
// Not provided here: collective (MPI) claims; pipeline/store's qp_store_claim has rank 0
// claim for a whole job and tells every rank the outcome.
#ifndef QP_OUTPUT_OUTPUT_H
#define QP_OUTPUT_OUTPUT_H

#include <stdio.h>

#include "workers/util/err.h"

typedef struct qp_output qp_output;

typedef enum {
    QP_OUTPUT_ATOMIC,    // regular file or new name: written to PATH.partial, renamed at commit
    QP_OUTPUT_IN_PLACE,  // existing special file: written where it is
    QP_OUTPUT_STDOUT,    // "-" or a name of our standard output
} qp_output_kind;

// Claims PATH for writing by this process (see the promises above) and returns it in *out.
// Opens nothing but the lock file. Fails when another process holds the claim (naming it),
// when PATH is a directory, or when the lock file cannot be created or locked.
int qp_output_claim(const char *path, qp_output **out, qp_err *err);

qp_output_kind qp_output_kind_of(const qp_output *o);
// The final name (a followed symlink's target) and the name the bytes go to until commit:
// PATH.partial for ATOMIC, PATH for IN_PLACE, "-" for STDOUT.
const char *qp_output_final_path(const qp_output *o);
const char *qp_output_write_path(const qp_output *o);

// ATOMIC: renames PATH.partial over PATH (it must be complete and closed). Other kinds:
// nothing to do. The claim stays held, so an output can be committed again and again (a
// training checkpoint).
int qp_output_commit(qp_output *o, qp_err *err);

// ATOMIC: removes PATH.partial (a failed write with nothing worth resuming). Otherwise nothing.
void qp_output_discard(qp_output *o);

// Drops the claim: removes the lock file, unlocks, frees o. Safe on NULL.
void qp_output_release(qp_output *o);

// Stream helpers for outputs written in one pass (circuits, DEMs, shot files).
// qp_output_fopen opens the write path for writing ("wb", truncating a stale .partial);
// STDOUT gives stdout.
FILE *qp_output_fopen(qp_output *o, qp_err *err);
// Flushes, fsyncs (ATOMIC) and closes f (stdout is flushed, not closed), commits, releases.
// On failure the .partial is removed and the claim released too; -1 with a message naming the
// file and the errno text (a full disk says "No space left on device").
int qp_output_finish(qp_output *o, FILE *f, qp_err *err);
// Closes f (stdout: flushes), removes the .partial, releases. Safe with f or o NULL.
void qp_output_abandon(qp_output *o, FILE *f);

#endif
