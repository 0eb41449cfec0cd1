#ifndef NNTHEORY_CMPI_SHIM_H
#define NNTHEORY_CMPI_SHIM_H
// The C interface of MPI (Debian: libopenmpi-dev), for the optional MPI build (`make mpi`, SwiftPM trait MPI).
// MPI_COMM_WORLD and the datatype handles are macros Swift cannot import; these inline functions return them.
#include <mpi.h>
static inline MPI_Comm nnt_mpi_comm_world(void) { return MPI_COMM_WORLD; }
static inline MPI_Datatype nnt_mpi_byte(void) { return MPI_BYTE; }
static inline MPI_Datatype nnt_mpi_int64(void) { return MPI_INT64_T; }
static inline int nnt_mpi_thread_funneled(void) { return MPI_THREAD_FUNNELED; }
static inline MPI_Status *nnt_mpi_status_ignore(void) { return MPI_STATUS_IGNORE; }
#endif
