// The task journal: an append-only record, inside the result file, of the tasks a job has
// finished, so that a re-run after a crash resumes instead of starting over (issue 7).
//
//   journal is uint64 (n, width): one row per finished task, width fixed at creation.
//   The meaning of the columns is the caller's; their names are stored as the attribute
//   "columns" (comma-separated, e.g. "experiment,task,first_shot,shots,errors").
//
// qp_store_journal_append flushes the file after writing, so a journal row on disk implies
// that the data the caller wrote before appending it is on disk too. Write a task's results
// first, then its journal row.
#ifndef QP_STORE_JOURNAL_H
#define QP_STORE_JOURNAL_H

#include <stdint.h>

#include "pipeline/store/store.h"
#include "pipeline/store/store_dataset.h"
#include "workers/util/err.h"

// Rows per chunk of a journal (docs/hdf5-layout.md).
#define QP_STORE_JOURNAL_CHUNK_ROWS 64

// Collective. Creates an empty journal (0, width) at an absolute path; column_names holds
// width names (or is NULL: no "columns" attribute).
int qp_store_journal_create(qp_store *store, const char *path, uint64_t width,
                            const char *const *column_names, qp_store_dset **out, qp_err *err);

// Collective, per rank: appends this rank's n_rows rows (rows is (n_rows, width)), in rank
// order, then flushes the file. n_rows may be 0.
int qp_store_journal_append(qp_store_dset *journal, const uint64_t *rows, uint64_t n_rows,
                            qp_err *err);

// Collective: every rank reads the whole journal. *rows (n, width) is allocated (qp_malloc,
// NULL when n == 0); the caller frees it.
int qp_store_journal_read(qp_store *store, const char *path, uint64_t **rows, uint64_t *n,
                          uint64_t *width, qp_err *err);

#endif
