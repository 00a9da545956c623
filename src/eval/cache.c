/* Embedding cache (see faceprint/eval.h and docs/ACCURACY.md).
 *
 * File layout, all integers little-endian, floats IEEE-754 binary32 LE:
 *   magic   8 bytes "FPEMBC01"
 *   u32     dim (128)
 *   u32     tag length, then the tag bytes (pipeline identity)
 *   u32     entry count
 *   entries u32 path length, path bytes (as given, no NUL),
 *           u64 file size, i64 mtime seconds, i64 mtime nanoseconds,
 *           i32 faces found (0 = no face: descriptor all zero),
 *           f32 box x, y, w, h, f32 score, f32 descriptor[dim]
 *   u64     FNV-1a 64 of every preceding byte
 * A file with another magic, dim or tag, a bad checksum or a truncated body
 * is ignored (the cache starts empty). Descriptors are biometric data: the
 * file is created 0600 and buffers are wiped after use. */
#include "faceprint/eval.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/file.h"

#define MAGIC "FPEMBC01"
#define MAX_CACHE_BYTES ((size_t)2 << 30)

typedef struct entry {
    char *path;
    uint64_t size;
    int64_t mtime_s, mtime_ns;
    int32_t n_faces;
    float box[4], score;
    float desc[FP_FACE_DESCRIPTOR_DIM];
} entry;

struct fp_eval_cache {
    entry **e; /* sorted by path */
    int n, cap;
    char *tag;
};

static void entry_free(entry *e)
{
    if (!e)
        return;
    free(e->path);
    explicit_bzero(e, sizeof *e);
    free(e);
}

void fp_eval_cache_free(fp_eval_cache *c)
{
    if (!c)
        return;
    for (int i = 0; i < c->n; i++)
        entry_free(c->e[i]);
    free(c->e);
    free(c->tag);
    free(c);
}

int fp_eval_cache_size(const fp_eval_cache *c)
{
    return c ? c->n : 0;
}

