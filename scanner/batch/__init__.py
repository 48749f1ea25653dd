"""Many apps: isolated workers with limits, resumable sha256-keyed results, snapshots and re-matching."""
