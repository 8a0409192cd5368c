/* Magic bytes. See sniff.h. */
#include "sniff.h"

int nfb__sniff_tar(const unsigned char *p, size_t n)
{
    if (n < 512 || p[0] == 0) return 0;
    /* A newline before any NUL is text: the pull side decides so from a
     * short read's first line (pull.c, enough), and the same bytes read
     * at once must not be taken for a tar header (a tar's names are
     * padded with NULs). */
    const unsigned char *nl = memchr(p, '\n', 512);
    if (nl && !memchr(p, 0, (size_t)(nl - p))) return 0;
    if (memcmp(p + 257, "ustar", 5) == 0) return 1;
    /* v7: the checksum (148, 8 bytes: octal digits, ended by a NUL or a
     * space) is the sum of the header's bytes, the checksum's own eight
     * counted as spaces. */
    unsigned long want = 0, sum = 0;
    size_t i = 148, digits = 0;
    while (i < 156 && p[i] == ' ')
        i++;
    for (; i < 156 && p[i] >= '0' && p[i] <= '7'; i++, digits++)
        want = want * 8 + (unsigned long)(p[i] - '0');
    if (digits == 0 || (i < 156 && p[i] != 0 && p[i] != ' ')) return 0;
    for (i = 0; i < 512; i++)
        sum += i >= 148 && i < 156 ? ' ' : p[i];
    return sum == want;
}

nfb__sniff_kind nfb__sniff(const unsigned char *p, size_t n)
{
    static const struct {
        const char *magic;
        size_t len;
        nfb__sniff_kind kind;
    } magics[] = {
        {"\x1f\x8b", 2, NFB__SNIFF_GZIP},
        {"\x28\xb5\x2f\xfd", 4, NFB__SNIFF_ZSTD},
        {"PK\x03\x04", 4, NFB__SNIFF_ZIP},
        {"PK\x05\x06", 4, NFB__SNIFF_ZIP},
        {"PK\x07\x08", 4, NFB__SNIFF_ZIP},
        {"7z\xbc\xaf\x27\x1c", 6, NFB__SNIFF_7Z},
        {"\xfd"
         "7zXZ\0",
         6, NFB__SNIFF_XZ},
        {"\x04\x22\x4d\x18", 4, NFB__SNIFF_LZ4},
        {"\x02\x21\x4c\x18", 4, NFB__SNIFF_LZ4},
        {"\x5d\0\0", 3, NFB__SNIFF_LZMA},
    };
    for (size_t i = 0; i < sizeof magics / sizeof magics[0]; i++)
        if (n >= magics[i].len &&
            memcmp(p, magics[i].magic, magics[i].len) == 0)
            return magics[i].kind;
    /* A zstd skippable frame: 5? 2a 4d 18. */
    if (n >= 4 && (p[0] & 0xf0) == 0x50 &&
        memcmp(p + 1, "\x2a\x4d\x18", 3) == 0)
        return NFB__SNIFF_ZSTD;
    if (n >= 4 && memcmp(p, "BZh", 3) == 0 && p[3] >= '1' && p[3] <= '9')
        return NFB__SNIFF_BZIP2;
    return nfb__sniff_tar(p, n) ? NFB__SNIFF_TAR : NFB__SNIFF_NONE;
}

const char *nfb__sniff_name(nfb__sniff_kind k)
{
    switch (k) {
    case NFB__SNIFF_GZIP:
        return "a gzip stream";
    case NFB__SNIFF_ZSTD:
        return "a zstd stream";
    case NFB__SNIFF_TAR:
        return "a tar archive";
    case NFB__SNIFF_ZIP:
        return "a zip archive";
    case NFB__SNIFF_7Z:
        return "a 7z archive";
    case NFB__SNIFF_XZ:
        return "an xz stream";
    case NFB__SNIFF_BZIP2:
        return "a bzip2 stream";
    case NFB__SNIFF_LZ4:
        return "an lz4 stream";
    case NFB__SNIFF_LZMA:
        return "an lzma stream";
    default:
        return "text";
    }
}
