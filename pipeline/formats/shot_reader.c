#include "pipeline/formats/shot_reader.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pipeline/formats/byte_source.h"
#include "pipeline/formats/codec.h"
#include "workers/util/alloc.h"

struct qp_shot_reader {
    char *name;               // path (or the caller's name for memory input), for messages
    int fd;                   // -1 for memory input
    qp_byte_source src;
    qp_shot_format format;
    qp_record_shape shape;
    int64_t size;             // total input bytes when known (regular file, memory), else -1
    uint64_t position;        // index of the next record handed out
    int failed;               // sticky: set by the first error, which is kept in `failure`
    qp_err failure;
    uint64_t line_bytes;      // 01 only: bytes per line (num_bits + 1, + 2 with CRLF); 0 until a seek probes it
    // ptb64 only:
    uint8_t *group_words;     // (num_bits, 8) raw words of one group
    uint8_t *group_records;   // (64, bytes_per_record) the decoded current group
    size_t group_size;        // 64 while a decoded group is held, else 0
    size_t group_next;        // next record of the held group to hand out
    // Split input (qp_shot_reader_open_split): the two part readers and their batch buffers.
    qp_shot_reader *dets_part;  // (D bits per record) or NULL for an ordinary reader
    qp_shot_reader *obs_part;   // (K bits per record)
    uint8_t *part_dets;         // (SPLIT_BATCH, ceil(D/8))
    uint8_t *part_obs;          // (SPLIT_BATCH, ceil(K/8))
};

enum { SPLIT_BATCH = 4096 };

static int reader_fail(qp_shot_reader *r, qp_err *err) {
    r->failed = 1;
    if (err) r->failure = *err;
    return -1;
}

// Checks that a known input size is a whole number of records (b8) or groups (ptb64), and
// holds at least one record (01), before any buffer of the record size is allocated.
static int check_size(qp_shot_reader *r, qp_err *err) {
    if (r->size < 0) return 0;
    // A huge record (a wrong --num-detectors) would be allocated before its first line is
    // read; small ones keep the line:column error of the decoder.
    if (r->format == QP_FORMAT_01 && r->shape.num_bits > (1u << 20) && r->size > 0 &&
        (uint64_t)r->size < r->shape.num_bits)
        return qp_fail(err, "%s: the file holds %lld bytes, less than one 01 record of %llu bits (%llu detectors, "
                       "%llu observables)", r->name, (long long)r->size, (unsigned long long)r->shape.num_bits,
                       (unsigned long long)r->shape.num_detectors, (unsigned long long)r->shape.num_observables);
    if (r->format == QP_FORMAT_B8) {
        uint64_t bpr = r->shape.bytes_per_record;
        uint64_t rem = (uint64_t)r->size % bpr;
        if (rem)
            return qp_fail(err, "%s: byte offset %llu: file size %lld is not a multiple of the record size %llu bytes "
                           "(%llu bits); the last record is truncated", r->name,
                           (unsigned long long)((uint64_t)r->size - rem), (long long)r->size,
                           (unsigned long long)bpr, (unsigned long long)r->shape.num_bits);
    } else if (r->format == QP_FORMAT_PTB64) {
        uint64_t group = r->shape.num_bits * 8;
        uint64_t rem = (uint64_t)r->size % group;
        if (rem)
            return qp_fail(err, "%s: byte offset %llu: truncated ptb64 data: file size %lld is not a multiple of %llu "
                           "bytes (groups of 64 shots of %llu bits)", r->name,
                           (unsigned long long)((uint64_t)r->size - rem), (long long)r->size,
                           (unsigned long long)group, (unsigned long long)r->shape.num_bits);
    }
    return 0;
}

static qp_shot_reader *reader_new(const char *name, qp_shot_format format, uint64_t num_detectors,
                                  uint64_t num_observables) {
    qp_shot_reader *r = qp_calloc(1, sizeof *r);
    r->name = qp_strdup(name);
    r->fd = -1;
    r->format = format;
    r->shape = qp_record_shape_make(num_detectors, num_observables);
    r->size = -1;
    return r;
}

static int check_args(const char *name, qp_shot_format format, uint64_t num_detectors, uint64_t num_observables,
                      qp_err *err) {
    if ((int)format < 0 || format >= QP_FORMAT_COUNT) return qp_fail(err, "%s: unknown shot format %d", name, (int)format);
    if (num_detectors + num_observables == 0)
        return qp_fail(err, "%s: records must have at least one bit (0 detectors and 0 observables given)", name);
    if (num_detectors > QP_RECORD_BITS_MAX || num_observables > QP_RECORD_BITS_MAX ||
        num_detectors + num_observables > QP_RECORD_BITS_MAX)
        return qp_fail(err, "%s: records of %llu detectors and %llu observables are too large (at most %llu bits)", name,
                       (unsigned long long)num_detectors, (unsigned long long)num_observables,
                       (unsigned long long)QP_RECORD_BITS_MAX);
    return 0;
}

