/* Loading libxlsxwriter on first use: see lx_load.h. */
#include "lx_load.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#ifndef NFB_LIBXLSXWRITER_SONAME
#define NFB_LIBXLSXWRITER_SONAME "libxlsxwriter.so.4"
#endif

static pthread_once_t once = PTHREAD_ONCE_INIT;
static nfb__lx table;
static int loaded;
static char failure[256];

static void load(void)
{
    void *h = dlopen(NFB_LIBXLSXWRITER_SONAME, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        const char *e = dlerror();
        snprintf(failure, sizeof failure, "%s",
                 e ? e : NFB_LIBXLSXWRITER_SONAME);
        return;
    }
    /* A function pointer from dlsym's void *, copied as POSIX allows. */
#define NFB__LX_LOAD(f)                                                        \
    {                                                                          \
        void *s = dlsym(h, #f);                                                \
        if (!s) {                                                              \
            snprintf(failure, sizeof failure, "%s lacks " #f,                  \
                     NFB_LIBXLSXWRITER_SONAME);                                \
            dlclose(h);                                                        \
            return;                                                            \
        }                                                                      \
        memcpy(&table.f, &s, sizeof s);                                        \
    }
    NFB__LX_FUNCTIONS(NFB__LX_LOAD)
#undef NFB__LX_LOAD
    loaded = 1; /* h stays open for the life of the process */
}

const nfb__lx *nfb__lx_load(const char **why)
{
    pthread_once(&once, load);
    if (!loaded) *why = failure;
    return loaded ? &table : NULL;
}
