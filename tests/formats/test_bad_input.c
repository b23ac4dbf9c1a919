// Malformed shot data: each case must fail with one line naming the file and the exact
// byte offset (binary formats) or line:column (text formats) of the problem.
#include <criterion/criterion.h>

#include "pipeline/formats/shot_reader.h"
#include "tests/formats/formats_test_util.h"
#include "tests/test_support.h"

// Reads all of `data` as `format` with D detectors + K observables from a real file named
// NAME in a temp dir; expects failure and returns the message in err (path in *path_out).
static void expect_failure(qp_shot_format format, uint64_t D, uint64_t K, const char *data, size_t len,
                           const char *expect, int from_memory) {
    char dir[64], path[256];
    fmt_test_tmpdir(dir);
    snprintf(path, sizeof path, "%s/bad.%s", dir, qp_shot_format_name(format));
    cr_assert_eq(fmt_test_write_file(path, data, len), 0);
    qp_err err = {{0}};
    qp_shot_reader *r = NULL;
    int rc;
    if (from_memory) rc = qp_shot_reader_open_mem(&r, path, (const uint8_t *)data, len, format, D, K, &err);
    else rc = qp_shot_reader_open(&r, path, format, D, K, &err);
    if (rc == 0) {
        uint8_t *buf = calloc(1000, qp_bytes_per_record(D + K));
        int64_t n;
        while ((n = qp_shot_reader_read(r, buf, 7, &err)) > 0) {}
        rc = (int)n;
        free(buf);
        // The failure is sticky.
        if (rc < 0) {
            qp_err again = {{0}};
            uint8_t one[64];
            cr_assert_eq(qp_shot_reader_read(r, one, 1, &again), -1);
            cr_assert_str_eq(again.msg, err.msg);
        }
        qp_shot_reader_close(r);
    }
    cr_assert_eq(rc, -1, "%s: bad input was accepted (expected '%s')", qp_shot_format_name(format), expect);
    char want[512];
    snprintf(want, sizeof want, "%s%s", path, expect);
    cr_assert(strncmp(err.msg, want, strlen(want)) == 0, "got:  %s\nwant: %s...", err.msg, want);
    cr_assert(strchr(err.msg, '\n') == NULL, "one line: %s", err.msg);
    fmt_test_rmdir(dir);
}

static void both(qp_shot_format f, uint64_t D, uint64_t K, const char *data, size_t len, const char *expect) {
    expect_failure(f, D, K, data, len, expect, 0);
    expect_failure(f, D, K, data, len, expect, 1);
}
#define TEXT(f, D, K, s, expect) both(f, D, K, s, strlen(s), expect)

Test(bad_input, b8_size_not_a_multiple_of_the_record) {
    char b8[2561];
    memset(b8, 0, sizeof b8);
    both(QP_FORMAT_B8, 24, 1, b8, 2561, ": byte offset 2560: file size 2561 is not a multiple of the record size 4 bytes");
    both(QP_FORMAT_B8, 100, 0, b8, 2561 - 13 + 5, ": byte offset 2548: file size 2553 is not a multiple");
    both(QP_FORMAT_B8, 100, 0, b8, 2560, ": byte offset 2548: file size 2560 is not a multiple of the record size 13");
}

Test(bad_input, b01_wrong_length_or_stray_character) {
    TEXT(QP_FORMAT_01, 4, 1, "00000\n00100\n0010\n", ":3:5: line has 4 bits, expected 5");
    TEXT(QP_FORMAT_01, 4, 1, "00000\n001x0\n", ":2:4: expected '0' or '1', got 'x'");
    TEXT(QP_FORMAT_01, 4, 1, "00000\n000000\n", ":2:6: line is longer than 5 bits");
    TEXT(QP_FORMAT_01, 4, 1, "00000\n0000 \n", ":2:5: expected '0' or '1', got ' '");
    // CRLF ends a line (as in Stim); a lone CR does not.
    TEXT(QP_FORMAT_01, 4, 1, "00000\r\n00000\r0\n", ":2:6: expected end of line after 5 bits, got '\\x0d'");
    TEXT(QP_FORMAT_01, 4, 1, "00000\n\n", ":2:1: line has 0 bits, expected 5");
    TEXT(QP_FORMAT_01, 4, 1, "000", ":1:4: line has 3 bits, expected 5");
}

Test(bad_input, b01_accepts_a_last_line_without_newline) {
    qp_shot_reader *r;
    qp_err err = {{0}};
    const char *text = "10001\n00011";
    cr_assert_eq(qp_shot_reader_open_mem(&r, "x.01", (const uint8_t *)text, strlen(text), QP_FORMAT_01, 5, 0, &err), 0);
    uint8_t recs[4] = {0};
    cr_assert_eq(qp_shot_reader_read(r, recs, 4, &err), 2, "%s", err.msg);
    cr_assert_eq(recs[0], 0x11);
    cr_assert_eq(recs[1], 0x18);
    qp_shot_reader_close(r);
}

