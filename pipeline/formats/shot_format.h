// The Stim shot-data formats qecpipe reads and writes, by name. This is the only list of them;
// see Stim's doc/result_formats.md for the byte-level definitions implemented in codec_*.c:
//   01     one text line of '0'/'1' per record
//   b8     ceil(bits/8) bytes per record, bit k in byte k/8 at significance k%8
//   r8     per record: bytes counting 0s before each 1 (255 = 255 zeros, no 1); a sentinel 1
//          is appended just past the record's last bit
//   hits   one text line per record: comma-separated indices of the set bits
//   dets   one text line per record: "shot" then " D<k>" per set detector, " L<k>" per set
//          observable (" M<k>" for measurement records)
//   ptb64  groups of 64 records; per bit, one little-endian 64-bit word whose bit s is record s
#ifndef QP_FORMATS_SHOT_FORMAT_H
#define QP_FORMATS_SHOT_FORMAT_H

#include <stdbool.h>

typedef enum {
    QP_FORMAT_01 = 0,
    QP_FORMAT_B8,
    QP_FORMAT_R8,
    QP_FORMAT_HITS,
    QP_FORMAT_DETS,
    QP_FORMAT_PTB64,
    QP_FORMAT_COUNT
} qp_shot_format;

// "01", "b8", ... for a format; "?" for an out-of-range value.
const char *qp_shot_format_name(qp_shot_format format);

// Parses a format name (exactly as Stim spells it). Returns 0, or -1 for an unknown name.
int qp_shot_format_parse(const char *name, qp_shot_format *format);

// The list "01, b8, r8, hits, dets, ptb64" for error messages and --help.
const char *qp_shot_format_names(void);

// Whether records are text lines (01, hits, dets) rather than bytes (b8, r8, ptb64).
bool qp_shot_format_is_text(qp_shot_format format);

#endif
