// Claims on outputs: the lock file beside PATH, the choice between atomic, in-place and stdout
// writing, commit (rename) and release. See output.h for the promises.
#define _GNU_SOURCE  // F_OFD_SETLK
#include "pipeline/output/output.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "workers/util/alloc.h"

struct qp_output {
    qp_output_kind kind;
    char *final_path;    // PATH, or a followed symlink's target
    char *write_path;    // final_path + ".partial" (ATOMIC), final_path (IN_PLACE), "-" (STDOUT)
    char *lock_path;     // final_path + ".partial.lock" (ATOMIC only)
    int lock_fd;         // -1 when no lock is held
};

static char *concat(const char *a, const char *b) {
    size_t na = strlen(a), nb = strlen(b);
    char *s = qp_malloc(na + nb + 1);
    memcpy(s, a, na);
    memcpy(s + na, b, nb + 1);
    return s;
}

// Is the file behind st this process's standard output?
static int is_our_stdout(const struct stat *st) {
    struct stat out;
    return fstat(STDOUT_FILENO, &out) == 0 && out.st_dev == st->st_dev && out.st_ino == st->st_ino;
}

// One line naming this process, as stored in the lock file and quoted to a refused claimer.
static void holder_text(char *buf, size_t n) {
    char host[256] = "";
    gethostname(host, sizeof host - 1);
    const char *job = getenv("SLURM_JOB_ID");
    if (job && job[0])
        snprintf(buf, n, "host %s, pid %ld, Slurm job %s", host, (long)getpid(), job);
    else
        snprintf(buf, n, "host %s, pid %ld", host, (long)getpid());
}

static int lock_whole_file(int fd) {
    struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0};
#ifdef F_OFD_SETLK
    if (fcntl(fd, F_OFD_SETLK, &fl) == 0) return 0;
    if (errno != EINVAL) return -1;  // EINVAL: a kernel or filesystem without OFD locks
#endif
    return fcntl(fd, F_SETLK, &fl);
}

