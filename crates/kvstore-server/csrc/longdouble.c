/*
 * Redis computes INCRBYFLOAT (and HINCRBYFLOAT) in C's long double, which
 * is the 80-bit extended type on x86-64, reads numbers with strtold and
 * writes them with "%.17Lf". Rust has no such type, so the arithmetic that
 * must match Redis digit for digit is done here, in the C type itself.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Reads a whole buffer as Redis's string2ld does: no leading or trailing
 * space, nothing after the number, no NaN. Returns 0 on success. */
static int read_ld(const char *s, size_t len, long double *out) {
    char buf[5 * 1024 + 1];
    char *end;
    if (len == 0 || len >= sizeof(buf)) return -1;
    memcpy(buf, s, len);
    buf[len] = '\0';
    if (isspace((unsigned char)buf[0])) return -1;
    errno = 0;
    long double v = strtold(buf, &end);
    if ((size_t)(end - buf) != len || errno == EINVAL || isnan(v)) return -1;
    if (errno == ERANGE && (v == HUGE_VALL || v == -HUGE_VALL || fpclassify(v) == FP_ZERO)) {
        /* Redis refuses overflow and underflow alike. */
        return -1;
    }
    *out = v;
    return 0;
}

/* Adds `by` to `cur` (either may be NULL/0-length for "0" when cur is
 * absent) and writes the result as Redis prints it into `out`.
 * Returns the length written, -1 if `cur` is not a number, -2 if `by` is
 * not, -3 if the sum is NaN or infinite, -4 if `out` is too small. */
long kv_ld_incr(const char *cur, size_t cur_len, const char *by, size_t by_len,
                char *out, size_t out_len) {
    long double a = 0, b;
    if (cur != NULL && read_ld(cur, cur_len, &a) != 0) return -1;
    if (read_ld(by, by_len, &b) != 0) return -2;
    long double sum = a + b;
    if (isnan(sum) || isinf(sum)) return -3;
    int n = snprintf(out, out_len, "%.17Lf", sum);
    if (n < 0 || (size_t)n >= out_len) return -4;
    /* Trailing zeros after the point go, and the point if nothing is left. */
    if (strchr(out, '.') != NULL) {
        while (n > 0 && out[n - 1] == '0') n--;
        if (n > 0 && out[n - 1] == '.') n--;
    }
    if (n == 2 && out[0] == '-' && out[1] == '0') { out[0] = '0'; n = 1; }
    out[n] = '\0';
    return n;
}
