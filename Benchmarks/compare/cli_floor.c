// The least time any command can take to deliver the `kernel` command's outputs on this machine: start a process,
// fill two P×P float64 arrays (2-MiB pages, as nntheory's kernel buffers) with a value per entry, and write each as
// a .npy file through a temporary and a rename, as nntheory does — no network, no kernel, no argument parsing.
// compare.sh times it beside neural-tangents' warm kernel_fn call: their ratio bounds what the CLI row can reach.
//
//   cc -O2 -o cli_floor cli_floor.c && ./cli_floor P OUTDIR
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static double *pages(size_t bytes) {   // 2-MiB aligned, advised for transparent huge pages
    size_t huge = (size_t)2 << 20, size = (bytes + huge - 1) / huge * huge + huge;
    char *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) { perror("mmap"); exit(1); }
    char *q = (char *)(((size_t)p + huge - 1) / huge * huge);
    madvise(q, size - huge, MADV_HUGEPAGE);
    return (double *)q;
}

static void save(const char *dir, const char *name, const double *a, size_t P) {
    char header[128], tmp[4096], dst[4096];
    int n = snprintf(header + 10, sizeof header - 10, "{'descr': '<f8', 'fortran_order': False, 'shape': (%zu, %zu), }", P, P);
    memset(header + 10 + n, ' ', 128 - 10 - n - 1);
    header[127] = '\n';
    memcpy(header, "\x93NUMPY\x01\x00\x76\x00", 10);   // version 1.0, header length 118: data at byte 128
    snprintf(tmp, sizeof tmp, "%s/.%s.partial", dir, name);
    snprintf(dst, sizeof dst, "%s/%s", dir, name);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    if (fd < 0 || write(fd, header, 128) != 128 || write(fd, a, P * P * 8) != (ssize_t)(P * P * 8) || close(fd) != 0
        || rename(tmp, dst) != 0) { perror(dst); exit(1); }
}

int main(int argc, char **argv) {
    if (argc != 3) { fprintf(stderr, "usage: cli_floor P OUTDIR\n"); return 2; }
    size_t P = strtoul(argv[1], NULL, 10);
    mkdir(argv[2], 0777);
    double *k = pages(P * P * 8), *t = pages(P * P * 8);
    for (size_t i = 0; i < P * P; i++) { k[i] = (double)i * 1e-6; t[i] = (double)i * 2e-6; }
    save(argv[2], "nngp.npy", k, P);
    save(argv[2], "ntk.npy", t, P);
    return 0;
}
