// Walking an archive of experiments in Google's published layout: every folder that holds a
// detection_events.b8 is one experiment, named by its path relative to the archive root.
// Folders with a circuit but no detection_events.b8 are listed apart, so the job can say it
// skipped them.
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "pipeline/formats/archive_walk.h"

#include "pipeline/config/config.h"
#include "workers/util/alloc.h"

typedef struct {
    char **rels;
    size_t n, cap;
} rel_list;

enum { MAX_DEPTH = 16 };

static void add(rel_list *l, const char *rel) {
    qp_grow(l->rels, l->cap, l->n + 1);
    l->rels[l->n++] = qp_strdup(rel[0] ? rel : ".");
}

static int regular_file(const char *dir, const char *name) {
    char path[QP_CONFIG_PATH_MAX * 2 + 64];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static int walk(const char *root, const char *rel, int depth, rel_list *out, rel_list *skipped, qp_err *err) {
    char dir[QP_CONFIG_PATH_MAX * 2];
    snprintf(dir, sizeof dir, "%s%s%s", root, rel[0] ? "/" : "", rel);
    DIR *d = opendir(dir);
    if (!d) return qp_fail(err, "%s: cannot open directory", dir);
    struct dirent *e;
    int rc = 0;
    char path[sizeof dir + 512];
    struct stat st;
    if (regular_file(dir, "detection_events.b8"))
        add(out, rel);
    else if (regular_file(dir, "circuit_noisy.stim") || regular_file(dir, "circuit_ideal.stim"))
        add(skipped, rel);  // looks like an experiment, but has no shots to decode
    while (rc == 0 && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.') continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if (lstat(path, &st) != 0 || !S_ISDIR(st.st_mode)) continue;  // no symlink loops
        if (depth >= MAX_DEPTH) continue;
        char sub[QP_CONFIG_PATH_MAX];
        snprintf(sub, sizeof sub, "%s%s%s", rel, rel[0] ? "/" : "", e->d_name);
        rc = walk(root, sub, depth + 1, out, skipped, err);
    }
    closedir(d);
    return rc;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static void free_list(rel_list *l) {
    for (size_t i = 0; i < l->n; i++) free(l->rels[i]);
    free(l->rels);
}

int qp_archive_list(const char *archive, char ***rels, size_t *n, char ***skipped, size_t *num_skipped,
                    qp_err *err) {
    rel_list l = {0}, s = {0};
    int rc = walk(archive, "", 0, &l, &s, err);
    if (rc != 0) {
        free_list(&l);
        free_list(&s);
        return -1;
    }
    if (l.n) qsort(l.rels, l.n, sizeof *l.rels, cmp_str);
    if (s.n) qsort(s.rels, s.n, sizeof *s.rels, cmp_str);
    *rels = l.rels;
    *n = l.n;
    *skipped = s.rels;
    *num_skipped = s.n;
    return 0;
}

void qp_archive_list_free(char **rels, size_t n) {
    for (size_t i = 0; i < n; i++) free(rels[i]);
    free(rels);
}
