/* The record the reader vouches for (see vouch.h). */
#include "vouch.h"

_Thread_local const nfb_backup *nfb__vouched;