Test(bad_input, dets_token_out_of_range_or_malformed) {
    TEXT(QP_FORMAT_DETS, 24, 1, "shot D3\nshot\nshot D3 D24\n", ":3:9: detector index out of range: records have 24 detectors");
    TEXT(QP_FORMAT_DETS, 24, 1, "shot L1\n", ":1:6: observable index out of range: records have 1 observables");
    TEXT(QP_FORMAT_DETS, 24, 0, "shot L0\n", ":1:6: observable index out of range: records have 0 observables");
    TEXT(QP_FORMAT_DETS, 24, 1, "shot D99999999999999999999999\n", ":1:6: detector index out of range");
    TEXT(QP_FORMAT_DETS, 24, 1, "shot Dx\n", ":1:6: malformed token: expected digits after 'D', got 'x'");
    TEXT(QP_FORMAT_DETS, 24, 1, "shot D\n", ":1:6: malformed token: expected digits after 'D', got end of line");
    TEXT(QP_FORMAT_DETS, 24, 1, "shot D1x\n", ":1:8: malformed token: unexpected 'x'");
    TEXT(QP_FORMAT_DETS, 24, 1, "shot X1\n", ":1:6: expected a token like D5 or L0, got 'X'");
    TEXT(QP_FORMAT_DETS, 24, 1, "shot\nshoot D1\n", ":2:1: expected a line starting with 'shot'");
    TEXT(QP_FORMAT_DETS, 24, 1, "shotD1\n", ":1:5: expected a space before the next token, got 'D'");
    TEXT(QP_FORMAT_DETS, 24, 1, "D1\n", ":1:1: expected a line starting with 'shot'");
}

Test(bad_input, hits_index_out_of_range_or_malformed) {
    TEXT(QP_FORMAT_HITS, 24, 1, "\n3,25\n", ":2:3: bit index out of range: records have 25 bits");
    TEXT(QP_FORMAT_HITS, 24, 1, "3,,4\n", ":1:3: expected a bit index, got ','");
    TEXT(QP_FORMAT_HITS, 24, 1, "3 4\n", ":1:2: expected ',' or end of line, got ' '");
    TEXT(QP_FORMAT_HITS, 24, 1, "-1\n", ":1:1: expected a bit index, got '-'");
    TEXT(QP_FORMAT_HITS, 24, 1, "1,\n", ":1:3: expected a bit index, got end of line");
}

Test(bad_input, r8_run_overflows_the_record_or_data_ends_inside_one) {
    const char overflow[] = {25, 3, 26};   // 1st record ok (25 zeros + terminator); 2nd: 3 zeros, 1, then 26 > 21 left
    both(QP_FORMAT_R8, 24, 1, overflow, 3, ": byte offset 2: r8 run of 26 zeros starting at bit 4 overflows the record of 25 bits");
    const char escape[] = {(char)255};     // 255 zeros in a 25-bit record
    both(QP_FORMAT_R8, 24, 1, escape, 1, ": byte offset 0: r8 run of 255 zeros starting at bit 0 overflows");
    const char truncated[] = {25, 3, 4};   // 2nd record never reaches its terminator
    both(QP_FORMAT_R8, 24, 1, truncated, 3, ": byte offset 3: r8 data ends inside the record starting at byte offset 1");
}

Test(bad_input, ptb64_truncated) {
    char data[2000];
    memset(data, 0, sizeof data);
    // 25 bits -> groups of 200 bytes; 1990 bytes = 9 groups + 190.
    both(QP_FORMAT_PTB64, 24, 1, data, 1990, ": byte offset 1800: truncated ptb64 data");
    both(QP_FORMAT_PTB64, 24, 1, data, 8, ": byte offset 0: truncated ptb64 data");
}

Test(bad_input, missing_file_and_zero_bits) {
    qp_shot_reader *r;
    qp_err err = {{0}};
    cr_assert_eq(qp_shot_reader_open(&r, "/nonexistent/x.b8", QP_FORMAT_B8, 3, 0, &err), -1);
    cr_assert(strstr(err.msg, "/nonexistent/x.b8: cannot open") == err.msg, "%s", err.msg);
    cr_assert_eq(qp_shot_reader_open_mem(&r, "m", (const uint8_t *)"", 0, QP_FORMAT_B8, 0, 0, &err), -1);
    cr_assert(strstr(err.msg, "at least one bit") != NULL, "%s", err.msg);
}
