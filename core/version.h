/* The version of cloudqe: the one place it is written. The build (git describe and the
 * commit date) is baked in by the Makefile; `cloudqe --version` prints both. */
#ifndef CQE_VERSION_H
#define CQE_VERSION_H

#define CQE_VERSION "0.13.0"

#endif
