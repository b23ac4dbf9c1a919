// The results store: one parallel HDF5 file per job, written collectively by every rank of an
// MPI communicator through the MPI-IO driver.
//
// Promises:
// - One writer. Before any rank opens anything for writing, rank 0 claims PATH
//   (pipeline/output/output.h: a lock on PATH.partial.lock naming host, pid and Slurm job)
//   and every rank learns the outcome; a job refused the claim opens nothing. The claim is
//   held until close or abort (or, for qp_store_create_claimed, by the caller). PATH must be a
//   regular file or a new name: HDF5 cannot write to a device, a FIFO or standard output.
// - Atomic output. qp_store_create writes PATH.partial; only qp_store_close renames it to PATH
//   (rank 0, after every rank has closed the file). A crash, an MPI_Abort or qp_store_abort
//   never leaves a file under PATH, and a file already at PATH stays untouched until the
//   rename replaces it in one step.
// - Resumable. A crashed or failed run (a full disk included) leaves PATH.partial behind,
//   holding the task journal (store_journal.h); qp_store_open(..., QP_STORE_RESUME) or
//   qp_store_create_or_resume reopens it read-write and qp_store_close renames it as usual.
//   qp_store_abort removes a PATH.partial only if it created it and no journal row reached it.
// - One answer on every rank. Collective functions agree on the outcome before they return:
//   if any rank fails, every rank returns -1 with the same one-line message (the message of the
//   lowest failing rank), so a caller can branch on the status without further messages.
//
// Collective means: every rank of the store's communicator calls the function, in the same
// order, with the same arguments (except where a function says "per rank"). Reads through an
// open dataset handle, attribute gets and text reads are independent: any rank may call them
// alone. A single process that wants to read on its own opens the file with MPI_COMM_SELF.
//
// The module: store.h (the file, groups), store_dataset.h (per-shot arrays, b8 bits),
// store_attr.h (metadata), store_journal.h (finished tasks), store_text.h (circuits, DEMs),
// store_name.h (experiment names as group names), store_unlink.h (dropping objects).
// The file layout conventions (groups, attribute names, b8 bit packing, the journal) are in
// docs/hdf5-layout.md.
#ifndef QP_STORE_STORE_H
#define QP_STORE_STORE_H

#include <mpi.h>
#include <stdint.h>

#include "pipeline/output/output.h"
#include "workers/util/err.h"

typedef struct qp_store qp_store;

typedef enum {
    QP_STORE_READ,    // open PATH read-only; close leaves it as it is
    QP_STORE_RESUME,  // open PATH.partial read-write (an unfinished run); close renames it to PATH
} qp_store_mode;

// Collective. Claims PATH, creates PATH.partial (truncating a stale one) and returns the store
// in *out. Fails on every rank, opening nothing, when another job holds PATH.
int qp_store_create(const char *path, MPI_Comm comm, qp_store **out, qp_err *err);

// Collective. Opens an existing file; see qp_store_mode for which file is opened. RESUME
// claims PATH first, as qp_store_create does.
int qp_store_open(const char *path, MPI_Comm comm, qp_store_mode mode, qp_store **out, qp_err *err);

// Collective. Claims PATH, then resumes PATH.partial when it exists (*resumed = 1), else
// creates it (*resumed = 0). A PATH.partial that does not even begin with HDF5's signature
// (cut off right after creation) holds nothing and is created afresh.
int qp_store_create_or_resume(const char *path, MPI_Comm comm, qp_store **out, int *resumed,
                              qp_err *err);

// Collective. Rank 0 claims PATH for the caller, who holds it across several stores (a job
// claims its outputs first thing; training commits one checkpoint after another under one
// claim). *claim is set on rank 0 and NULL on the others; on refusal every rank returns -1
// with rank 0's line (naming the holder). Release with qp_output_release on rank 0.
int qp_store_claim(const char *path, MPI_Comm comm, qp_output **claim, qp_err *err);

// Collective. qp_store_create (resume = 0) or qp_store_create_or_resume (resume = 1) under
// the caller's claim (rank 0's; NULL on the others). Close commits the claim (the rename) but
// leaves it held; abort never releases it either. resumed may be NULL.
int qp_store_create_claimed(qp_output *claim, MPI_Comm comm, int resume, qp_store **out, int *resumed,
                            qp_err *err);

// Collective. Flushes and closes the file (closing and freeing any dataset handles still open),
// then, for a created or resumed store, renames PATH.partial to PATH. Frees the store even on
// failure; on failure PATH.partial is kept (for a resume) and PATH is not touched.
int qp_store_close(qp_store *store, qp_err *err);

// Collective. Closes the file without renaming and frees the store. Removes PATH.partial only if
// this store created it and appended no journal row (a resumed or journaled PATH.partial is
// kept for the next attempt). Never touches PATH. Safe on NULL.
void qp_store_abort(qp_store *store);

// Collective. Writes every buffered change to disk (metadata included), so that a crash after
// this point leaves a PATH.partial that opens and holds everything written so far.
int qp_store_flush(qp_store *store, qp_err *err);

// Collective. Makes room on disk, before a collective write, for `rows` more rows in every open
// dataset plus `bytes` more (texts, datasets about to be created), with one chunk per open
// dataset and 1 MiB of metadata to spare: rank 0 preallocates the space (fallocate, keeping
// the file size; where the filesystem cannot, it checks the free space). A full disk is found
// here, as one line naming the space needed and free, with nothing written: parallel HDF5
// cannot recover from a write failing inside a collective (its ranks deadlock), and its own
// message for a full disk is only "file write failed". Call it where the file is flushed
// (after a journal append), so that an abort has nothing left to write.
int qp_store_reserve(qp_store *store, uint64_t rows, uint64_t bytes, qp_err *err);

// Collective. Creates the group at an absolute path such as "/experiments/x/decoders/mwpm",
// with every missing intermediate group; an existing group is not an error.
int qp_store_group_create(qp_store *store, const char *path, qp_err *err);

// Independent. 1 if an object (group or dataset) exists at the absolute path, else 0.
int qp_store_exists(qp_store *store, const char *path);

// Independent. The names of the members (groups and datasets) of the group at path, in
// ascending name order: *names is a qp_malloc'd array of *n qp_malloc'd strings (NULL when
// n == 0); free with qp_store_names_free.
int qp_store_group_list(qp_store *store, const char *path, char ***names, size_t *n, qp_err *err);
void qp_store_names_free(char **names, size_t n);

// The communicator (a duplicate of the one passed in), the final path, and the file actually
// open (PATH.partial while writing, PATH when reading).
MPI_Comm qp_store_comm(const qp_store *store);
const char *qp_store_final_path(const qp_store *store);
const char *qp_store_file_path(const qp_store *store);

#endif
