// Reversible escaping of experiment names into single HDF5 group names. See store_name.h.
#include "pipeline/store/store_name.h"

#include <string.h>

#include "workers/util/alloc.h"

char *qp_store_name_escape(const char *name) {
    size_t n = strlen(name);
    char *out = qp_malloc(3 * n + 1), *o = out;
    for (const char *p = name; *p; p++) {
        if (*p == '%' || *p == '/') {
            memcpy(o, *p == '%' ? "%25" : "%2F", 3);
            o += 3;
        } else {
            *o++ = *p;
        }
    }
    *o = 0;
    return out;
}

static int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

char *qp_store_name_unescape(const char *escaped) {
    char *out = qp_malloc(strlen(escaped) + 1), *o = out;
    for (const char *p = escaped; *p; p++) {
        int hi, lo;
        if (p[0] == '%' && (hi = hex_value(p[1])) >= 0 && (lo = hex_value(p[2])) >= 0) {
            *o++ = (char)(hi * 16 + lo);
            p += 2;
        } else {
            *o++ = *p;
        }
    }
    *o = 0;
    return out;
}
