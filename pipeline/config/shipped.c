#include "pipeline/config/shipped.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "workers/util/alloc.h"

static const char *const kind_dir[] = {"configs", "models"};
static const char *const kind_ext[] = {".yaml", ".h5"};
static const char *const kind_noun[] = {"config", "model"};

static int is_dir(const char *p) {
    struct stat s;
    return stat(p, &s) == 0 && S_ISDIR(s.st_mode);
}

static int is_file(const char *p) {
    struct stat s;
    return stat(p, &s) == 0 && S_ISREG(s.st_mode);
}

int qp_shipped_dir_for(const char *exe_path, char *buf, size_t cap) {
    char exe_dir[4096], probe[4200];
    snprintf(exe_dir, sizeof exe_dir, "%s", exe_path ? exe_path : "");
    char *slash = strrchr(exe_dir, '/');
    if (slash) {
        *slash = 0;
        snprintf(probe, sizeof probe, "%s/../share/qecpipe", exe_dir);
        char *real = realpath(probe, NULL);  // PREFIX/share/qecpipe, without the "bin/.."
        if (real && is_dir(real) && strlen(real) < cap) {
            snprintf(buf, cap, "%s", real);
            free(real);
            return 0;
        }
        free(real);
    }
#ifdef QECPIPE_SOURCE_DIR
    snprintf(probe, sizeof probe, "%s/configs", QECPIPE_SOURCE_DIR);
    if (is_dir(probe) && strlen(QECPIPE_SOURCE_DIR) < cap) {
        snprintf(buf, cap, "%s", QECPIPE_SOURCE_DIR);
        return 0;
    }
#endif
    if (cap) buf[0] = 0;
    return -1;
}

int qp_shipped_dir(char *buf, size_t cap) {
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    exe[n > 0 ? n : 0] = 0;
    return qp_shipped_dir_for(exe, buf, cap);
}

static int has_suffix(const char *s, const char *suffix) {
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

int qp_shipped_lookup(const char *dir, qp_shipped_kind kind, const char *name, char *buf, size_t cap) {
    if (!dir[0] || !name[0] || strchr(name, '/')) return 0;
    const char *ext = has_suffix(name, kind_ext[kind]) ? "" : kind_ext[kind];
    char path[4200];
    int n = snprintf(path, sizeof path, "%s/%s/%s%s", dir, kind_dir[kind], name, ext);
    if (n < 0 || (size_t)n >= sizeof path || (size_t)n >= cap || !is_file(path)) return 0;
    memcpy(buf, path, n + 1);
    return 1;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

void qp_shipped_list(const char *dir, qp_shipped_kind kind, char *buf, size_t cap) {
    char path[4200];
    if (cap) buf[0] = 0;
    snprintf(path, sizeof path, "%s/%s", dir, kind_dir[kind]);
    DIR *d = dir[0] ? opendir(path) : NULL;
    if (!d) return;
    char *names[256];
    size_t n = 0;
    for (struct dirent *e; n < 256 && (e = readdir(d));) {
        if (e->d_name[0] == '.' || !has_suffix(e->d_name, kind_ext[kind])) continue;
        names[n] = qp_strdup(e->d_name);
        names[n][strlen(names[n]) - strlen(kind_ext[kind])] = 0;
        n++;
    }
    closedir(d);
    qsort(names, n, sizeof *names, cmp_str);
    size_t used = 0;
    for (size_t i = 0; i < n; i++) {
        int w = snprintf(buf + used, cap - used, "%s%s", i ? " " : "", names[i]);
        if (w > 0 && used + w < cap) used += w;
        free(names[i]);
    }
}

int qp_shipped_find(qp_shipped_kind kind, const char *arg, char *buf, size_t cap, qp_err *err) {
    char dir[4096];
    if (strchr(arg, '/') || is_file(arg)) {
        if (strlen(arg) >= cap) return qp_fail(err, "%s: path too long", arg);
        snprintf(buf, cap, "%s", arg);
        return 0;
    }
    qp_shipped_dir(dir, sizeof dir);
    if (qp_shipped_lookup(dir, kind, arg, buf, cap)) return 0;
    if (!dir[0])
        return qp_fail(err, "%s: no such file (and no shipped %ss found next to this qecpipe)", arg, kind_noun[kind]);
    char names[1024];
    qp_shipped_list(dir, kind, names, sizeof names);
    return qp_fail(err, "%s: no such file here, nor a shipped %s in %s/%s (shipped: %s)", arg, kind_noun[kind],
                   dir, kind_dir[kind], names[0] ? names : "none");
}
