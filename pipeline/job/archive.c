// Walking an archive of experiments in Google's published layout: every folder that holds a
// detection_events.b8 is one experiment, named by its path relative to the archive root.
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "pipeline/job/run_job.h"
#include "workers/util/alloc.h"

typedef struct {
    char **rels;
    size_t n, cap;
} rel_list;

enum { MAX_DEPTH = 16 };

static int walk(const char *root, const char *rel, int depth, rel_list *out, qp_err *err) {
    char dir[QP_CONFIG_PATH_MAX * 2];
    snprintf(dir, sizeof dir, "%s%s%s", root, rel[0] ? "/" : "", rel);
    DIR *d = opendir(dir);
    if (!d) return qp_fail(err, "%s: cannot open directory", dir);
    struct dirent *e;
    int rc = 0;
    char path[sizeof dir + 512];
    snprintf(path, sizeof path, "%s/detection_events.b8", dir);
    struct stat st;
    if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
        qp_grow(out->rels, out->cap, out->n + 1);
        out->rels[out->n++] = qp_strdup(rel[0] ? rel : ".");
    }
    while (rc == 0 && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.') continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if (lstat(path, &st) != 0 || !S_ISDIR(st.st_mode)) continue;  // no symlink loops
        if (depth >= MAX_DEPTH) continue;
        char sub[QP_CONFIG_PATH_MAX];
        snprintf(sub, sizeof sub, "%s%s%s", rel, rel[0] ? "/" : "", e->d_name);
        rc = walk(root, sub, depth + 1, out, err);
    }
    closedir(d);
    return rc;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

int qp_archive_list(const char *archive, char ***rels, size_t *n, qp_err *err) {
    rel_list l = {0};
    int rc = walk(archive, "", 0, &l, err);
    if (rc != 0) {
        for (size_t i = 0; i < l.n; i++) free(l.rels[i]);
        free(l.rels);
        return -1;
    }
    qsort(l.rels, l.n, sizeof *l.rels, cmp_str);
    *rels = l.rels;
    *n = l.n;
    return 0;
}
