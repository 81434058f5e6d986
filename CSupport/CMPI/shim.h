// CMPI: Open MPI 4.1 (Debian's libopenmpi-dev), for HeapPackCluster's MPI transport (the `MPI`
// package trait). Swift imports MPI's functions directly; what it cannot import are the
// predefined handles, which Open MPI defines as macros that cast the address of a global
// (`MPI_COMM_WORLD` is `(MPI_Comm)&ompi_mpi_comm_world`). These inline functions hand them over.
// They are header-only on purpose: a compiled C target would be built, and fail for want of
// mpi.h, on machines without MPI even when the trait is off.
#ifndef CMPI_SHIM_H
#define CMPI_SHIM_H
#include <mpi.h>

static inline MPI_Comm hpm_comm_world(void) { return MPI_COMM_WORLD; }
static inline MPI_Datatype hpm_byte(void) { return MPI_BYTE; }
static inline MPI_Request hpm_request_null(void) { return MPI_REQUEST_NULL; }
static inline MPI_Status *hpm_status_ignore(void) { return MPI_STATUS_IGNORE; }
static inline MPI_Errhandler hpm_errors_return(void) { return MPI_ERRORS_RETURN; }
static inline int hpm_max_processor_name(void) { return MPI_MAX_PROCESSOR_NAME; }
static inline int hpm_any_source(void) { return MPI_ANY_SOURCE; }
#endif
