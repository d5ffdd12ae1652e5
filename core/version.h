/* The version of cloudqe, as `cloudqe_build_info` and the docs name it. A build may set
 * it (-DCQE_VERSION="..."); otherwise the version of the source tree. */
#ifndef CQE_VERSION_H
#define CQE_VERSION_H

#ifndef CQE_VERSION
#define CQE_VERSION "0.12.0"
#endif

#endif
