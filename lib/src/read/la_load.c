/* Loading libarchive on first use: see la_load.h. */
#include "la_load.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#ifndef NFB_LIBARCHIVE_SONAME
#define NFB_LIBARCHIVE_SONAME "libarchive.so.13"
#endif

static pthread_once_t once = PTHREAD_ONCE_INIT;
static nfb__la table;
static int loaded;
static char failure[256];

static void load(void)
{
    void *h = dlopen(NFB_LIBARCHIVE_SONAME, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        const char *e = dlerror();
        snprintf(failure, sizeof failure, "%s", e ? e : NFB_LIBARCHIVE_SONAME);
        return;
    }
    /* A function pointer from dlsym's void *, copied as POSIX allows. */
#define NFB__LA_LOAD(f)                                                        \
    {                                                                          \
        void *s = dlsym(h, "archive_" #f);                                     \
        if (!s) {                                                              \
            snprintf(failure, sizeof failure, "%s lacks archive_" #f,          \
                     NFB_LIBARCHIVE_SONAME);                                   \
            dlclose(h);                                                        \
            return;                                                            \
        }                                                                      \
        memcpy(&table.f, &s, sizeof s);                                        \
    }
    NFB__LA_FUNCTIONS(NFB__LA_LOAD)
#undef NFB__LA_LOAD
    loaded = 1; /* h stays open for the life of the process */
}

const nfb__la *nfb__la_load(const char **why)
{
    pthread_once(&once, load);
    if (!loaded) *why = failure;
    return loaded ? &table : NULL;
}
