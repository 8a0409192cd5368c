/* The lists commands: formats, columns, statuses and source-types print,
 * one per line, what the library has. They are the one source of these
 * lists for the completions, the scripts and the documentation's checks. */
#include <string.h>

#include "cli.h"

static const char *format_at(size_t i)
{
    const nfb_format *f = nfb_format_get(i);
    return f ? f->name : NULL;
}

static const char *status_at(size_t i)
{
    return i < NFB_STATUS_COUNT ? nfb_status_name((nfb_status)i) : NULL;
}

static const char *source_type_at(size_t i)
{
    return i < NFB_SOURCE_TYPE_COUNT ? nfb_source_type_name((nfb_source_type)i)
                                     : NULL;
}

static const struct list {
    const char *command;
    const char *(*name_at)(size_t i); /* NULL past the last */
} lists[] = {
    {"formats", format_at},
    {"columns", nfb_column_name},
    {"statuses", status_at},
    {"source-types", source_type_at},
};

static int done(void)
{
    return fflush(stdout) == 0 && !ferror(stdout) ? EXIT_VALID : EXIT_IO;
}

int list_command(const char *cmd, int argc, char **argv)
{
    const struct list *l = NULL;
    for (size_t i = 0; i < sizeof lists / sizeof *lists; i++)
        if (strcmp(cmd, lists[i].command) == 0) l = &lists[i];
    if (!l) return LIST_NOT_ONE;
    int is_formats = l->name_at == format_at;
    int names = is_formats && argc == 1 && strcmp(argv[0], "--names") == 0;
    if (argc > names) {
        report_usage("%s takes no arguments%s", cmd,
                     is_formats ? " but --names" : "");
        return EXIT_USAGE;
    }
    const char *name;
    for (size_t i = 0; (name = l->name_at(i)) != NULL; i++) {
        if (is_formats && !names)
            printf("%-6s %s\n", name, nfb_format_get(i)->description);
        else
            printf("%s\n", name);
    }
    return done();
}
