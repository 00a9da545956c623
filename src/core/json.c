#include "core/json.h"

#include <errno.h>
#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* Nodes, strings and child arrays are carved from a chain of blocks so a
 * document is freed in one sweep and parsing does no per-node free work. */
typedef struct json_block {
    struct json_block *next;
    size_t used, cap;
    max_align_t data[];
} json_block;

struct fp_json_doc {
    json_block *blocks;
    fp_json *root;
};

typedef struct {
    const char *p, *end, *start;
    fp_json_doc *doc;
    size_t depth, max_depth, nodes, max_nodes;
    fp_error *err;
    fp_status status;
} parser;

static void *doc_alloc(fp_json_doc *doc, size_t size)
{
    size = (size + sizeof(max_align_t) - 1) / sizeof(max_align_t) * sizeof(max_align_t);
    json_block *b = doc->blocks;
    if (!b || b->cap - b->used < size) {
        size_t cap = size > 65536 ? size : 65536;
        json_block *nb = malloc(sizeof *nb + cap);
        if (!nb)
            return NULL;
        nb->next = doc->blocks;
        nb->used = 0;
        nb->cap = cap;
        doc->blocks = nb;
        b = nb;
    }
    void *ptr = (char *)b->data + b->used;
    b->used += size;
    return ptr;
}

static fp_status fail(parser *ps, fp_status st, const char *what)
{
    if (ps->status == FP_OK) {
        ps->status = st;
        fp_error_set(ps->err, st, "JSON: %s at byte %zu", what, (size_t)(ps->p - ps->start));
    }
    return st;
}

static void skip_ws(parser *ps)
{
    while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r'))
        ps->p++;
}

static fp_json *new_node(parser *ps, fp_json_type type)
{
    if (++ps->nodes > ps->max_nodes) {
        fail(ps, FP_ERR_LIMIT, "too many values");
        return NULL;
    }
    fp_json *n = doc_alloc(ps->doc, sizeof *n);
    if (!n) {
        fail(ps, FP_ERR_NOMEM, "out of memory");
        return NULL;
    }
    memset(n, 0, sizeof *n);
    n->type = type;
    return n;
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static int read_hex4(parser *ps, unsigned *out)
{
    if (ps->end - ps->p < 4)
        return 0;
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        int h = hex_value(ps->p[i]);
        if (h < 0)
            return 0;
        v = v << 4 | (unsigned)h;
    }
    ps->p += 4;
    *out = v;
    return 1;
}

static size_t put_utf8(char *dst, unsigned cp)
{
    if (cp < 0x80) { dst[0] = (char)cp; return 1; }
    if (cp < 0x800) { dst[0] = (char)(0xC0 | cp >> 6); dst[1] = (char)(0x80 | (cp & 0x3F)); return 2; }
    if (cp < 0x10000) {
        dst[0] = (char)(0xE0 | cp >> 12); dst[1] = (char)(0x80 | (cp >> 6 & 0x3F));
        dst[2] = (char)(0x80 | (cp & 0x3F)); return 3;
    }
    dst[0] = (char)(0xF0 | cp >> 18); dst[1] = (char)(0x80 | (cp >> 12 & 0x3F));
    dst[2] = (char)(0x80 | (cp >> 6 & 0x3F)); dst[3] = (char)(0x80 | (cp & 0x3F)); return 4;
}

/* Validates one UTF-8 sequence starting at s; returns its length or 0. */
static size_t utf8_len(const unsigned char *s, const unsigned char *end)
{
    unsigned char c = s[0];
    size_t n;
    unsigned cp;
    if (c < 0x80) return 1;
    if (c >= 0xC2 && c <= 0xDF) { n = 2; cp = c & 0x1F; }
    else if (c >= 0xE0 && c <= 0xEF) { n = 3; cp = c & 0x0F; }
    else if (c >= 0xF0 && c <= 0xF4) { n = 4; cp = c & 0x07; }
    else return 0;
    if ((size_t)(end - s) < n) return 0;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80) return 0;
        cp = cp << 6 | (s[i] & 0x3F);
    }
    if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)) || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return n;
}

