// SHA-256 (FIPS 180-4), streaming: the hash sinter uses for its strong_id, so qecpipe's
// identities of decoding problems are as collision-free as sinter's. Not constant-time; not
// for secrets.
#ifndef QP_UTIL_SHA256_H
#define QP_UTIL_SHA256_H

#include <stddef.h>
#include <stdint.h>

#include "workers/util/err.h"

typedef struct {
    uint32_t state[8];
    uint64_t length;     // bytes hashed so far
    uint8_t block[64];   // pending input, block_len bytes of it
    size_t block_len;
} qp_sha256;

void qp_sha256_init(qp_sha256 *h);
void qp_sha256_update(qp_sha256 *h, const void *data, size_t len);
// Writes the digest as 64 lowercase hex characters and a terminating 0 (hex has 65 bytes).
void qp_sha256_hex(qp_sha256 *h, char hex[65]);
// The digest of a whole file, as hex; -1 with err "PATH: cannot open: REASON" / "PATH: read error".
int qp_sha256_file(const char *path, char hex[65], qp_err *err);

#endif