/* Index of path, or -(insertion point) - 1. */
static int find(const fp_eval_cache *c, const char *path)
{
    int lo = 0, hi = c->n;
    while (lo < hi) {
        int mid = lo + (hi - lo) / 2;
        int r = strcmp(c->e[mid]->path, path);
        if (r == 0)
            return mid;
        if (r < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -lo - 1;
}

/* Inserts or replaces; takes ownership of e. */
static int insert(fp_eval_cache *c, entry *e)
{
    int i = find(c, e->path);
    if (i >= 0) {
        entry_free(c->e[i]);
        c->e[i] = e;
        return 1;
    }
    i = -i - 1;
    if (c->n == c->cap) {
        int cap = c->cap ? c->cap * 2 : 1024;
        entry **p = realloc(c->e, (size_t)cap * sizeof *p);
        if (!p)
            return 0;
        c->e = p;
        c->cap = cap;
    }
    memmove(c->e + i + 1, c->e + i, (size_t)(c->n - i) * sizeof *c->e);
    c->e[i] = e;
    c->n++;
    return 1;
}

static int stat_file(const char *path, uint64_t *size, int64_t *s, int64_t *ns)
{
    struct stat sb;
    if (stat(path, &sb) != 0)
        return 0;
    *size = (uint64_t)sb.st_size;
    *s = (int64_t)sb.st_mtim.tv_sec;
    *ns = (int64_t)sb.st_mtim.tv_nsec;
    return 1;
}

/* ---- little-endian reader / writer ------------------------------------- */

typedef struct rd {
    const unsigned char *p, *end;
    int bad;
} rd;

static uint64_t rd_le(rd *r, int bytes)
{
    if (r->bad || r->end - r->p < bytes) {
        r->bad = 1;
        return 0;
    }
    uint64_t v = 0;
    for (int i = 0; i < bytes; i++)
        v |= (uint64_t)r->p[i] << (8 * i);
    r->p += bytes;
    return v;
}

static float rd_f32(rd *r)
{
    uint32_t u = (uint32_t)rd_le(r, 4);
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

typedef struct wr {
    unsigned char *data;
    size_t len, cap;
    int oom;
} wr;

static void wr_bytes(wr *w, const void *src, size_t n)
{
    if (w->oom)
        return;
    if (w->len + n > w->cap) {
        size_t cap = w->cap ? w->cap : 1 << 16;
        while (cap < w->len + n)
            cap *= 2;
        unsigned char *p = malloc(cap);
        if (!p) {
            w->oom = 1;
            return;
        }
        if (w->data) {
            memcpy(p, w->data, w->len);
            explicit_bzero(w->data, w->cap); /* no realloc: wipe the old copy */
            free(w->data);
        }
        w->data = p;
        w->cap = cap;
    }
    memcpy(w->data + w->len, src, n);
    w->len += n;
}

static void wr_le(wr *w, uint64_t v, int bytes)
{
    unsigned char b[8];
    for (int i = 0; i < bytes; i++)
        b[i] = (unsigned char)(v >> (8 * i));
    wr_bytes(w, b, (size_t)bytes);
}

static void wr_f32(wr *w, float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    wr_le(w, u, 4);
}

static uint64_t fnv1a(const unsigned char *p, size_t n)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 1099511628211ull;
    }
    return h;
}

static void set_note(char *note, size_t size, const char *msg)
{
    if (note && size)
        snprintf(note, size, "%s", msg);
}

fp_status fp_eval_cache_load(const char *path, const char *tag, fp_eval_cache **out, char *note, size_t note_size,
                             fp_error *err)
{
    if (!out || !tag)
        return fp_error_set(err, FP_ERR_INVALID_ARG, "eval cache: bad arguments");
    *out = NULL;
    set_note(note, note_size, "");
    fp_eval_cache *c = calloc(1, sizeof *c);
    if (!c || !(c->tag = strdup(tag))) {
        free(c);
        return fp_error_set(err, FP_ERR_NOMEM, "eval cache: out of memory");
    }
    *out = c;
    if (!path)
        return FP_OK;
    char *data = NULL;
    size_t len = 0;
    fp_error ferr = {0};
    if (fp_read_file(path, MAX_CACHE_BYTES, &data, &len, &ferr) != FP_OK) {
        set_note(note, note_size, access(path, F_OK) == 0 ? "unreadable, starting empty" : "new cache file");
        return FP_OK;
    }
    const unsigned char *u = (const unsigned char *)data;
    rd r = {u, u + len, 0};
    const char *why = NULL;
    if (len < 8 + 8 || memcmp(u, MAGIC, 8) != 0) {
        why = "not a faceprint cache, ignored";
    } else {
        rd t = {u + len - 8, u + len, 0};
        if (rd_le(&t, 8) != fnv1a(u, len - 8))
            why = "checksum mismatch, ignored";
    }
    if (!why) {
        r.p += 8;
        r.end -= 8;
        uint32_t dim = (uint32_t)rd_le(&r, 4);
        uint32_t tl = (uint32_t)rd_le(&r, 4);
        if (r.bad || dim != FP_FACE_DESCRIPTOR_DIM || tl != strlen(tag) || (size_t)(r.end - r.p) < tl ||
            memcmp(r.p, tag, tl) != 0)
            why = "written by another pipeline version, ignored";
        else
            r.p += tl;
    }
    if (!why) {
        uint32_t count = (uint32_t)rd_le(&r, 4);
        for (uint32_t i = 0; i < count && !r.bad; i++) {
            uint32_t pl = (uint32_t)rd_le(&r, 4);
            if (r.bad || pl == 0 || pl > 65536 || (size_t)(r.end - r.p) < pl) {
                r.bad = 1;
                break;
            }
            entry *e = calloc(1, sizeof *e);
            if (!e || !(e->path = malloc(pl + 1))) {
                free(e);
                free(data);
                fp_eval_cache_free(c);
                *out = NULL;
                return fp_error_set(err, FP_ERR_NOMEM, "eval cache: out of memory");
            }
            memcpy(e->path, r.p, pl);
            e->path[pl] = 0;
            r.p += pl;
            e->size = rd_le(&r, 8);
            e->mtime_s = (int64_t)rd_le(&r, 8);
            e->mtime_ns = (int64_t)rd_le(&r, 8);
            e->n_faces = (int32_t)(uint32_t)rd_le(&r, 4);
            for (int k = 0; k < 4; k++)
                e->box[k] = rd_f32(&r);
            e->score = rd_f32(&r);
            for (int k = 0; k < FP_FACE_DESCRIPTOR_DIM; k++)
                e->desc[k] = rd_f32(&r);
            if (r.bad || e->n_faces < 0 || memchr(e->path, 0, pl) || !insert(c, e)) {
                entry_free(e);
                r.bad = 1;
            }
        }
        if (r.bad || r.p != r.end)
            why = "corrupt, ignored";
    }
    explicit_bzero(data, len);
    free(data);
    if (why) {
        for (int i = 0; i < c->n; i++)
            entry_free(c->e[i]);
        c->n = 0;
        set_note(note, note_size, why);
    }
    return FP_OK;
}

int fp_eval_cache_get(const fp_eval_cache *c, const char *path, int *n_faces, fp_face *face,
                      float desc[FP_FACE_DESCRIPTOR_DIM])
{
    if (!c || !path)
        return 0;
    int i = find(c, path);
    if (i < 0)
        return 0;
    const entry *e = c->e[i];
    uint64_t size;
    int64_t s, ns;
    if (!stat_file(path, &size, &s, &ns) || size != e->size || s != e->mtime_s || ns != e->mtime_ns)
        return 0;
    if (n_faces)
        *n_faces = e->n_faces;
    if (face) {
        memset(face, 0, sizeof *face);
        face->x = e->box[0];
        face->y = e->box[1];
        face->w = e->box[2];
        face->h = e->box[3];
        face->score = e->score;
    }
    if (desc)
        memcpy(desc, e->desc, sizeof e->desc);
    return 1;
}

fp_status fp_eval_cache_put(fp_eval_cache *c, const char *path, int n_faces, const fp_face *face,
                            const float desc[FP_FACE_DESCRIPTOR_DIM], fp_error *err)
{
    if (!c || !path || !*path || strlen(path) > 65536 || n_faces < 0)
        return fp_error_set(err, FP_ERR_INVALID_ARG, "eval cache: bad entry");
    entry *e = calloc(1, sizeof *e);
    if (!e || !(e->path = strdup(path))) {
        free(e);
        return fp_error_set(err, FP_ERR_NOMEM, "eval cache: out of memory");
    }
    if (!stat_file(path, &e->size, &e->mtime_s, &e->mtime_ns)) {
        entry_free(e);
        return fp_error_set(err, FP_ERR_IO, "%s: %s", path, strerror(errno));
    }
    e->n_faces = n_faces;
    if (face && n_faces > 0) {
        e->box[0] = face->x;
        e->box[1] = face->y;
        e->box[2] = face->w;
        e->box[3] = face->h;
        e->score = face->score;
    }
    if (desc && n_faces > 0)
        memcpy(e->desc, desc, sizeof e->desc);
    if (!insert(c, e)) {
        entry_free(e);
        return fp_error_set(err, FP_ERR_NOMEM, "eval cache: out of memory");
    }
    return FP_OK;
}

fp_status fp_eval_cache_save(const fp_eval_cache *c, const char *path, fp_error *err)
{
    if (!c || !path)
        return fp_error_set(err, FP_ERR_INVALID_ARG, "eval cache: bad arguments");
    wr w = {0};
    size_t tl = strlen(c->tag);
    wr_bytes(&w, MAGIC, 8);
    wr_le(&w, FP_FACE_DESCRIPTOR_DIM, 4);
    wr_le(&w, tl, 4);
    wr_bytes(&w, c->tag, tl);
    wr_le(&w, (uint64_t)c->n, 4);
    for (int i = 0; i < c->n; i++) {
        const entry *e = c->e[i];
        size_t pl = strlen(e->path);
        wr_le(&w, pl, 4);
        wr_bytes(&w, e->path, pl);
        wr_le(&w, e->size, 8);
        wr_le(&w, (uint64_t)e->mtime_s, 8);
        wr_le(&w, (uint64_t)e->mtime_ns, 8);
        wr_le(&w, (uint32_t)e->n_faces, 4);
        for (int k = 0; k < 4; k++)
            wr_f32(&w, e->box[k]);
        wr_f32(&w, e->score);
        for (int k = 0; k < FP_FACE_DESCRIPTOR_DIM; k++)
            wr_f32(&w, e->desc[k]);
    }
    if (!w.oom)
        wr_le(&w, fnv1a(w.data, w.len), 8);
    if (w.oom) {
        if (w.data)
            explicit_bzero(w.data, w.cap);
        free(w.data);
        return fp_error_set(err, FP_ERR_NOMEM, "eval cache: out of memory");
    }
    size_t pl = strlen(path);
    char *tmp = malloc(pl + 16);
    fp_status st = FP_OK;
    if (!tmp) {
        st = fp_error_set(err, FP_ERR_NOMEM, "eval cache: out of memory");
    } else {
        snprintf(tmp, pl + 16, "%s.tmpXXXXXX", path);
        int fd = mkstemp(tmp); /* created 0600 */
        if (fd < 0) {
            st = fp_error_set(err, FP_ERR_IO, "%s: %s", tmp, strerror(errno));
        } else {
            int bad = fchmod(fd, S_IRUSR | S_IWUSR) != 0;
            for (size_t off = 0; !bad && off < w.len;) {
                ssize_t n = write(fd, w.data + off, w.len - off);
                if (n < 0 && errno == EINTR)
                    continue;
                if (n <= 0)
                    bad = 1;
                else
                    off += (size_t)n;
            }
            bad |= fsync(fd) != 0;
            bad |= close(fd) != 0;
            if (bad || rename(tmp, path) != 0) {
                st = fp_error_set(err, FP_ERR_IO, "%s: cannot write: %s", path, strerror(errno));
                unlink(tmp);
            }
        }
    }
    free(tmp);
    explicit_bzero(w.data, w.cap);
    free(w.data);
    return st;
}