/* Parses a string body (after the opening quote) into arena memory. */
static const char *parse_string_raw(parser *ps, size_t *out_len)
{
    const char *scan = ps->p;
    while (scan < ps->end && *scan != '"') {
        if (*scan == '\\')
            scan++;
        scan++;
    }
    if (scan >= ps->end) {
        fail(ps, FP_ERR_TRUNCATED, "unterminated string");
        return NULL;
    }
    /* decoded text is never longer than the escaped source */
    char *dst = doc_alloc(ps->doc, (size_t)(scan - ps->p) + 1);
    if (!dst) {
        fail(ps, FP_ERR_NOMEM, "out of memory");
        return NULL;
    }
    size_t n = 0;
    while (ps->p < ps->end && *ps->p != '"') {
        unsigned char c = (unsigned char)*ps->p;
        if (c < 0x20) {
            fail(ps, FP_ERR_FORMAT, "control character in string");
            return NULL;
        }
        if (c == '\\') {
            ps->p++;
            if (ps->p >= ps->end) {
                fail(ps, FP_ERR_TRUNCATED, "unterminated escape");
                return NULL;
            }
            char e = *ps->p++;
            switch (e) {
            case '"': dst[n++] = '"'; break;
            case '\\': dst[n++] = '\\'; break;
            case '/': dst[n++] = '/'; break;
            case 'b': dst[n++] = '\b'; break;
            case 'f': dst[n++] = '\f'; break;
            case 'n': dst[n++] = '\n'; break;
            case 'r': dst[n++] = '\r'; break;
            case 't': dst[n++] = '\t'; break;
            case 'u': {
                unsigned cp, lo;
                if (!read_hex4(ps, &cp)) {
                    fail(ps, FP_ERR_FORMAT, "bad \\u escape");
                    return NULL;
                }
                if (cp >= 0xD800 && cp <= 0xDBFF) {
                    if (ps->end - ps->p < 2 || ps->p[0] != '\\' || ps->p[1] != 'u') {
                        fail(ps, FP_ERR_FORMAT, "lone surrogate");
                        return NULL;
                    }
                    ps->p += 2;
                    if (!read_hex4(ps, &lo) || lo < 0xDC00 || lo > 0xDFFF) {
                        fail(ps, FP_ERR_FORMAT, "bad surrogate pair");
                        return NULL;
                    }
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
                    fail(ps, FP_ERR_FORMAT, "lone surrogate");
                    return NULL;
                }
                n += put_utf8(dst + n, cp);
                break;
            }
            default:
                fail(ps, FP_ERR_FORMAT, "bad escape");
                return NULL;
            }
        } else {
            size_t len = utf8_len((const unsigned char *)ps->p, (const unsigned char *)ps->end);
            if (!len) {
                fail(ps, FP_ERR_FORMAT, "invalid UTF-8");
                return NULL;
            }
            memcpy(dst + n, ps->p, len);
            n += len;
            ps->p += len;
        }
    }
    ps->p++; /* closing quote */
    dst[n] = 0;
    *out_len = n;
    return dst;
}

static fp_json *parse_value(parser *ps);

/* strtod honours LC_NUMERIC, so a host application that calls setlocale()
 * (e.g. de_DE, decimal comma) would silently misparse "1.5". Parse in the
 * "C" locale for this thread only; the locale object is created once. */
static locale_t c_numeric_locale;
static pthread_once_t c_numeric_once = PTHREAD_ONCE_INIT;

static void c_numeric_init(void)
{
    c_numeric_locale = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
}

static double c_locale_strtod(const char *text)
{
    pthread_once(&c_numeric_once, c_numeric_init);
    if (!c_numeric_locale)
        return strtod(text, NULL);
    locale_t previous = uselocale(c_numeric_locale);
    double v = strtod(text, NULL);
    uselocale(previous);
    return v;
}

static fp_json *parse_number(parser *ps)
{
    const char *s = ps->p;
    if (ps->p < ps->end && *ps->p == '-') ps->p++;
    if (ps->p >= ps->end) { fail(ps, FP_ERR_TRUNCATED, "truncated number"); return NULL; }
    if (*ps->p == '0') ps->p++;
    else if (*ps->p >= '1' && *ps->p <= '9') while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9') ps->p++;
    else { fail(ps, FP_ERR_FORMAT, "invalid number"); return NULL; }
    if (ps->p < ps->end && *ps->p == '.') {
        ps->p++;
        if (ps->p >= ps->end || *ps->p < '0' || *ps->p > '9') { fail(ps, FP_ERR_FORMAT, "invalid fraction"); return NULL; }
        while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9') ps->p++;
    }
    if (ps->p < ps->end && (*ps->p == 'e' || *ps->p == 'E')) {
        ps->p++;
        if (ps->p < ps->end && (*ps->p == '+' || *ps->p == '-')) ps->p++;
        if (ps->p >= ps->end || *ps->p < '0' || *ps->p > '9') { fail(ps, FP_ERR_FORMAT, "invalid exponent"); return NULL; }
        while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9') ps->p++;
    }
    char buf[64];
    size_t len = (size_t)(ps->p - s);
    char *heap = NULL, *text = buf;
    if (len >= sizeof buf) {
        heap = malloc(len + 1);
        if (!heap) { fail(ps, FP_ERR_NOMEM, "out of memory"); return NULL; }
        text = heap;
    }
    memcpy(text, s, len);
    text[len] = 0;
    double v = c_locale_strtod(text);
    free(heap);
    fp_json *n = new_node(ps, FP_JSON_NUMBER);
    if (n)
        n->number = isfinite(v) ? v : (v > 0 ? HUGE_VAL : -HUGE_VAL);
    return n;
}

