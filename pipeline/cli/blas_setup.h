// OpenBLAS set-up shared by every command: one thread per process (each MPI rank is one
// process; the GEMMs are small and the cores are shared), and kernels that fit the CPU.
//
// Why the kernels: OpenBLAS 0.3.21 (Debian 12) does not recognise newer Xeons (Sapphire
// Rapids) and falls back to its "Prescott" SSE3 kernels; on this project's 2-core machine
// cblas_sgemm then runs at 29 GFLOP/s instead of 139 with the SkylakeX (AVX-512) kernels.
// OPENBLAS_CORETYPE selects kernels but is read only when the library loads, so when the
// fallback is detected and the variable is unset, the process sets it and re-executes
// itself once (before MPI_Init; argv unchanged). An explicit OPENBLAS_CORETYPE is obeyed.
#ifndef QP_CLI_BLAS_SETUP_H
#define QP_CLI_BLAS_SETUP_H

// Call first in main. Returns only if no re-exec was needed (or it failed: then the slow
// kernels run, which is still correct).
void qp_blas_setup(char **argv);

#endif
