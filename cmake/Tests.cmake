# Test layout (mirrors the source tree):
#   tests/<folder>/test_*.c     Criterion unit tests, linked with the library of <folder>
#   tests/<folder>/mpitest_*.c  MPI programs (tests/mpi_check.h), run on 1, 2 and 4 ranks
#   tests/cli/test_*.sh         end-to-end tests of the qecpipe binary
#   tests/<folder>/oracle/*.c   reference implementations for that folder's tests
# Reference data: tests/data (shipped subset) and ../shared/vectors when present. Without the
# latter, tests that need it are reported as skipped (Criterion's cr_skip; scripts and MPI
# programs exit 77 = SKIP_RETURN_CODE); QECPIPE_REQUIRE_VECTORS=1 makes that a failure.

set(QECPIPE_VECTORS_DIR "${CMAKE_SOURCE_DIR}/../shared/vectors" CACHE PATH
    "the full reference vectors the tests compare against (absent: those tests are skipped)")
set(QP_TEST_ENV
  "QECPIPE_TEST_DATA=${CMAKE_SOURCE_DIR}/tests/data"
  "QECPIPE_VECTORS=${QECPIPE_VECTORS_DIR}"
  "QECPIPE_BIN=$<TARGET_FILE:qecpipe>"
  "OMPI_ALLOW_RUN_AS_ROOT=1" "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1"
  # Quiet Open MPI's transport probing on machines without InfiniBand/UCX.
  "OMPI_MCA_btl=^openib,ofi" "OMPI_MCA_pml=^ucx" "OMPI_MCA_osc=^ucx"
  "OMPI_MCA_rmaps_base_oversubscribe=1"
  "UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1")
# Under the sanitizers (several times slower) the heaviest statistical tests use fewer shots;
# they read QECPIPE_TEST_QUICK and say so in their output.
if(QECPIPE_SANITIZE)
  list(APPEND QP_TEST_ENV "QECPIPE_TEST_QUICK=1")
endif()

# Leak checking: on for the single-process unit tests (all of workers/ and the formats, config
# and store code run there); off for MPI programs and the CLI tests, because Open MPI's
# dlopen'ed components leak at MPI_Finalize in frames LeakSanitizer cannot name or suppress.
set(QP_UNIT_ENV ${QP_TEST_ENV} "ASAN_OPTIONS=detect_leaks=1")
set(QP_MPI_ENV ${QP_TEST_ENV} "ASAN_OPTIONS=detect_leaks=0")

set(QP_FOLDER_LIB_util qp_util)
set(QP_FOLDER_LIB_circuit qp_circuit)
set(QP_FOLDER_LIB_dem qp_dem)
set(QP_FOLDER_LIB_sim qp_sim)
set(QP_FOLDER_LIB_decode qp_decode qp_sim)  # qp_sim: test_mwpm_soft samples its shots
set(QP_FOLDER_LIB_nn qp_nn)
set(QP_FOLDER_LIB_formats qp_formats)
set(QP_FOLDER_LIB_output qp_output)
set(QP_FOLDER_LIB_config qp_config)
set(QP_FOLDER_LIB_cli qp_cli)
set(QP_FOLDER_LIB_store qp_store)
set(QP_FOLDER_LIB_scheduler qp_sched)
set(QP_FOLDER_LIB_job qp_job)
set(QP_FOLDER_LIB_stream qp_stream)
set(QP_FOLDER_LIB_train qp_train)

file(GLOB qp_test_dirs LIST_DIRECTORIES true CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/*)
foreach(dir ${qp_test_dirs})
  if(NOT IS_DIRECTORY ${dir})
    continue()
  endif()
  get_filename_component(folder ${dir} NAME)
  set(lib ${QP_FOLDER_LIB_${folder}})

  # tests/<folder>/oracle/*.c: independent reference implementations the folder's tests check
  # the library against (not part of the library).
  file(GLOB oracle_srcs CONFIGURE_DEPENDS ${dir}/oracle/*.c)
  if(oracle_srcs)
    add_library(${folder}_oracle STATIC ${oracle_srcs})
    target_include_directories(${folder}_oracle PUBLIC ${CMAKE_SOURCE_DIR})
    target_link_libraries(${folder}_oracle PUBLIC ${lib})
    set(lib ${folder}_oracle ${lib})
  endif()

  file(GLOB unit_tests CONFIGURE_DEPENDS ${dir}/test_*.c)
  foreach(src ${unit_tests})
    get_filename_component(name ${src} NAME_WE)
    set(target ${folder}_${name})
    add_executable(${target} ${src})
    target_include_directories(${target} PRIVATE ${CMAKE_SOURCE_DIR} ${QP_CRITERION_INCLUDE})
    target_link_libraries(${target} PRIVATE ${lib} ${QP_CRITERION_LIB})
    add_test(NAME ${folder}/${name} COMMAND ${target} --jobs=2)
    set_tests_properties(${folder}/${name} PROPERTIES ENVIRONMENT "${QP_UNIT_ENV}" TIMEOUT 600 SKIP_RETURN_CODE 77)
  endforeach()

  file(GLOB mpi_tests CONFIGURE_DEPENDS ${dir}/mpitest_*.c)
  foreach(src ${mpi_tests})
    get_filename_component(name ${src} NAME_WE)
    set(target ${folder}_${name})
    add_executable(${target} ${src})
    target_include_directories(${target} PRIVATE ${CMAKE_SOURCE_DIR})
    target_link_libraries(${target} PRIVATE ${lib} MPI::MPI_C)
    foreach(n 1 2 4)
      add_test(NAME ${folder}/${name}/np${n}
               COMMAND ${QP_MPIEXEC} -n ${n} --oversubscribe $<TARGET_FILE:${target}>)
      set_tests_properties(${folder}/${name}/np${n} PROPERTIES ENVIRONMENT "${QP_MPI_ENV}" TIMEOUT 600
                           SKIP_RETURN_CODE 77)
    endforeach()
  endforeach()

  file(GLOB sh_tests CONFIGURE_DEPENDS ${dir}/test_*.sh)
  foreach(src ${sh_tests})
    get_filename_component(name ${src} NAME_WE)
    add_test(NAME ${folder}/${name} COMMAND bash ${src})
    set_tests_properties(${folder}/${name} PROPERTIES ENVIRONMENT "${QP_MPI_ENV}" TIMEOUT 900 SKIP_RETURN_CODE 77)
  endforeach()
endforeach()