static int match_word(parser *ps, const char *w)
{
    size_t len = strlen(w);
    if ((size_t)(ps->end - ps->p) < len || memcmp(ps->p, w, len) != 0)
        return 0;
    ps->p += len;
    return 1;
}

/* Children are gathered on a growable heap stack, then copied into the arena
 * once their count is known. */
typedef struct {
    fp_json **items;
    const char **keys;
    size_t n, cap;
} child_stack;

static int push_child(parser *ps, child_stack *cs, const char *key, fp_json *item)
{
    if (cs->n == cs->cap) {
        size_t cap = cs->cap ? cs->cap * 2 : 8;
        fp_json **items = realloc(cs->items, cap * sizeof *items);
        if (!items) { fail(ps, FP_ERR_NOMEM, "out of memory"); return 0; }
        cs->items = items;
        const char **keys = realloc(cs->keys, cap * sizeof *keys);
        if (!keys) { fail(ps, FP_ERR_NOMEM, "out of memory"); return 0; }
        cs->keys = keys;
        cs->cap = cap;
    }
    cs->items[cs->n] = item;
    cs->keys[cs->n] = key;
    cs->n++;
    return 1;
}

static fp_json *finish_container(parser *ps, fp_json *node, child_stack *cs, int with_keys)
{
    node->length = cs->n;
    if (cs->n) {
        fp_json **items = doc_alloc(ps->doc, cs->n * sizeof *items);
        const char **keys = with_keys ? doc_alloc(ps->doc, cs->n * sizeof *keys) : NULL;
        if (!items || (with_keys && !keys)) {
            fail(ps, FP_ERR_NOMEM, "out of memory");
            node = NULL;
        } else {
            memcpy(items, cs->items, cs->n * sizeof *items);
            node->items = (fp_json *const *)items;
            if (with_keys) {
                memcpy(keys, cs->keys, cs->n * sizeof *keys);
                node->keys = keys;
            }
        }
    }
    free(cs->items);
    free(cs->keys);
    return node;
}

static fp_json *parse_container(parser *ps, int is_object)
{
    char close = is_object ? '}' : ']';
    fp_json *node = new_node(ps, is_object ? FP_JSON_OBJECT : FP_JSON_ARRAY);
    if (!node)
        return NULL;
    if (++ps->depth > ps->max_depth) {
        fail(ps, FP_ERR_LIMIT, "nesting too deep");
        return NULL;
    }
    child_stack cs = {0};
    ps->p++;
    skip_ws(ps);
    if (ps->p < ps->end && *ps->p == close) {
        ps->p++;
        ps->depth--;
        return finish_container(ps, node, &cs, is_object);
    }
    for (;;) {
        const char *key = NULL;
        skip_ws(ps);
        if (is_object) {
            size_t klen;
            if (ps->p >= ps->end) { fail(ps, FP_ERR_TRUNCATED, "truncated object"); break; }
            if (*ps->p != '"') { fail(ps, FP_ERR_FORMAT, "expected key string"); break; }
            ps->p++;
            key = parse_string_raw(ps, &klen);
            if (!key) break;
            skip_ws(ps);
            if (ps->p >= ps->end) { fail(ps, FP_ERR_TRUNCATED, "truncated object"); break; }
            if (*ps->p != ':') { fail(ps, FP_ERR_FORMAT, "expected ':'"); break; }
            ps->p++;
        }
        fp_json *child = parse_value(ps);
        if (!child || !push_child(ps, &cs, key, child)) break;
        skip_ws(ps);
        if (ps->p >= ps->end) { fail(ps, FP_ERR_TRUNCATED, "truncated container"); break; }
        if (*ps->p == ',') { ps->p++; continue; }
        if (*ps->p == close) {
            ps->p++;
            ps->depth--;
            return finish_container(ps, node, &cs, is_object);
        }
        fail(ps, FP_ERR_FORMAT, is_object ? "expected ',' or '}'" : "expected ',' or ']'");
        break;
    }
    free(cs.items);
    free(cs.keys);
    return NULL;
}

