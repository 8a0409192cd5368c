/* Where --output-dir writes each input's output (batch_output_path):
 * extensions replaced, stdin as stdin.EXT, absolute inputs under the
 * folder, and archive members (ARCHIVE:MEMBER) under a folder named as
 * the archive; '..' components and absolute member names refused. Built
 * from cli/batch.c alone, with the messages it would print stubbed. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

void report_errorf(const char *fmt, ...)
{
    (void)fmt;
}

void report_warnf(const char *fmt, ...)
{
    (void)fmt;
}

static int failures;

/* want NULL: refused. */
static void check(const char *dir, const char *input, const char *member,
                  const char *ext, const char *want)
{
    char *out = NULL;
    const char *why = NULL;
    int rc = batch_output_path(dir, input, member, ext, &out, &why);
    if (want && (rc != 0 || strcmp(out, want) != 0)) {
        fprintf(stderr, "FAIL: %s + %s : %s -> %s, not %s\n", dir, input,
                member ? member : "(none)", rc == 0 ? out : why, want);
        failures++;
    } else if (!want && (rc != 1 || !why || !*why)) {
        fprintf(stderr, "FAIL: %s + %s : %s -> %s, not refused\n", dir, input,
                member ? member : "(none)", out ? out : "?");
        failures++;
    }
    free(out);
}

int main(void)
{
    check("out", "a/b.json", NULL, "csv", "out/a/b.csv");
    check("out/", "a/b.json", NULL, "csv", "out/a/b.csv");
    check("out", "x.json.gz", NULL, "csv", "out/x.csv");
    check("out", "x.ndjson.zst", NULL, "yaml", "out/x.yaml");
    check("out", "x.yaml.zstd", NULL, "json", "out/x.json");
    check("out", "a.b.json", NULL, "tsv", "out/a.b.tsv");
    check("out", "noext", NULL, "csv", "out/noext.csv");
    check("out", ".hidden", NULL, "csv", "out/.hidden.csv");
    check("out", ".gz", NULL, "csv", "out/.gz.csv");
    check("out", "x.gz", NULL, "csv", "out/x.csv");
    check("out", "./a//b.json", NULL, "csv", "out/a/b.csv");
    check("out", "/abs/a.json", NULL, "xlsx", "out/abs/a.xlsx");
    check("out", "//abs/a.json", NULL, "csv", "out/abs/a.csv");
    check("/", "a.json", NULL, "csv", "/a.csv");
    check("out", "-", NULL, "csv", "out/stdin.csv");
    check("out", "a b/c\nd.json", NULL, "csv", "out/a b/c\nd.csv");
    check("out", "../a.json", NULL, "csv", NULL);
    check("out", "a/../b.json", NULL, "csv", NULL);
    check("out", "a/..", NULL, "csv", NULL);
    check("out", "/", NULL, "csv", NULL);
    check("out", ".", NULL, "csv", NULL);
    /* archive members: the archive as a folder, its name kept whole */
    check("out", "2025.tar.gz", "backups/2025-01-01.json", "csv",
          "out/2025.tar.gz/backups/2025-01-01.csv");
    check("out", "/srv/2025.zip", "./x.json.gz", "json",
          "out/srv/2025.zip/x.json");
    check("out", "2025.tar.gz", "/etc/passwd", "csv", NULL);
    check("out", "2025.tar.gz", "../../x.json", "csv", NULL);
    check("out", "2025.tar.gz", "a/../../x.json", "csv", NULL);
    check("out", "2025.tar.gz", "", "csv", NULL);
    check("out", "../2025.tar.gz", "x.json", "csv", NULL);
    if (failures) {
        fprintf(stderr, "%d failure(s)\n", failures);
        return 1;
    }
    puts("batch_paths: all checks passed");
    return 0;
}
