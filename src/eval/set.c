/* Labelled image sets: DIR/<identity>/<image> (see faceprint/eval.h). */
#include "faceprint/eval.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

fp_status fp_eval_set_new(int n, fp_eval_set **out, fp_error *err)
{
    if (!out || n < 0)
        return fp_error_set(err, FP_ERR_INVALID_ARG, "eval set: bad arguments");
    *out = NULL;
    fp_eval_set *s = calloc(1, sizeof *s);
    if (!s)
        return fp_error_set(err, FP_ERR_NOMEM, "eval set: out of memory");
    s->n = n;
    s->images = calloc((size_t)n + 1, sizeof *s->images);
    s->ids = calloc((size_t)n + 1, sizeof *s->ids);
    s->desc = calloc(((size_t)n + 1) * FP_FACE_DESCRIPTOR_DIM, sizeof *s->desc);
    if (!s->images || !s->ids || !s->desc) {
        fp_eval_set_free(s);
        return fp_error_set(err, FP_ERR_NOMEM, "eval set: out of memory for %d images", n);
    }
    for (int i = 0; i < n; i++)
        s->images[i].label = -1;
    *out = s;
    return FP_OK;
}

fp_status fp_eval_set_add_image(fp_eval_set *s, int i, const char *path, const char *id, fp_error *err)
{
    if (!s || i < 0 || i >= s->n || !path || !id)
        return fp_error_set(err, FP_ERR_INVALID_ARG, "eval set: bad image %d", i);
    int label = -1;
    /* Sets are built in identity order, so the last id is the usual match. */
    for (int k = s->n_ids - 1; k >= 0; k--)
        if (!strcmp(s->ids[k], id)) {
            label = k;
            break;
        }
    if (label < 0) {
        if (!(s->ids[s->n_ids] = strdup(id)))
            return fp_error_set(err, FP_ERR_NOMEM, "eval set: out of memory");
        label = s->n_ids++;
    }
    free(s->images[i].path);
    if (!(s->images[i].path = strdup(path)))
        return fp_error_set(err, FP_ERR_NOMEM, "eval set: out of memory");
    s->images[i].label = label;
    return FP_OK;
}

void fp_eval_set_free(fp_eval_set *s)
{
    if (!s)
        return;
    for (int i = 0; s->images && i < s->n; i++)
        free(s->images[i].path);
    for (int k = 0; s->ids && k < s->n_ids; k++)
        free(s->ids[k]);
    if (s->desc)
        explicit_bzero(s->desc, (size_t)s->n * FP_FACE_DESCRIPTOR_DIM * sizeof *s->desc);
    if (s->images)
        explicit_bzero(s->images, (size_t)s->n * sizeof *s->images);
    free(s->images);
    free(s->ids);
    free(s->desc);
    free(s);
}

static int is_image_name(const char *name)
{
    const char *dot = strrchr(name, '.');
    return name[0] != '.' && dot &&
           (!strcasecmp(dot, ".jpg") || !strcasecmp(dot, ".jpeg") || !strcasecmp(dot, ".png"));
}

typedef struct names {
    char **v;
    size_t n, cap;
} names;

static int names_push(names *l, const char *s)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        char **p = realloc(l->v, cap * sizeof *p);
        if (!p)
            return 0;
        l->v = p;
        l->cap = cap;
    }
    return (l->v[l->n] = strdup(s)) ? (l->n++, 1) : 0;
}

static void names_free(names *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
    memset(l, 0, sizeof *l);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted entries of dir; want_dirs selects subdirectories or image files. */
static fp_status list_dir(const char *dir, int want_dirs, names *out, fp_error *err)
{
    DIR *d = opendir(dir);
    if (!d)
        return fp_error_set(err, errno == ENOENT ? FP_ERR_NOT_FOUND : FP_ERR_IO, "%s: %s", dir, strerror(errno));
    struct dirent *e;
    char path[4096];
    fp_status st = FP_OK;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        if (!want_dirs && !is_image_name(e->d_name))
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        struct stat sb;
        if (stat(path, &sb) != 0)
            continue;
        if (want_dirs ? !S_ISDIR(sb.st_mode) : !S_ISREG(sb.st_mode))
            continue;
        if (!names_push(out, e->d_name)) {
            st = fp_error_set(err, FP_ERR_NOMEM, "%s: out of memory", dir);
            break;
        }
    }
    closedir(d);
    if (out->n)
        qsort(out->v, out->n, sizeof *out->v, cmp_str);
    return st;
}

fp_status fp_eval_set_from_dir(const char *dir, fp_eval_set **out, fp_error *err)
{
    if (!dir || !out)
        return fp_error_set(err, FP_ERR_INVALID_ARG, "eval set: bad arguments");
    *out = NULL;
    size_t dl = strlen(dir);
    while (dl > 1 && dir[dl - 1] == '/')
        dl--;
    char root[4096];
    if (dl >= sizeof root - 512)
        return fp_error_set(err, FP_ERR_LIMIT, "eval set: directory path too long");
    memcpy(root, dir, dl);
    root[dl] = 0;
    names ids = {0}, all = {0}, all_ids = {0};
    fp_status st = list_dir(root, 1, &ids, err);
    char path[4096];
    for (size_t k = 0; st == FP_OK && k < ids.n; k++) {
        names files = {0};
        snprintf(path, sizeof path, "%s/%s", root, ids.v[k]);
        st = list_dir(path, 0, &files, err);
        for (size_t i = 0; st == FP_OK && i < files.n; i++) {
            snprintf(path, sizeof path, "%s/%s/%s", root, ids.v[k], files.v[i]);
            if (!names_push(&all, path) || !names_push(&all_ids, ids.v[k]))
                st = fp_error_set(err, FP_ERR_NOMEM, "eval set: out of memory");
        }
        names_free(&files);
    }
    if (st == FP_OK && all.n == 0)
        st = fp_error_set(err, FP_ERR_NOT_FOUND, "%s: no images in DIR/<identity>/*.jpg|png", root);
    if (st == FP_OK && all.n > 100000000u)
        st = fp_error_set(err, FP_ERR_LIMIT, "%s: too many images", root);
    fp_eval_set *s = NULL;
    if (st == FP_OK)
        st = fp_eval_set_new((int)all.n, &s, err);
    for (size_t i = 0; st == FP_OK && i < all.n; i++)
        st = fp_eval_set_add_image(s, (int)i, all.v[i], all_ids.v[i], err);
    names_free(&ids);
    names_free(&all);
    names_free(&all_ids);
    if (st != FP_OK) {
        fp_eval_set_free(s);
        return st;
    }
    *out = s;
    return FP_OK;
}
