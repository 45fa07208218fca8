/* SPDX-License-Identifier: Apache-2.0 */
#include <math.h>
#include <stdio.h>

#include "common/rmq_str.h"
#include "remoting/rmq_json.h"

/* ---- lexer ---- */

static void lx_fail(rmq_jlex_t *lx, const char *why) {
        if (!lx->err)
                lx->err = why;
}

void rmq__jlex_ws(rmq_jlex_t *lx) {
        while (lx->p < lx->end && (*lx->p == ' ' || *lx->p == '\t' ||
                                   *lx->p == '\n' || *lx->p == '\r'))
                lx->p++;
}

char rmq__jlex_peek_slow(rmq_jlex_t *lx) {
        rmq__jlex_ws(lx);
        return lx->p < lx->end ? *lx->p : 0;
}

int rmq__jlex_expect_slow(rmq_jlex_t *lx, char c) {
        if (lx->err)
                return -1;
        if (rmq__jlex_peek(lx) != c) {
                lx_fail(lx, "unexpected character");
                return -1;
        }
        lx->p++;
        return 0;
}

static int hex4(const char *p, uint32_t *out) {
        uint32_t v = 0;
        int i;
        for (i = 0; i < 4; i++) {
                char c = p[i];
                v <<= 4;
                if (c >= '0' && c <= '9')
                        v |= (uint32_t)(c - '0');
                else if (c >= 'a' && c <= 'f')
                        v |= (uint32_t)(c - 'a' + 10);
                else if (c >= 'A' && c <= 'F')
                        v |= (uint32_t)(c - 'A' + 10);
                else
                        return -1;
        }
        *out = v;
        return 0;
}

