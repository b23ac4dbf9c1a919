// The results store: one parallel HDF5 file per job, written collectively by every rank of an
// MPI communicator through the MPI-IO driver.
//
// Promises:
// - Atomic output. qp_store_create writes PATH.partial; only qp_store_close renames it to PATH
//   (rank 0, after every rank has closed the file). A crash, an MPI_Abort or qp_store_abort
//   never leaves a file under PATH, and a file already at PATH stays untouched until the
//   rename replaces it in one step.
// - Resumable. A crashed run leaves PATH.partial behind, holding the task journal
//   (store_journal.h); qp_store_open(..., QP_STORE_RESUME) or qp_store_create_or_resume
//   reopens it read-write and qp_store_close renames it as usual.
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
// docs/hdf5-layout.md. Not provided here: locking against two jobs writing the same path.
#ifndef QP_STORE_STORE_H
#define QP_STORE_STORE_H

#include <mpi.h>

#include "workers/util/err.h"

typedef struct qp_store qp_store;

typedef enum {
    QP_STORE_READ,    // open PATH read-only; close leaves it as it is
    QP_STORE_RESUME,  // open PATH.partial read-write (an unfinished run); close renames it to PATH
} qp_store_mode;

// Collective. Creates PATH.partial (truncating a stale one) and returns the store in *out.
int qp_store_create(const char *path, MPI_Comm comm, qp_store **out, qp_err *err);

// Collective. Opens an existing file; see qp_store_mode for which file is opened.
int qp_store_open(const char *path, MPI_Comm comm, qp_store_mode mode, qp_store **out, qp_err *err);

// Collective. Resumes PATH.partial when it exists (*resumed = 1), else creates it (*resumed = 0).
int qp_store_create_or_resume(const char *path, MPI_Comm comm, qp_store **out, int *resumed,
                              qp_err *err);

// Collective. Flushes and closes the file (closing and freeing any dataset handles still open),
// then, for a created or resumed store, renames PATH.partial to PATH. Frees the store even on
// failure; on failure PATH.partial is kept (for a resume) and PATH is not touched.
int qp_store_close(qp_store *store, qp_err *err);

// Collective. Closes the file without renaming and frees the store. Removes PATH.partial only if
// this store created it (a resumed PATH.partial existed before and is kept for the next attempt).
// Never touches PATH. Safe on NULL.
void qp_store_abort(qp_store *store);

// Collective. Writes every buffered change to disk (metadata included), so that a crash after
// this point leaves a PATH.partial that opens and holds everything written so far.
int qp_store_flush(qp_store *store, qp_err *err);

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
