// Soft shot files: raw little-endian float32. See soft_file.h.
#include "pipeline/formats/soft_file.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "pipeline/output/output.h"
#include "workers/util/alloc.h"

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define QP_SOFT_SWAP 1
#else
#define QP_SOFT_SWAP 0
#endif

// Converts n floats between host order and little-endian in place (a no-op on x86, ARM LE).
static void to_little_endian(float *v, size_t n) {
#if QP_SOFT_SWAP
    for (size_t i = 0; i < n; i++) {
        uint32_t u;
        memcpy(&u, &v[i], 4);
        u = __builtin_bswap32(u);
        memcpy(&v[i], &u, 4);
    }
#else
    (void)v;
    (void)n;
#endif
}

// ---- writer ----

struct qp_soft_writer {
    qp_output *output;
    FILE *file;
    uint64_t per_shot;
    float *swap;  // big-endian hosts: a converted copy
    size_t swap_cap;
};

int qp_soft_writer_open(qp_soft_writer **w, const char *path, uint64_t values_per_shot, qp_err *err) {
    *w = NULL;
    if (values_per_shot == 0) return qp_fail(err, "%s: a soft shot needs at least one value (the circuit has no measurements)", path);
    qp_output *output;
    if (qp_output_claim(path, &output, err) != 0) return -1;
    FILE *file = qp_output_fopen(output, err);
    if (!file) {
        qp_output_abandon(output, NULL);
        return -1;
    }
    *w = qp_calloc(1, sizeof **w);
    (*w)->output = output;
    (*w)->file = file;
    (*w)->per_shot = values_per_shot;
    return 0;
}

int qp_soft_writer_write(qp_soft_writer *w, const float *values, size_t n, qp_err *err) {
    size_t count = n * w->per_shot;
    const float *src = values;
    if (QP_SOFT_SWAP) {
        qp_grow(w->swap, w->swap_cap, count);
        memcpy(w->swap, values, count * sizeof *values);
        to_little_endian(w->swap, count);
        src = w->swap;
    }
    if (count && fwrite(src, sizeof(float), count, w->file) != count)
        return qp_fail(err, "%s: write failed: %s", qp_output_write_path(w->output), strerror(errno));
    return 0;
}

int qp_soft_writer_close(qp_soft_writer *w, qp_err *err) {
    int rc = qp_output_finish(w->output, w->file, err);
    free(w->swap);
    free(w);
    return rc;
}

void qp_soft_writer_abort(qp_soft_writer *w) {
    if (!w) return;
    qp_output_abandon(w->output, w->file);
    free(w->swap);
    free(w);
}

// ---- reader ----

struct qp_soft_reader {
    char *path;
    FILE *file;
    int is_stdin;
    uint64_t per_shot;
    uint64_t num_shots;  // UINT64_MAX: unknown
    uint64_t offset;     // bytes consumed
};

int qp_soft_reader_open(qp_soft_reader **r, const char *path, uint64_t num_measurements, int with_leakage,
                        qp_err *err) {
    *r = NULL;
    uint64_t per_shot = num_measurements * (with_leakage ? 2 : 1);
    if (per_shot == 0) return qp_fail(err, "%s: soft shots of 0 values (the circuit has no measurements)", path);
    int is_stdin = strcmp(path, "-") == 0;
    FILE *f = is_stdin ? stdin : fopen(path, "rb");
    if (!f) return qp_fail(err, "%s: %s", path, strerror(errno));
    uint64_t shots = UINT64_MAX;
    struct stat st;
    if (fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode)) {
        uint64_t bytes = (uint64_t)st.st_size, shot_bytes = per_shot * 4;
        if (bytes % shot_bytes) {
            if (!is_stdin) fclose(f);
            return qp_fail(err,
                           "%s: %llu bytes is not a whole number of shots of %llu float32 values (%llu bytes each%s)",
                           path, (unsigned long long)bytes, (unsigned long long)per_shot,
                           (unsigned long long)shot_bytes, with_leakage ? "; p1 then pleak per shot" : "");
        }
        shots = bytes / shot_bytes;
    }
    *r = qp_calloc(1, sizeof **r);
    (*r)->path = qp_strdup(path);
    (*r)->file = f;
    (*r)->is_stdin = is_stdin;
    (*r)->per_shot = per_shot;
    (*r)->num_shots = shots;
    return 0;
}

uint64_t qp_soft_reader_num_shots(const qp_soft_reader *r) { return r->num_shots; }

int64_t qp_soft_reader_read(qp_soft_reader *r, float *values, size_t max_shots, qp_err *err) {
    size_t want = max_shots * r->per_shot;
    size_t got = want ? fread(values, sizeof(float), want, r->file) : 0;
    if (got < want && ferror(r->file)) return qp_fail(err, "%s: read failed: %s", r->path, strerror(errno));
    size_t shots = got / r->per_shot;
    if (got % r->per_shot) {
        // fread may stop inside a shot only at the end of the data.
        return qp_fail(err, "%s: the data ends inside a shot at byte offset %llu (shots are %llu float32 values)",
                       r->path, (unsigned long long)(r->offset + shots * r->per_shot * 4),
                       (unsigned long long)r->per_shot);
    }
    r->offset += (uint64_t)got * 4;
    to_little_endian(values, got);  // the swap is its own inverse
    return (int64_t)shots;
}

int qp_soft_reader_seek(qp_soft_reader *r, uint64_t shot, qp_err *err) {
    if (r->num_shots == UINT64_MAX) return qp_fail(err, "%s: cannot seek in a stream", r->path);
    if (shot > r->num_shots)
        return qp_fail(err, "%s: shot %llu is beyond the file's %llu shots", r->path, (unsigned long long)shot,
                       (unsigned long long)r->num_shots);
    uint64_t off = shot * r->per_shot * 4;
    if (fseeko(r->file, (off_t)off, SEEK_SET) != 0) return qp_fail(err, "%s: seek failed: %s", r->path, strerror(errno));
    r->offset = off;
    return 0;
}

void qp_soft_reader_close(qp_soft_reader *r) {
    if (!r) return;
    if (!r->is_stdin) fclose(r->file);
    free(r->path);
    free(r);
}
