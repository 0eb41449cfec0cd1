// See include/CFileBlocks.h.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include "CFileBlocks.h"

int nnt_reserve_file_blocks(int fd, long long bytes) {
#if defined(__linux__) && defined(FALLOC_FL_KEEP_SIZE)
    return fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, (off_t)bytes);
#else
    (void)fd; (void)bytes;
    errno = EOPNOTSUPP;
    return -1;
#endif
}
