// The task journal of the results store: uint64 (n, width) rows appended collectively and
// flushed, read back whole on resume. See store_journal.h.
#include "pipeline/store/store_journal.h"

#include <stdlib.h>
#include <string.h>

#include "pipeline/store/store_attr.h"
#include "pipeline/store/store_internal.h"
#include "workers/util/alloc.h"

int qp_store_journal_create(qp_store *s, const char *path, uint64_t width,
                            const char *const *column_names, qp_store_dset **out, qp_err *err) {
    qp_err local;
    if (!err) err = &local;
    *out = NULL;
    if (width == 0) return qp_fail(err, "%s: %s: journal width must be at least 1", s->file_path, path);
    // 64 rows per chunk: a journal row is one wave (of up to a million shots), so most jobs
    // journal tens of rows; 4,096 rows per chunk left small files mostly empty journal.
    if (qp_store_dset_create(s, path, QP_STORE_U64, width, QP_STORE_JOURNAL_CHUNK_ROWS, 0, out, err) != 0)
        return -1;
    int rc = qp_store_attr_set_str(s, path, "kind", "journal", err);
    if (rc == 0 && column_names) {
        size_t len = 1;
        for (uint64_t c = 0; c < width; c++) len += strlen(column_names[c]) + 1;
        char *joined = qp_malloc(len);
        joined[0] = 0;
        for (uint64_t c = 0; c < width; c++) {
            if (c) strcat(joined, ",");
            strcat(joined, column_names[c]);
        }
        rc = qp_store_attr_set_str(s, path, "columns", joined, err);
        free(joined);
    }
    if (rc != 0) {
        qp_store_dset_close(*out);
        *out = NULL;
    }
    return rc;
}

int qp_store_journal_append(qp_store_dset *journal, const uint64_t *rows, uint64_t n_rows,
                            qp_err *err) {
    qp_err local;
    if (!err) err = &local;
    if (journal->type != QP_STORE_U64)
        return qp_fail(err, "%s: %s: not a journal (element type is not uint64)",
                       journal->store->file_path, journal->path);
    if (qp_store_dset_append(journal, n_rows, rows, NULL, err) != 0) return -1;
    if (qp_store_flush(journal->store, err) != 0) return -1;
    journal->store->journaled = 1;
    return 0;
}

int qp_store_journal_read(qp_store *s, const char *path, uint64_t **rows, uint64_t *n,
                          uint64_t *width, qp_err *err) {
    qp_err local;
    if (!err) err = &local;
    *rows = NULL;
    *n = 0;
    *width = 0;
    qp_store_dset *d;
    if (qp_store_dset_open(s, path, &d, err) != 0) return -1;
    int rc = 0;
    uint64_t *buf = NULL;
    if (d->type != QP_STORE_U64) {
        rc = qp_fail(err, "%s: %s: not a journal (element type is not uint64)", s->file_path, path);
    } else if (d->rows > 0) {
        buf = qp_malloc((size_t)(d->rows * d->cols) * sizeof *buf);
        rc = qp_store_dset_read(d, 0, d->rows, buf, err);
    }
    rc = qp_store_agree(s->comm, rc, err);
    if (rc == 0) {
        *rows = buf;
        *n = d->rows;
        *width = d->cols;
    } else {
        free(buf);
    }
    qp_store_dset_close(d);
    return rc;
}