int qp_shot_reader_open(qp_shot_reader **reader, const char *path, qp_shot_format format, uint64_t num_detectors,
                        uint64_t num_observables, qp_err *err) {
    *reader = NULL;
    if (check_args(path, format, num_detectors, num_observables, err) != 0) return -1;
    int from_stdin = strcmp(path, "-") == 0;
    int fd = from_stdin ? dup(STDIN_FILENO) : open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return qp_fail(err, "%s: cannot open: %s", path, strerror(errno));
    if (from_stdin) path = "<stdin>";
    struct stat st;
    if (fstat(fd, &st) != 0 || S_ISDIR(st.st_mode)) {
        int e = S_ISDIR(st.st_mode) ? EISDIR : errno;
        close(fd);
        return qp_fail(err, "%s: cannot read: %s", path, strerror(e));
    }
    qp_shot_reader *r = reader_new(path, format, num_detectors, num_observables);
    r->fd = fd;
    if (S_ISREG(st.st_mode)) {
        r->size = (int64_t)st.st_size;
        posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
    }
    qp_source_init_fd(&r->src, fd);
    if (check_size(r, err) != 0) {
        qp_shot_reader_close(r);
        return -1;
    }
    *reader = r;
    return 0;
}

int qp_shot_reader_open_mem(qp_shot_reader **reader, const char *name, const uint8_t *data, size_t len,
                            qp_shot_format format, uint64_t num_detectors, uint64_t num_observables, qp_err *err) {
    *reader = NULL;
    if (check_args(name, format, num_detectors, num_observables, err) != 0) return -1;
    qp_shot_reader *r = reader_new(name, format, num_detectors, num_observables);
    r->size = (int64_t)len;
    qp_source_init_mem(&r->src, data, len);
    if (check_size(r, err) != 0) {
        qp_shot_reader_close(r);
        return -1;
    }
    *reader = r;
    return 0;
}

int qp_shot_reader_open_split(qp_shot_reader **reader, const char *dets_path, qp_shot_format dets_format,
                              const char *obs_path, qp_shot_format obs_format, uint64_t num_detectors,
                              uint64_t num_observables, qp_err *err) {
    *reader = NULL;
    if (num_detectors == 0 || num_observables == 0)
        return qp_fail(err, "%s: a separate observables file needs detectors and observables (got %llu and %llu)",
                       obs_path, (unsigned long long)num_detectors, (unsigned long long)num_observables);
    qp_shot_reader *dets, *obs;
    if (qp_shot_reader_open(&dets, dets_path, dets_format, num_detectors, 0, err) != 0) return -1;
    if (qp_shot_reader_open(&obs, obs_path, obs_format, 0, num_observables, err) != 0) {
        qp_shot_reader_close(dets);
        return -1;
    }
    qp_shot_reader *r = qp_calloc(1, sizeof *r);
    r->name = qp_strdup(dets_path);
    r->fd = -1;
    r->format = dets_format;
    r->shape = qp_record_shape_make(num_detectors, num_observables);
    r->size = -1;
    r->dets_part = dets;
    r->obs_part = obs;
    r->part_dets = qp_malloc(SPLIT_BATCH * dets->shape.bytes_per_record);
    r->part_obs = qp_malloc(SPLIT_BATCH * obs->shape.bytes_per_record);
    *reader = r;
    return 0;
}

// Reads detector and observable parts in step and joins them; both must end together.
static int64_t read_split(qp_shot_reader *r, uint8_t *records, size_t max_records, qp_err *err) {
    size_t done = 0;
    while (done < max_records) {
        size_t chunk = max_records - done < SPLIT_BATCH ? max_records - done : SPLIT_BATCH;
        int64_t got = qp_shot_reader_read(r->dets_part, r->part_dets, chunk, err);
        if (got < 0) return reader_fail(r, err);
        // At the end of the detectors, probe for one more observable record: there must be none.
        size_t want_obs = got > 0 ? (size_t)got : 1;
        int64_t got_obs = qp_shot_reader_read(r->obs_part, r->part_obs, want_obs, err);
        if (got_obs < 0) return reader_fail(r, err);
        if (got_obs != got) {
            uint64_t at = r->position + done + (uint64_t)(got < got_obs ? got : got_obs);
            if (got_obs < got)
                qp_fail(err, "%s: ends after %llu records, but %s has more", r->obs_part->name, (unsigned long long)at,
                        r->dets_part->name);
            else
                qp_fail(err, "%s: has more records than the %llu in %s", r->obs_part->name, (unsigned long long)at,
                        r->dets_part->name);
            return reader_fail(r, err);
        }
        if (got == 0) break;
        qp_records_join(r->part_dets, r->part_obs, (size_t)got, r->shape.num_detectors, r->shape.num_observables,
                        records + done * r->shape.bytes_per_record);
        done += (size_t)got;
        if ((size_t)got < chunk) {  // detectors ended: check the observables did too
            got_obs = qp_shot_reader_read(r->obs_part, r->part_obs, 1, err);
            if (got_obs < 0) return reader_fail(r, err);
            if (got_obs > 0) {
                qp_fail(err, "%s: has more records than the %llu in %s", r->obs_part->name,
                        (unsigned long long)(r->position + done), r->dets_part->name);
                return reader_fail(r, err);
            }
            break;
        }
    }
    r->position += done;
    return (int64_t)done;
}

