// Walking an archive of experiments in Google's published layout (2023:
// surface_code_bX_d3_r05_center_3_5/; 2024: d5_at_q4_7/X/r05/): every folder holding a
// detection_events.b8 is one experiment. Used by `qecpipe redecode` and by training on an
// archive (`train.archive`).
#ifndef QP_FORMATS_ARCHIVE_WALK_H
#define QP_FORMATS_ARCHIVE_WALK_H

#include <stddef.h>

#include "workers/util/err.h"

// Relative paths of the experiment folders under archive, sorted (not collective); *skipped
// lists the folders holding circuit_noisy.stim or circuit_ideal.stim but no
// detection_events.b8. Both lists are malloc'd, as are their strings.
int qp_archive_list(const char *archive, char ***rels, size_t *n, char ***skipped, size_t *num_skipped,
                    qp_err *err);

// Frees a list from qp_archive_list.
void qp_archive_list_free(char **rels, size_t n);

#endif
