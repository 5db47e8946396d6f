#include "fmt.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

const char *fmt_bytes(char *buf, size_t cap, uint64_t bytes) {
    static const char *unit[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    double v = (double)bytes;
    int u = 0;
    while (v >= 1024.0 && u < 4) { v /= 1024.0; u++; }
    if (u == 0) snprintf(buf, cap, "%llu B", (unsigned long long)bytes);
    else snprintf(buf, cap, v >= 100 ? "%.0f %s" : v >= 10 ? "%.1f %s" : "%.2f %s", v, unit[u]);
    return buf;
}

int parse_bytes(const char *s, uint64_t *out) {
    if (!s) return -1;
    while (isspace((unsigned char)*s)) s++;
    if (!*s || *s == '-' || *s == '+') return -1;
    errno = 0;
    char *end;
    double v = strtod(s, &end);
    if (end == s || errno || !isfinite(v) || v < 0) return -1;
    while (isspace((unsigned char)*end)) end++;
    double mul = 1;
    if (*end) {
        char c = (char)toupper((unsigned char)*end);
        const char *rest = end + 1;
        switch (c) {
        case 'B': mul = 1; rest = end + 1; if (*rest) return -1; break;
        case 'K': mul = 1024.0; break;
        case 'M': mul = 1024.0 * 1024; break;
        case 'G': mul = 1024.0 * 1024 * 1024; break;
        case 'T': mul = 1024.0 * 1024 * 1024 * 1024; break;
        default: return -1;
        }
        if (c != 'B' && *rest && strcasecmp(rest, "iB") != 0 && strcasecmp(rest, "B") != 0) return -1;
    }
    double b = v * mul;
    if (b >= 18446744073709551615.0) return -1;
    *out = (uint64_t)(b + 0.5);
    return 0;
}

size_t json_nul_at(const char *s, size_t n) {
    bool in_str = false;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\0') return i;
        if (!in_str) {
            in_str = s[i] == '"';
        } else if (s[i] == '"') {
            in_str = false;
        } else if (s[i] == '\\' && i + 1 < n) {
            if (s[i + 1] == 'u' && i + 5 < n && s[i + 2] == '0' && s[i + 3] == '0' && s[i + 4] == '0' && s[i + 5] == '0')
                return i;
            i++;
        }
    }
    return (size_t)-1;
}

int text_line_at(const char *s, size_t off) {
    int line = 1;
    for (size_t i = 0; i < off; i++) line += s[i] == '\n';
    return line;
}

const char *fmt_printable(char *buf, size_t cap, const char *s) {
    size_t n = 0;
    for (; *s && n + 1 < cap; s++) buf[n++] = (unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s;
    if (cap) buf[n] = '\0';
    return buf;
}
