#ifndef NNTHEORY_CFILEBLOCKS_H
#define NNTHEORY_CFILEBLOCKS_H
// File calls that Swift's Glibc module does not declare (glibc declares them only under _GNU_SOURCE).

/// Reserves the disk blocks of bytes [0, bytes) of the open file `fd` without changing its size (Linux
/// fallocate(FALLOC_FL_KEEP_SIZE)): later writes into them need no block allocation of their own. 0 on success,
/// -1 with errno set otherwise (EOPNOTSUPP where the file system or the platform has no such call: writes then
/// allocate as usual).
int nnt_reserve_file_blocks(int fd, long long bytes);

#endif