void qp_shot_reader_close(qp_shot_reader *r) {
    if (!r) return;
    qp_shot_reader_close(r->dets_part);
    qp_shot_reader_close(r->obs_part);
    free(r->part_dets);
    free(r->part_obs);
    qp_source_free(&r->src);
    if (r->fd >= 0) close(r->fd);
    free(r->group_words);
    free(r->group_records);
    free(r->name);
    free(r);
}

const qp_record_shape *qp_shot_reader_shape(const qp_shot_reader *r) { return &r->shape; }

uint64_t qp_shot_reader_position(const qp_shot_reader *r) { return r->position; }

// Decodes the next ptb64 group into group_records. Returns 1, 0 at end, -1 on error.
static int next_group(qp_shot_reader *r, qp_err *err) {
    if (!r->group_words) {  // allocated on first use: after the size checks
        r->group_words = qp_malloc((size_t)r->shape.num_bits * 8);
        r->group_records = qp_malloc(64 * r->shape.bytes_per_record);
    }
    memset(r->group_records, 0, 64 * r->shape.bytes_per_record);
    r->group_size = 0;
    r->group_next = 0;
    int rc = qp_decode_ptb64(&r->src, &r->shape, r->name, r->group_words, r->group_records, err);
    if (rc == 1) r->group_size = 64;
    return rc;
}

int64_t qp_shot_reader_read(qp_shot_reader *r, uint8_t *records, size_t max_records, qp_err *err) {
    if (r->failed) {
        if (err) *err = r->failure;
        return -1;
    }
    if (max_records == 0) return 0;
    if (r->dets_part) return read_split(r, records, max_records, err);
    size_t bpr = r->shape.bytes_per_record;
    size_t done = 0;
    int rc = 0;
    switch (r->format) {
    case QP_FORMAT_B8:
        rc = qp_decode_b8(&r->src, &r->shape, r->name, records, max_records, &done, err);
        break;
    case QP_FORMAT_PTB64:
        while (done < max_records) {
            if (r->group_next == r->group_size) {
                rc = next_group(r, err);
                if (rc <= 0) break;
            }
            size_t take = r->group_size - r->group_next;
            if (take > max_records - done) take = max_records - done;
            memcpy(records + done * bpr, r->group_records + r->group_next * bpr, take * bpr);
            r->group_next += take;
            done += take;
        }
        break;
    default:
        while (done < max_records) {
            uint8_t *rec = records + done * bpr;
            memset(rec, 0, bpr);
            if (r->format == QP_FORMAT_01) rc = qp_decode_01(&r->src, &r->shape, r->name, rec, err);
            else if (r->format == QP_FORMAT_HITS) rc = qp_decode_hits(&r->src, &r->shape, r->name, rec, err);
            else if (r->format == QP_FORMAT_DETS) rc = qp_decode_dets(&r->src, &r->shape, r->name, rec, err);
            else rc = qp_decode_r8(&r->src, &r->shape, r->name, rec, err);
            if (rc <= 0) break;
            done++;
        }
        break;
    }
    if (r->src.read_errno) {
        qp_fail(err, "%s: byte offset %llu: read error: %s", r->name, (unsigned long long)qp_source_offset(&r->src),
                strerror(r->src.read_errno));
        return reader_fail(r, err);
    }
    if (rc < 0) return reader_fail(r, err);
    r->position += done;
    return (int64_t)done;
}

