#include "pipeline/formats/shot_format.h"

#include <string.h>

static const char *const format_names[QP_FORMAT_COUNT] = {"01", "b8", "r8", "hits", "dets", "ptb64"};

const char *qp_shot_format_name(qp_shot_format format) {
    if ((int)format < 0 || format >= QP_FORMAT_COUNT) return "?";
    return format_names[format];
}

int qp_shot_format_parse(const char *name, qp_shot_format *format) {
    for (int f = 0; f < QP_FORMAT_COUNT; f++) {
        if (strcmp(name, format_names[f]) == 0) {
            *format = (qp_shot_format)f;
            return 0;
        }
    }
    return -1;
}

const char *qp_shot_format_names(void) { return "01, b8, r8, hits, dets, ptb64"; }

bool qp_shot_format_is_text(qp_shot_format format) {
    return format == QP_FORMAT_01 || format == QP_FORMAT_HITS || format == QP_FORMAT_DETS;
}