// Takes the lock on o->lock_path, retrying if the holder removed the file between our open
// and our lock (we would hold a lock on a name nobody else sees).
static int take_lock(qp_output *o, qp_err *err) {
    for (int attempt = 0; attempt < 100; attempt++) {
        int fd = open(o->lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
        if (fd < 0) return qp_fail(err, "%s: cannot create: %s", o->lock_path, strerror(errno));
        if (lock_whole_file(fd) != 0) {
            int e = errno;
            if (e == EAGAIN || e == EACCES) {
                char who[512] = "";
                ssize_t got = pread(fd, who, sizeof who - 1, 0);
                who[got > 0 ? got : 0] = 0;
                who[strcspn(who, "\n")] = 0;
                close(fd);
                return qp_fail(err, "%s is being written by another job (%s), which holds %s; wait for it to "
                                    "finish or write elsewhere",
                               o->final_path, who[0] ? who : "holder not recorded yet", o->lock_path);
            }
            close(fd);
            return qp_fail(err, "%s: cannot lock: %s", o->lock_path, strerror(e));
        }
        struct stat held, named;
        if (fstat(fd, &held) == 0 && stat(o->lock_path, &named) == 0 && held.st_dev == named.st_dev &&
            held.st_ino == named.st_ino) {
            char who[512];
            holder_text(who, sizeof who);
            size_t n = strlen(who);
            who[n++] = '\n';
            if (ftruncate(fd, 0) != 0 || pwrite(fd, who, n, 0) != (ssize_t)n) {
                int e = errno;
                unlink(o->lock_path);  // ours: locked and still under its name
                close(fd);
                return qp_fail(err, "%s: cannot write: %s", o->lock_path, strerror(e));
            }
            o->lock_fd = fd;
            return 0;
        }
        close(fd);  // released and removed meanwhile: take the new file
    }
    return qp_fail(err, "%s: the lock file keeps being replaced; another job is claiming the same output",
                   o->lock_path);
}

static void output_free(qp_output *o) {
    free(o->final_path);
    free(o->write_path);
    free(o->lock_path);
    free(o);
}

int qp_output_claim(const char *path, qp_output **out, qp_err *err) {
    *out = NULL;
    qp_output *o = qp_calloc(1, sizeof *o);
    o->lock_fd = -1;
    struct stat st, lst;
    int exists = stat(path, &st) == 0;
    if (strcmp(path, "-") == 0 || (exists && is_our_stdout(&st))) {
        o->kind = QP_OUTPUT_STDOUT;
        o->final_path = qp_strdup(path);
        o->write_path = qp_strdup("-");
    } else if (exists && S_ISDIR(st.st_mode)) {
        output_free(o);
        return qp_fail(err, "%s: is a directory", path);
    } else if (exists && !S_ISREG(st.st_mode)) {
        o->kind = QP_OUTPUT_IN_PLACE;
        o->final_path = qp_strdup(path);
        o->write_path = qp_strdup(path);
    } else {
        o->kind = QP_OUTPUT_ATOMIC;
        char resolved[PATH_MAX];
        int link = lstat(path, &lst) == 0 && S_ISLNK(lst.st_mode);
        o->final_path = qp_strdup(exists && link && realpath(path, resolved) ? resolved : path);
        o->write_path = concat(o->final_path, ".partial");
        o->lock_path = concat(o->final_path, ".partial.lock");
        if (take_lock(o, err) != 0) {
            output_free(o);
            return -1;
        }
    }
    *out = o;
    return 0;
}

qp_output_kind qp_output_kind_of(const qp_output *o) { return o->kind; }
const char *qp_output_final_path(const qp_output *o) { return o->final_path; }
const char *qp_output_write_path(const qp_output *o) { return o->write_path; }

int qp_output_commit(qp_output *o, qp_err *err) {
    if (o->kind != QP_OUTPUT_ATOMIC) return 0;
    if (rename(o->write_path, o->final_path) != 0)
        return qp_fail(err, "%s: cannot rename to %s: %s", o->write_path, o->final_path, strerror(errno));
    return 0;
}

void qp_output_discard(qp_output *o) {
    if (o->kind == QP_OUTPUT_ATOMIC) unlink(o->write_path);
}

void qp_output_release(qp_output *o) {
    if (!o) return;
    if (o->lock_fd >= 0) {
        unlink(o->lock_path);  // while locked: a claimer that opened the old file will notice
        close(o->lock_fd);
    }
    output_free(o);
}

FILE *qp_output_fopen(qp_output *o, qp_err *err) {
    if (o->kind == QP_OUTPUT_STDOUT) return stdout;
    FILE *f = fopen(o->write_path, "wb");
    if (!f) qp_fail(err, "%s: cannot create: %s", o->write_path, strerror(errno));
    return f;
}

int qp_output_finish(qp_output *o, FILE *f, qp_err *err) {
    const char *name = o->kind == QP_OUTPUT_STDOUT ? "<stdout>" : o->write_path;
    int rc = 0;
    errno = 0;
    if (fflush(f) != 0 || ferror(f)) rc = qp_fail(err, "%s: write failed: %s", name, strerror(errno ? errno : EIO));
    // fsync makes the rename publish complete bytes even after a power cut; special files and
    // pipes cannot be synced (EINVAL), which is not an error.
    if (rc == 0 && o->kind == QP_OUTPUT_ATOMIC && fsync(fileno(f)) != 0 && errno != EINVAL && errno != EROFS)
        rc = qp_fail(err, "%s: fsync failed: %s", name, strerror(errno));
    if (f != stdout && fclose(f) != 0 && rc == 0) rc = qp_fail(err, "%s: close failed: %s", name, strerror(errno));
    if (rc == 0) rc = qp_output_commit(o, err);
    if (rc != 0) qp_output_discard(o);
    qp_output_release(o);
    return rc;
}

void qp_output_abandon(qp_output *o, FILE *f) {
    if (f) {
        if (f == stdout)
            fflush(f);
        else
            fclose(f);
    }
    if (o) qp_output_discard(o);
    qp_output_release(o);
}
