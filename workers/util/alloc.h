// Checked allocation, llm.c style. Running out of memory is not an input error the caller
// can repair, so these abort with the call site's file and line instead of returning NULL.
#ifndef QP_UTIL_ALLOC_H
#define QP_UTIL_ALLOC_H

#include <stddef.h>

void *qp_malloc_check(size_t size, const char *file, int line);
void *qp_calloc_check(size_t n, size_t size, const char *file, int line);
void *qp_realloc_check(void *p, size_t size, const char *file, int line);
// 64-byte aligned (for AVX-512 bit-sliced tables); release with free().
void *qp_aligned_alloc_check(size_t size, const char *file, int line);
char *qp_strdup_check(const char *s, const char *file, int line);

#define qp_malloc(size) qp_malloc_check((size), __FILE__, __LINE__)
#define qp_calloc(n, size) qp_calloc_check((n), (size), __FILE__, __LINE__)
#define qp_realloc(p, size) qp_realloc_check((p), (size), __FILE__, __LINE__)
#define qp_aligned_alloc(size) qp_aligned_alloc_check((size), __FILE__, __LINE__)
#define qp_strdup(s) qp_strdup_check((s), __FILE__, __LINE__)

// Grows a dynamic array `(ptr, cap)` so that it holds at least `need` elements.
#define qp_grow(ptr, cap, need)                                                       \
    do {                                                                              \
        if ((size_t)(need) > (size_t)(cap)) {                                         \
            size_t qp_nc_ = (cap) ? (size_t)(cap) * 2 : 16;                           \
            while (qp_nc_ < (size_t)(need)) qp_nc_ *= 2;                              \
            (ptr) = qp_realloc((ptr), qp_nc_ * sizeof *(ptr));                        \
            (cap) = qp_nc_;                                                           \
        }                                                                             \
    } while (0)

#endif
