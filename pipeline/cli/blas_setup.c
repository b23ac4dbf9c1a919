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
        // The binary's own path, not /proc/self/exe: exec takes the process name from the
        // path, and tools find ranks by name (pgrep qecpipe).
        char self[4096];
        ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
        if (n > 0) {
            self[n] = 0;
            execv(self, argv);  // returns only on failure: go on with the fallback
        }
    }
    openblas_set_num_threads(1);
}
