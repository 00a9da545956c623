/* faceprint: one status type for the whole library (see docs/ERRORS.md). */
#ifndef FACEPRINT_STATUS_H
#define FACEPRINT_STATUS_H

#ifdef __cplusplus
extern "C" {
#endif

/* Zero is success; every failure is a distinct negative code so callers can
 * switch on it and tools can map it to a process exit code. Never renumber:
 * the values are part of the ABI and of the HTTP error bodies. */
typedef enum fp_status {
    FP_OK = 0,
    FP_ERR_INVALID_ARG = -1,      /* caller passed something unusable */
    FP_ERR_NOMEM = -2,            /* allocation failed or a size limit would be exceeded */
    FP_ERR_IO = -3,               /* file could not be opened, read or written */
    FP_ERR_FORMAT = -4,           /* input is malformed (JSON, image, model, mesh...) */
    FP_ERR_TRUNCATED = -5,        /* input ends before its declared size */
    FP_ERR_UNSUPPORTED = -6,      /* well-formed but uses a feature we do not implement */
    FP_ERR_SHAPE = -7,            /* tensor shapes do not agree */
    FP_ERR_INTEGRITY = -8,        /* checksum / MAC / signature mismatch */
    FP_ERR_NOT_FOUND = -9,        /* named thing does not exist */
    FP_ERR_LIMIT = -10,           /* input exceeds a configured limit (size, count, depth) */
    FP_ERR_STATE = -11,           /* call not valid in the object's current state */
    FP_ERR_THREAD = -12,          /* thread creation or synchronisation failed */
    FP_ERR_INTERNAL = -13         /* invariant broken: a bug, please report */
} fp_status;

/* Optional detail for a failure: functions that take an `fp_error *` (may be
 * NULL) fill it with the status and a message naming the culprit, e.g.
 * "model.json: node 'foo': unsupported op 'Einsum'". */
typedef struct fp_error {
    fp_status status;
    char message[256];
} fp_error;

/* Sets err (if not NULL) and returns status, so `return fp_error_set(...)` works. */
fp_status fp_error_set(fp_error *err, fp_status status, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* Static, human-readable English text for a status; never NULL. */
const char *fp_strerror(fp_status status);

/* Short stable identifier such as "FP_ERR_FORMAT", for logs and JSON bodies. */
const char *fp_status_name(fp_status status);

#ifdef __cplusplus
}
#endif
#endif