static fp_json *parse_value(parser *ps)
{
    skip_ws(ps);
    if (ps->p >= ps->end) {
        fail(ps, FP_ERR_TRUNCATED, "unexpected end of input");
        return NULL;
    }
    switch (*ps->p) {
    case '{': return parse_container(ps, 1);
    case '[': return parse_container(ps, 0);
    case '"': {
        ps->p++;
        fp_json *n = new_node(ps, FP_JSON_STRING);
        if (!n) return NULL;
        n->string = parse_string_raw(ps, &n->length);
        return n->string ? n : NULL;
    }
    case 't': if (match_word(ps, "true")) return new_node(ps, FP_JSON_TRUE); break;
    case 'f': if (match_word(ps, "false")) return new_node(ps, FP_JSON_FALSE); break;
    case 'n': if (match_word(ps, "null")) return new_node(ps, FP_JSON_NULL); break;
    default:
        if (*ps->p == '-' || (*ps->p >= '0' && *ps->p <= '9'))
            return parse_number(ps);
    }
    fail(ps, FP_ERR_FORMAT, "unexpected character");
    return NULL;
}

fp_status fp_json_parse(const char *text, size_t len, const fp_json_limits *limits, fp_json_doc **out,
                        fp_error *err)
{
    if (!out || (!text && len))
        return fp_error_set(err, FP_ERR_INVALID_ARG, "JSON: invalid argument");
    if (!text)
        text = ""; /* pointer arithmetic on NULL is undefined even for + 0 */
    *out = NULL;
    fp_json_doc *doc = calloc(1, sizeof *doc);
    if (!doc)
        return fp_error_set(err, FP_ERR_NOMEM, "JSON: out of memory");
    parser ps = {
        .p = text, .end = text + len, .start = text, .doc = doc,
        .max_depth = limits && limits->max_depth ? limits->max_depth : 128,
        .max_nodes = limits && limits->max_nodes ? limits->max_nodes : (size_t)16 << 20,
        .err = err, .status = FP_OK,
    };
    /* skip a UTF-8 byte order mark, which some tools write */
    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
        ps.p += 3;
    doc->root = parse_value(&ps);
    if (doc->root) {
        skip_ws(&ps);
        if (ps.p != ps.end)
            fail(&ps, FP_ERR_FORMAT, "trailing characters");
    }
    if (ps.status != FP_OK || !doc->root) {
        fp_json_doc_free(doc);
        return ps.status != FP_OK ? ps.status : FP_ERR_INTERNAL;
    }
    *out = doc;
    return FP_OK;
}

const fp_json *fp_json_root(const fp_json_doc *doc)
{
    return doc ? doc->root : NULL;
}

void fp_json_doc_free(fp_json_doc *doc)
{
    if (!doc)
        return;
    json_block *b = doc->blocks;
    while (b) {
        json_block *next = b->next;
        free(b);
        b = next;
    }
    free(doc);
}

const fp_json *fp_json_get(const fp_json *obj, const char *key)
{
    if (!obj || obj->type != FP_JSON_OBJECT || !key)
        return NULL;
    /* last duplicate wins, as in most JSON implementations */
    for (size_t i = obj->length; i-- > 0;)
        if (strcmp(obj->keys[i], key) == 0)
            return obj->items[i];
    return NULL;
}

const fp_json *fp_json_at(const fp_json *arr, size_t index)
{
    if (!arr || arr->type != FP_JSON_ARRAY || index >= arr->length)
        return NULL;
    return arr->items[index];
}

const char *fp_json_get_string(const fp_json *obj, const char *key)
{
    const fp_json *v = fp_json_get(obj, key);
    return v && v->type == FP_JSON_STRING ? v->string : NULL;
}

int fp_json_get_number(const fp_json *obj, const char *key, double *value)
{
    const fp_json *v = fp_json_get(obj, key);
    if (!v || v->type != FP_JSON_NUMBER)
        return 0;
    *value = v->number;
    return 1;
}
