/* Generated from version.h.in by CMake: do not edit. */
#ifndef NFBACKUP_VERSION_H
#define NFBACKUP_VERSION_H

#define NFB_VERSION_MAJOR 0
#define NFB_VERSION_MINOR 2
#define NFB_VERSION_PATCH 0
#define NFB_VERSION_STRING "0.2.0"
/* 0xMMmmpp: compare with >= to require a version. */
#define NFB_VERSION_HEX                                                        \
    ((NFB_VERSION_MAJOR << 16) | (NFB_VERSION_MINOR << 8) | NFB_VERSION_PATCH)

#endif
