// Disk space reserved ahead of collective writes (see qp_store_reserve in store.h).
#define _GNU_SOURCE  // fallocate, FALLOC_FL_KEEP_SIZE
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "pipeline/store/store_internal.h"
#include "workers/util/alloc.h"

enum { METADATA_SLACK = 1 << 20 };  // object headers, chunk indexes, attributes, the journal

// Bytes of one chunk of an open dataset (HDF5 allocates a whole chunk when rows enter it).
static uint64_t chunk_bytes(const qp_store_dset *d) {
    hid_t dcpl = H5Dget_create_plist(d->id);
    hsize_t dims[2] = {0, 0};
    int nd = dcpl >= 0 ? H5Pget_chunk(dcpl, 2, dims) : -1;
    if (dcpl >= 0) H5Pclose(dcpl);
    uint64_t n = qp_store_type_size(d->type);
    for (int i = 0; i < nd; i++) n *= dims[i];
    return nd > 0 ? n : 0;
}

static double mib(uint64_t bytes) { return (double)bytes / (1 << 20); }

// Rank 0: makes [s->dense_to, target) allocated on disk, or checks the free space where the
// filesystem cannot preallocate.
static int reserve_on_disk(qp_store *s, uint64_t need, qp_err *err) {
    int fd = open(s->file_path, O_WRONLY | O_CLOEXEC);
    if (fd < 0) return qp_fail(err, "%s: cannot open to reserve space: %s", s->file_path, strerror(errno));
    struct stat st;
    hsize_t hdf5_size = 0;
    H5Fget_filesize(s->file, &hdf5_size);
    int rc = fstat(fd, &st);
    uint64_t size = rc == 0 ? (uint64_t)st.st_size : 0;
    // HDF5 truncates the file to its end of allocation at each flush, dropping blocks reserved
    // beyond it: what lies past the current size is not reserved any more.
    if (s->dense_to > size) s->dense_to = size;
    uint64_t target = (hdf5_size > size ? hdf5_size : size) + need;
    if (rc == 0 && target > s->dense_to) {
        rc = fallocate(fd, FALLOC_FL_KEEP_SIZE, (off_t)s->dense_to, (off_t)(target - s->dense_to));
        if (rc == 0) {
            s->dense_to = target;
        } else if (errno == EOPNOTSUPP || errno == ENOSYS) {  // NFS before 4.2, some Lustre versions
            struct statvfs vfs;
            uint64_t used = (uint64_t)st.st_blocks * 512;
            uint64_t more = target > used ? target - used : 0;
            rc = fstatvfs(fd, &vfs) == 0 && (uint64_t)vfs.f_bavail * vfs.f_frsize < more ? -1 : 0;
            if (rc != 0) errno = ENOSPC;
        }
    }
    int e = errno;
    close(fd);
    if (rc == 0) return 0;
    if (e == ENOSPC || e == EDQUOT) {
        struct statvfs vfs;
        uint64_t avail = statvfs(s->file_path, &vfs) == 0 ? (uint64_t)vfs.f_bavail * vfs.f_frsize : 0;
        return qp_fail(err, "%s: %s: the next writes need about %.2f MiB more, %.2f MiB are free; make room "
                            "and run the same command again to resume",
                       s->file_path, strerror(e), mib(target > size ? target - size : need), mib(avail));
    }
    return qp_fail(err, "%s: cannot reserve %.1f MiB: %s", s->file_path, mib(need), strerror(e));
}

int qp_store_reserve(qp_store *s, uint64_t rows, uint64_t bytes, qp_err *err) {
    qp_err local;
    if (!err) err = &local;
    int rc = 0;
    if (s->rank == 0 && s->writable) {
        uint64_t need = bytes + METADATA_SLACK;
        for (const qp_store_dset *d = s->dsets; d; d = d->next)
            need += rows * d->cols * qp_store_type_size(d->type) + chunk_bytes(d);
        rc = reserve_on_disk(s, need, err);
    }
    return qp_store_agree(s->comm, rc, err);
}

void qp_store_reserve_release(qp_store *s) {
    if (s->rank != 0 || s->dense_to == 0) return;
    int fd = open(s->file_path, O_WRONLY | O_CLOEXEC);
    struct stat st;
    if (fd >= 0 && fstat(fd, &st) == 0 && s->dense_to > (uint64_t)st.st_size)
        fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, st.st_size, (off_t)(s->dense_to - st.st_size));
    if (fd >= 0) close(fd);
    s->dense_to = 0;
}
