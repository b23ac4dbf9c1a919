# Finds qecpipe's dependencies. Each failure names the Debian 12 package to install
# (scripts/install-deps.sh installs all of them).

function(qp_require found what package)
  if(NOT ${found})
    message(FATAL_ERROR "qecpipe: ${what} not found. Install the Debian package: apt-get install ${package}")
  endif()
endfunction()

find_package(MPI COMPONENTS C QUIET)
qp_require(MPI_C_FOUND "MPI (Open MPI)" "libopenmpi-dev openmpi-bin")
find_program(QP_MPIEXEC NAMES mpirun mpiexec)
qp_require(QP_MPIEXEC "mpirun" "openmpi-bin")

# Debian installs the parallel HDF5 under hdf5/openmpi; the serial one would silently
# break collective writes, so insist on H5_HAVE_PARALLEL.
find_path(QP_HDF5_INCLUDE hdf5.h PATHS /usr/include/hdf5/openmpi NO_DEFAULT_PATH)
find_library(QP_HDF5_LIB hdf5 PATHS /usr/lib/x86_64-linux-gnu/hdf5/openmpi /usr/lib/hdf5/openmpi NO_DEFAULT_PATH)
if(NOT QP_HDF5_INCLUDE OR NOT QP_HDF5_LIB)
  find_package(HDF5 COMPONENTS C QUIET)
  if(HDF5_FOUND AND HDF5_IS_PARALLEL)
    set(QP_HDF5_INCLUDE ${HDF5_INCLUDE_DIRS})
    set(QP_HDF5_LIB ${HDF5_C_LIBRARIES})
  endif()
endif()
qp_require(QP_HDF5_LIB "parallel HDF5 (MPI build)" "libhdf5-openmpi-dev")
file(STRINGS ${QP_HDF5_INCLUDE}/H5pubconf.h QP_HDF5_PARALLEL REGEX "^#define H5_HAVE_PARALLEL 1")
qp_require(QP_HDF5_PARALLEL "a parallel build of HDF5 (H5_HAVE_PARALLEL)" "libhdf5-openmpi-dev")
add_library(HDF5::parallel INTERFACE IMPORTED)
target_include_directories(HDF5::parallel INTERFACE ${QP_HDF5_INCLUDE})
target_link_libraries(HDF5::parallel INTERFACE ${QP_HDF5_LIB} MPI::MPI_C)

find_path(QP_CBLAS_INCLUDE cblas.h PATHS /usr/include/x86_64-linux-gnu/openblas-pthread)
find_library(QP_OPENBLAS_LIB openblas PATHS /usr/lib/x86_64-linux-gnu/openblas-pthread)
qp_require(QP_OPENBLAS_LIB "OpenBLAS" "libopenblas-dev")
qp_require(QP_CBLAS_INCLUDE "cblas.h (OpenBLAS)" "libopenblas-dev")
add_library(BLAS::openblas INTERFACE IMPORTED)
target_include_directories(BLAS::openblas INTERFACE ${QP_CBLAS_INCLUDE})
target_link_libraries(BLAS::openblas INTERFACE ${QP_OPENBLAS_LIB})

find_path(QP_YAML_INCLUDE yaml.h)
find_library(QP_YAML_LIB yaml)
qp_require(QP_YAML_LIB "libyaml" "libyaml-dev")
add_library(YAML::yaml INTERFACE IMPORTED)
target_include_directories(YAML::yaml INTERFACE ${QP_YAML_INCLUDE})
target_link_libraries(YAML::yaml INTERFACE ${QP_YAML_LIB})

find_path(QP_CRITERION_INCLUDE criterion/criterion.h)
find_library(QP_CRITERION_LIB criterion)
qp_require(QP_CRITERION_LIB "Criterion" "libcriterion-dev")
