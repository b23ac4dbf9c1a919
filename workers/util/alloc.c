#include "workers/util/alloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void die_oom(size_t size, const char *file, int line) {
    fprintf(stderr, "qecpipe: out of memory allocating %zu bytes at %s:%d\n", size, file, line);
    abort();
}

void *qp_malloc_check(size_t size, const char *file, int line) {
    void *p = malloc(size ? size : 1);
    if (!p) die_oom(size, file, line);
    return p;
}

void *qp_calloc_check(size_t n, size_t size, const char *file, int line) {
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p) die_oom(n * size, file, line);
    return p;
}

void *qp_realloc_check(void *p, size_t size, const char *file, int line) {
    void *q = realloc(p, size ? size : 1);
    if (!q) die_oom(size, file, line);
    return q;
}

void *qp_aligned_alloc_check(size_t size, const char *file, int line) {
    size_t rounded = (size + 63) / 64 * 64;
    void *p = aligned_alloc(64, rounded ? rounded : 64);
    if (!p) die_oom(size, file, line);
    return p;
}

char *qp_strdup_check(const char *s, const char *file, int line) {
    size_t n = strlen(s) + 1;
    char *p = qp_malloc_check(n, file, line);
    memcpy(p, s, n);
    return p;
}
