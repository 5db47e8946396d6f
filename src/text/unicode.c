/* unicode — UTF-8, category lookup, GPT-2 byte mapping. See unicode.h. */
#include "unicode.h"

int ucp_class(uint32_t cp) {
    if (cp > 0x10FFFF) return UCP_UNDEFINED;
    /* Last run whose start <= cp. */
    size_t lo = 0, hi = ucp_n_runs;
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (ucp_runs[mid].start <= cp) lo = mid;
        else hi = mid;
    }
    return ucp_runs[lo].cls;
}

bool ucp_in_ranges(uint32_t cp, const ucp_range *r, size_t n) {
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (cp < r[mid].first) hi = mid;
        else if (cp > r[mid].last) lo = mid + 1;
        else return true;
    }
    return false;
}

static uint32_t pair_lookup(const ucp_pair *p, size_t n, uint32_t cp) {
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (p[mid].from == cp) return p[mid].to;
        if (p[mid].from < cp) lo = mid + 1;
        else hi = mid;
    }
    return cp;
}

uint32_t ucp_to_lower(uint32_t cp) {
    if (cp < 0x80) return cp >= 'A' && cp <= 'Z' ? cp + 32 : cp;
    return pair_lookup(ucp_lower, ucp_n_lower, cp);
}

uint32_t ucp_nfd_first_cp(uint32_t cp) {
    if (cp < 0xC0) return cp;
    if (cp >= 0xAC00 && cp <= 0xD7A3) return 0x1100 + (cp - 0xAC00) / 588; /* Hangul: leading jamo */
    return pair_lookup(ucp_nfd_first, ucp_n_nfd_first, cp);
}

bool ucp_is_space(uint32_t cp) {
    if (cp < 0x80) return cp == ' ' || (cp >= 0x09 && cp <= 0x0D);
    return ucp_in_ranges(cp, ucp_white_space, ucp_n_white_space);
}

size_t utf8_len(unsigned char lead) {
    if (lead < 0x80) return 1;
    if ((lead & 0xE0) == 0xC0) return 2;
    if ((lead & 0xF0) == 0xE0) return 3;
    if ((lead & 0xF8) == 0xF0) return 4;
    return 1;
}

size_t utf8_decode(const char *s, size_t len, uint32_t *cp) {
    const unsigned char *u = (const unsigned char *)s;
    size_t n = utf8_len(u[0]);
    if (n == 1) { *cp = u[0] < 0x80 ? u[0] : 0xFFFD; return 1; }
    if (n > len) { *cp = 0xFFFD; return 1; }
    uint32_t c = u[0] & (0x7F >> n);
    for (size_t i = 1; i < n; i++) {
        if ((u[i] & 0xC0) != 0x80) { *cp = 0xFFFD; return 1; }
        c = (c << 6) | (u[i] & 0x3F);
    }
    static const uint32_t min_for_len[5] = {0, 0, 0x80, 0x800, 0x10000};
    if (c < min_for_len[n] || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) { *cp = 0xFFFD; return 1; }
    *cp = c;
    return n;
}

size_t utf8_encode(uint32_t cp, char *out) {
    unsigned char *o = (unsigned char *)out;
    if (cp < 0x80) { o[0] = (unsigned char)cp; return 1; }
    if (cp < 0x800) { o[0] = 0xC0 | (cp >> 6); o[1] = 0x80 | (cp & 0x3F); return 2; }
    if (cp < 0x10000) {
        o[0] = 0xE0 | (cp >> 12); o[1] = 0x80 | ((cp >> 6) & 0x3F); o[2] = 0x80 | (cp & 0x3F);
        return 3;
    }
    o[0] = 0xF0 | (cp >> 18); o[1] = 0x80 | ((cp >> 12) & 0x3F);
    o[2] = 0x80 | ((cp >> 6) & 0x3F); o[3] = 0x80 | (cp & 0x3F);
    return 4;
}

/* GPT-2 keeps the printable Latin-1 bytes ('!'..'~', 0xA1..0xAC, 0xAE..0xFF)
 * as themselves and maps the other 68 bytes, in order, to U+0100.. so that
 * every byte has a visible, non-space stand-in. */
static bool byte_is_kept(unsigned b) {
    return (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE);
}

uint32_t bytes_to_unicode(uint8_t b) {
    if (byte_is_kept(b)) return b;
    unsigned n = 0; /* count of non-kept bytes below b */
    for (unsigned i = 0; i < b; i++) n += !byte_is_kept(i);
    return 0x100 + n;
}

int unicode_to_byte(uint32_t cp) {
    if (cp < 0x100) return byte_is_kept(cp) ? (int)cp : -1;
    if (cp >= 0x100 + 68) return -1;
    unsigned n = cp - 0x100;
    for (unsigned i = 0; i < 256; i++)
        if (!byte_is_kept(i) && n-- == 0) return (int)i;
    return -1;
}
