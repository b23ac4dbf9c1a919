// Shared by the store's own .c files only: the structs behind the opaque handles, the HDF5
// error capture and the cross-rank agreement on success or failure. Not for other modules.
#ifndef QP_STORE_INTERNAL_H
#define QP_STORE_INTERNAL_H

#include <hdf5.h>
#include <stdint.h>

#include "pipeline/store/store.h"
#include "pipeline/store/store_dataset.h"

struct qp_store {
    hid_t file;
    MPI_Comm comm;        // our duplicate; freed on close
    int rank, size;
    int writable;         // 0 for QP_STORE_READ
    int created;          // 1 if this store created PATH.partial (abort removes it unless journaled)
    int journaled;        // 1 once a journal row is on disk: the file holds work worth resuming
    qp_output *claim;     // writable, rank 0: the claim on PATH (NULL on the other ranks)
    int owns_claim;       // 1 if the store took the claim itself (released at close / abort)
    uint64_t dense_to;    // rank 0: bytes [0, dense_to) of file_path are allocated on disk
                          // (qp_store_reserve)
    char *final_path;     // PATH (a symlink's target when the claim followed one)
    char *file_path;      // PATH.partial (writable) or PATH (read)
    qp_store_dset *dsets; // open dataset handles (a list), freed by close / abort
};

struct qp_store_dset {
    qp_store *store;
    hid_t id;
    qp_store_type type;
    int ndims;            // 1: [rows]; 2: [rows, cols]
    uint64_t cols;        // elements per row (1 for a 1-D dataset)
    uint64_t rows;        // current extent; identical on every rank (extents change collectively)
    char *path;
    qp_store_dset *prev, *next;  // in store->dsets
};

// Closes and frees every dataset handle still open in the store (close and abort).
void qp_store_dset_close_all(qp_store *store);

// Fills err with "FILE: what: <innermost HDF5 message>" and clears the HDF5 error stack.
int qp_store_h5_fail(const qp_store *store, qp_err *err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

// Collective. rc is this rank's status (0 / -1 with err filled). Returns 0 if every rank
// succeeded, else -1 on every rank with err set to the lowest failing rank's message.
int qp_store_agree(MPI_Comm comm, int rc, qp_err *err);

// Rank 0, after the file is closed: gives back the blocks qp_store_reserve preallocated beyond
// the end of the file. Others: nothing.
void qp_store_reserve_release(qp_store *store);

// HDF5 types for a qp_store_type: in memory (native) and in the file (little-endian).
hid_t qp_store_mem_type(qp_store_type type);
hid_t qp_store_file_type(qp_store_type type);

// Property lists: link creation with intermediate groups; collective transfer.
hid_t qp_store_lcpl(void);

#endif
