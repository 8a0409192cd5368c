/* nfbackup: read saved Northflank addon backup API responses, validate them
 * and convert them. Include this header for the whole public API. */
#ifndef NFBACKUP_H
#define NFBACKUP_H

#include <nfbackup/backup.h>
#include <nfbackup/common.h>
#include <nfbackup/diag.h>
#include <nfbackup/reader.h>
#include <nfbackup/text.h>
#include <nfbackup/version.h>
#include <nfbackup/writer.h>

#endif
