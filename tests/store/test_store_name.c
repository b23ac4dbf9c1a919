// Experiment-name escaping for group names (pipeline/store/store_name.c): '/' and '%' are
// escaped, everything else kept, and unescaping gives the name back.
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline/store/store_name.h"

static void roundtrip(const char *name, const char *want) {
    char *e = qp_store_name_escape(name);
    cr_expect_str_eq(e, want, "escape(%s)", name);
    cr_expect(strchr(e, '/') == NULL, "escaped name has no '/'");
    char *u = qp_store_name_unescape(e);
    cr_expect_str_eq(u, name, "unescape(escape(%s))", name);
    free(e);
    free(u);
}

Test(store_name, escape_roundtrip) {
    roundtrip("surface_x_d5_r5_p0.003", "surface_x_d5_r5_p0.003");
    roundtrip("run1/surface_code_bX_d3_r01", "run1%2Fsurface_code_bX_d3_r01");
    roundtrip("100%/a%2Fb", "100%25%2Fa%252Fb");
    roundtrip("", "");
}

Test(store_name, unescape_keeps_stray_percent) {
    char *u = qp_store_name_unescape("a%zz%2");
    cr_expect_str_eq(u, "a%zz%2");
    free(u);
    u = qp_store_name_unescape("%2f%41");
    cr_expect_str_eq(u, "/A");
    free(u);
}