int qp_shot_reader_seek(qp_shot_reader *r, uint64_t record_index, qp_err *err) {
    if (r->failed) {
        if (err) *err = r->failure;
        return -1;
    }
    if (r->dets_part) {
        if (qp_shot_reader_seek(r->dets_part, record_index, err) != 0) return -1;
        if (qp_shot_reader_seek(r->obs_part, record_index, err) != 0) return -1;
        r->position = record_index;
        return 0;
    }
    uint64_t offset, total = 0;
    switch (r->format) {
    case QP_FORMAT_B8:
        offset = record_index * r->shape.bytes_per_record;
        if (r->size >= 0) total = (uint64_t)r->size / r->shape.bytes_per_record;
        break;
    case QP_FORMAT_01:
        if (!r->line_bytes) {  // LF or CRLF: the byte after the first line's bits tells
            if (qp_source_seek(&r->src, r->shape.num_bits) != 0)
                return qp_fail(err, "%s: cannot seek: %s", r->name, strerror(errno));
            r->line_bytes = r->shape.num_bits + 1 + (qp_source_peek(&r->src) == '\r');
        }
        offset = record_index * r->line_bytes;
        if (r->size >= 0) total = ((uint64_t)r->size + r->line_bytes - 1) / r->line_bytes;
        break;
    case QP_FORMAT_PTB64:
        offset = record_index / 64 * r->shape.num_bits * 8;
        if (r->size >= 0) total = (uint64_t)r->size / (r->shape.num_bits * 8) * 64;
        break;
    default:
        return qp_fail(err, "%s: cannot seek to record %llu: %s files are not seekable (b8, 01 and ptb64 are)",
                       r->name, (unsigned long long)record_index, qp_shot_format_name(r->format));
    }
    if (r->size >= 0 && record_index > total)
        return qp_fail(err, "%s: cannot seek to record %llu: the file holds %llu records", r->name,
                       (unsigned long long)record_index, (unsigned long long)total);
    if (qp_source_seek(&r->src, offset) != 0)
        return qp_fail(err, "%s: cannot seek to byte offset %llu: %s", r->name, (unsigned long long)offset,
                       strerror(errno));
    if (r->format == QP_FORMAT_01) {  // lines have fixed length, so line numbers stay right
        r->src.line = record_index + 1;
        r->src.line_start = offset;
    }
    r->position = record_index;
    if (r->format == QP_FORMAT_PTB64) {
        r->group_size = r->group_next = 0;
        if (record_index % 64) {
            int rc = next_group(r, err);
            if (rc < 0) return reader_fail(r, err);
            if (rc == 0)
                return qp_fail(err, "%s: cannot seek to record %llu: past the end of the data", r->name,
                               (unsigned long long)record_index);
            r->group_next = record_index % 64;
        }
    }
    return 0;
}

enum { WHOLE_FILE_BATCH = 4096 };

int qp_shot_file_count_records(const char *path, qp_shot_format format, uint64_t num_detectors,
                               uint64_t num_observables, uint64_t *num_records, qp_err *err) {
    *num_records = 0;
    qp_shot_reader *r;
    if (qp_shot_reader_open(&r, path, format, num_detectors, num_observables, err) != 0) return -1;
    if (r->size >= 0 && format == QP_FORMAT_B8) {
        *num_records = (uint64_t)r->size / r->shape.bytes_per_record;
    } else if (r->size >= 0 && format == QP_FORMAT_PTB64) {
        *num_records = (uint64_t)r->size / (r->shape.num_bits * 8) * 64;
    } else {
        uint8_t *batch = qp_malloc(WHOLE_FILE_BATCH * r->shape.bytes_per_record);
        int64_t got;
        while ((got = qp_shot_reader_read(r, batch, WHOLE_FILE_BATCH, err)) > 0) *num_records += (uint64_t)got;
        free(batch);
        if (got < 0) {
            qp_shot_reader_close(r);
            return -1;
        }
    }
    qp_shot_reader_close(r);
    return 0;
}

int qp_shot_file_read_all(const char *path, qp_shot_format format, uint64_t num_detectors, uint64_t num_observables,
                          uint8_t **records, uint64_t *num_records, qp_err *err) {
    *records = NULL;
    *num_records = 0;
    qp_shot_reader *r;
    if (qp_shot_reader_open(&r, path, format, num_detectors, num_observables, err) != 0) return -1;
    size_t bpr = r->shape.bytes_per_record;
    size_t capacity = WHOLE_FILE_BATCH;
    if (r->size >= 0 && format == QP_FORMAT_B8) capacity = (size_t)r->size / bpr + 1;
    uint8_t *buf = qp_malloc(capacity * bpr);
    size_t n = 0;
    for (;;) {
        if (capacity - n < WHOLE_FILE_BATCH) {
            capacity = capacity * 2 + WHOLE_FILE_BATCH;
            buf = qp_realloc(buf, capacity * bpr);
        }
        int64_t got = qp_shot_reader_read(r, buf + n * bpr, WHOLE_FILE_BATCH, err);
        if (got < 0) {
            free(buf);
            qp_shot_reader_close(r);
            return -1;
        }
        if (got == 0) break;
        n += (size_t)got;
    }
    qp_shot_reader_close(r);
    *records = buf;
    *num_records = n;
    return 0;
}
