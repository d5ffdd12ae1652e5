/* The read view: everything figures need, parsed once from a (merged) store. Services
 * with their attribution and probe minutes, incidents with their derived activity and
 * attributes, maintenance windows, tickets, vulnerabilities, migrations, assets, and
 * the per-month aggregate cells of the other families (the data: family_view.h, each
 * family's part parsed by its own file through family.h). Borrows the store: build it,
 * compute, free it, before the store changes. */
#ifndef CQE_VIEW_H
#define CQE_VIEW_H

#include "config.h"
#include "err.h"
#include "family_view.h"
#include "store.h"

/* Builds the view of store under cfg (both borrowed and must outlive the view).
 * Returns an owned view (cqe_view_free) or NULL with err set: CQE_ENOMEM, or CQE_EIO
 * when a stored cell is corrupt (err names its key and field). */
struct cqe_view *cqe_view_build(const struct cqe_store *store, const struct cqe_config *cfg,
                                struct cqe_err *err);

#endif
