# Installing qecpipe the way HPC tools install (README "Installing"):
#   cmake --install build --prefix P
#     P/bin/qecpipe
#     P/share/qecpipe/configs, slurm, models    found by the binary from its own location
#                                               (pipeline/config/shipped.h)
#     P/share/qecpipe/modulefiles/qecpipe/VERSION   Environment Modules / Lmod, prefix filled in
#     P/share/man/man1/qecpipe.1, qecpipe-CMD.1    one page per subcommand, from --help (help2man)
#     P/share/bash-completion/completions/qecpipe
# and a Debian package through CPack (`make package` at the top: qecpipe_VERSION_amd64.deb).

# --- Version and source commit, for `qecpipe --version` ---------------------------------------
# From git at configure time (CMake re-runs when HEAD moves); a tarball made by `git archive`
# carries the commit in cmake/source_commit.txt (export-subst); otherwise "unknown".
set(QP_SOURCE_COMMIT "unknown")
execute_process(COMMAND git rev-parse --short=12 HEAD WORKING_DIRECTORY ${CMAKE_SOURCE_DIR}
                OUTPUT_VARIABLE qp_git_commit RESULT_VARIABLE qp_git_status
                OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
if(qp_git_status EQUAL 0)
  set(QP_SOURCE_COMMIT ${qp_git_commit})
  execute_process(COMMAND git symbolic-ref -q HEAD WORKING_DIRECTORY ${CMAKE_SOURCE_DIR}
                  OUTPUT_VARIABLE qp_git_ref OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
  foreach(name HEAD packed-refs ${qp_git_ref})
    execute_process(COMMAND git rev-parse --git-path ${name} WORKING_DIRECTORY ${CMAKE_SOURCE_DIR}
                    OUTPUT_VARIABLE qp_git_file OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
    get_filename_component(qp_git_file "${qp_git_file}" ABSOLUTE BASE_DIR ${CMAKE_SOURCE_DIR})
    if(EXISTS "${qp_git_file}")
      set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${qp_git_file}")
    endif()
  endforeach()
else()
  file(STRINGS ${CMAKE_SOURCE_DIR}/cmake/source_commit.txt qp_archive_commit LIMIT_COUNT 1)
  if(qp_archive_commit AND NOT qp_archive_commit MATCHES "Format")
    set(QP_SOURCE_COMMIT ${qp_archive_commit})
  endif()
endif()
configure_file(${CMAKE_SOURCE_DIR}/cmake/version.h.in ${CMAKE_BINARY_DIR}/generated/pipeline/version.h @ONLY)

# A binary run from the build tree finds the shipped configs and models in the source tree.
target_compile_definitions(qp_config PRIVATE QECPIPE_SOURCE_DIR="${CMAKE_SOURCE_DIR}")

# --- Install rules ----------------------------------------------------------------------------
install(TARGETS qecpipe RUNTIME DESTINATION bin)
install(DIRECTORY ${CMAKE_SOURCE_DIR}/configs/ DESTINATION share/qecpipe/configs
        FILES_MATCHING PATTERN "*.yaml")
install(DIRECTORY ${CMAKE_SOURCE_DIR}/slurm/ DESTINATION share/qecpipe/slurm USE_SOURCE_PERMISSIONS)
# Trained models ship when models/ holds any (checked at install time, so models added after
# configuring are installed too). models/unfinished holds training runs in progress, not models.
install(DIRECTORY ${CMAKE_SOURCE_DIR}/models/ DESTINATION share/qecpipe/models OPTIONAL
        PATTERN "unfinished" EXCLUDE)
install(FILES ${CMAKE_SOURCE_DIR}/packaging/qecpipe.bash-completion
        DESTINATION share/bash-completion/completions RENAME qecpipe)
# The modulefile names the prefix it is installed under, known only at install time
# (`--prefix P`, or /usr inside the Debian package).
install(CODE "
  set(QP_VERSION ${PROJECT_VERSION})
  set(QP_PREFIX \"\${CMAKE_INSTALL_PREFIX}\")
  set(qp_modulefile \"\$ENV{DESTDIR}\${CMAKE_INSTALL_PREFIX}/share/qecpipe/modulefiles/qecpipe/${PROJECT_VERSION}\")
  message(STATUS \"Installing: \${qp_modulefile}\")
  configure_file(${CMAKE_SOURCE_DIR}/packaging/qecpipe.modulefile.in \${qp_modulefile} @ONLY)")

# Man pages: one per subcommand, generated from the built binary's --help.
find_program(QP_HELP2MAN help2man)
qp_require(QP_HELP2MAN "help2man (to write the man pages)" "help2man")
add_custom_command(OUTPUT ${CMAKE_BINARY_DIR}/man/qecpipe.1
  COMMAND bash ${CMAKE_SOURCE_DIR}/packaging/man_pages.sh $<TARGET_FILE:qecpipe> ${CMAKE_BINARY_DIR}/man
          ${PROJECT_VERSION}
  DEPENDS qecpipe ${CMAKE_SOURCE_DIR}/packaging/man_pages.sh
  COMMENT "Writing man pages with help2man" VERBATIM)
add_custom_target(man_pages ALL DEPENDS ${CMAKE_BINARY_DIR}/man/qecpipe.1)
install(DIRECTORY ${CMAKE_BINARY_DIR}/man/ DESTINATION share/man/man1 FILES_MATCHING PATTERN "*.1")

# --- Debian package (CPack) -------------------------------------------------------------------
# Depends: the shared libraries the binary links, as dpkg-shlibdeps names them (libopenmpi3,
# libhdf5-openmpi-103-1, libopenblas0, libyaml-0-2, libc6), plus openmpi-bin: mpirun, and the
# orted that a single-process run of an Open MPI program starts.
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME qecpipe)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "qecpipe developers")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "distributed quantum error correction decoding pipeline")
set(CPACK_PACKAGE_DESCRIPTION "Simulates surface-code memory experiments, trains a recurrent neural \
decoder data-parallel over MPI ranks, decodes with matching (MWPM, correlated), union-find and the \
neural decoder, and writes results to one parallel HDF5 file. Runs under mpirun or Slurm; reads and \
writes Stim's circuit, DEM and shot formats.")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)           # qecpipe_VERSION_amd64.deb
set(CPACK_DEBIAN_PACKAGE_SECTION science)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "openmpi-bin")
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "gnuplot-nox, hdf5-tools")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "slurm-wlm")
include(CPack)
