/* SHA-256 (FIPS 180-4), incremental. Used to verify model files and test
 * fixtures; the crypto module will use the platform libraries for keyed work. */
#ifndef FP_CORE_SHA256_H
#define FP_CORE_SHA256_H

#include <stddef.h>
#include <stdint.h>

typedef struct fp_sha256 {
    uint32_t state[8];
    uint64_t length;        /* bytes hashed so far */
    unsigned char block[64];
    size_t fill;            /* bytes waiting in block */
} fp_sha256;

void fp_sha256_init(fp_sha256 *ctx);
void fp_sha256_update(fp_sha256 *ctx, const void *data, size_t len);
void fp_sha256_final(fp_sha256 *ctx, unsigned char digest[32]);
/* One-shot digest as 64 lowercase hex characters + NUL. */
void fp_sha256_hex(const void *data, size_t len, char hex[65]);

#endif
