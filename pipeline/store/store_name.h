// Object names in the results store: an experiment's name (which may be a relative folder path
// such as "run1/surface_code_bX_d3") becomes one group name, reversibly: '%' -> "%25",
// '/' -> "%2F", every other byte unchanged (docs/hdf5-layout.md).
#ifndef QP_STORE_NAME_H
#define QP_STORE_NAME_H

// Returns a qp_malloc'd escaped copy of name; the caller frees it.
char *qp_store_name_escape(const char *name);

// Returns a qp_malloc'd unescaped copy (inverse of qp_store_name_escape; a '%' not followed by
// two hex digits is kept as it is).
char *qp_store_name_unescape(const char *escaped);

#endif