static size_t utf8_put(char *d, uint32_t cp) {
        if (cp < 0x80) {
                d[0] = (char)cp;
                return 1;
        }
        if (cp < 0x800) {
                d[0] = (char)(0xc0 | (cp >> 6));
                d[1] = (char)(0x80 | (cp & 0x3f));
                return 2;
        }
        if (cp < 0x10000) {
                d[0] = (char)(0xe0 | (cp >> 12));
                d[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
                d[2] = (char)(0x80 | (cp & 0x3f));
                return 3;
        }
        d[0] = (char)(0xf0 | (cp >> 18));
        d[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
        d[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
        d[3] = (char)(0x80 | (cp & 0x3f));
        return 4;
}

/* The rest of a string from \p s, its first backslash (or the end): the
 * unescaping path, out of line so the inline fast path stays small. */
int rmq__jlex_string_escaped(rmq_jlex_t *lx, char *s, char **sp,
                             size_t *lenp) {
        char *start = lx->p, *d = s;
        while (s < lx->end && *s != '"') {
                if (*s != '\\') {
                        *d++ = *s++;
                        continue;
                }
                if (s + 1 >= lx->end) {
                        lx_fail(lx, "truncated escape");
                        return -1;
                }
                s++;
                switch (*s) {
                case '"': *d++ = '"'; s++; break;
                case '\\': *d++ = '\\'; s++; break;
                case '/': *d++ = '/'; s++; break;
                case 'b': *d++ = '\b'; s++; break;
                case 'f': *d++ = '\f'; s++; break;
                case 'n': *d++ = '\n'; s++; break;
                case 'r': *d++ = '\r'; s++; break;
                case 't': *d++ = '\t'; s++; break;
                case 'u': {
                        uint32_t cp, lo;
                        if (lx->end - s < 5 || hex4(s + 1, &cp)) {
                                lx_fail(lx, "bad \\u escape");
                                return -1;
                        }
                        s += 5;
                        if (cp >= 0xd800 && cp < 0xdc00 && lx->end - s >= 6 &&
                            s[0] == '\\' && s[1] == 'u' &&
                            !hex4(s + 2, &lo) && lo >= 0xdc00 && lo < 0xe000) {
                                cp = 0x10000 + ((cp - 0xd800) << 10) +
                                     (lo - 0xdc00);
                                s += 6;
                        } else if (cp >= 0xd800 && cp < 0xe000) {
                                cp = 0xfffd; /* lone surrogate */
                        }
                        /* An escape is 6+ bytes, its UTF-8 at most 4. */
                        d += utf8_put(d, cp);
                        break;
                }
                default:
                        lx_fail(lx, "bad escape");
                        return -1;
                }
        }
        if (s >= lx->end) {
                lx_fail(lx, "unterminated string");
                return -1;
        }
        *d    = '\0'; /* d <= s, and s points at the closing quote */
        lx->p = s + 1;
        *sp   = start;
        *lenp = (size_t)(d - start);
        return 0;
}

int rmq__jlex_scalar(rmq_jlex_t *lx, char **sp, size_t *lenp) {
        char *s;
        rmq__jlex_ws(lx);
        s = lx->p;
        while (lx->p < lx->end) {
                char c = *lx->p;
                if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
                    (c >= 'A' && c <= 'Z') || c == '-' || c == '+' ||
                    c == '.' || c == '_')
                        lx->p++;
                else
                        break;
        }
        if (lx->p == s) {
                lx_fail(lx, "expected a value");
                return -1;
        }
        *sp   = s;
        *lenp = (size_t)(lx->p - s);
        return 0;
}

int rmq__jlex_skip(rmq_jlex_t *lx) {
        char c = rmq__jlex_peek(lx);
        char *s;
        size_t n;
        if (lx->err)
                return -1;
        if (c == '"')
                return rmq__jlex_string(lx, &s, &n);
        if (c == '{' || c == '[') {
                char close = c == '{' ? '}' : ']';
                if (++lx->depth > RMQ_JSON_MAX_DEPTH) {
                        lx_fail(lx, "nesting too deep");
                        return -1;
                }
                lx->p++;
                if (rmq__jlex_peek(lx) == close) {
                        lx->p++;
                        lx->depth--;
                        return 0;
                }
                for (;;) {
                        if (rmq__jlex_skip(lx))
                                return -1;
                        if (c == '{') {
                                if (rmq__jlex_expect(lx, ':') ||
                                    rmq__jlex_skip(lx))
                                        return -1;
                        }
                        c = rmq__jlex_peek(lx);
                        if (c == ',') {
                                lx->p++;
                                c = close == '}' ? '{' : '[';
                                continue;
                        }
                        if (rmq__jlex_expect(lx, close))
                                return -1;
                        lx->depth--;
                        return 0;
                }
        }
        return rmq__jlex_scalar(lx, &s, &n);
}

/* ---- body parser ---- */

static cJSON *parse_value(rmq_jlex_t *lx);

/* The JSON number grammar: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
 * (so no nan, inf, hex or leading '+', which fastjson could not read back). */
static bool json_number(const char *s, size_t n) {
        size_t i = 0;
        if (i < n && s[i] == '-')
                i++;
        if (i >= n || s[i] < '0' || s[i] > '9')
                return false;
        if (s[i] == '0')
                i++;
        else
                while (i < n && s[i] >= '0' && s[i] <= '9')
                        i++;
        if (i < n && s[i] == '.') {
                i++;
                if (i >= n || s[i] < '0' || s[i] > '9')
                        return false;
                while (i < n && s[i] >= '0' && s[i] <= '9')
                        i++;
        }
        if (i < n && (s[i] == 'e' || s[i] == 'E')) {
                i++;
                if (i < n && (s[i] == '+' || s[i] == '-'))
                        i++;
                if (i >= n || s[i] < '0' || s[i] > '9')
                        return false;
                while (i < n && s[i] >= '0' && s[i] <= '9')
                        i++;
        }
        return i == n;
}

static cJSON *parse_scalar(rmq_jlex_t *lx) {
        char *s;
        size_t n;
        cJSON *item;
        if (rmq__jlex_scalar(lx, &s, &n))
                return NULL;
        if (rmq__streqn(s, n, "true"))
                return cJSON_CreateTrue();
        if (rmq__streqn(s, n, "false"))
                return cJSON_CreateFalse();
        if (rmq__streqn(s, n, "null"))
                return cJSON_CreateNull();
        {
                char tmp[64], *endp;
                double d;
                int64_t iv;
                if (n >= sizeof(tmp)) {
                        lx_fail(lx, "number too long");
                        return NULL;
                }
                if (!json_number(s, n)) {
                        lx_fail(lx, "bad literal");
                        return NULL;
                }
                memcpy(tmp, s, n);
                tmp[n] = '\0';
                d      = strtod(tmp, &endp);
                if (*endp != '\0') {
                        lx_fail(lx, "bad literal");
                        return NULL;
                }
                if (!isfinite(d)) {
                        lx_fail(lx, "number out of range");
                        return NULL;
                }
                /* fastjson writes longs plainly: keep their exact text. */
                item = cJSON_CreateNumber(d);
                if (item && !rmq__parse_i64n(s, n, &iv))
                        item->valuestring = rmq__strndup(s, n);
                return item;
        }
}

static cJSON *parse_container(rmq_jlex_t *lx, char open) {
        char close = open == '{' ? '}' : ']';
        cJSON *obj = open == '{' ? cJSON_CreateObject() : cJSON_CreateArray();
        if (!obj)
                return NULL;
        if (++lx->depth > RMQ_JSON_MAX_DEPTH) {
                lx_fail(lx, "nesting too deep");
                cJSON_Delete(obj);
                return NULL;
        }
        lx->p++; /* open */
        if (rmq__jlex_peek(lx) == close) {
                lx->p++;
                lx->depth--;
                return obj;
        }
        for (;;) {
                cJSON *val;
                char *key    = NULL;
                size_t klen  = 0;
                int rawkey   = 0;
                char *keytxt = NULL;
                if (open == '{') {
                        char c = rmq__jlex_peek(lx);
                        if (c == '"') {
                                if (rmq__jlex_string(lx, &key, &klen))
                                        goto fail;
                                keytxt = rmq__strndup(key, klen);
                        } else if (c == '{' || c == '[') {
                                /* fastjson object-valued map key */
                                cJSON *k = parse_value(lx);
                                if (!k)
                                        goto fail;
                                keytxt = rmq__json_print_str(k, NULL);
                                cJSON_Delete(k);
                                rawkey = 1;
                        } else {
                                /* unquoted key (numeric Long keys of old
                                 * fastjson versions) */
                                if (rmq__jlex_scalar(lx, &key, &klen))
                                        goto fail;
                                keytxt = rmq__strndup(key, klen);
                        }
                        if (rmq__jlex_expect(lx, ':')) {
                                rmq__free(keytxt);
                                goto fail;
                        }
                }
                val = parse_value(lx);
                if (!val) {
                        rmq__free(keytxt);
                        goto fail;
                }
                if (open == '{') {
                        /* cJSON frees item->string with its allocator,
                         * which is malloc, as rmq__malloc. */
                        val->string = keytxt;
                        if (rawkey)
                                val->type |= RMQ_JSON_RAWKEY;
                        cJSON_AddItemToArray(obj, val); /* keeps string */
                } else {
                        cJSON_AddItemToArray(obj, val);
                }
                {
                        char c = rmq__jlex_peek(lx);
                        if (c == ',') {
                                lx->p++;
                                continue;
                        }
                        if (c == close) {
                                lx->p++;
                                lx->depth--;
                                return obj;
                        }
                        lx_fail(lx, "expected ',' or a closing bracket");
                        goto fail;
                }
        }
fail:
        cJSON_Delete(obj);
        return NULL;
}

static cJSON *parse_value(rmq_jlex_t *lx) {
        char c = rmq__jlex_peek(lx);
        if (lx->err)
                return NULL;
        if (c == '{' || c == '[')
                return parse_container(lx, c);
        if (c == '"') {
                char *s;
                size_t n;
                char save;
                cJSON *item;
                if (rmq__jlex_string(lx, &s, &n))
                        return NULL;
                save = s[n];
                s[n] = '\0';
                item = cJSON_CreateString(s);
                s[n] = save;
                return item;
        }
        if (c == 0) {
                lx_fail(lx, "unexpected end of input");
                return NULL;
        }
        return parse_scalar(lx);
}

cJSON *rmq__json_parse(const char *text, size_t len, char *errstr,
                       size_t errstr_size) {
        char *copy = rmq__strndup(text ? text : "", text ? len : 0);
        rmq_jlex_t lx;
        cJSON *root;
        lx.p     = copy;
        lx.end   = copy + (text ? len : 0);
        lx.depth = 0;
        lx.err   = NULL;
        root     = parse_value(&lx);
        /* Not rmq__jlex_peek() != 0: peek answers 0 for a NUL byte too. */
        if (root)
                rmq__jlex_ws(&lx);
        if (root && lx.p != lx.end) {
                lx_fail(&lx, "trailing characters after the JSON value");
                cJSON_Delete(root);
                root = NULL;
        }
        if (!root)
                rmq__seterr(errstr, errstr_size, RMQ_ERR__BAD_MSG,
                            "invalid JSON body at byte %zu: %s",
                            (size_t)(lx.p - copy),
                            lx.err ? lx.err : "out of memory");
        rmq__free(copy);
        return root;
}

/* ---- printer ---- */

static void print_string(rmq_buf_t *out, const char *s) {
        rmq__buf_put_u8(out, '"');
        rmq__buf_put_json_escaped(out, s, strlen(s));
        rmq__buf_put_u8(out, '"');
}

static void print_item(const cJSON *item, rmq_buf_t *out) {
        switch (item->type & 0xff) {
        case cJSON_False:
                rmq__buf_put_str(out, "false");
                break;
        case cJSON_True:
                rmq__buf_put_str(out, "true");
                break;
        case cJSON_NULL:
                rmq__buf_put_str(out, "null");
                break;
        case cJSON_Number:
                if (item->valuestring) {
                        rmq__buf_put_str(out, item->valuestring);
                } else {
                        char tmp[32];
                        double d = item->valuedouble;
                        /* Range first: casting NaN or a value beyond
                         * int64 is undefined. */
                        if (d < 9.2e18 && d > -9.2e18 &&
                            d == (double)(int64_t)d)
                                rmq__buf_put_i64_dec(out, (int64_t)d);
                        else {
                                snprintf(tmp, sizeof(tmp), "%.17g", d);
                                rmq__buf_put_str(out, tmp);
                        }
                }
                break;
        case cJSON_String:
                print_string(out, item->valuestring ? item->valuestring : "");
                break;
        case cJSON_Raw:
                rmq__buf_put_str(out, item->valuestring ? item->valuestring
                                                        : "null");
                break;
        case cJSON_Array:
        case cJSON_Object: {
                int obj = (item->type & 0xff) == cJSON_Object;
                const cJSON *c;
                rmq__buf_put_u8(out, obj ? '{' : '[');
                for (c = item->child; c; c = c->next) {
                        if (c != item->child)
                                rmq__buf_put_u8(out, ',');
                        if (obj) {
                                if (c->type & RMQ_JSON_RAWKEY)
                                        rmq__buf_put_str(out, c->string);
                                else
                                        print_string(out, c->string
                                                              ? c->string
                                                              : "");
                                rmq__buf_put_u8(out, ':');
                        }
                        print_item(c, out);
                }
                rmq__buf_put_u8(out, obj ? '}' : ']');
                break;
        }
        default:
                rmq__buf_put_str(out, "null");
        }
}

void rmq__json_print(const cJSON *item, rmq_buf_t *out) {
        print_item(item, out);
}

char *rmq__json_print_str(const cJSON *item, size_t *lenp) {
        rmq_buf_t b = RMQ_BUF_INIT;
        print_item(item, &b);
        rmq__buf_put_u8(&b, 0);
        if (lenp)
                *lenp = b.len - 1;
        return (char *)rmq__buf_steal(&b, NULL);
}

/* ---- accessors ---- */

int rmq__json_item_i64(const cJSON *item, int64_t *out) {
        if (!item)
                return -1;
        if (cJSON_IsNumber(item)) {
                double d = item->valuedouble;
                if (item->valuestring)
                        return rmq__parse_i64(item->valuestring, out);
                /* Casting NaN or a value outside [-2^63, 2^63) is
                 * undefined: such a number is not an int64. */
                if (!(d >= -9223372036854775808.0 &&
                      d < 9223372036854775808.0))
                        return -1;
                *out = (int64_t)d;
                return 0;
        }
        if (cJSON_IsString(item))
                return rmq__parse_i64(item->valuestring, out);
        return -1;
}

int rmq__json_get_i64(const cJSON *obj, const char *key, int64_t *out) {
        return rmq__json_item_i64(cJSON_GetObjectItemCaseSensitive(obj, key),
                                  out);
}

const char *rmq__json_get_str(const cJSON *obj, const char *key) {
        const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, key);
        return cJSON_IsString(it) ? it->valuestring : NULL;
}

bool rmq__json_get_bool(const cJSON *obj, const char *key, bool def) {
        const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, key);
        if (cJSON_IsBool(it))
                return cJSON_IsTrue(it);
        if (cJSON_IsString(it))
                return rmq__parse_bool(it->valuestring);
        return def;
}

cJSON *rmq__json_add_i64(cJSON *obj, const char *key, int64_t v) {
        cJSON *n = cJSON_CreateNumber((double)v);
        char tmp[24];
        snprintf(tmp, sizeof(tmp), "%lld", (long long)v);
        n->valuestring = rmq__strdup(tmp);
        cJSON_AddItemToObject(obj, key, n);
        return n;
}

void rmq__json_add_rawkey(cJSON *obj, const char *raw_key, cJSON *child) {
        child->string = rmq__strdup(raw_key);
        child->type |= RMQ_JSON_RAWKEY;
        cJSON_AddItemToArray(obj, child);
}
