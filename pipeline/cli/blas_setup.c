// OpenBLAS threads and kernels (see blas_setup.h).
#include "pipeline/cli/blas_setup.h"

#include <cblas.h>
#include <stdlib.h>
#include <strings.h>
#include <unistd.h>

// The best OpenBLAS kernel family this CPU runs, or NULL to keep OpenBLAS's own choice.
static const char *best_coretype(void) {
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
        __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq"))
        return "SkylakeX";
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return "Haswell";
    return NULL;
}

void qp_blas_setup(char **argv) {
    const char *core = openblas_get_corename();
    const char *want = best_coretype();
    if (want && core && strcasecmp(core, "prescott") == 0 && !getenv("OPENBLAS_CORETYPE")) {
        setenv("OPENBLAS_CORETYPE", want, 1);
        if (!getenv("OPENBLAS_NUM_THREADS")) setenv("OPENBLAS_NUM_THREADS", "1", 1);
        execv("/proc/self/exe", argv);  // returns only on failure: go on with the fallback
    }
    openblas_set_num_threads(1);
}
