#include <criterion/criterion.h>
#include <string.h>

#include "workers/util/sha256.h"

static void check(const char *msg, size_t repeat, size_t piece, const char *want) {
    qp_sha256 h;
    qp_sha256_init(&h);
    size_t len = strlen(msg);
    for (size_t r = 0; r < repeat; r++)
        for (size_t at = 0; at < len; at += piece) qp_sha256_update(&h, msg + at, len - at < piece ? len - at : piece);
    char hex[65];
    qp_sha256_hex(&h, hex);
    cr_assert_str_eq(hex, want, "'%.20s' x %zu in pieces of %zu", msg, repeat, piece);
}

// FIPS 180-4 example vectors, fed whole and in pieces that cross block boundaries.
Test(sha256, fips_vectors) {
    check("", 1, 1, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    check("abc", 1, 1, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    const char *two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";  // 56 bytes: padding spills
    for (size_t piece = 1; piece <= 56; piece += 11)
        check(two, 1, piece, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    check("aaaaaaaaaa", 100000, 7, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}
